"""The gateway's local ClickHouse: locked-down chDB workers for the catalog and for encoding.

Each engine is the worker the emulator uses too (`_engine.worker`): a chDB session in a child
process, read-only once set up, holding nothing but what its setup created, and each key gets
its own (see `tenants`).
The catalog engine holds the empty tables that mirror GET /schema, reads clients' SQL with
the guard's parser and runs their metadata SQL after the guard (inside the worker) has judged
it. The encoder holds nothing: it reads the rows the API returned and writes them in the
client's format, with ClickHouse's defaults plus format settings from the gateway's allowlist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from .._contract import scrub
from .._engine.guard import Node, Policy, parse
from .._engine.worker import EngineError, Limits, Worker
from ._clickhouse_errors import ClickHouseError

logger = logging.getLogger(__name__)

#: The limits of one local statement; results are as large as the API's (10,000 rows).
LIMITS = Limits(row_limit=10**9, timeout=30.0, memory_limit=2 * 1024**3, result_bytes=256 * 1024**2)
#: The encoder's largest statement: a result of the API's 10,000 rows as JSON text, and more.
MAX_QUERY_BYTES = 256 * 1024**2
#: A ClickHouse server's defaults where the worker's (made for the API's JSON) differ, and the
#: settings the gateway's reading of the API's rows depends on.
SERVER_SETTINGS: dict[str, str] = {
    "output_format_json_quote_64bit_integers": "0",
    "output_format_json_quote_denormals": "0",
    "result_overflow_mode": "'throw'",
    "max_result_rows": "0",
    "input_format_parallel_parsing": "0",
    "allow_introspection_functions": "0",
}


#: What displayName() answers: a fixed name, never the machine's host name (ClickHouse's default).
DISPLAY_NAME = "paid-gateway"


def _clickhouse_error(exc: EngineError) -> ClickHouseError:
    """The engine's error for a client, without the paths, UUIDs, addresses or versions of
    this machine (`contract.scrub`)."""
    name = exc.name if exc.name.isupper() else "UNKNOWN_EXCEPTION"
    return ClickHouseError(name, scrub(exc.message, limit=2000))


class LocalEngine:
    """One of the gateway's local chDB workers (a key's catalog or its encoder):
    `query(sql, fmt)` returns ClickHouse's encoding; errors: ClickHouseError."""

    def __init__(
        self,
        setup: Sequence[str] = (),
        *,
        database: str | None = None,
        settings: Mapping[str, str] | None = None,
        label: str = "gateway engine",
        readonly: int = 1,
    ) -> None:
        self._worker = Worker(
            setup,
            limits=LIMITS,
            database=database,
            settings={**SERVER_SETTINGS, **(settings or {})},
            label=label,
            readonly=readonly,
            display_name=DISPLAY_NAME,
        )

    def start(self) -> None:
        """Start the process now rather than on the first query."""
        self._worker.start()

    def close(self) -> None:
        self._worker.close()

    def query(self, sql: str, fmt: str = "TSVRaw", policy: Policy | None = None) -> bytes:
        """Run one statement (judged by the guard first when `policy` is given)."""
        try:
            return self._worker.query_bytes(sql, fmt, policy=policy)
        except EngineError as exc:
            raise _clickhouse_error(exc) from None

    def cancel(self) -> None:
        """Stop the running statement now (the process is killed, started again on next use)."""
        self._worker.cancel()

    @property
    def pid(self) -> int | None:
        return self._worker.pid


def clickhouse_version() -> str:
    """The version of the bundled ClickHouse, asked of a throwaway worker (the parent never
    loads chDB); error bodies carry it, as a ClickHouse server's do."""
    engine = LocalEngine(label="gateway version probe")
    try:
        return engine.query("SELECT version()").decode().strip()
    finally:
        engine.close()


def encoder() -> LocalEngine:
    """An empty engine for SQL the gateway builds itself (the API's rows inside a string
    literal, format settings from the gateway's allowlist). Read-only at level 2: no writes,
    but its own SQL may use format() and a SETTINGS clause. One per key: nothing one key's
    encodings leave behind (errors, caches) is ever in reach of another key."""
    limits = {"max_query_size": str(MAX_QUERY_BYTES)}
    return LocalEngine(label="gateway encoder", readonly=2, settings=limits)


def parser(engine: LocalEngine) -> Callable[[str], tuple[str, Node]]:
    """The guard's reader (`guard.parse`) running its own statements in `engine`."""

    def run(trusted: str) -> str:
        return engine.query(trusted, "TSVRaw").decode("utf-8", "replace")

    def read(sql: str) -> tuple[str, Node]:
        return parse(sql, run)

    return read
