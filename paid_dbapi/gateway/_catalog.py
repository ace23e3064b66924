"""The local catalog: empty tables mirroring GET /schema, so clients' metadata SQL runs as is.

The views, their column types and comments become empty tables in database `--database` of
a key's own catalog engine (see `tenants`). Any client's own `system.*`, `information_schema`,
`SHOW`, `DESCRIBE` or `EXISTS` SQL then runs there, judged first by the guard (`_engine.guard`). The
schema is fetched with the caller's key, which is how the key is checked, and kept for a
short TTL per key: a request is authenticated from it before its body is read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

from .._engine.guard import Policy
from .._exceptions import Error
from .._literals import quote_identifier, quote_string
from .._metadata import ViewInfo
from .._types import parse_type
from ._clickhouse_errors import ClickHouseError
from ._sql import SERVER_FUNCTIONS
from ._upstream import Upstream

DEFAULT_TTL = 60.0
#: Seconds a key the API refused is refused again without asking it.
REFUSED_TTL = 5.0
#: Refused keys remembered at most (oldest forgotten first).
MAX_REFUSED = 4096
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


def policy(database: str, views: Collection[str]) -> Policy:
    """What the local path may read: the catalog's tables and the metadata schemas."""
    qualified = {(database, v) for v in views}
    qualified |= {("system", t) for t in SYSTEM_TABLES}
    for schema in ("information_schema", "INFORMATION_SCHEMA"):
        names = INFORMATION_SCHEMA_TABLES if schema.islower() else {
            t.upper() for t in INFORMATION_SCHEMA_TABLES
        }  # fmt: skip
        qualified |= {(schema, t) for t in names}
    return Policy(frozenset(views), frozenset(qualified), SERVER_FUNCTIONS, STATEMENT_KINDS)


@dataclass(frozen=True)
class Schema:
    """One key's GET /schema answer: the views, their names, and the document they make."""

    views: tuple[ViewInfo, ...]
    names: frozenset[str]
    document: str

    @classmethod
    def of(cls, views: list[ViewInfo]) -> Schema:
        document = json.dumps([(v.name, v.comment, v.columns) for v in views], default=str)
        return cls(tuple(views), frozenset(v.name for v in views), document)


class Catalog:
    """Each key's GET /schema answer, kept for a short TTL: the check of the key itself.

    A key is recognised by a keyed hash that dies with the process, never kept as text. A key
    the API refuses (401/403) is refused again without asking for `REFUSED_TTL` seconds.
    """

    def __init__(self, upstream: Upstream, database: str, ttl: float = DEFAULT_TTL) -> None:
        if not _IDENTIFIER.match(database) or database.lower() in (
            "system", "information_schema", "default",
        ):  # fmt: skip
            raise ValueError(f"invalid catalog database name: {database!r}")
        self.upstream = upstream
        self.database = database
        self.ttl = ttl
        self._secret = secrets.token_bytes(32)
        self._seen: dict[bytes, tuple[float, Schema]] = {}
        self._refused: dict[bytes, tuple[float, Error]] = {}
        self._lock = threading.Lock()

    def fingerprint(self, api_key: str) -> bytes:
        """A keyed hash of `api_key`, to recognise it without keeping it."""
        return hmac.new(self._secret, api_key.encode("utf-8", "replace"), hashlib.sha256).digest()

    def cached(self, api_key: str) -> Schema | None:
        """The key's schema while fresh; raises the API's refusal while it is remembered."""
        fingerprint = self.fingerprint(api_key)
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(fingerprint)
            refused = self._refused.get(fingerprint)
        if refused is not None and refused[0] > now:
            raise refused[1]
        return seen[1] if seen is not None and seen[0] > now else None

    def schema(self, api_key: str) -> Schema:
        """The key's schema; GET /schema (which checks the key) when stale. Raises the API's
        errors (401/403 for a key it refuses)."""
        found = self.cached(api_key)
        if found is not None:
            return found
        fingerprint = self.fingerprint(api_key)
        try:
            schema = Schema.of(self.upstream.schema(api_key))
        except Error as exc:
            if exc.status in (401, 403):
                with self._lock:
                    self._forget(time.monotonic())
                    self._refused[fingerprint] = (time.monotonic() + REFUSED_TTL, exc)
            raise
        for view in schema.views:  # a type the gateway cannot read fails here, not later
            structure([(c.name, c.type) for c in view.columns])
        with self._lock:
            now = time.monotonic()
            self._forget(now)
            self._seen[fingerprint] = (now + self.ttl, schema)
            self._refused.pop(fingerprint, None)
        return schema

    def views(self, api_key: str) -> frozenset[str]:
        """The account's view names (see `schema`)."""
        return self.schema(api_key).names

    def _forget(self, now: float) -> None:
        self._seen = {k: v for k, v in self._seen.items() if v[0] > now}
        self._refused = {k: v for k, v in self._refused.items() if v[0] > now}
        while len(self._refused) >= MAX_REFUSED:
            self._refused.pop(next(iter(self._refused)))
