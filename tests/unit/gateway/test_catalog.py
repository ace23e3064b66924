"""The local catalog: refreshed from GET /schema with a TTL, per key, holding no key.

A schema that changes between two calls is something the emulator cannot be made to do, so
the upstream here is an httpx mock transport (tests/integration/gateway adds the engine).
"""

from __future__ import annotations

import json

import httpx
import pytest

from paid_dbapi._exceptions import OperationalError
from paid_dbapi.gateway._catalog import Catalog
from paid_dbapi.gateway._upstream import Upstream

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
            return httpx.Response(
                403, json={"error": "the API key is not valid", "code": "INVALID_API_KEY"}
            )
        return httpx.Response(200, content=self.document)


@pytest.fixture
def service() -> Service:
    return Service()


def catalog_of(service: Service) -> Catalog:
    """A catalog whose upstream is `service`, refreshed every minute."""
    upstream = Upstream(
        "http://127.0.0.1:9/api", transport=httpx.MockTransport(service), max_retries=0
    )
    return Catalog(upstream, "paid", ttl=60)


@pytest.fixture
def catalog(service: Service) -> Catalog:
    return catalog_of(service)


def test_cached_per_key_for_the_ttl(catalog: Catalog, service: Service) -> None:
    assert catalog.views(KEY) == {"fact_a"}
    assert catalog.views(KEY) == {"fact_a"}
    assert service.calls == [KEY]
    catalog.views(OTHER)  # each key is checked against the service once per TTL
    assert service.calls == [KEY, OTHER]


def test_a_refused_key_is_refused_every_time(catalog: Catalog, service: Service) -> None:
    catalog.views(KEY)
    for _ in range(3):
        with pytest.raises(OperationalError) as caught:
            catalog.views("wrong")
        assert caught.value.status == 403
    assert service.calls.count("wrong") == 1  # remembered for REFUSED_TTL, not asked again
    catalog._refused.clear()
    with pytest.raises(OperationalError):
        catalog.views("wrong")
    assert service.calls.count("wrong") == 2


def test_no_key_is_kept(catalog: Catalog) -> None:
    catalog.views(KEY)
    assert KEY not in repr(vars(catalog))
    assert KEY.encode() not in b"".join(catalog._seen)
