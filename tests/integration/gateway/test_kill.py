"""KILL QUERY for one of the gateway's own queries: its client gets error 394 at once.

Clients cancel this way: clickhouse-java v0.9.8 (jdbc-v2 StatementImpl.java, cancel()) sends
`KILL QUERY WHERE query_id = '<id>'` for the statement it runs.
The upstream here is `paid-emulator serve --latency 1.5`, a real server that answers slowly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from paid_dbapi.emulator._data import demo_keys

from .conftest import gateway_before_slow_upstream

LATENCY = 1.5


@pytest.fixture(scope="module")
def slow_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with gateway_before_slow_upstream(tmp_path_factory.mktemp("slow"), LATENCY) as url:
        yield url


def test_kill_query_cancels_a_running_query(slow_gateway: str) -> None:
    acme, globex = demo_keys(42)["acme"], demo_keys(42)["globex"]
    for key in (acme, globex):  # load the catalog for both keys first (local: one upstream call)
        assert (
            httpx.get(
                slow_gateway, params={"query": "SELECT timezone()"}, auth=("u", key), timeout=30
            ).text
            == "UTC\n"
        )
    answers: dict[str, httpx.Response] = {}

    def victim() -> None:
        answers["victim"] = httpx.post(slow_gateway, params={"query_id": "victim-1"}, auth=("u", acme),
                                       content=b"SELECT count() FROM fact_signal", timeout=30)  # fmt: skip

    thread = threading.Thread(target=victim)
    started = time.monotonic()
    thread.start()
    time.sleep(0.4)
    kill = "KILL QUERY WHERE query_id = 'victim-1' SYNC"
    other = httpx.post(slow_gateway, content=kill.encode(), auth=("u", globex), timeout=30)
    assert (other.status_code, other.text) == (200, "")  # another key cannot cancel it
    mine = httpx.post(slow_gateway, content=kill.encode(), auth=("u", acme), timeout=30)
    assert mine.status_code == 200
    assert mine.text == "finished\tvictim-1\tdefault\t\n"
    thread.join(timeout=30)
    elapsed = time.monotonic() - started
    response = answers["victim"]
    assert response.status_code == 500
    assert response.headers["x-clickhouse-exception-code"] == "394"
    assert "QUERY_WAS_CANCELLED" in response.text
    assert elapsed < LATENCY  # answered when killed, not when the upstream answered


def test_a_client_that_disconnects_cancels_its_query(
    slow_gateway: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The gateway stops waiting for the API when its client goes away, as KILL QUERY does."""
    acme = demo_keys(42)["acme"]
    caplog.set_level(logging.INFO, logger="paid_dbapi.gateway._app")
    with pytest.raises(httpx.TimeoutException):  # the client gives up and closes its connection
        httpx.post(slow_gateway, params={"query_id": "gone-1"}, auth=("u", acme),
                   content=b"SELECT count() FROM fact_signal", timeout=LATENCY / 3)  # fmt: skip
    deadline = time.monotonic() + 2 * LATENCY  # past the upstream's answer, had it been awaited
    while "query gone-1 cancelled: the client disconnected" not in caplog.messages:
        assert time.monotonic() < deadline, caplog.messages
        time.sleep(0.05)
    kill = "KILL QUERY WHERE query_id = 'gone-1'"
    answer = httpx.post(slow_gateway, content=kill.encode(), auth=("u", acme), timeout=30)
    assert (answer.status_code, answer.text) == (200, "")  # no longer running
