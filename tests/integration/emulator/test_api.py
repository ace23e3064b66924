"""The emulator speaks the wire contract: shapes, auth, limits, faults, scoping, concurrency."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from paid_dbapi.emulator import Emulator, demo_keys
from paid_dbapi.emulator._schema import VIEWS
from tests.conftest import client_for, query


def test_query_shape_and_exact_numbers(acme: httpx.Client) -> None:
    r = query(acme, "SELECT toUInt64(18446744073709551615) AS big, "
                    "toDecimal128('1234567890123456789012345678.9012345678', 10) AS d, "
                    "toInt32(-5) AS small, toDateTime64('2026-11-01 08:15:00.123', 3, 'UTC') AS ts")  # fmt: skip
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json(parse_float=Decimal)
    assert body["columns"] == [
        {"name": "big", "type": "UInt64"}, {"name": "d", "type": "Decimal(38, 10)"},
        {"name": "small", "type": "Int32"}, {"name": "ts", "type": "DateTime64(3, 'UTC')"},
    ]  # fmt: skip
    assert body["rows"] == [
        [
            "18446744073709551615",
            Decimal("1.2345678901234569e+27"),  # through a double, as the service sends it
            -5,
            "2026-11-01 08:15:00.123",
        ]
    ]
    assert ",1.2345678901234569e+27," in r.text  # JavaScript's shortest text of that double
    assert body["meta"]["rowCount"] == 1
    assert body["meta"]["truncated"] is False
    assert body["meta"]["elapsedMs"] >= 0


def test_json_column_is_an_object(acme: httpx.Client) -> None:
    r = query(acme, "SELECT data FROM fact_signal WHERE signal_name = 'chat_reply' LIMIT 1")
    (payload,) = r.json()["rows"][0]
    assert isinstance(payload, dict)
    assert "country" in payload


def test_routes_and_bad_bodies(acme: httpx.Client) -> None:
    assert acme.get("/nope").status_code == 404
    assert acme.get("/query").status_code == 405
    for body in [b"not json", b'{"sql": "SELECT 1"}', b'{"query": 1}', b"[]"]:
        r = acme.post("/query", content=body)
        assert (r.status_code, r.json()["code"]) == (400, "BAD_REQUEST")
    assert query(acme, "   ").json()["code"] == "BAD_REQUEST"


def test_schema_is_complete_and_documented(acme: httpx.Client) -> None:
    views = acme.get("/schema").json()["views"]
    assert sorted(v["name"] for v in views) == sorted(VIEWS)
    for view in views:
        assert view["comment"]
        assert view["columns"]
        for column in view["columns"]:
            assert column["comment"], (view["name"], column["name"])
            assert column["type"]
    signal = next(v for v in views if v["name"] == "fact_signal")
    assert [c["name"] for c in signal["columns"]] == [c[0] for c in VIEWS["fact_signal"][1]]


def test_schema_matches_what_queries_see(acme: httpx.Client) -> None:
    for view in acme.get("/schema").json()["views"]:
        r = query(acme, f"SELECT * FROM {view['name']} WHERE false")
        assert r.json()["columns"] == [
            {"name": c["name"], "type": c["type"]} for c in view["columns"]
        ]


def test_signals_metadata(acme: httpx.Client) -> None:
    body = acme.get("/signals/metadata").json()
    names = [s["signalName"] for s in body["signals"]]
    assert names == sorted(names)
    assert {"chat_reply", "email_sent", "document_summarized", "ticket_resolved"} <= set(names)
    email = next(s for s in body["signals"] if s["signalName"] == "email_sent")
    paths = {p["path"]: p["types"] for p in email["paths"]}
    assert paths["recipients"] == ["Int64"]
    assert paths["campaign.channel"] == ["String"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["meta"]["fromDate"])
    one = acme.get("/signals/metadata", params={"signalName": "chat_reply", "fromDate": "2020-01-01",
                                                "toDate": "2020-02-01T00:00:00Z"}).json()  # fmt: skip
    assert one["signals"] == []
    assert one["meta"] == {"fromDate": "2020-01-01T00:00:00Z", "toDate": "2020-02-01T00:00:00Z"}
    only = acme.get("/signals/metadata", params={"signalName": "chat_reply"}).json()
    assert [s["signalName"] for s in only["signals"]] == ["chat_reply"]


def test_row_cap_is_exact(emulator: Emulator, org_keys: dict[str, str]) -> None:
    with client_for(Emulator(row_limit=100), org_keys["acme"]) as c:
        exact = query(c, "SELECT signal_id FROM fact_signal LIMIT 100").json()
        over = query(c, "SELECT signal_id FROM fact_signal LIMIT 101").json()
        huge = query(c, "SELECT * FROM fact_signal").json()
    assert (exact["meta"]["rowCount"], exact["meta"]["truncated"], len(exact["rows"])) == (
        100,
        False,
        100,
    )
    assert (over["meta"]["rowCount"], over["meta"]["truncated"], len(over["rows"])) == (
        100,
        True,
        100,
    )
    assert (huge["meta"]["truncated"], len(huge["rows"])) == (True, 100)


def test_default_row_cap(acme: httpx.Client) -> None:
    body = query(acme, "SELECT signal_id FROM fact_signal").json()
    assert (len(body["rows"]), body["meta"]["truncated"]) == (10_000, True)


def test_timeout_is_408(emulator: Emulator, org_keys: dict[str, str]) -> None:
    with client_for(Emulator(timeout=0.3), org_keys["acme"]) as c:
        started = time.monotonic()
        r = query(
            c,
            "SELECT count() FROM fact_signal AS a CROSS JOIN fact_signal AS b WHERE a.created_at < b.created_at",
        )
        assert time.monotonic() - started < 10
        assert (r.status_code, r.json()["code"]) == (408, "QUERY_TIMEOUT")
        assert query(c, "SELECT 1").status_code == 200


def test_memory_limit(emulator: Emulator, org_keys: dict[str, str]) -> None:
    with client_for(Emulator(memory_limit=20_000_000), org_keys["acme"]) as c:
        r = query(c, "SELECT groupArray(toString(data)) FROM fact_signal")
    assert (r.status_code, r.json()["code"]) == (400, "MEMORY_LIMIT")


def test_rate_limit_answers_429_with_retry_after(
    emulator: Emulator, org_keys: dict[str, str]
) -> None:
    with client_for(Emulator(rate_limit=0.5), org_keys["acme"]) as c:
        assert query(c, "SELECT 1").status_code == 200
        r = query(c, "SELECT 1")
    assert (r.status_code, r.json()["code"]) == (429, "RATE_LIMITED")
    assert int(r.headers["retry-after"]) >= 1


def test_injected_503_and_latency(emulator: Emulator, org_keys: dict[str, str]) -> None:
    with client_for(Emulator(fail_rate=1.0), org_keys["acme"]) as c:
        r = query(c, "SELECT 1")
    assert r.status_code == 503
    assert r.headers["content-type"] == "text/html"
    with client_for(Emulator(latency=0.2), org_keys["acme"]) as c:
        started = time.monotonic()
        assert query(c, "SELECT 1").status_code == 200
        assert time.monotonic() - started >= 0.2


def test_organizations_are_isolated(emulator: Emulator, org_keys: dict[str, str]) -> None:
    names = {}
    for org, key in org_keys.items():
        with client_for(emulator, key) as c:
            names[org] = query(c, "SELECT name, id FROM dim_organization").json()["rows"]
    assert len({json.dumps(v) for v in names.values()}) == 3
    assert all(len(rows) == 1 for rows in names.values())


def test_concurrent_clients_of_different_orgs(server_url: str, org_keys: dict[str, str]) -> None:
    expected = {}
    for org, key in org_keys.items():
        with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {key}"}) as c:
            expected[org] = query(c, "SELECT count() FROM fact_signal").json()["rows"][0][0]
    assert len(set(expected.values())) == 3

    def worker(org: str) -> list[str]:
        with httpx.Client(
            base_url=server_url, headers={"Authorization": f"Bearer {org_keys[org]}"}
        ) as c:
            return [
                query(c, "SELECT count() FROM fact_signal").json()["rows"][0][0] for _ in range(8)
            ]

    orgs = list(org_keys) * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        for org, counts in zip(orgs, pool.map(worker, orgs), strict=True):
            assert set(counts) == {expected[org]}, org


def test_startup_data_volume(acme: httpx.Client, emulator: Emulator) -> None:
    total = 0
    for key in emulator.keys().values():
        with client_for(emulator, key) as c:
            total += int(query(c, "SELECT count() FROM fact_signal").json()["rows"][0][0])
    assert total >= 200_000
    days = query(
        acme, "SELECT dateDiff('day', min(created_at), max(created_at)) FROM fact_signal"
    ).json()
    assert int(days["rows"][0][0]) >= 85


@pytest.mark.parametrize("prefix", ["/api/v2/analytics", "/api/v2/experimental/analytics"])
def test_both_route_sets_answer_alike(
    emulator: Emulator, org_keys: dict[str, str], prefix: str
) -> None:
    """The vendor's definition serves the same endpoints and shapes under both prefixes."""
    headers = {"Authorization": f"Bearer {org_keys['acme']}"}
    with httpx.Client(transport=emulator.transport(), base_url=f"http://localhost{prefix}",
                      headers=headers) as c:  # fmt: skip
        r = c.post("/query", json={"query": "SELECT count() AS n FROM dim_customer"})
        views = c.get("/schema").json()["views"]
        signals = c.get("/signals/metadata").json()["signals"]
    with client_for(emulator, org_keys["acme"]) as reference:
        assert (
            r.json()["rows"]
            == query(reference, "SELECT count() AS n FROM dim_customer").json()["rows"]
        )
        assert views == reference.get("/schema").json()["views"]
        assert signals == reference.get("/signals/metadata").json()["signals"]
    with httpx.Client(transport=emulator.transport(), base_url="http://localhost/api/v3/analytics",
                      headers=headers) as other:  # fmt: skip
        assert other.get("/schema").status_code == 404


class _ExperimentalOnly(httpx.BaseTransport):
    """The real emulator as a deployment that serves only the experimental route set."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path.startswith("/api/v2/analytics/"):
            return httpx.Response(404, json={"error": "not found", "code": "NOT_FOUND"})
        return self.inner.handle_request(request)


def test_driver_finds_the_experimental_routes_on_a_real_emulator(
    emulator: Emulator, org_keys: dict[str, str]
) -> None:
    import paid_dbapi

    transport = _ExperimentalOnly(emulator.transport())
    with paid_dbapi.connect(org_keys["acme"], base_url="http://localhost/api/v2/analytics",
                            transport=transport) as conn:  # fmt: skip
        cur = conn.cursor()
        cur.execute("SELECT count() FROM dim_customer")
        (count,) = cur.fetchone() or (None,)
        assert conn.base_url == "http://localhost/api/v2/experimental/analytics"
    with client_for(emulator, org_keys["acme"]) as reference:
        assert (
            str(count) == query(reference, "SELECT count() FROM dim_customer").json()["rows"][0][0]
        )
    assert transport.paths == ["/api/v2/analytics/query", "/api/v2/experimental/analytics/query"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 403, "UNAUTHENTICATED"), ({"Authorization": "Basic abc"}, 403, "UNAUTHENTICATED"),
     ({"Authorization": "Bearer "}, 403, "UNAUTHENTICATED"),
     ({"Authorization": "Bearer demo_acme_wrong"}, 403, "INVALID_API_KEY")],
)  # fmt: skip
def test_auth(emulator: Emulator, headers: dict[str, str], status: int, code: str) -> None:
    with client_for(emulator, None) as c:
        r = c.post("/query", json={"query": "SELECT 1"}, headers=headers)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert set(r.json()) == {"error", "code", "details"}


@pytest.mark.parametrize("params", [{"fromDate": "yesterday"}, {"toDate": "2026-13-45"},
                                    {"fromDate": "2026-02-01", "toDate": "2026-01-01"}])  # fmt: skip
def test_signals_metadata_bad_dates(acme: httpx.Client, params: dict[str, str]) -> None:
    r = acme.get("/signals/metadata", params=params)
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_DATE")


def test_keys_are_deterministic_demo_keys(org_keys: dict[str, str]) -> None:
    assert list(org_keys) == ["acme", "globex", "initech"]
    assert org_keys == demo_keys(42)
    assert demo_keys(7) != demo_keys(42)
    for name, key in org_keys.items():
        assert key.startswith(f"demo_{name}_")
