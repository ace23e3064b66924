"""Shared fixtures: the real emulator (in-process and on loopback) with its demo data."""

from __future__ import annotations

from collections.abc import Iterator

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


def connect_to(emulator: Emulator, org: str = "acme", **kwargs: object) -> paid_dbapi.Connection:
    """A connection to `emulator` in-process as `org`."""
    return paid_dbapi.connect(
        emulator.keys()[org], base_url=DEMO_BASE_URL, transport=emulator.transport(), **kwargs
    )
