"""Each key's own engines: nothing one key can change or read is in reach of another key.

A key (recognised by its fingerprint) gets a catalog engine, holding the empty tables of its
own GET /schema answer and reading its SQL with the guard's parser, and an encoder, writing
its results. Both are the emulator's locked-down workers, started on the key's first query,
stopped after `idle` seconds without a query, and at most `max_live` keys have engines at
once (the least recently used idle key gives its engines up first). What a key's queries
leave in an engine (errors, caches, a worker killed at a time limit) is that key's alone.

`Slots` is the fair share: each key has at most `per_key` queries in flight and `queued`
more waiting; each query runs in a thread of its own, never in a pool one key could fill.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from ._catalog import Schema, ddl
from ._clickhouse_errors import ClickHouseError
from ._local import LocalEngine, encoder, parser
from ._sql import Plan, plan

logger = logging.getLogger(__name__)

#: Keys with live engines at once; seconds without a query before a key's engines stop.
MAX_LIVE = 16
IDLE_SECONDS = 300.0
#: Queries of one key in flight at once, and waiting for one of those slots.
PER_KEY = 4
QUEUED = 16
#: Plans remembered per key (a dashboard asks the same texts again), and the longest text kept.
CACHED_PLANS = 256
CACHED_PLAN_BYTES = 8_192

T = TypeVar("T")


class Tenant:
    """One key's engines and what it alone has asked."""

    def __init__(self, database: str, schema: Schema) -> None:
        self.database = database
        self.schema = schema
        self.catalog = LocalEngine(ddl(database, list(schema.views)), database=database,
                              label="gateway catalog")  # fmt: skip
        self.encoder = encoder()
        self._parse = parser(self.catalog)
        self._plans: OrderedDict[str, Plan] = OrderedDict()
        self._lock = threading.Lock()
        self.users = 0
        self.last_used = time.monotonic()
        self.retired = False

    def start(self) -> None:
        """Start both engines (in parallel: the first query of a key waits for one start)."""
        other = threading.Thread(target=self._start_quietly, args=(self.encoder,), daemon=True)
        other.start()
        self.catalog.start()
        other.join()

    @staticmethod
    def _start_quietly(engine: LocalEngine) -> None:
        try:
            engine.start()
        except Exception:  # started again, and reported, by its first query
            logger.info("a gateway encoder failed to start", exc_info=True)

    def plan(self, sql: str) -> Plan:
        """The route of `sql`, read in this key's own catalog engine (remembered per key)."""
        with self._lock:
            found = self._plans.get(sql)
            if found is not None:
                self._plans.move_to_end(sql)
                return found
        made = plan(sql, self.database, self.schema.names, self._parse)
        if len(sql) <= CACHED_PLAN_BYTES:
            with self._lock:
                self._plans[sql] = made
                while len(self._plans) > CACHED_PLANS:
                    self._plans.popitem(last=False)
        return made

    def pids(self) -> list[int]:
        """The process ids of this key's running engines."""
        return [pid for pid in (self.catalog.pid, self.encoder.pid) if pid is not None]

    def close(self) -> None:
        self.catalog.close()
        self.encoder.close()


class Tenants:
    """The live keys' engines: started on first use, reaped when idle, capped in number."""

    def __init__(
        self, database: str, *, max_live: int = MAX_LIVE, idle: float = IDLE_SECONDS
    ) -> None:
        self.database = database
        self.max_live = max_live
        self.idle = idle
        self._live: OrderedDict[bytes, Tenant] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="gateway reaper", daemon=True)
        self._reaper.start()

    @contextlib.contextmanager
    def use(self, fingerprint: bytes, schema: Schema) -> Iterator[Tenant]:
        """The key's tenant, started, for the length of one query."""
        stopped: list[Tenant] = []
        with self._lock:
            tenant = self._live.get(fingerprint)
            if tenant is not None and tenant.schema.document != schema.document:
                del self._live[fingerprint]  # the schema changed: new tables, new engines
                tenant.retired = True
                if tenant.users == 0:
                    stopped.append(tenant)
                tenant = None
            if tenant is None:
                stopped += self._make_room()
                tenant = self._live[fingerprint] = Tenant(self.database, schema)
            self._live.move_to_end(fingerprint)
            tenant.users += 1
        for old in stopped:
            old.close()
        try:
            tenant.start()
            yield tenant
        finally:
            with self._lock:
                tenant.users -= 1
                tenant.last_used = time.monotonic()
                done = tenant.retired and tenant.users == 0
            if done:
                tenant.close()

    def _make_room(self) -> list[Tenant]:
        """Retire least recently used idle tenants until one more fits (lock held)."""
        stopped: list[Tenant] = []
        while len(self._live) >= self.max_live:
            idle = next((fp for fp, t in self._live.items() if t.users == 0), None)
            if idle is None:
                raise ClickHouseError(
                    "TOO_MANY_SIMULTANEOUS_QUERIES",
                    f"the gateway serves at most {self.max_live} keys at once and all are "
                    "running queries; retry shortly",
                )
            stopped.append(self._live.pop(idle))
        return stopped

    def live(self) -> dict[bytes, Tenant]:
        """The live tenants by fingerprint (a copy)."""
        with self._lock:
            return dict(self._live)

    def reap(self, now: float | None = None) -> int:
        """Stop the engines of keys idle for `idle` seconds; how many were stopped."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [fp for fp, t in self._live.items()
                    if t.users == 0 and now - t.last_used >= self.idle]  # fmt: skip
            stopped = [self._live.pop(fp) for fp in idle]
        for tenant in stopped:
            tenant.close()
        if stopped:
            logger.info("stopped the engines of %d idle key(s)", len(stopped))
        return len(stopped)

    def _reap_loop(self) -> None:
        while not self._closed.wait(max(0.5, min(30.0, self.idle / 4))):
            try:
                self.reap()
            except Exception:  # the reaper must outlive any one failure
                logger.exception("reaping idle engines failed")

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            stopped = list(self._live.values())
            self._live.clear()
        for tenant in stopped:
            tenant.close()


class Slots:
    """Per-key admission: a place in the key's line for each request (at most `per_key` +
    `queued`, then error 202), and `per_key` slots for the queries that call the API."""

    def __init__(self, per_key: int = PER_KEY, queued: int = QUEUED) -> None:
        self.per_key = per_key
        self.queued = queued
        self._keys: dict[bytes, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, fingerprint: bytes) -> AsyncIterator[None]:
        """A place in the key's line, for one request (in the event loop's thread only)."""
        entry = self._keys.get(fingerprint)
        if entry is None:
            entry = self._keys[fingerprint] = (asyncio.Semaphore(self.per_key), [0])
        holders = entry[1]
        if holders[0] >= self.per_key + self.queued:
            raise ClickHouseError(
                "TOO_MANY_SIMULTANEOUS_QUERIES",
                f"Too many simultaneous queries for this key: at most {self.per_key} run and "
                f"{self.queued} wait at once",
            )
        holders[0] += 1
        try:
            yield
        finally:
            holders[0] -= 1
            if holders[0] == 0:
                self._keys.pop(fingerprint, None)

    @contextlib.asynccontextmanager
    async def run(self, fingerprint: bytes) -> AsyncIterator[None]:
        """One of the key's running slots (only within `hold` of the same key)."""
        async with self._keys[fingerprint][0]:
            yield


async def in_thread(work: Callable[[], T]) -> T:
    """`work()` in a thread of its own; awaiting it may be abandoned (the thread runs on)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def run() -> None:
        try:
            value, error = work(), None
        except BaseException as exc:  # handed to the awaiting coroutine
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody awaits it
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=run, name="gateway query", daemon=True).start()
    return await future
