"""The gateway's upstream finds the live route set once and then goes straight there.

A service that serves only one of the two route sets is something the emulator (which
serves both) cannot be made to do, so the service here is an httpx mock transport.
"""

from __future__ import annotations

import re

import httpx
import pytest

from paid_dbapi import _routes as routes
from paid_dbapi._exceptions import ProgrammingError
from paid_dbapi.gateway._upstream import Upstream

KEY = "key-one-0123456789"
QUERY_BODY = b'{"columns":[{"name":"x","type":"UInt8"}],"rows":[[1]],"meta":{"truncated":false}}'


class OnlyOneRouteSet:
    """Answers the query endpoint under `live` only; every other path is 404."""

    def __init__(self, live: str) -> None:
        self.live = live
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == self.live + "/query":
            return httpx.Response(200, content=QUERY_BODY)
        return httpx.Response(404, json={"error": "Not Found", "code": "NOT_FOUND"})


@pytest.mark.parametrize("live", [routes.EXPERIMENTAL, routes.STABLE])
def test_settles_on_the_live_route_set(live: str) -> None:
    service = OnlyOneRouteSet(live)
    upstream = Upstream("https://api.example.com" + routes.STABLE,
                        transport=httpx.MockTransport(service), max_retries=0)  # fmt: skip
    try:
        assert upstream.query(KEY, "SELECT 1").row_count == 1
        assert upstream.query(KEY, "SELECT 1").row_count == 1
    finally:
        upstream.close()
    first = [routes.STABLE + "/query"] if live == routes.EXPERIMENTAL else []
    assert service.paths == [*first, live + "/query", live + "/query"]  # one 404 at most, ever
    assert upstream.base_url == "https://api.example.com" + live


def test_a_path_that_is_neither_route_set_explains_the_404() -> None:
    service = OnlyOneRouteSet(routes.STABLE)
    upstream = Upstream(
        "https://api.example.com/api", transport=httpx.MockTransport(service), max_retries=0
    )
    try:
        with pytest.raises(
            ProgrammingError,
            match=re.escape("no Analytics API endpoint at https://api.example.com/api"),
        ):
            upstream.query(KEY, "SELECT 1")
    finally:
        upstream.close()
    assert service.paths == ["/api/query"]
