"""Reflection cost: SQLAlchemy reflecting all 15 views versus one raw GET /schema.

Both go through the in-process emulator in the same run; prints the medians, their ratio
and the number of HTTP requests reflection made.
Run: python bench/reflect.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx
import sqlalchemy as sa

import paid_dbapi
from paid_dbapi.emulator import DEMO_BASE_URL, default_emulator


class Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.requests = inner, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return self.inner.handle_request(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    emulator = default_emulator()
    key = emulator.keys()["acme"]
    transport = Counting(emulator.transport())
    conn = paid_dbapi.connect(key, base_url=DEMO_BASE_URL, transport=transport)
    connect_args = {"api_key": key, "base_url": DEMO_BASE_URL, "transport": transport}
    engine = sa.create_engine("paid://", poolclass=sa.pool.NullPool, connect_args=connect_args)
    raw, reflected = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        conn.schema()
        raw.append(time.perf_counter() - started)
        before = transport.requests
        started = time.perf_counter()
        metadata = sa.MetaData()
        metadata.reflect(engine)
        reflected.append(time.perf_counter() - started)
        requests = transport.requests - before
    base, ours = statistics.median(raw), statistics.median(reflected)
    print(f"GET /schema (baseline):        {base * 1000:7.2f} ms")
    print(f"MetaData.reflect (15 views):   {ours * 1000:7.2f} ms, {requests} HTTP request(s)")
    print(f"ratio:                         {ours / base:7.2f}x")


if __name__ == "__main__":
    main()
