"""The Analytics API's wire contract in one place: endpoints, bodies, error codes, scrubbing.

The emulator answers with these shapes and the gateway reads the service's answers with them,
so the two servers cannot drift apart; the route-set prefixes and URL handling are in
`routes`. Every body Struct ignores unknown fields, as the contract asks of clients.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

#: endpoint (under either route-set prefix) -> its HTTP method
ENDPOINTS = {"/query": "POST", "/schema": "GET", "/signals/metadata": "GET"}

# -- bodies ------------------------------------------------------------------------------


class QueryRequest(msgspec.Struct):
    """The POST /query request body."""

    query: str


class Column(msgspec.Struct):
    """A result column: its name and ClickHouse type."""

    name: str
    type: str


class QueryMeta(msgspec.Struct):
    """The /query answer's `meta`; each field may be absent."""

    rowCount: int | None = None
    elapsedMs: float | None = None
    truncated: bool = False


class QueryAnswer(msgspec.Struct):
    """The POST /query answer; each row stays the exact JSON text sent (`msgspec.Raw`)."""

    columns: list[Column]
    rows: list[msgspec.Raw]
    meta: QueryMeta = msgspec.field(default_factory=QueryMeta)


class SchemaColumn(msgspec.Struct):
    name: str
    type: str
    comment: str | None = None


class View(msgspec.Struct):
    name: str
    comment: str | None = None
    columns: list[SchemaColumn] = msgspec.field(default_factory=list)


class SchemaAnswer(msgspec.Struct):
    """The GET /schema answer: the views and their columns."""

    views: list[View]


class SignalPath(msgspec.Struct):
    path: str
    types: list[str] = msgspec.field(default_factory=list)


class Signal(msgspec.Struct):
    signalName: str
    paths: list[SignalPath] = msgspec.field(default_factory=list)


class SignalsMeta(msgspec.Struct):
    fromDate: str
    toDate: str


class SignalsAnswer(msgspec.Struct):
    """The GET /signals/metadata answer: JSON paths and their types per signal name."""

    signals: list[Signal]
    meta: SignalsMeta | None = None  # the emulator always sends it; the driver does not need it


class ErrorBody(msgspec.Struct):
    """Every non-2xx answer's body."""

    error: str
    code: str = ""
    details: str = ""


# -- error codes -------------------------------------------------------------------------


class ErrorCode(NamedTuple):
    """One error code: the API's HTTP status for it (None: raised by the driver itself), the
    ClickHouse error name of the same failure (what the gateway answers a ClickHouse client;
    None: chosen by status), and the engine's error names the emulator answers with it."""

    status: int | None
    clickhouse: str | None
    engine: frozenset[str] = frozenset()


def _code(status: int | None, clickhouse: str | None, *engine: str) -> ErrorCode:
    return ErrorCode(status, clickhouse, frozenset(engine))


#: The API's error codes (and the guard's, and the driver's TRUNCATED).
ERRORS: dict[str, ErrorCode] = {
    "BAD_REQUEST": _code(400, "BAD_ARGUMENTS"),
    "SYNTAX_ERROR": _code(400, "SYNTAX_ERROR", "SYNTAX_ERROR"),
    "NOT_A_SELECT": _code(400, "READONLY", "READONLY"),
    "MULTIPLE_STATEMENTS": _code(400, "SYNTAX_ERROR"),
    "UNKNOWN_TABLE": _code(400, "UNKNOWN_TABLE", "UNKNOWN_TABLE"),
    "UNKNOWN_COLUMN": _code(400, "UNKNOWN_IDENTIFIER", "UNKNOWN_IDENTIFIER"),
    # `db.table`: to a ClickHouse client a table it cannot have (Metabase reads 60 as missing)
    "QUALIFIED_NAME": _code(400, "UNKNOWN_TABLE", "UNKNOWN_DATABASE"),
    "FORBIDDEN_TABLE_FUNCTION": _code(400, "ACCESS_DENIED"),
    "FORBIDDEN_FUNCTION": _code(400, "ACCESS_DENIED", "ACCESS_DENIED"),
    "FORBIDDEN_CLAUSE": _code(400, "ACCESS_DENIED"),
    "MEMORY_LIMIT": _code(400, "MEMORY_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED"),
    "RESULT_TOO_LARGE": _code(400, None, "RESULT_TOO_LARGE"),
    "QUERY_ERROR": _code(400, None, "UNKNOWN_FUNCTION"),  # and every engine error not listed
    "INVALID_DATE": _code(400, None),
    "UNKNOWN_DATABASE": _code(400, None),  # the guard's, for a catalog policy (the gateway's)
    "UNAUTHENTICATED": _code(403, "AUTHENTICATION_FAILED"),
    "INVALID_API_KEY": _code(403, "AUTHENTICATION_FAILED"),
    "NOT_FOUND": _code(404, None),
    "METHOD_NOT_ALLOWED": _code(405, None),
    "QUERY_TIMEOUT": _code(408, "TIMEOUT_EXCEEDED", "TIMEOUT_EXCEEDED"),
    "PAYLOAD_TOO_LARGE": _code(413, None),
    "RATE_LIMITED": _code(429, "TOO_MANY_SIMULTANEOUS_QUERIES"),
    "TOO_MANY_QUERIES": _code(429, "TOO_MANY_SIMULTANEOUS_QUERIES"),
    "CANCELLED": _code(499, None),
    "INTERNAL_ERROR": _code(500, None, "INTERNAL"),
    "TRUNCATED": _code(None, "TOO_MANY_ROWS_OR_BYTES"),  # the driver's on_truncation="error"
}

#: The code the emulator answers for an engine error name that `ERRORS` does not list.
ENGINE_FALLBACK = "QUERY_ERROR"
_BY_ENGINE_NAME = {name: code for code, entry in ERRORS.items() for name in entry.engine}


def engine_code(name: str) -> tuple[int, str]:
    """(HTTP status, API code) for the engine's (ClickHouse's) error `name`."""
    code = _BY_ENGINE_NAME.get(name, ENGINE_FALLBACK)
    status = ERRORS[code].status
    assert status is not None  # every engine code is an API answer
    return status, code


def clickhouse_name(code: str | None) -> str | None:
    """The ClickHouse error name of API (or guard) error `code`, None when none is fixed."""
    entry = ERRORS.get(code or "")
    return entry.clickhouse if entry else None


# -- scrubbing ---------------------------------------------------------------------------

_PATH = re.compile(r"(?:/[\w.-]+){2,}")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b", re.I)
_VERSION = re.compile(r"\s*\(version [^)]*\)")


def scrub(message: str, secrets: Iterable[str] = (), limit: int = 1000) -> str:
    """`message` fit to show a caller: without `secrets` (such as internal database names,
    also as a `name.` qualifier), file paths, UUIDs, memory addresses and versions, cut at
    `limit` characters."""
    for name in secrets:
        message = message.replace(f"`{name}`.", "").replace(f"{name}.", "").replace(name, "")
    message = _PATH.sub("<path>", message)
    message = _UUID.sub("<uuid>", message)
    message = _ADDRESS.sub("<address>", message)
    return _VERSION.sub("", message)[:limit]
