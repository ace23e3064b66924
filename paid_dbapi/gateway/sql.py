"""Reading a client's SQL: its FORMAT clause, which path answers it, and the qualifier removal.

Clients of a ClickHouse server qualify tables with the database they connected to
(`` `paid`.`fact_signal` ``); the Analytics API takes unqualified names only. The qualifier is
removed token by token, touching nothing else, and ClickHouse's own parser (EXPLAIN AST)
must then see the same query with the qualifier gone, or the query is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum

from sqlglot import Token, TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from .errors import ClickHouseError

#: Databases answered from the local catalog (ClickHouse's own metadata schemas).
METADATA_DATABASES = frozenset({"system", "information_schema", "INFORMATION_SCHEMA"})
#: Functions about the server rather than the data (exact names), answered locally: only those
#: real clients send (clickhouse-connect: version, timezone, currentDatabase; Metabase: also
#: currentUser), and `database`: clickhouse-connect's SQLAlchemy dialect filters system.tables
#: on that bare column, which the guard cannot tell from a call of database(). Nothing that
#: reads the engine's settings.
SERVER_FUNCTIONS = frozenset({"version", "timezone", "currentDatabase", "currentUser", "database"})
_SERVER_FUNCTIONS_LOWER = frozenset(f.lower() for f in SERVER_FUNCTIONS)
#: Statements answered from the local catalog (the root of ClickHouse's EXPLAIN AST).
METADATA_STATEMENTS = frozenset(
    {"ShowTables", "DescribeQuery", "ExistsTableQuery", "ExistsDatabaseQuery",
     "ExistsViewQuery", "ExistsDictionaryQuery", "ShowCreateTableQuery",
     "ShowCreateDatabaseQuery", "ShowCreateViewQuery", "ShowColumns"}
)  # fmt: skip
SELECT_STATEMENTS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery"})
#: Statements asking whether one table exists (EXISTS [TEMPORARY] TABLE, EXISTS VIEW).
EXISTS_TABLES = frozenset({"ExistsTableQuery", "ExistsViewQuery"})

_DIALECT = Dialect.get_or_raise("clickhouse")
_NAME_TOKENS = frozenset({TokenType.IDENTIFIER, TokenType.VAR})
_WORD = re.compile(r"^\w+$")


class Route(Enum):
    """Which side answers a query."""

    FORWARD = "forward"  # POST /query to the Analytics API
    LOCAL = "local"  # the local catalog
    KILL = "kill"  # cancel one of the gateway's own running queries (`sql` is its query_id)


@dataclass(frozen=True)
class Plan:
    """A classified query: its route and the SQL to run there (FORMAT clause removed).

    `absent`: an EXISTS naming a table of the gateway's database that is not a view, so not
    in the catalog either; the guard refuses it (unknown table), and that refusal means 0.
    """

    route: Route
    sql: str
    absent: bool = False


def tokenize(sql: str) -> list[Token]:
    """ClickHouse tokens of `sql` (sqlglot's tokenizer: positions, no interpretation)."""
    try:
        return list(_DIALECT.tokenize(sql))
    except SqlglotError as exc:
        raise ClickHouseError("SYNTAX_ERROR", f"cannot read the query: {exc}") from None


def split_format(sql: str) -> tuple[str, str | None]:
    """(the query without a trailing `FORMAT name` and semicolons, the format name or None)."""
    tokens = tokenize(sql)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        return "", None
    end = tokens[-1].end + 1
    if (
        len(tokens) >= 2
        and tokens[-2].token_type == TokenType.FORMAT
        and tokens[-1].token_type not in (TokenType.STRING, TokenType.NUMBER)
        and _WORD.match(tokens[-1].text)
    ):
        return sql[: tokens[-2].start].rstrip(), tokens[-1].text
    return sql[:end], None


def remove_qualifier(sql: str, database: str, views: Collection[str]) -> str:
    """Remove `database.` in front of every view name, token by token; nothing else changes."""
    tokens = tokenize(sql)
    cuts: list[tuple[int, int]] = []
    for i in range(len(tokens) - 2):
        db, dot, name = tokens[i], tokens[i + 1], tokens[i + 2]
        if (
            db.token_type in _NAME_TOKENS
            and db.text == database
            and dot.token_type == TokenType.DOT
            and name.token_type in _NAME_TOKENS
            and name.text in views
            and (i == 0 or tokens[i - 1].token_type != TokenType.DOT)
        ):
            cuts.append((db.start, name.start))
    for start, stop in reversed(cuts):
        sql = sql[:start] + sql[stop:]
    return sql


def unqualified_ast(ast: str, database: str, views: Collection[str]) -> str:
    """An EXPLAIN AST text with `database.` removed from identifiers that name a view."""
    prefix = re.escape(database) + r"\."
    names = "|".join(re.escape(v) for v in sorted(views, key=len, reverse=True))
    pattern = re.compile(rf"^(\s*(?:Table)?Identifier ){prefix}((?:{names})(?:\.|\s|$))", re.M)
    return pattern.sub(r"\1\2", ast)


@dataclass(frozen=True)
class _Refs:
    root: str
    tables: list[tuple[str | None, str]]
    functions: set[str]


_KILL = re.compile(
    r"\s*KILL\s+QUERY\s+WHERE\s+query_id\s*=\s*'([\x20-\x26\x28-\x5b\x5d-\x7e]{1,256})'"
    r"(?:\s+(?:SYNC|ASYNC|TEST))?\s*",
    re.I,
)
_TABLE = re.compile(r"^\s*TableIdentifier (\S+)", re.M)
_FUNCTION = re.compile(r"^\s*Function (\w+)", re.M)


def _refs(ast: str) -> _Refs:
    lines = ast.strip().splitlines()
    root = lines[0].split()[0] if lines else ""
    tables: list[tuple[str | None, str]] = []
    for name in _TABLE.findall(ast):
        db, _, table = name.rpartition(".")
        tables.append((db or None, table))
    return _Refs(root, tables, {f.lower() for f in _FUNCTION.findall(ast)})


def exists_target(ast: str) -> tuple[str | None, str] | None:
    """(database or None, table) that an EXISTS TABLE or VIEW tree asks about, or None
    for any other tree or one whose names cannot be read unambiguously (a line break in one)."""
    root, *children = ast.rstrip("\n").split("\n")
    if root.split(" ", 1)[0] not in EXISTS_TABLES or not 1 <= len(children) <= 2:
        return None
    if not root.endswith(f" (children {len(children)})"):
        return None
    names = [line.removeprefix(" Identifier ") for line in children]
    if any(name == line for name, line in zip(names, children, strict=True)):
        return None
    return (names[0], names[1]) if len(names) == 2 else (None, names[0])


def plan(sql: str, database: str, views: Collection[str], explain: Callable[[str], str]) -> Plan:
    """Classify one query (FORMAT clause already removed) and prepare it for its route.

    `explain(sql)` returns ClickHouse's EXPLAIN AST of `sql`, which decides: views go to the
    API (qualifier removed), the catalog, `SHOW`/`DESCRIBE`/`EXISTS` and server functions are
    answered locally, a query mixing both is refused, and anything that writes is refused.
    """
    ast = explain(sql)
    refs = _refs(ast)
    if refs.root in METADATA_STATEMENTS:
        asked = exists_target(ast)
        absent = asked is not None and asked[0] in (None, database) and asked[1] not in views
        return Plan(Route.LOCAL, sql, absent)
    if refs.root == "KillQueryQuery":
        target = _KILL.fullmatch(sql)
        if target is None:
            raise ClickHouseError(
                "ACCESS_DENIED",
                "the gateway cancels only its own queries, one at a time: "
                "KILL QUERY WHERE query_id = '<id>'",
            )
        return Plan(Route.KILL, target.group(1))
    if refs.root not in SELECT_STATEMENTS:
        raise ClickHouseError(
            "READONLY",
            f"the Paid Analytics API is read-only: only SELECT, SHOW, DESCRIBE and EXISTS are "
            f"accepted, not {refs.root.removesuffix('Query') or 'this statement'}",
        )
    on_views: set[str] = set()
    local: set[str] = {f"{f}()" for f in refs.functions & _SERVER_FUNCTIONS_LOWER}
    for db, name in refs.tables:
        if name in views and db in (None, database):
            on_views.add(name)
        elif db is not None:
            local.add(f"{db}.{name}")
    if on_views and local:
        raise ClickHouseError(
            "NOT_IMPLEMENTED",
            f"this query mixes the views ({', '.join(sorted(on_views))}), answered by the "
            f"Paid Analytics API, with {', '.join(sorted(local))}, answered by the "
            "gateway's local catalog; run them as separate queries",
        )
    if local:
        return Plan(Route.LOCAL, sql)
    forwarded = remove_qualifier(sql, database, views)
    if forwarded != sql:
        expected = unqualified_ast(ast, database, views)
        if explain(forwarded) != expected:
            raise ClickHouseError(
                "NOT_IMPLEMENTED",
                f"cannot remove the database qualifier `{database}` from this query safely; "
                "write the views without it",
            )
    return Plan(Route.FORWARD, forwarded)
