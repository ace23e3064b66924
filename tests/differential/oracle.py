"""The oracle: ClickHouse itself (chDB) in a worker process, answering through Arrow.

It shares nothing with the driver: no JSON wire, no `paid_dbapi._types`. chDB allows one session
per process, so the oracle runs in a spawned process of its own, whatever the test process (or
the emulator) does with chDB. Temporal Arrow columns come back as their raw integer ticks, so
the expectation is computed from ClickHouse's own numbers, never from a Python rendering.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any


class OracleError(Exception):
    """ClickHouse rejected the oracle's query."""


def _plain(t: Any) -> Any:
    """`t` with every temporal leaf (timestamp, time, duration) replaced by int64 ticks."""
    import pyarrow as pa

    if pa.types.is_time32(t):
        return pa.int32()
    if pa.types.is_timestamp(t) or pa.types.is_time64(t) or pa.types.is_duration(t):
        return pa.int64()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(pa.field(t.value_field.name, _plain(t.value_type), t.value_field.nullable))
    if pa.types.is_map(t):
        return pa.map_(
            pa.field("key", _plain(t.key_type), nullable=False),
            pa.field("value", _plain(t.item_type), t.item_field.nullable),
        )
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain(f.type), f.nullable) for f in t])
    return t


def _serve(conn: Connection) -> None:
    """Worker loop: SQL in, the first row as plain Python values out."""
    import pyarrow as pa
    from chdb import session

    s = session.Session()  # type: ignore[no-untyped-call]
    s.query("SET session_timezone = 'UTC'")
    while (sql := conn.recv()) is not None:
        try:
            table = s.query(sql, "ArrowTable")
            schema = pa.schema([pa.field(f.name, _plain(f.type), f.nullable) for f in table.schema])
            conn.send(("ok", [column[0] for column in table.cast(schema).to_pydict().values()]))
        except Exception as exc:  # the worker reports every failure and keeps serving
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class Oracle:
    """A chDB session in a spawned worker process."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()

    def row(self, sql: str) -> list[Any]:
        """The first row of `sql`, as ClickHouse's Arrow output gives it."""
        self._conn.send(sql)
        status, payload = self._conn.recv()
        if status != "ok":
            raise OracleError(payload)
        return payload  # type: ignore[no-any-return]

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
