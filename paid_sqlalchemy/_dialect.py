"""The read-only SQLAlchemy dialect for the Paid Analytics API, built on paid_dbapi.

Reflection reads one cached GET /schema document per connection; SQL is compiled for
ClickHouse; nothing that writes can compile.
"""

from __future__ import annotations

import logging
import re
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc
from sqlalchemy.engine import default
from sqlalchemy.engine.url import URL
from sqlalchemy.sql import sqltypes

import paid_dbapi
from paid_dbapi._metadata import ViewInfo
from paid_dbapi._urls import connect_args_from_url

from . import _relations as relations
from ._compiler import (
    READ_ONLY,
    PaidCompiler,
    PaidDDLCompiler,
    PaidIdentifierPreparer,
    PaidTypeCompiler,
)
from ._types import JSON, Interval, LargeBinary, from_type_string

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import (
        IsolationLevel,
        ReflectedCheckConstraint,
        ReflectedColumn,
        ReflectedForeignKeyConstraint,
        ReflectedIndex,
        ReflectedPrimaryKeyConstraint,
        ReflectedTableComment,
        ReflectedUniqueConstraint,
    )

logger = logging.getLogger(__name__)

SCHEMA_NAME = "analytics"
DEFAULT_SCHEMA_TTL = 300.0
_CACHE_KEY = "paid_schema"
_WRITE = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*|\(\s*)*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|"
    r"RENAME|GRANT|REVOKE|OPTIMIZE|ATTACH|DETACH|REPLACE|EXCHANGE|MOVE|SYSTEM|KILL)\b",
    re.I | re.S,
)


class PaidDialect(default.DefaultDialect):
    """`paid://` (HTTPS to production or any host)."""

    name = "paid"
    driver = "https"
    supports_statement_cache = True
    supports_alter = False
    supports_sequences = False
    supports_native_boolean = True
    supports_native_decimal = True
    supports_native_uuid = True
    supports_native_enum = False
    supports_comments = True
    inline_comments = False
    supports_default_values = False
    supports_empty_insert = False
    supports_multivalues_insert = False
    supports_sane_rowcount = False
    supports_sane_multi_rowcount = False
    postfetch_lastrowid = False
    implicit_returning = False
    full_returning = False
    insert_returning = False
    default_paramstyle = "pyformat"
    default_schema_name = SCHEMA_NAME
    returns_unicode_strings = getattr(sqltypes.String, "RETURNS_UNICODE", True)
    description_encoding = None

    statement_compiler = PaidCompiler
    ddl_compiler = PaidDDLCompiler
    type_compiler = PaidTypeCompiler
    type_compiler_cls = PaidTypeCompiler
    preparer = PaidIdentifierPreparer  # type: ignore[assignment]
    colspecs = {  # noqa: RUF012 - the name and shape are SQLAlchemy's
        sqltypes.JSON: JSON,
        sqltypes.Interval: Interval,
        sqltypes.LargeBinary: LargeBinary,
    }

    def __init__(self, schema_cache_ttl: float = DEFAULT_SCHEMA_TTL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema_cache_ttl = float(schema_cache_ttl)

    @classmethod
    def dbapi(cls) -> ModuleType:  # type: ignore[override]
        """The DB-API module (SQLAlchemy 1.4 name)."""
        return paid_dbapi

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        """The DB-API module (SQLAlchemy 2.x name; looked up on each class itself)."""
        return paid_dbapi

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        options = dict(url.query)
        ttl = options.pop("schema_cache_ttl", None)
        if ttl is not None:
            try:
                self.schema_cache_ttl = float(ttl if isinstance(ttl, str) else ttl[-1])
            except ValueError:
                raise paid_dbapi.InterfaceError(
                    "invalid value for URL option 'schema_cache_ttl': must be a number"
                ) from None
        return [], connect_args_from_url(url.set(query=options))

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """Open a DB-API connection; a missing key is explained in URL terms."""
        try:
            return super().connect(*cargs, **cparams)
        except paid_dbapi.InterfaceError as error:
            if error.code != paid_dbapi.NO_API_KEY:
                raise
            raise paid_dbapi.InterfaceError(
                "no API key: put it in the URL as paid://token:KEY@ (or set PAID_API_KEY), "
                "or use paid+demo:// for demo data",
                code=paid_dbapi.NO_API_KEY,
            ) from None

    # -- connection behaviour -----------------------------------------------------------------

    def _get_default_schema_name(self, connection: Any) -> str:
        return SCHEMA_NAME

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return ()

    def _check_unicode_returns(self, connection: Any, additional_tests: Any = None) -> bool:
        return True

    def _check_unicode_description(self, connection: Any) -> bool:
        return True

    def get_isolation_level(self, dbapi_connection: Any) -> IsolationLevel:
        return "AUTOCOMMIT"

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        """Nothing to set: every query stands alone on a read-only service."""

    def get_default_isolation_level(self, dbapi_conn: Any) -> IsolationLevel:
        return "AUTOCOMMIT"

    def do_begin(self, dbapi_connection: Any) -> None:
        """No transactions."""

    def do_commit(self, dbapi_connection: Any) -> None:
        """Nothing to commit on a read-only service."""

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Nothing to roll back on a read-only service."""

    def do_ping(self, dbapi_connection: Any) -> bool:
        dbapi_connection.ping()
        return True

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        self._refuse_writes(statement)
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        self._refuse_writes(statement)
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Any, context: Any = None
    ) -> None:
        self._refuse_writes(statement)
        cursor.executemany(statement, parameters)

    @staticmethod
    def _refuse_writes(statement: str) -> None:
        if _WRITE.match(statement):
            raise paid_dbapi.NotSupportedError(READ_ONLY)

    # -- reflection ---------------------------------------------------------------------------

    def _views(self, connection: Any) -> dict[str, ViewInfo]:
        """The /schema document, cached on the DB-API connection for `schema_cache_ttl` s."""
        info = connection.info if hasattr(connection, "info") else {}
        cached = info.get(_CACHE_KEY)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.schema_cache_ttl:
            return cached[1]  # type: ignore[no-any-return]
        raw = connection.connection
        dbapi_conn = getattr(raw, "dbapi_connection", None) or getattr(raw, "connection", raw)
        views = {v.name: v for v in dbapi_conn.schema()}
        info[_CACHE_KEY] = (now, views)
        return views

    def _view(self, connection: Any, table_name: str, schema: str | None) -> ViewInfo:
        view = self._views(connection).get(table_name) if self._schema_ok(schema) else None
        if view is None:
            raise exc.NoSuchTableError(table_name)
        return view

    @staticmethod
    def _schema_ok(schema: str | None) -> bool:
        return schema is None or schema == SCHEMA_NAME

    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        return [SCHEMA_NAME]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return sorted(self._views(connection)) if self._schema_ok(schema) else []

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return self._schema_ok(schema) and table_name in self._views(connection)

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        view = self._view(connection, table_name, schema)
        return [
            {
                "name": c.name,
                "type": from_type_string(c.type),
                "nullable": paid_dbapi._types.parse_type(c.type).nullable
                if _parses(c.type)
                else True,
                "default": None,
                "autoincrement": False,
                "comment": c.comment,
            }
            for c in view.columns
        ]

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> ReflectedPrimaryKeyConstraint:
        self._view(connection, table_name, schema)
        return {"constrained_columns": relations.primary_key(self._views(connection), table_name),
                "name": None}  # fmt: skip

    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedForeignKeyConstraint]:
        self._view(connection, table_name, schema)
        return [
            {
                "name": f"fk_{table_name}_{column}",
                "constrained_columns": [column],
                "referred_schema": schema,
                "referred_table": target,
                "referred_columns": [target_column],
                "options": {},
            }
            for column, target, target_column in relations.foreign_keys(
                self._views(connection), table_name
            )
        ]

    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedIndex]:
        self._view(connection, table_name, schema)
        return []

    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedUniqueConstraint]:
        self._view(connection, table_name, schema)
        return []

    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedCheckConstraint]:
        self._view(connection, table_name, schema)
        return []

    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> ReflectedTableComment:
        return {"text": self._view(connection, table_name, schema).comment}

    def get_temp_table_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        return []

    def get_temp_view_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        return []

    def get_sequence_names(
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> list[str]:
        return []

    def has_sequence(
        self, connection: Any, sequence_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        return False


def _parses(text: str) -> bool:
    try:
        paid_dbapi._types.parse_type(text)
    except ValueError:
        return False
    return True


class PaidHTTPDialect(PaidDialect):
    """`paid+http://` (plain HTTP, loopback hosts only)."""

    driver = "http"
    supports_statement_cache = True
    import_dbapi = PaidDialect.import_dbapi


class PaidDemoDialect(PaidDialect):
    """`paid+demo://` (the in-process emulator with demo data)."""

    driver = "demo"
    supports_statement_cache = True
    import_dbapi = PaidDialect.import_dbapi
