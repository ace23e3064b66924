"""The local catalog: empty tables mirroring GET /schema, so clients' metadata SQL runs as is.

The views, their column types and comments become empty tables in database `--database` of
the local engine. Any client's own `system.*`, `information_schema`, `SHOW`, `DESCRIBE` or
`EXISTS` SQL then runs unmodified, judged first by the emulator's guard. The schema is
fetched with the caller's key (which also checks the key) and kept for a short TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time

from ..emulator.guard import Policy
from ..literals import quote_identifier, quote_string
from ..metadata import ViewInfo
from ..types import parse_type
from .errors import ClickHouseError
from .local import Engine
from .sql import SERVER_FUNCTIONS
from .upstream import Upstream

DEFAULT_TTL = 60.0
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_SYSTEM_TABLES_TEXT = """
    tables columns databases settings functions data_type_families table_engines formats
    clusters one time_zones collations keywords table_functions build_options
    aggregate_function_combinators"""
#: System tables a ClickHouse client may read for metadata, and nothing about the server.
SYSTEM_TABLES = frozenset(_SYSTEM_TABLES_TEXT.split())
#: Statement kinds the guard lets the local path run besides SELECT.
STATEMENT_KINDS = frozenset({"SHOW", "DESCRIBE", "EXISTS"})
INFORMATION_SCHEMA_TABLES = frozenset(
    {"tables", "columns", "schemata", "views", "key_column_usage", "referential_constraints",
     "statistics"}
)  # fmt: skip


def checked_type(type_text: str) -> str:
    """A column type from the API, accepted only if the driver's type parser reads it whole."""
    try:
        parse_type(type_text)
    except ValueError:
        raise ClickHouseError(
            "UNKNOWN_EXCEPTION",
            f"the API sent a column type the gateway cannot read: {type_text[:100]!r}",
        ) from None
    return type_text


def structure(columns: list[tuple[str, str]]) -> str:
    """`name Type, ...` for ClickHouse's format() input, every type checked first."""
    return ", ".join(f"{quote_identifier(n)} {checked_type(t)}" for n, t in columns)


def ddl(database: str, views: list[ViewInfo]) -> list[str]:
    """Statements creating `database` with one empty table per view, comments included."""
    db = quote_identifier(database)
    statements = [f"CREATE DATABASE {db}"]
    for view in views:
        columns = ", ".join(
            f"{quote_identifier(c.name)} {checked_type(c.type)} "
            f"COMMENT {quote_string(c.comment or '')}"
            for c in view.columns
        )
        statements.append(
            f"CREATE TABLE {db}.{quote_identifier(view.name)} ({columns}) ENGINE = Memory "
            f"COMMENT {quote_string(view.comment or '')}"
        )
    return statements


class Catalog:
    """The views of the account, mirrored in a locked-down engine; refreshed with a short TTL."""

    def __init__(self, upstream: Upstream, database: str, ttl: float = DEFAULT_TTL) -> None:
        if not _IDENTIFIER.match(database) or database.lower() in (
            "system", "information_schema", "default",
        ):  # fmt: skip
            raise ValueError(f"invalid catalog database name: {database!r}")
        self.upstream = upstream
        self.database = database
        self.ttl = ttl
        #: Keys are never kept: entries are indexed by a keyed hash that dies with the process.
        self._secret = secrets.token_bytes(32)
        self._seen: dict[bytes, tuple[float, frozenset[str]]] = {}
        self._loaded = ""
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def fingerprint(self, api_key: str) -> bytes:
        """A keyed hash of `api_key`, to recognise it without keeping it."""
        return hmac.new(self._secret, api_key.encode(), hashlib.sha256).digest()

    def views(self, api_key: str) -> frozenset[str]:
        """The account's view names; fetches GET /schema (checking the key) when stale."""
        fingerprint = self.fingerprint(api_key)
        now = time.monotonic()
        seen = self._seen.get(fingerprint)
        if seen is not None and seen[0] > now:
            return seen[1]
        views = self.upstream.schema(api_key)
        document = json.dumps([(v.name, v.comment, v.columns) for v in views], default=str)
        names = frozenset(v.name for v in views)
        with self._lock:
            if document != self._loaded:
                engine = Engine(ddl(self.database, views), database=self.database,
                                label="gateway catalog")  # fmt: skip
                engine.start()
                if self._engine is not None:
                    self._engine.close()
                self._engine, self._loaded = engine, document
            self._seen = {k: v for k, v in self._seen.items() if v[0] > now}
            self._seen[fingerprint] = (now + self.ttl, names)
        return names

    def policy(self, views: frozenset[str]) -> Policy:
        """What the local path may read: the catalog's tables and the metadata schemas."""
        qualified = {(self.database, v) for v in views}
        qualified |= {("system", t) for t in SYSTEM_TABLES}
        for schema in ("information_schema", "INFORMATION_SCHEMA"):
            names = INFORMATION_SCHEMA_TABLES if schema.islower() else {
                t.upper() for t in INFORMATION_SCHEMA_TABLES
            }  # fmt: skip
            qualified |= {(schema, t) for t in names}
        return Policy(views, frozenset(qualified), SERVER_FUNCTIONS, STATEMENT_KINDS)

    def answer(self, api_key: str, sql: str, fmt: str) -> bytes:
        """Answer a metadata query in `fmt`, judged by the guard inside the catalog's engine."""
        views = self.views(api_key)
        engine = self._engine
        assert engine is not None  # views() loaded it
        return engine.query(sql, fmt, policy=self.policy(views))
