"""Per-key engines: started on first use, the least recently used idle key's engines stopped
first at the cap, idle keys' engines reaped, a changed schema given new engines."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from paid_dbapi._metadata import ColumnInfo, ViewInfo
from paid_dbapi.gateway._catalog import Schema
from paid_dbapi.gateway._clickhouse_errors import ClickHouseError
from paid_dbapi.gateway._tenants import Tenants

A, B, C = (bytes([n]) * 32 for n in (1, 2, 3))


def schema(*names: str) -> Schema:
    return Schema.of([ViewInfo(name, "", (ColumnInfo("id", "UInt64", None),)) for name in names])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def gone(pids: list[int]) -> bool:
    for _ in range(50):
        if not any(alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def tenants() -> Iterator[Tenants]:
    made = Tenants("paid", max_live=2, idle=3600)
    yield made
    made.close()


def test_each_key_has_its_own_engines_and_the_cap_stops_the_oldest(tenants: Tenants) -> None:
    with tenants.use(A, schema("fact_a")) as a:
        assert a.plan("SELECT * FROM paid.fact_a").sql == "SELECT * FROM fact_a"
        a_pids = a.pids()
    with tenants.use(B, schema("fact_b")) as b:
        b_pids = b.pids()
        with pytest.raises(ClickHouseError):  # B's catalog has no fact_a
            b.catalog.query("SELECT * FROM paid.fact_a")
    assert len(a_pids) == len(b_pids) == 2
    assert not set(a_pids) & set(b_pids)
    with tenants.use(A, schema("fact_a")):  # A used last: B is the least recently used
        pass
    with tenants.use(C, schema("fact_c")):
        assert set(tenants.live()) == {A, C}
    assert gone(b_pids)
    assert all(alive(pid) for pid in a_pids)


def test_a_busy_cap_is_error_202(tenants: Tenants) -> None:
    with tenants.use(A, schema("fact_a")), tenants.use(B, schema("fact_b")):
        with pytest.raises(ClickHouseError) as caught, tenants.use(C, schema("fact_c")):
            pass
        assert caught.value.code == 202


def test_idle_keys_are_reaped_and_a_new_schema_gets_new_engines(tenants: Tenants) -> None:
    with tenants.use(A, schema("fact_a")) as a:
        first = a.pids()
    with tenants.use(A, schema("fact_a", "fact_new")) as again:
        assert again.plan("SELECT * FROM paid.fact_new").sql == "SELECT * FROM fact_new"
        second = again.pids()
    assert gone(first)
    assert tenants.reap(time.monotonic() + 1) == 0
    assert tenants.reap(time.monotonic() + 3601) == 1
    assert tenants.live() == {}
    assert gone(second)
