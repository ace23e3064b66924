"""The gateway's local ClickHouse: the catalog's empty tables and ClickHouse's own encoders.

One small adapter over embedded ClickHouse (chDB), so the engine behind it is one place to
change. It holds no data: only empty tables mirroring GET /schema, and it encodes rows the
Analytics API returned, passed as a query parameter (never spliced into SQL text).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from .errors import CODES, ClickHouseError

logger = logging.getLogger(__name__)


def quote_identifier(name: str) -> str:
    """A backtick-quoted ClickHouse identifier."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


_ERROR = re.compile(
    r"Code: (\d+)\. DB::Exception: (.*?)(?: \(([A-Z_0-9]+)\))?(?: \(version [^)]*\))?\s*$", re.S
)
_PATH = re.compile(r"(?:/[\w.-]+){2,}")
_NAMES = {code: name for name, (code, _) in CODES.items()}


class LocalEngine:
    """Embedded ClickHouse for metadata and encoding; one query at a time."""

    def __init__(self) -> None:
        from chdb import session  # imported lazily: the driver must work without chDB

        self._session: Any = session.Session()  # type: ignore[no-untyped-call]
        self._lock = threading.Lock()
        for statement in (
            "SET session_timezone = 'UTC'",
            "SET input_format_parallel_parsing = 0",
            "SET implicit_select = 0",
            "SET allow_introspection_functions = 0",
        ):
            self.query(statement)
        self.version = self.query("SELECT version()", "TSVRaw").decode().strip()

    def query(
        self,
        sql: str,
        fmt: str = "TSVRaw",
        params: dict[str, str] | None = None,
        database: str | None = None,
    ) -> bytes:
        """Run `sql` (in `database`) and return the answer in `fmt`; errors: ClickHouseError."""
        with self._lock:
            try:
                if database is not None:
                    self._session.query(f"USE {quote_identifier(database)}", "TSVRaw")
                result = self._session.query(sql, fmt, params=params or {})
            except Exception as exc:  # chDB raises its own type with ClickHouse's text
                raise _error(str(exc)) from None
        return bytes(result.bytes())

    def explain_ast(self, sql: str) -> str:
        """ClickHouse's own syntax tree of `sql` (EXPLAIN AST); runs nothing."""
        return self.query(f"EXPLAIN AST {sql}").decode("utf-8", "replace")


def _error(text: str) -> ClickHouseError:
    """ClickHouse's error text as a ClickHouseError, without file paths."""
    match = _ERROR.search(text.strip())
    if not match:
        return ClickHouseError("UNKNOWN_EXCEPTION", _PATH.sub("<path>", text.strip())[:1000])
    name = match.group(3) or _NAMES.get(int(match.group(1)), "UNKNOWN_EXCEPTION")
    return ClickHouseError(name, _PATH.sub("<path>", match.group(2))[:1000], int(match.group(1)))
