"""Replacing a dead organization worker: generating the data again versus loading its snapshot.

Starts one organization's worker with and without a snapshot, kills it with SIGKILL and times
the next query (which starts the replacement), and prints the first start (generating the
data, and writing the snapshot when there is one) and the snapshot's size.
Run: python bench/emulator_restart.py [--scale 1] [--org acme] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time
from pathlib import Path

from paid_dbapi._engine.worker import Limits, Worker
from paid_dbapi.emulator import DEFAULT_MEMORY_LIMIT, DEFAULT_TIMEOUT
from paid_dbapi.emulator._data import load

SQL = "SELECT signal_name, count() FROM fact_signal GROUP BY signal_name ORDER BY signal_name"


def measure(scale: float, name: str, snapshot: bool, repeat: int) -> tuple[float, list[float], int]:
    """(first start in s, restart-and-query times in s, snapshot bytes)."""
    dataset = load(scale, 42)
    org = next(o for o in dataset.organizations if o.name == name)
    limits = Limits(10_000, DEFAULT_TIMEOUT, DEFAULT_MEMORY_LIMIT)
    worker = Worker(dataset.setup_sql(org), limits=limits, database=org.database, snapshot=snapshot)
    try:
        started = time.perf_counter()
        first = worker.query(SQL).row_texts
        start = time.perf_counter() - started
        restarts = []
        for _ in range(repeat):
            pid = worker.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            started = time.perf_counter()
            assert worker.query(SQL).row_texts == first
            restarts.append(time.perf_counter() - started)
        kept = worker._snapshot
        size = sum(f.stat().st_size for f in Path(kept.path).iterdir()) if kept else 0
        return start, restarts, size
    finally:
        worker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for snapshot in (False, True):
        start, restarts, size = measure(args.scale, args.org, snapshot, args.repeat)
        label = "snapshot" if snapshot else "generate"
        print(
            f"{label}: first start {start:.2f} s, restart + query median "
            f"{statistics.median(restarts):.2f} s (max {max(restarts):.2f} s), "
            f"snapshot {size / 1024**2:.1f} MiB"
        )


if __name__ == "__main__":
    main()
