"""Fair share: one key's slow queries never hold another key's trivial query back.

The upstream is `paid-emulator serve --latency 2`, a real server that answers slowly; one key
sends 8 slow queries at once (more than its slots), another key's query must answer within
a second meanwhile, and the first key's queries beyond its slots and queue are refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paid_dbapi.emulator.data import demo_keys
from paid_dbapi.gateway import Gateway, Upstream, serve
from paid_dbapi.gateway.tenants import Slots

from .conftest import BIN, start

LATENCY = 2.0
ACME, GLOBEX = demo_keys(42)["acme"], demo_keys(42)["globex"]


@pytest.fixture(scope="module")
def slow_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = Path(tmp_path_factory.mktemp("fair")) / "emulator.log"
    process, url = start([str(BIN / "paid-emulator"), "serve", "--port", "0", "--latency", str(LATENCY)],
                         r"serving (http://\S+)", log)  # fmt: skip
    upstream = Upstream(url, max_retries=0, timeout=60)
    gateway = Gateway(upstream, slots=Slots(per_key=4, queued=4))
    try:
        with serve(gateway) as gateway_url:
            yield gateway_url
    finally:
        gateway.close()
        upstream.close()
        process.terminate()
        process.wait(timeout=15)


def ask(url: str, key: str, sql: str) -> httpx.Response:
    return httpx.post(url, content=sql.encode(), auth=("u", key), timeout=60)


def test_another_keys_query_answers_within_a_second(slow_gateway: str) -> None:
    for key in (ACME, GLOBEX):  # each key's schema and engines first (one slow upstream call)
        assert ask(slow_gateway, key, "SELECT timezone()").text == "UTC\n"
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def slow() -> None:
        answer = ask(slow_gateway, ACME, "SELECT count() FROM fact_signal")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=slow) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # all 8 are in: 4 running upstream, 4 waiting for a slot of acme's
    waits = []
    for _ in range(3):
        started = time.monotonic()
        other = ask(slow_gateway, GLOBEX, "SELECT version(), timezone()")
        waits.append(time.monotonic() - started)
        assert other.status_code == 200, other.text
        assert other.text.endswith("\tUTC\n")
    for thread in threads:
        thread.join(timeout=60)
    assert max(waits) < 1.0, waits
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.text for a in answers}) == 1


def test_queries_beyond_a_keys_slots_and_queue_are_refused(slow_gateway: str) -> None:
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def slow() -> None:
        answer = ask(slow_gateway, ACME, "SELECT count() FROM fact_signal")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=slow) for _ in range(10)]  # 4 run, 4 wait, 2 refused
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(a.headers.get("x-clickhouse-exception-code", "") for a in answers)
    assert codes == [""] * 8 + ["202"] * 2
