"""Emulator overhead: each cookbook query through the HTTP API versus directly on chDB.

Both run in the same process on the same data; prints per-query medians, the overhead
ratio (HTTP / direct), and p50/p99 latency under 8 concurrent HTTP clients.
Run: python bench/emulator.py [--scale 4.8] [--repeat 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator.cookbook import COOKBOOK
from paid_dbapi.emulator.engine import Engine, Limits


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=4.8, help="4.8 = about 1M signals")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    emulator = Emulator(scale=args.scale)
    print(f"data generated in {time.perf_counter() - started:.1f}s (scale {args.scale})")
    org = emulator.dataset.organizations[0]
    engine, limits = Engine(), Limits(row_limit=10_000, timeout=30, memory_limit=2 * 1024**3)
    with emulator.serve() as url:
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {org.api_key}"})
        signals = client.post("/query", json={"query": "SELECT count() FROM fact_signal"}).json()
        print(f"signals of {org.name}: {signals['rows'][0][0]}\n")
        print(f"{'query':42} {'direct ms':>10} {'http ms':>10} {'ratio':>7}")
        ratios = []
        for name, sql in COOKBOOK.items():

            def direct_run(sql: str = sql) -> None:
                engine.run(org.database, sql, limits)

            def http_run(sql: str = sql) -> None:
                client.post("/query", json={"query": sql}).raise_for_status()

            direct = statistics.median(timed(direct_run) for _ in range(args.repeat))
            http = statistics.median(timed(http_run) for _ in range(args.repeat))
            ratios.append(http / direct)
            print(f"{name[:42]:42} {direct * 1000:10.1f} {http * 1000:10.1f} {http / direct:7.2f}")
        print(f"\nmedian overhead ratio (HTTP / direct): {statistics.median(ratios):.2f}")

        queries = list(COOKBOOK.values()) * 2

        def worker(sql: str) -> float:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {org.api_key}"}
            ) as c:
                return timed(lambda: c.post("/query", json={"query": sql}).raise_for_status())

        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            latencies = sorted(pool.map(worker, queries))
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"{args.clients} concurrent clients, {len(latencies)} queries: "
              f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
