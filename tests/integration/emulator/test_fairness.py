"""One organization's heavy load never starves another's, on the emulator served over loopback.

Each organization has its own worker and its own share of requests in flight
(`MAX_PENDING_PER_ORG`); the server's threads outnumber all shares together. So while one
organization's full share of slow queries runs, another organization's queries still answer,
and the first one's next request beyond its share is refused at once with 429 rather than
queued behind everything. The checks compare orders of events, not durations.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from paid_dbapi.emulator._app import MAX_PENDING_PER_ORG

#: A legitimate query of some seconds' work over the demo data (a bounded cross join).
HEAVY = (
    "SELECT count() FROM fact_signal AS a "
    "CROSS JOIN (SELECT 1 FROM fact_signal LIMIT 1500) AS b WHERE a.created_at > toDateTime(0)"
)


def _post(url: str, key: str, sql: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{url}/query", json={"query": sql}, headers=headers, timeout=120)


def test_a_full_share_of_slow_queries_leaves_other_orgs_answering(
    server_url: str, org_keys: dict[str, str]
) -> None:
    heavy_key, light_key = org_keys["acme"], org_keys["globex"]
    expected = _post(server_url, light_key, "SELECT count() FROM dim_customer").json()["rows"]
    finished: list[float] = []

    def heavy() -> httpx.Response:
        answer = _post(server_url, heavy_key, HEAVY)
        finished.append(time.monotonic())
        return answer

    sent = MAX_PENDING_PER_ORG + 4  # more than the share, at once
    with ThreadPoolExecutor(sent) as pool:
        loaded = [pool.submit(heavy) for _ in range(sent)]
        time.sleep(0.3)
        light = []
        for _ in range(5):
            r = _post(server_url, light_key, "SELECT count() FROM dim_customer")
            light.append((r.status_code, r.json()["rows"], time.monotonic()))
        answers = [f.result() for f in loaded]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, "no request beyond the share was refused"
    assert {(a.json()["code"], a.headers["retry-after"]) for a in refused} == {
        ("TOO_MANY_QUERIES", "1")
    }
    assert len(refused) <= 4
    assert all(a.status_code in (200, 429) for a in answers)
    assert [(s, rows) for s, rows, _ in light] == [(200, expected)] * 5
    assert max(at for _, _, at in light) < max(finished)  # not queued behind the other's batch
    assert _post(server_url, heavy_key, "SELECT 1").status_code == 200  # its share is back
