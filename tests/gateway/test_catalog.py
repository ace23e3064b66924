"""The local catalog: refreshed from GET /schema with a TTL, per key, holding no key.

A schema that changes between two calls is something the emulator cannot be made to do, so
the upstream here is an httpx mock transport; the catalog's engine is the real worker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from paid_dbapi.exceptions import OperationalError
from paid_dbapi.gateway.catalog import Catalog
from paid_dbapi.gateway.upstream import Upstream

KEY, OTHER = "key-one-0123456789", "key-two-9876543210"


def schema(*views: tuple[str, str]) -> bytes:
    return json.dumps({"views": [
        {"name": name, "comment": comment,
         "columns": [{"name": "id", "type": "UUID", "comment": f"{name} id"},
                     {"name": "amount", "type": "Decimal(38, 10)", "comment": None}]}
        for name, comment in views
    ]}).encode()  # fmt: skip


class Service:
    """GET /schema answers: the current document, for the keys it knows."""

    def __init__(self) -> None:
        self.document = schema(("fact_a", "first"))
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"].removeprefix("Bearer ")
        self.calls.append(key)
        if key not in (KEY, OTHER):
            return httpx.Response(403, json={"error": "the API key is not valid", "code": "INVALID_API_KEY"})
        return httpx.Response(200, content=self.document)


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def catalog(service: Service) -> Iterator[Catalog]:
    upstream = Upstream("http://127.0.0.1:9/api", transport=httpx.MockTransport(service), max_retries=0)
    made = Catalog(upstream, "paid", ttl=60)
    yield made
    made.close()


def test_cached_per_key_for_the_ttl(catalog: Catalog, service: Service) -> None:
    assert catalog.views(KEY) == {"fact_a"}
    assert catalog.views(KEY) == {"fact_a"}
    assert service.calls == [KEY]
    catalog.views(OTHER)  # each key is checked against the service once per TTL
    assert service.calls == [KEY, OTHER]


def test_refresh_rebuilds_the_tables(catalog: Catalog, service: Service) -> None:
    catalog.ttl = 0
    assert catalog.answer(KEY, "SHOW TABLES", "TSVRaw") == b"fact_a\n"
    service.document = schema(("fact_a", "changed"), ("fact_b", "new"))
    assert catalog.answer(KEY, "SHOW TABLES", "TSVRaw") == b"fact_a\nfact_b\n"
    described = catalog.answer(KEY, "SELECT name, comment FROM system.tables WHERE database = 'paid' ORDER BY name", "TSVRaw")
    assert described == b"fact_a\tchanged\nfact_b\tnew\n"
    columns = catalog.answer(KEY, "DESCRIBE TABLE fact_b", "TSVRaw").decode().splitlines()
    assert [line.split("\t")[:2] + line.split("\t")[4:5] for line in columns] == [
        ["id", "UUID", "fact_b id"], ["amount", "Decimal(38, 10)", ""]
    ]


def test_a_refused_key_is_refused_every_time(catalog: Catalog, service: Service) -> None:
    catalog.views(KEY)
    for _ in range(2):
        with pytest.raises(OperationalError) as caught:
            catalog.views("wrong")
        assert caught.value.status == 403
    assert service.calls.count("wrong") == 2


def test_no_key_is_kept(catalog: Catalog) -> None:
    catalog.views(KEY)
    assert KEY not in repr(vars(catalog))
    assert KEY.encode() not in b"".join(catalog._seen)
