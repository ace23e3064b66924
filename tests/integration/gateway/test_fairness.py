"""Fair share: one key's slow queries never hold another key's trivial query back.

The upstream is `paid-emulator serve --latency 2`, a real server that answers slowly; one key
sends 8 slow queries at once (more than its slots), another key's query must answer within
a second meanwhile, and the first key's queries beyond its slots and queue are refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from paid_dbapi.emulator._data import demo_keys
from paid_dbapi.gateway._tenants import Slots

from .conftest import gateway_before_slow_upstream

LATENCY = 2.0
ACME, GLOBEX = demo_keys(42)["acme"], demo_keys(42)["globex"]


@pytest.fixture(scope="module")
def slow_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    slots = Slots(per_key=4, queued=4)
    with gateway_before_slow_upstream(tmp_path_factory.mktemp("fair"), LATENCY, slots) as url:
        yield url


SLOW = "SELECT count() FROM fact_signal"  # one upstream call: the emulator's latency


def ask(url: str, key: str, sql: str) -> httpx.Response:
    return httpx.post(url, content=sql.encode(), auth=("u", key), timeout=60)


def test_another_keys_query_answers_within_a_second(slow_gateway: str) -> None:
    for key in (ACME, GLOBEX):  # each key's schema and engines first (one slow upstream call)
        assert ask(slow_gateway, key, "SELECT timezone()").text == "UTC\n"
    with ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(ask, slow_gateway, ACME, SLOW) for _ in range(8)]
        time.sleep(0.5)  # all 8 are in: 4 running upstream, 4 waiting for a slot of acme's
        waits = []
        for _ in range(3):
            started = time.monotonic()
            other = ask(slow_gateway, GLOBEX, "SELECT version(), timezone()")
            waits.append(time.monotonic() - started)
            assert other.status_code == 200, other.text
            assert other.text.endswith("\tUTC\n")
        answers = [f.result() for f in slow]
    assert max(waits) < 1.0, waits
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.text for a in answers}) == 1


def test_queries_beyond_a_keys_slots_and_queue_are_refused(slow_gateway: str) -> None:
    with ThreadPoolExecutor(10) as pool:  # 4 run, 4 wait, 2 refused
        sent = [pool.submit(ask, slow_gateway, ACME, SLOW) for _ in range(10)]
    answers = [f.result() for f in sent]
    codes = sorted(a.headers.get("x-clickhouse-exception-code", "") for a in answers)
    assert codes == [""] * 8 + ["202"] * 2


def test_kill_query_never_waits_behind_the_queries_it_may_cancel(slow_gateway: str) -> None:
    """All of a key's running slots busy and more waiting: its KILL QUERY still answers at once,
    and the killed query's client gets 394 while the others run on to their answers."""
    finished: dict[str, tuple[float, httpx.Response]] = {}
    lock = threading.Lock()

    def slow(query_id: str) -> None:
        answer = httpx.post(slow_gateway, params={"query_id": query_id}, auth=("u", ACME),
                            content=b"SELECT count() FROM fact_signal", timeout=60)  # fmt: skip
        with lock:
            finished[query_id] = (time.monotonic(), answer)

    ids = [f"busy-{i}" for i in range(6)]  # 4 run (2 s upstream each), 2 wait for a slot
    threads = [threading.Thread(target=slow, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    kill = ask(slow_gateway, ACME, "KILL QUERY WHERE query_id = 'busy-0'")
    killed_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=60)
    assert kill.status_code == 200, kill.text
    assert kill.text.startswith("finished\tbusy-0\t"), kill.text
    victim_at, victim = finished["busy-0"]
    assert victim.headers["x-clickhouse-exception-code"] == "394"
    others = [finished[i] for i in ids[1:]]
    assert [a.status_code for _, a in others] == [200] * 5
    assert killed_at < min(at for at, _ in others)  # answered before any slot came free
    assert victim_at < min(at for at, _ in others)
