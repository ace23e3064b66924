"""Per-key engines: the first query of a new key, the memory of one key's workers, 20 keys live.

Each key of the gateway gets its own catalog and encoder workers (see
`paid_dbapi.gateway._tenants`). This starts 20 keys' engines on the demo schema (the same
GET /schema answer under 20 fingerprints), and prints the time a key's first query waits
(both workers started, then the query read by the guard), a warm query's time, the memory
of one key's workers and of all 20 (Linux: /proc/<pid>/smaps_rollup).
Run: python bench/gateway_tenants.py [--keys 20] (bench/gateway.py runs it too)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from paid_dbapi.emulator import Emulator
from paid_dbapi.gateway._catalog import Schema
from paid_dbapi.gateway._tenants import Tenants
from paid_dbapi.gateway._upstream import Upstream

SQL = "SELECT vendor, count() FROM paid.fact_cost GROUP BY vendor"


def memory_mib(pid: int, field: str) -> float:
    """One field of /proc/<pid>/smaps_rollup, MiB (0 when the process is gone): `Rss` counts
    the chDB library mapped in every worker, `Pss` shares it out, `Private_*` is the worker's
    own."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    fields = {x.split(":")[0]: int(x.split()[1]) for x in rollup.splitlines()[1:]}
    if field == "Private":
        return (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024
    return fields[field] / 1024


def measure(keys: int) -> None:
    """Start `keys` keys' engines and print their first-query time and memory."""
    emulator = Emulator()
    key = next(iter(emulator.keys().values()))
    with emulator.serve() as url:
        upstream = Upstream(url)
        schema = Schema.of(upstream.schema(key))
        upstream.close()
    tenants = Tenants("paid", max_live=keys)
    first: list[float] = []
    warm: list[float] = []
    memory: list[float] = []
    try:
        for i in range(keys):
            fingerprint = i.to_bytes(32, "big")
            started = time.perf_counter()
            with tenants.use(fingerprint, schema) as tenant:
                tenant.plan(SQL)
                first.append(time.perf_counter() - started)
                started = time.perf_counter()
                tenant.plan(SQL + " ORDER BY vendor")
                warm.append(time.perf_counter() - started)
                memory.append(sum(memory_mib(pid, "Private") for pid in tenant.pids()))
        live = tenants.live()
        pids = [pid for t in live.values() for pid in t.pids()]
        rss, pss = (sum(memory_mib(pid, f) for pid in pids) for f in ("Rss", "Pss"))
        print(f"keys live: {len(live)}")
        print(
            f"first query of a new key: median {statistics.median(first) * 1e3:.0f} ms, "
            f"max {max(first) * 1e3:.0f} ms"
        )
        warm_ms = statistics.median(warm) * 1e3
        print(
            f"a warm key's query read by the guard: median {warm_ms:.1f} ms "
            f"(first / warm: {statistics.median(first) * 1e3 / warm_ms:.0f}x)"
        )
        print(
            f"one key's workers (catalog + encoder): median {statistics.median(memory):.0f} "
            "MiB private"
        )
        print(
            f"all {len(live)} keys' workers: {pss:.0f} MiB PSS ({rss:.0f} MiB RSS, the "
            "library counted in each)"
        )
    finally:
        tenants.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20)
    measure(parser.parse_args().keys)


if __name__ == "__main__":
    main()
