"""Emulator overhead: each example query of emulator/_cookbook.py through the HTTP API versus chDB.

The baseline is a chDB session in this process holding the same organization's data; the
HTTP path goes through uvicorn, the guard and the organization's worker process. Prints
per-query medians, the overhead ratio (HTTP / direct), p50/p99 latency under concurrent
clients, and the memory of the organization's worker process (resident and its own).
Run: python bench/emulator.py [--scale 4.8] [--repeat 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from chdb import session

from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator._cookbook import COOKBOOK


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def memory_mib(pid: int) -> dict[str, float]:
    """Resident memory of a process, and the part of it no other process shares."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    kib = {line.split(":")[0]: int(line.split()[1]) for line in rollup if line.endswith("kB")}
    private = kib["Private_Dirty"] + kib["Private_Clean"]
    return {"resident": kib["Rss"] / 1024, "private": private / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=4.8, help="4.8 = about 1M signals")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    emulator = Emulator(scale=args.scale)
    org = emulator.dataset.organizations[0]
    started = time.perf_counter()
    emulator.start([org.name])
    print(f"worker of {org.name} ready in {time.perf_counter() - started:.1f}s "
          f"(scale {args.scale})")  # fmt: skip
    direct = session.Session()
    for sql in emulator.dataset.setup_sql(org):
        direct.query(sql)
    direct.query(f"USE `{org.database}`")
    with (
        emulator.serve() as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {org.api_key}"}) as client,
    ):
        signals = client.post("/query", json={"query": "SELECT count() FROM fact_signal"}).json()
        print(f"signals of {org.name}: {signals['rows'][0][0]}\n")
        print(f"{'query':42} {'direct ms':>10} {'http ms':>10} {'ratio':>7}")
        ratios = []
        for name, sql in COOKBOOK.items():

            def direct_run(sql: str = sql) -> None:
                direct.query(sql, "JSONCompactEachRowWithNamesAndTypes").bytes()

            def http_run(sql: str = sql) -> None:
                client.post("/query", json={"query": sql}).raise_for_status()

            d = statistics.median(timed(direct_run) for _ in range(args.repeat))
            h = statistics.median(timed(http_run) for _ in range(args.repeat))
            ratios.append(h / d)
            print(f"{name[:42]:42} {d * 1000:10.1f} {h * 1000:10.1f} {h / d:7.2f}")
        print(f"\nmedian overhead ratio (HTTP / direct): {statistics.median(ratios):.2f}")

        queries = list(COOKBOOK.values()) * 2

        def worker(sql: str) -> float:  # one shared client, as a driver keeps its connections
            return timed(lambda: client.post("/query", json={"query": sql}).raise_for_status())

        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            latencies = sorted(pool.map(worker, queries))
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"{args.clients} concurrent clients, {len(latencies)} queries: "
              f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")  # fmt: skip
        pid = emulator.app.engine.worker(org).pid
        assert pid is not None
        memory = memory_mib(pid)
        print(f"worker of {org.name}: {memory['resident']:.0f} MiB resident, "
              f"{memory['private']:.0f} MiB its own (the rest is chDB's code, shared)")  # fmt: skip


if __name__ == "__main__":
    main()
