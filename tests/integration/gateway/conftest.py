"""`paid-gateway serve` in front of `paid-emulator serve`, both real processes on loopback."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paid_dbapi.emulator._data import demo_keys
from paid_dbapi.gateway import Gateway, Upstream, serve
from paid_dbapi.gateway._tenants import Slots
from tests.servers import BIN, Served, start


@contextlib.contextmanager
def gateway_before_slow_upstream(
    folder: Path, latency: float, slots: Slots | None = None, timeout: float = 60
) -> Iterator[str]:
    """A gateway in this process before `paid-emulator serve --latency`, a real server that
    answers slowly; yields the gateway's URL."""
    command = [str(BIN / "paid-emulator"), "serve", "--port", "0", "--latency", str(latency)]
    process, url = start(command, r"serving (http://\S+)", folder / "emulator.log")
    upstream = Upstream(url, max_retries=0, timeout=timeout)
    gateway = Gateway(upstream, slots=slots)
    try:
        with serve(gateway) as gateway_url:
            yield gateway_url
    finally:
        gateway.close()
        upstream.close()
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def timing_out_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway in front of `paid-emulator serve --latency 1 --timeout 0.5`, where every query
    times out (159): for the real clients' cancel and timeout cases."""
    logs = tmp_path_factory.mktemp("timing-out")
    emulator, upstream = start([str(BIN / "paid-emulator"), "serve", "--port", "0", "--latency", "1",
                                "--timeout", "0.5"], r"serving (http://\S+)", logs / "emulator.log")  # fmt: skip
    gateway, url = start([str(BIN / "paid-gateway"), "serve", "--upstream", upstream, "--port", "0"],
                         r"serving (http://\S+)", logs / "gateway.log")  # fmt: skip
    yield url
    for process in (gateway, emulator):
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def logs() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def emulator_url(logs: Path) -> Iterator[str]:
    """`paid-emulator serve` on a free loopback port (the service's limits: 10,000 rows), sending
    every Decimal digit: these suites hold the gateway's bytes to ClickHouse's own."""
    process, url = start(
        [str(BIN / "paid-emulator"), "serve", "--port", "0", "--exact-decimals"],
        r"serving (http://\S+)",
        logs / "emulator.log",
    )
    yield url
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="session")
def gateway(emulator_url: str, logs: Path) -> Iterator[Served]:
    """`paid-gateway serve --upstream <emulator>` on a free loopback port, logging at debug."""
    log = logs / "gateway.log"
    process, url = start(
        [str(BIN / "paid-gateway"), "serve", "--upstream", emulator_url, "--port", "0",
         "--log-level", "debug"],
        r"serving (http://\S+)",
        log,
    )  # fmt: skip
    yield Served(url, log)
    process.terminate()
    process.wait(timeout=15)
    assert process.returncode in (0, -15), log.read_text()


@pytest.fixture(scope="session")
def gateway_url(gateway: Served) -> str:
    return gateway.url


@pytest.fixture(scope="session")
def key() -> str:
    """The API key of the first demo organization (the clients' password)."""
    return demo_keys(42)["acme"]


@pytest.fixture(scope="session")
def port(gateway_url: str) -> int:
    return int(gateway_url.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def http(gateway_url: str, key: str) -> Iterator[httpx.Client]:
    """A plain HTTP client of the gateway, logged in with Basic auth (any user, key as password)."""
    with httpx.Client(base_url=gateway_url, auth=("metabase", key), timeout=60) as client:
        yield client
