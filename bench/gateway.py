"""Gateway overhead: the same query through `paid-gateway` and through paid_dbapi, same run.

The emulator serves on loopback in this process; `paid-gateway serve` runs in its own
process in front of it. A 10,000-row, 12-column result is fetched as
RowBinaryWithNamesAndTypes through the gateway and with paid_dbapi's fetchall() (the
baseline, decoded to Python); prints medians and the ratio (goal: at most 2x), then the
latency a one-row query gains through the gateway, then the cost of per-key isolation
(bench/gateway_tenants.py: a new key's first query, one key's memory, N keys live).
Run: python bench/gateway.py [--repeat 7] [--small 30] [--keys 20]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from gateway_tenants import measure as measure_tenants  # beside this script

import paid_dbapi
from paid_dbapi.emulator import Emulator

WIDE = (
    "SELECT id, trace_id, vendor, model, input_tokens, output_tokens, cost_amount, latency_ms, "
    "customer_id, product_id, created_at, toDate(created_at) AS day FROM fact_cost "
    "ORDER BY id LIMIT 10000"
)
ONE_ROW = "SELECT vendor, sum(cost_amount) FROM fact_cost GROUP BY vendor ORDER BY vendor LIMIT 1"


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def start_gateway(upstream: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [str(Path(sys.executable).parent / "paid-gateway"), "serve", "--upstream", upstream,
               "--port", "0"]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stderr=sink)
    for _ in range(600):
        found = re.search(r"serving (http://\S+)", log.read_text(errors="replace"))
        if found:
            return process, found.group(1)
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the gateway did not start:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--small", type=int, default=30, help="one-row queries per side")
    parser.add_argument("--keys", type=int, default=20, help="keys live for the isolation cost")
    args = parser.parse_args()
    emulator = Emulator()
    key = next(iter(emulator.keys().values()))
    with emulator.serve() as url, tempfile.TemporaryDirectory() as folder:
        process, gateway_url = start_gateway(url, Path(folder) / "gateway.log")
        try:
            with (
                paid_dbapi.connect(key, base_url=url) as conn,
                httpx.Client(base_url=gateway_url, auth=("bench", key), timeout=120) as http,
            ):
                cur = conn.cursor()

                def direct(sql: str) -> object:
                    cur.execute(sql)
                    return cur.fetchall()

                def through(sql: str) -> bytes:
                    response = http.post(
                        "/", content=f"{sql} FORMAT RowBinaryWithNamesAndTypes".encode()
                    )
                    response.raise_for_status()
                    return response.content

                rows, body = direct(WIDE), through(WIDE)  # warm both paths (and the catalog)
                shape = (len(rows), len(rows[0]))  # type: ignore[arg-type, index]
                assert shape == (10_000, 12), shape
                wide_direct, wide_gateway = [], []
                for _ in range(args.repeat):
                    wide_direct.append(timed(lambda: direct(WIDE)))
                    wide_gateway.append(timed(lambda: through(WIDE)))
                d, g = statistics.median(wide_direct), statistics.median(wide_gateway)
                size = f"{len(body) / 1e6:.2f} MB"
                print(f"10,000 rows x 12 columns ({size} of RowBinaryWithNamesAndTypes)")
                print(f"  paid_dbapi fetchall (baseline): {d * 1e3:8.1f} ms")
                print(f"  through the gateway           : {g * 1e3:8.1f} ms")
                print(f"  ratio gateway / paid_dbapi    : {g / d:8.2f}x  (goal <= 2x)")
                small_direct, small_gateway = [], []
                for _ in range(args.small):
                    small_direct.append(timed(lambda: direct(ONE_ROW)))
                    small_gateway.append(timed(lambda: through(ONE_ROW)))
                sd, sg = statistics.median(small_direct), statistics.median(small_gateway)
                print("one-row query (median)")
                print(f"  paid_dbapi: {sd * 1e3:6.1f} ms, gateway: {sg * 1e3:6.1f} ms, "
                      f"added latency: {(sg - sd) * 1e3:6.1f} ms")  # fmt: skip
        finally:
            process.terminate()
            process.wait(timeout=15)
    print(f"per-key isolation ({args.keys} keys)")
    measure_tenants(args.keys)


if __name__ == "__main__":
    main()
