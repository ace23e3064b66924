"""The local catalog: refreshed from GET /schema with a TTL, per key, holding no key.

A schema that changes between two calls is something the emulator cannot be made to do, so
the upstream here is an httpx mock transport; the catalog's engine is the real worker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from paid_dbapi._exceptions import OperationalError
from paid_dbapi.gateway._catalog import Catalog, policy
from paid_dbapi.gateway._tenants import Tenants
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


@pytest.fixture
def catalog(service: Service) -> Catalog:
    upstream = Upstream(
        "http://127.0.0.1:9/api", transport=httpx.MockTransport(service), max_retries=0
    )
    return Catalog(upstream, "paid", ttl=60)


@pytest.fixture
def tenants() -> Iterator[Tenants]:
    made = Tenants("paid")
    yield made
    made.close()


def answer(catalog: Catalog, tenants: Tenants, sql: str) -> bytes:
    """`sql` answered by the key's own catalog engine, as the gateway answers it."""
    schema = catalog.schema(KEY)
    with tenants.use(catalog.fingerprint(KEY), schema) as tenant:
        planned = tenant.plan(sql)
        return tenant.catalog.query(planned.sql, "TSVRaw", policy=policy("paid", schema.names))


def test_cached_per_key_for_the_ttl(catalog: Catalog, service: Service) -> None:
    assert catalog.views(KEY) == {"fact_a"}
    assert catalog.views(KEY) == {"fact_a"}
    assert service.calls == [KEY]
    catalog.views(OTHER)  # each key is checked against the service once per TTL
    assert service.calls == [KEY, OTHER]


def test_refresh_rebuilds_the_tables(catalog: Catalog, tenants: Tenants, service: Service) -> None:
    catalog.ttl = 0
    assert answer(catalog, tenants, "SHOW TABLES") == b"fact_a\n"
    service.document = schema(("fact_a", "changed"), ("fact_b", "new"))
    assert answer(catalog, tenants, "SHOW TABLES") == b"fact_a\nfact_b\n"
    described = answer(
        catalog,
        tenants,
        "SELECT name, comment FROM system.tables WHERE database = 'paid' ORDER BY name",
    )
    assert described == b"fact_a\tchanged\nfact_b\tnew\n"
    columns = answer(catalog, tenants, "DESCRIBE TABLE fact_b").decode().splitlines()
    assert [line.split("\t")[:2] + line.split("\t")[4:5] for line in columns] == [
        ["id", "UUID", "fact_b id"],
        ["amount", "Decimal(38, 10)", ""],
    ]


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
