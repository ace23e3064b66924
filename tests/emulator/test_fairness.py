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

from paid_dbapi.emulator.app import MAX_PENDING_PER_ORG

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

    def heavy() -> int:
        status = _post(server_url, heavy_key, HEAVY).status_code
        finished.append(time.monotonic())
        return status

    with ThreadPoolExecutor(MAX_PENDING_PER_ORG) as pool:
        loaded = [pool.submit(heavy) for _ in range(MAX_PENDING_PER_ORG)]
        time.sleep(0.5)  # all of the share is in flight (the batch takes many seconds)
        beyond = _post(server_url, heavy_key, "SELECT 1")
        light = []
        for _ in range(5):
            r = _post(server_url, light_key, "SELECT count() FROM dim_customer")
            light.append((r.status_code, r.json()["rows"], time.monotonic()))
        statuses = [f.result() for f in loaded]
    assert (beyond.status_code, beyond.json()["code"]) == (429, "TOO_MANY_QUERIES")
    assert beyond.headers["retry-after"] == "1"
    assert [(s, rows) for s, rows, _ in light] == [(200, expected)] * 5
    assert statuses == [200] * MAX_PENDING_PER_ORG  # the loaded organization is answered too
    assert max(at for _, _, at in light) < max(finished)  # not queued behind the other's batch
    assert _post(server_url, heavy_key, "SELECT 1").status_code == 200  # its share is back
