"""ClickHouse-style errors: numeric codes and names, HTTP statuses, and the text clients parse.

ClickHouse clients read the code from the `X-ClickHouse-Exception-Code` header or from a body
starting `Code: N. DB::Exception:`; some act on it (Metabase treats 60 and 81 as "table
missing", and AUTHENTICATION_FAILED as a wrong password), so the codes are ClickHouse's own.
"""

from __future__ import annotations

from .._contract import clickhouse_name
from .._exceptions import Error

#: ClickHouse error name -> (code, HTTP status), as ClickHouse's HTTP handler maps them.
CODES: dict[str, tuple[int, int]] = {
    "UNKNOWN_IDENTIFIER": (47, 404),
    "NOT_IMPLEMENTED": (48, 501),
    "UNKNOWN_TABLE": (60, 404),
    "SYNTAX_ERROR": (62, 400),
    "UNKNOWN_FORMAT": (73, 404),
    "UNKNOWN_DATABASE": (81, 404),
    "UNKNOWN_FUNCTION": (46, 404),
    "CANNOT_DECOMPRESS": (271, 400),
    "ILLEGAL_TYPE_OF_ARGUMENT": (43, 400),
    "TIMEOUT_EXCEEDED": (159, 500),
    "READONLY": (164, 403),
    "TOO_MANY_SIMULTANEOUS_QUERIES": (202, 429),
    "NETWORK_ERROR": (210, 502),
    "MEMORY_LIMIT_EXCEEDED": (241, 500),
    "TOO_MANY_ROWS_OR_BYTES": (396, 500),
    "UNKNOWN_EXCEPTION": (1002, 400),
    "QUERY_WAS_CANCELLED": (394, 500),
    "ACCESS_DENIED": (497, 403),
    "AUTHENTICATION_FAILED": (516, 401),
    "BAD_ARGUMENTS": (36, 400),
    "UNKNOWN_SETTING": (115, 400),
    "INCORRECT_DATA": (117, 400),
    "LOGICAL_ERROR": (49, 500),
}


class ClickHouseError(Exception):
    """An error answered the way ClickHouse answers it: code, name, message, HTTP status."""

    def __init__(self, name: str, message: str, code: int | None = None) -> None:
        super().__init__(message)
        known = CODES.get(name)
        self.name = name
        self.message = message
        self.code = code if code is not None else known[0] if known else 1002
        self.status = known[1] if known else 500

    def body(self, version: str) -> bytes:
        """`Code: N. DB::Exception: <message>. (NAME) (version V)`, as ClickHouse writes it."""
        message = self.message.rstrip(".")
        text = f"Code: {self.code}. DB::Exception: {message}. ({self.name}) (version {version})\n"
        return text.encode()


def from_api(status: int | None, code: str | None, message: str) -> ClickHouseError:
    """Map an error of the Analytics API (or of the guard) to its ClickHouse equivalent."""
    if status in (401, 403):
        return ClickHouseError("AUTHENTICATION_FAILED", message)
    if status == 408:
        return ClickHouseError("TIMEOUT_EXCEEDED", message)
    if status == 429:
        return ClickHouseError("TOO_MANY_SIMULTANEOUS_QUERIES", message)
    name = clickhouse_name(code)
    if name is None:
        name = "NETWORK_ERROR" if status is None or status >= 500 else "UNKNOWN_EXCEPTION"
    return ClickHouseError(name, message)


def from_driver(exc: Error) -> ClickHouseError:
    """A paid_dbapi error (its message already names the API's code and details)."""
    return from_api(exc.status, exc.code, str(exc))
