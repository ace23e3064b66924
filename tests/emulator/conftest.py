"""Plain-httpx clients of the emulator, as any client of the real service would be."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from paid_dbapi.emulator import DEMO_BASE_URL, Emulator


def client_for(emulator: Emulator, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(transport=emulator.transport(), base_url=DEMO_BASE_URL, headers=headers)


@pytest.fixture(scope="session")
def acme(emulator: Emulator, org_keys: dict[str, str]) -> Iterator[httpx.Client]:
    with client_for(emulator, org_keys["acme"]) as client:
        yield client


def query(client: httpx.Client, sql: str) -> httpx.Response:
    return client.post("/query", json={"query": sql})
