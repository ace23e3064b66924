"""SQL generation for ClickHouse: the statement, DDL, type and identifier compilers.

The service is read-only and rejects qualified table names, so DML and DDL fail at compile
time and schema names are never rendered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc
from sqlalchemy.sql import compiler

from paid_dbapi._literals import render_literal

READ_ONLY = "the Paid Analytics API is read-only: only SELECT queries can run"


#: ClickHouse keywords that must be quoted when used as names (e.g. a CTE called `top`).
_KEYWORDS = """
all and any array as asc asof between both by case cast cross database default desc
distinct else end except exists extract false final format from full global group having if
ilike in inner insert interval intersect into is join key leading left like limit not null
nulls offset on or order outer over paste prewhere primary right sample select semi
settings table then ties to top totals trailing trim true union using when where window
with
"""
RESERVED_WORDS = set(_KEYWORDS.split())


def _no_schema(obj: Any) -> None:
    return None


class PaidIdentifierPreparer(compiler.IdentifierPreparer):
    """Backtick quoting, and no schema ever rendered in front of a table."""

    reserved_words = RESERVED_WORDS

    def __init__(self, dialect: Any) -> None:
        super().__init__(dialect, initial_quote="`", escape_quote="\\`")
        self.escape_to_quote = "\\`"
        # The service rejects database-qualified names: never render a schema.
        self.schema_for_object = _no_schema  # type: ignore[assignment]

    def _escape_identifier(self, value: str) -> str:
        return value.replace("\\", "\\\\").replace("`", "\\`")

    def format_table(self, table: Any, use_schema: bool = True, name: str | None = None) -> str:
        return super().format_table(table, use_schema=False, name=name)


class PaidCompiler(compiler.SQLCompiler):
    """ClickHouse flavoured SELECT compilation."""

    def visit_insert(self, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(READ_ONLY)

    def visit_update(self, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(READ_ONLY)

    def visit_delete(self, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(READ_ONLY)

    def limit_clause(self, select: Any, **kw: Any) -> str:
        text = ""
        if select._limit_clause is not None:
            text += "\n LIMIT " + self.process(select._limit_clause, **kw)
        if select._offset_clause is not None:
            text += "\n OFFSET " + self.process(select._offset_clause, **kw)
        return text

    def visit_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"{self.process(binary.left, **kw)} ILIKE {self.process(binary.right, **kw)}"

    def visit_not_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"{self.process(binary.left, **kw)} NOT ILIKE {self.process(binary.right, **kw)}"

    def visit_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"match({self.process(binary.left, **kw)}, {self.process(binary.right, **kw)})"

    def visit_not_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return "NOT " + self.visit_regexp_match_op_binary(binary, operator, **kw)

    def visit_regexp_replace_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        pattern, replacement = binary.right.clauses
        return (
            f"replaceRegexpAll({self.process(binary.left, **kw)}, "
            f"{self.process(pattern, **kw)}, {self.process(replacement, **kw)})"
        )

    def render_literal_value(self, value: Any, type_: Any) -> str:
        """literal_binds use the driver's literal renderer: one renderer in the project."""
        return render_literal(value)

    def visit_true(self, expr: Any, **kw: Any) -> str:
        return "true"

    def visit_false(self, expr: Any, **kw: Any) -> str:
        return "false"

    def for_update_clause(self, select: Any, **kw: Any) -> str:
        return ""


class PaidDDLCompiler(compiler.DDLCompiler):
    """Every DDL statement is refused: the service is read-only."""

    def process(self, obj: Any, **kw: Any) -> str:
        raise exc.CompileError(READ_ONLY)


class PaidTypeCompiler(compiler.GenericTypeCompiler):
    """SQLAlchemy types rendered as ClickHouse type names (for CAST)."""

    def visit_SMALLINT(self, type_: Any, **kw: Any) -> str:
        return "Int16"

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:
        return "Int32"

    def visit_BIGINT(self, type_: Any, **kw: Any) -> str:
        return "Int64"

    def visit_FLOAT(self, type_: Any, **kw: Any) -> str:
        return "Float64"

    visit_REAL = visit_DOUBLE = visit_DOUBLE_PRECISION = visit_FLOAT

    def visit_NUMERIC(self, type_: Any, **kw: Any) -> str:
        precision = type_.precision or 38
        scale = type_.scale if type_.scale is not None else 10
        return f"Decimal({precision}, {scale})"

    visit_DECIMAL = visit_NUMERIC

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "String"

    visit_VARCHAR = visit_CHAR = visit_NVARCHAR = visit_NCHAR = visit_TEXT = visit_CLOB = (
        visit_string
    )

    def visit_BOOLEAN(self, type_: Any, **kw: Any) -> str:
        return "Bool"

    def visit_DATE(self, type_: Any, **kw: Any) -> str:
        return "Date32"

    def visit_DATETIME(self, type_: Any, **kw: Any) -> str:
        return "DateTime64(6, 'UTC')" if getattr(type_, "timezone", False) else "DateTime64(6)"

    visit_TIMESTAMP = visit_DATETIME

    def visit_uuid(self, type_: Any, **kw: Any) -> str:
        return "UUID"

    visit_UUID = visit_uuid

    def visit_JSON(self, type_: Any, **kw: Any) -> str:
        return "JSON"

    def visit_ARRAY(self, type_: Any, **kw: Any) -> str:
        return f"Array({self.process(type_.item_type, **kw)})"

    def visit_BLOB(self, type_: Any, **kw: Any) -> str:
        return "String"

    visit_BINARY = visit_VARBINARY = visit_BLOB

    def visit_INTERVAL(self, type_: Any, **kw: Any) -> str:
        return "IntervalMicrosecond"

    def visit_null(self, type_: Any, **kw: Any) -> str:
        return "Nullable(Nothing)"
