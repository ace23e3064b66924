"""The query engine behind the emulator: one small interface over embedded ClickHouse (chDB).

`Engine.run(database, sql, limits)` is all the HTTP layer needs, so a ClickHouse server could
replace chDB without touching the HTTP layer or the guard. chDB runs one query at a time per
process; a lock serializes requests so each sees only its own database and limits.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Per-query limits applied as engine settings."""

    row_limit: int
    timeout: float
    memory_limit: int


@dataclass(frozen=True)
class Result:
    """Column names and types, and each row as ClickHouse's own JSON array text."""

    names: list[str]
    types: list[str]
    row_texts: list[str]
    truncated: bool


class EngineError(Exception):
    """A query failed inside ClickHouse; `name` is ClickHouse's error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


_ERROR = re.compile(
    r"Code: (\d+)\. DB::Exception: (.*?)(?: \(([A-Z_0-9]+)\))?(?: \(version [^)]*\))?\s*$", re.S
)


class Engine:
    """Embedded ClickHouse in this process (one chDB session shared by all emulators)."""

    _session: ClassVar[Any] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()
    #: Once user queries run, the session is switched to readonly=2 for good: ClickHouse
    #: cannot leave read-only mode, so all data is generated before the first user query.
    _readonly: ClassVar[bool] = False

    def __init__(self) -> None:
        with Engine._lock:
            if Engine._session is None:
                from chdb import session  # imported lazily: the driver must work without it

                Engine._session = session.Session()  # type: ignore[no-untyped-call]
                for statement in (
                    "SET session_timezone = 'UTC'",
                    "SET output_format_json_quote_64bit_integers = 1",
                    "SET output_format_json_quote_decimals = 0",
                    "SET output_format_json_quote_denormals = 1",
                    "SET output_format_json_named_tuples_as_objects = 1",
                    "SET result_overflow_mode = 'break'",
                    "SET implicit_select = 0",
                ):
                    Engine._session.query(statement)

    def execute(self, sql: str) -> None:
        """Run trusted internal SQL (DDL and data generation); only before the first query."""
        with Engine._lock:
            if Engine._readonly:
                raise EngineError(
                    "READONLY",
                    "the engine already serves queries read-only; generate every data set "
                    "(scale, seed) a process needs before its first query",
                )
            self._query(sql, "TabSeparated")

    def rows(self, sql: str, database: str | None = None) -> list[list[Any]]:
        """Run trusted internal read-only SQL and return rows parsed from JSON."""
        with Engine._lock:
            if database is not None:
                self._query(f"USE `{database}`", "TabSeparated")
                self._query("SET max_result_rows = 0, max_execution_time = 0", "TabSeparated")
            text = self._query(sql, "JSONCompactEachRow")
        return [json.loads(line) for line in _lines(text)]

    def text(self, sql: str) -> str:
        """Run trusted SQL built by the guard (formatQuery, EXPLAIN AST) and return TSVRaw."""
        with Engine._lock:
            return self._query(sql, "TSVRaw")

    def run(self, database: str, sql: str, limits: Limits) -> Result:
        """Run one user query in `database` under `limits`, read-only."""
        with Engine._lock:
            if not Engine._readonly:
                self._query("SET readonly = 2", "TabSeparated")
                Engine._readonly = True
            self._query(f"USE `{database}`", "TabSeparated")
            self._query(
                f"SET max_result_rows = {limits.row_limit + 1}, "
                f"max_execution_time = {limits.timeout}, max_memory_usage = {limits.memory_limit}",
                "TabSeparated",
            )
            text = self._query(sql, "JSONCompactEachRowWithNamesAndTypes")
        lines = _lines(text)
        if len(lines) < 2:
            raise EngineError("INTERNAL", "the engine returned no column header")
        rows = lines[2:]
        truncated = len(rows) > limits.row_limit
        return Result(
            json.loads(lines[0]), json.loads(lines[1]), rows[: limits.row_limit], truncated
        )

    def _query(self, sql: str, fmt: str) -> str:
        try:
            result = Engine._session.query(sql, fmt)
        except Exception as exc:  # chDB raises its own error type with ClickHouse's text
            text = str(exc).strip()
            m = _ERROR.search(text)
            if not m:
                raise EngineError("UNKNOWN", text) from None
            raise EngineError(m.group(3) or "UNKNOWN", m.group(2)) from None
        return bytes(result.bytes()).decode("utf-8", "replace")


def _lines(text: str) -> list[str]:
    """One JSON document per line. Only "\\n" ends a line: str.splitlines() would also split
    inside string values at U+0085, U+2028 and other characters ClickHouse writes unescaped."""
    return [line for line in text.split("\n") if line]
