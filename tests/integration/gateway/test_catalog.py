"""The local catalog's engine follows the schema: a refresh rebuilds a key's tables in its
real worker. The changing upstream is the unit tier's mock service (tests/unit/gateway)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paid_dbapi.gateway._catalog import Catalog, policy
from paid_dbapi.gateway._tenants import Tenants
from tests.unit.gateway.test_catalog import KEY, Service, catalog_of, schema


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


def test_refresh_rebuilds_the_tables(tenants: Tenants) -> None:
    service = Service()
    catalog = catalog_of(service)
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
