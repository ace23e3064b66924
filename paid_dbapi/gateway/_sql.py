"""Which path answers a client's query, read from the guard's own tree of its canonical text.

The guard (`paid_dbapi._engine.guard.parse`) gives the one canonical statement ClickHouse
reads in the client's text (a second statement, however hidden, is refused there) and
ClickHouse's syntax tree of it, rebuilt by the guard's reader. Everything here reads that tree:
the route, the FORMAT clause, the KILL QUERY target, the EXISTS target. Two edits are
proposed on the canonical text, removing the FORMAT clause and the database qualifier
(clients write `` `paid`.`fact_signal` ``; the Analytics API takes unqualified names); each
edited text is parsed again, and its tree must be the original tree with exactly that part
removed, or the query is refused. What runs anywhere is always a canonical text ClickHouse
itself produced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum

from sqlglot import Token, TokenType
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from .._engine.guard import IN_FUNCTIONS, Node, name_of
from ._clickhouse_errors import ClickHouseError

#: Databases answered from the local catalog (ClickHouse's own metadata schemas).
METADATA_DATABASES = frozenset({"system", "information_schema", "INFORMATION_SCHEMA"})
#: Functions about the server rather than the data (exact names), answered locally by the
#: key's catalog engine: only those real clients send (clickhouse-connect: version, timezone,
#: currentDatabase; Metabase: also currentUser; clickhouse-go over HTTP: displayName, version,
#: revision, timezone), and `database`: clickhouse-connect's SQLAlchemy dialect filters
#: system.tables on that bare column, which the guard cannot tell from a call of database().
#: The engine answers them as the bundled ClickHouse does (version() and revision() of one
#: build), except displayName(), which is the engine's configured neutral name, never the
#: machine's host name. Nothing that reads the engine's settings.
SERVER_FUNCTIONS = frozenset(
    {"version", "revision", "displayName", "timezone", "currentDatabase", "currentUser",
     "database"}
)  # fmt: skip
_SERVER_FUNCTIONS_LOWER = frozenset(f.lower() for f in SERVER_FUNCTIONS)
#: Statements answered from the local catalog (the root of ClickHouse's tree).
METADATA_STATEMENTS = frozenset(
    {"ShowTables", "DescribeQuery", "ExistsTableQuery", "ExistsDatabaseQuery",
     "ExistsViewQuery", "ExistsDictionaryQuery", "ShowCreateTableQuery",
     "ShowCreateDatabaseQuery", "ShowCreateViewQuery", "ShowColumns"}
)  # fmt: skip
SELECT_STATEMENTS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery"})
#: Statements asking whether one table exists (EXISTS [TEMPORARY] TABLE, EXISTS VIEW).
EXISTS_TABLES = frozenset({"ExistsTableQuery", "ExistsViewQuery"})
_IN_LOWER = frozenset(name.lower() for name in IN_FUNCTIONS)
#: A query_id a KILL QUERY may name: printable ASCII without quote or backslash.
_KILL_ID = re.compile(r"'([\x20-\x26\x28-\x5b\x5d-\x7e]{1,256})'")
_KILL_ROOT = re.compile(r"Function_equals(?: (?:SYNC|ASYNC|TEST))?")

_DIALECT = Dialect.get_or_raise("clickhouse")
_NAME_TOKENS = frozenset({TokenType.IDENTIFIER, TokenType.VAR})

#: (canonical text, its tree) of one client text; raises GuardError (see guard.parse).
Parser = Callable[[str], tuple[str, Node]]


class Route(Enum):
    """Which side answers a query."""

    FORWARD = "forward"  # POST /query to the Analytics API
    LOCAL = "local"  # the local catalog
    KILL = "kill"  # cancel one of the gateway's own running queries (`sql` is its query_id)


@dataclass(frozen=True)
class Plan:
    """A classified query: its route, the canonical SQL to run there (FORMAT clause removed)
    and the format its FORMAT clause named (None: none).

    `absent`: an EXISTS naming a table of the gateway's database that is not a view, so not
    in the catalog either; the guard refuses it (unknown table), and that refusal means 0.
    """

    route: Route
    sql: str
    format: str | None = None
    absent: bool = False


# -- trees ----------------------------------------------------------------------------------


def same(a: Node, b: Node) -> bool:
    """True when two trees have the same kinds, texts and shape (iterative: trees are deep)."""
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        if x.kind != y.kind or x.text != y.text or len(x.children) != len(y.children):
            return False
        pairs.extend(zip(x.children, y.children, strict=True))
    return True


def _copy(root: Node, text: Callable[[Node], str]) -> Node:
    """A deep copy of `root` with each node's text replaced by `text(node)`."""
    top = Node(root.kind, text(root))
    stack = [(root, top)]
    while stack:
        old, new = stack.pop()
        for child in old.children:
            made = Node(child.kind, text(child))
            new.children.append(made)
            stack.append((child, made))
    return top


def without_last_child(root: Node) -> Node:
    """`root` without its last child (a FORMAT clause), sharing the other children."""
    return Node(root.kind, root.text, root.children[:-1])


def unqualified(root: Node, database: str, views: Collection[str]) -> Node:
    """The tree with `database.` removed from every identifier that starts with a view."""

    def text(node: Node) -> str:
        if node.kind not in ("Identifier", "TableIdentifier"):
            return node.text
        prefix = f"{database}."
        rest = node.text[len(prefix) :]
        if node.text.startswith(prefix):
            for view in views:
                if rest.startswith(view) and rest[len(view) : len(view) + 1] in ("", ".", " "):
                    return rest
        return node.text

    return _copy(root, text)


def _tables(root: Node) -> list[tuple[str | None, str]]:
    """(database or None, table) of every table reference, `x IN table` included."""
    names: list[str] = []
    for node in root.walk():
        if node.kind == "TableIdentifier":
            names.append(name_of(node))
        elif node.kind == "Function" and name_of(node).lower() in _IN_LOWER and node.children:
            arguments = node.children[0].children
            if len(arguments) == 2 and arguments[1].kind == "Identifier":
                names.append(name_of(arguments[1]))
    found: list[tuple[str | None, str]] = []
    for name in names:
        db, _, table = name.rpartition(".")
        found.append((db or None, table))
    return found


def exists_target(root: Node) -> tuple[str | None, str] | None:
    """(database or None, table) that an EXISTS TABLE or VIEW asks about, else None."""
    if root.kind not in EXISTS_TABLES or not 1 <= len(root.children) <= 2:
        return None
    if any(child.kind != "Identifier" or child.children for child in root.children):
        return None
    names = [name_of(child) for child in root.children]
    if root.text != (f" {names[0]}" if len(names) == 1 else " ".join(names)):
        return None
    return (names[0], names[1]) if len(names) == 2 else (None, names[0])


def kill_target(root: Node) -> str | None:
    """The query_id of `KILL QUERY WHERE query_id = '<id>' [SYNC|ASYNC|TEST]`, else None."""
    if root.kind != "KillQueryQuery" or not _KILL_ROOT.fullmatch(root.text.strip()):
        return None
    if [c.kind for c in root.children] != ["Function"] or name_of(root.children[0]) != "equals":
        return None
    arguments = root.children[0].children
    if len(arguments) != 1 or arguments[0].kind != "ExpressionList":
        return None
    pair = arguments[0].children
    if [c.kind for c in pair] != ["Identifier", "Literal"] or pair[0].text != "query_id":
        return None
    if pair[1].children:
        return None
    found = _KILL_ID.fullmatch(pair[1].text)
    return found.group(1) if found else None


# -- the two edits --------------------------------------------------------------------------


def tokenize(sql: str) -> list[Token]:
    """ClickHouse tokens of `sql` (sqlglot's tokenizer: positions, no interpretation); used
    only to propose the qualifier's removal, which ClickHouse's tree then confirms."""
    try:
        return list(_DIALECT.tokenize(sql))
    except SqlglotError:
        return []


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


def _split_format(canonical: str, root: Node, parse: Parser) -> tuple[str, Node, str | None]:
    """(canonical text without its FORMAT clause, its tree, the format name or None)."""
    last = root.children[-1] if root.children else None
    is_select = root.kind in SELECT_STATEMENTS
    if last is None or last.kind != "Identifier" or last.children:
        return canonical, root, None
    if is_select and len(root.children) < 2:
        return canonical, root, None
    name = name_of(last)
    suffix = f" FORMAT {name}"
    if canonical.endswith(suffix):
        edited, edited_root = parse(canonical[: -len(suffix)])
        if same(edited_root, without_last_child(root)):
            return edited, edited_root, name
    if is_select:  # below a SELECT, an identifier there is a FORMAT clause
        raise ClickHouseError("NOT_IMPLEMENTED", "cannot read the FORMAT clause of this query")
    return canonical, root, None  # SHOW TABLES FROM <database>


def plan(sql: str, database: str, views: Collection[str], parse: Parser) -> Plan:
    """Classify one client query and prepare it for its route.

    `parse(text)` is the guard's reader run in the caller's own locked-down engine. Views go
    to the API (qualifier removed), the catalog, `SHOW`/`DESCRIBE`/`EXISTS` and server
    functions are answered locally, a query mixing both is refused, and anything that writes
    is refused.
    """
    canonical, root = parse(sql)
    canonical, root, fmt = _split_format(canonical, root, parse)
    if root.kind in METADATA_STATEMENTS:
        asked = exists_target(root)
        absent = asked is not None and asked[0] in (None, database) and asked[1] not in views
        return Plan(Route.LOCAL, canonical, fmt, absent)
    if root.kind == "KillQueryQuery":
        target = kill_target(root)
        if target is None:
            raise ClickHouseError(
                "ACCESS_DENIED",
                "the gateway cancels only its own queries, one at a time: "
                "KILL QUERY WHERE query_id = '<id>'",
            )
        return Plan(Route.KILL, target, fmt)
    if root.kind not in SELECT_STATEMENTS:
        raise ClickHouseError(
            "READONLY",
            f"the Paid Analytics API is read-only: only SELECT, SHOW, DESCRIBE and EXISTS are "
            f"accepted, not {root.kind.removesuffix('Query')[:40] or 'this statement'}",
        )
    functions = {name_of(n).lower() for n in root.walk() if n.kind == "Function"}
    on_views: set[str] = set()
    local: set[str] = {f"{f}()" for f in functions & _SERVER_FUNCTIONS_LOWER}
    for db, name in _tables(root):
        if name in views and db in (None, database):
            on_views.add(name)
        elif db is not None:
            local.add(f"{db}.{name}"[:130])
    if on_views and local:
        raise ClickHouseError(
            "NOT_IMPLEMENTED",
            f"this query mixes the views ({', '.join(sorted(on_views))}), answered by the "
            f"Paid Analytics API, with {', '.join(sorted(local))}, answered by the "
            "gateway's local catalog; run them as separate queries",
        )
    if local:
        return Plan(Route.LOCAL, canonical, fmt)
    edited = remove_qualifier(canonical, database, views)
    if edited != canonical:
        forwarded, forwarded_root = parse(edited)
        if not same(forwarded_root, unqualified(root, database, views)):
            raise ClickHouseError(
                "NOT_IMPLEMENTED",
                f"cannot remove the database qualifier `{database}` from this query safely; "
                "write the views without it",
            )
        canonical = forwarded
    return Plan(Route.FORWARD, canonical, fmt)
