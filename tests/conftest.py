"""Shared fixtures: the real emulator (in-process and on loopback) with its demo data, and
plain-httpx clients of it, as any client of the real service would be."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import paid_dbapi
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator, default_emulator


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    """The default emulator (demo data at scale 1, the service's limits)."""
    return default_emulator()


@pytest.fixture(scope="session")
def org_keys(emulator: Emulator) -> dict[str, str]:
    """Demo organization name -> API key."""
    return emulator.keys()


@pytest.fixture(scope="session")
def server_url(emulator: Emulator) -> Iterator[str]:
    """The default emulator served over loopback HTTP; yields its base URL."""
    with emulator.serve() as url:
        yield url


@pytest.fixture
def conn() -> Iterator[paid_dbapi.Connection]:
    """A DB-API connection to the in-process demo emulator."""
    with paid_dbapi.connect(demo=True) as connection:
        yield connection


@pytest.fixture(scope="session")
def exact_emulator() -> Emulator:
    """The emulator sending every Decimal digit, for tests of values a double cannot carry
    (it shares the default emulator's engine processes)."""
    return Emulator(exact_decimals=True)


def exact_connect(**kwargs: object) -> paid_dbapi.Connection:
    """A connection to an in-process emulator that sends every Decimal digit (the service
    sends Decimals through a double), with `on_precision="ignore"`: its digits are exact."""
    kwargs.setdefault("on_precision", "ignore")
    return connect_to(Emulator(exact_decimals=True), **kwargs)


def connect_to(emulator: Emulator, org: str = "acme", **kwargs: object) -> paid_dbapi.Connection:
    """A connection to `emulator` in-process as `org`."""
    return paid_dbapi.connect(
        emulator.keys()[org], base_url=DEMO_BASE_URL, transport=emulator.transport(), **kwargs
    )


def client_for(emulator: Emulator, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(transport=emulator.transport(), base_url=DEMO_BASE_URL, headers=headers)


@pytest.fixture(scope="session")
def acme(emulator: Emulator, org_keys: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(emulator, org_keys["acme"]) as client:
        yield client


def query(client: httpx.Client, sql: str) -> httpx.Response:
    return client.post("/query", json={"query": sql})
