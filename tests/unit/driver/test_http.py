"""Wire behaviour: faults, odd bodies and retries (scripted), TLS against a real plain server."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sqlalchemy

import paid_dbapi
from paid_dbapi import _client as client_module

KEY = "sk_live_secret_1234567890"
OK_BODY = {"columns": [{"name": "x", "type": "UInt8"}], "rows": [[1]],
           "meta": {"rowCount": 1, "elapsedMs": 1.0, "truncated": False}}  # fmt: skip


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff waits instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", waits.append)
    return waits


def scripted(
    *answers: httpx.Response | Exception,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering the given responses in order (repeating the last)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler), seen


def connect(transport: httpx.BaseTransport, **kwargs: object) -> paid_dbapi.Connection:
    return paid_dbapi.connect(KEY, base_url="https://api.example.test/analytics",
                              transport=transport, **kwargs)  # fmt: skip


def err(status: int, code: str = "X", details: str = "d", **headers: str) -> httpx.Response:
    body = {"error": f"message {status}", "code": code, "details": details}
    return httpx.Response(status, json=body, headers=headers)


def test_request_shape() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK_BODY))
    connect(transport).cursor().execute("SELECT 1")
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/analytics/query"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"query": "SELECT 1"}


@pytest.mark.parametrize(
    ("status", "cls", "fragment"),
    [
        (400, paid_dbapi.ProgrammingError, "message 400"),
        (401, paid_dbapi.OperationalError, "key was rejected"),
        (403, paid_dbapi.OperationalError, "key was rejected"),
        (408, paid_dbapi.OperationalError, "timed out"),
        (500, paid_dbapi.InternalError, "message 500"),
    ],
)
def test_status_mapping_without_retry(status: int, cls: type[Exception], fragment: str) -> None:
    transport, seen = scripted(err(status, code="SOME_CODE", details="why"))
    with pytest.raises(cls, match=fragment) as info:
        connect(transport).cursor().execute("SELECT 1")
    assert len(seen) == 1
    assert (info.value.status, info.value.code, info.value.details) == (status, "SOME_CODE", "why")
    assert "SOME_CODE" in str(info.value)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_then_success(status: int, no_sleep: list[float]) -> None:
    transport, seen = scripted(err(status), err(status), httpx.Response(200, json=OK_BODY))
    cur = connect(transport, max_retries=3).cursor()
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    assert len(seen) == 3
    assert len(no_sleep) == 2


def test_retry_after_is_a_floor(no_sleep: list[float]) -> None:
    transport, _ = scripted(err(429, **{"Retry-After": "7"}), httpx.Response(200, json=OK_BODY))
    connect(transport).cursor().execute("SELECT 1")
    assert no_sleep[0] >= 7


def test_gives_up_after_max_retries_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport, seen = scripted(httpx.Response(503, text="<html>Bad Gateway</html>"))
    with pytest.raises(paid_dbapi.OperationalError, match="after 3 attempts") as info:
        connect(transport, max_retries=2).cursor().execute("SELECT 1")
    assert len(seen) == 3
    assert "<html>Bad Gateway</html>" in str(info.value)
    assert "retrying" in caplog.text
    assert KEY not in caplog.text


def test_retry_budget_bounds_total_wait(no_sleep: list[float]) -> None:
    transport, seen = scripted(err(429, **{"Retry-After": "30"}))
    with pytest.raises(paid_dbapi.OperationalError, match="rate limited"):
        connect(transport, max_retries=10, retry_budget=45).cursor().execute("SELECT 1")
    assert sum(no_sleep) <= 45
    assert len(seen) == 2


def test_connection_failures_are_retried() -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json=OK_BODY))
    cur = connect(transport).cursor()
    cur.execute("SELECT 1")
    assert len(seen) == 2


def test_connection_cut_mid_body_is_retried_then_reported() -> None:
    class CutBody(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b'{"columns": [{"name": "x"'
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, stream=CutBody())

    transport = httpx.MockTransport(handler)
    with pytest.raises(paid_dbapi.OperationalError, match=r"RemoteProtocolError.*after 2 attempts"):
        connect(transport, max_retries=1).cursor().execute("SELECT 1")
    assert len(seen) == 2


def test_read_timeout_is_not_retried() -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(paid_dbapi.OperationalError, match="read timeout"):
        connect(transport).cursor().execute("SELECT 1")
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("response", "cls", "fragment"),
    [
        (httpx.Response(200, text="not json at all"), paid_dbapi.OperationalError, "not JSON"),
        (httpx.Response(200, json={"unexpected": True}), paid_dbapi.InterfaceError, "shape"),
        (
            httpx.Response(
                200, json={"columns": [{"name": "x", "type": "UInt8"}], "rows": [[1, 2]]}
            ),
            paid_dbapi.InterfaceError,
            "2 values for 1 columns",
        ),
        (
            httpx.Response(
                200, json={"columns": [{"name": "x", "type": "UUID"}], "rows": [["zz"]]}
            ),
            paid_dbapi.InterfaceError,
            "cannot decode",
        ),
        (httpx.Response(418, text=""), paid_dbapi.InterfaceError, "empty body"),
    ],
)
def test_odd_bodies(response: httpx.Response, cls: type[Exception], fragment: str) -> None:
    transport, _ = scripted(response)
    conn = connect(transport)
    with pytest.raises(cls, match=fragment):
        conn.cursor().execute("SELECT 1")


def test_connection_survives_an_error() -> None:
    transport, _ = scripted(err(400), httpx.Response(200, json=OK_BODY))
    conn = connect(transport)
    cur = conn.cursor()
    with pytest.raises(paid_dbapi.ProgrammingError):
        cur.execute("SELECT bad")
    assert cur.description is None
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]


@pytest.mark.parametrize(
    "url",
    ["http://api.agentpaid.io/x", "http://10.0.0.1:8080", "http://example.com", "ftp://localhost"],
)
def test_plain_http_refused_before_any_byte(url: str) -> None:
    transport, seen = scripted(httpx.Response(200, json=OK_BODY))
    with pytest.raises(paid_dbapi.InterfaceError) as info:
        paid_dbapi.connect(KEY, base_url=url, transport=transport)
    assert seen == []
    assert KEY not in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"])
def test_plain_http_to_loopback_allowed(url: str) -> None:
    transport, _ = scripted(httpx.Response(200, json=OK_BODY))
    paid_dbapi.connect(KEY, base_url=url, transport=transport).cursor().execute("SELECT 1")


def test_key_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = httpx.Response(403, json={"error": f"bad key {KEY}", "code": "INVALID_API_KEY",
                                     "details": f"got {KEY}"})  # fmt: skip
    transport, _ = scripted(echo)
    conn = connect(transport)
    cur = conn.cursor()
    with pytest.raises(paid_dbapi.OperationalError) as info:
        cur.execute("SELECT 1")
    texts = [str(info.value), repr(info.value), repr(conn), str(conn), repr(cur),
             repr(conn._client), caplog.text, str(info.value.details)]  # fmt: skip
    for text in texts:
        assert KEY not in text


def test_missing_key_says_how_to_supply_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAID_API_KEY", raising=False)
    with pytest.raises(paid_dbapi.InterfaceError, match="PAID_API_KEY") as info:
        paid_dbapi.connect()
    assert info.value.code == paid_dbapi.NO_API_KEY
    assert "api_key=" in str(info.value)
    assert "demo=True" in str(info.value)


def test_missing_key_in_sqlalchemy_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAID_API_KEY", raising=False)
    with pytest.raises(sqlalchemy.exc.InterfaceError) as info:
        sqlalchemy.create_engine("paid://").connect()
    message = str(info.value)
    assert "paid://token:KEY@" in message
    assert "paid+demo://" in message
    assert "api_key=" not in message


@pytest.fixture
def plain_server() -> Iterator[str]:
    """A real plain-HTTP server on loopback (the standard library's); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/analytics"
    finally:
        server.shutdown()
        server.server_close()


def test_https_to_a_plain_http_server_is_explained_not_retried(
    plain_server: str, no_sleep: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    https = plain_server.replace("http://", "https://")
    with (
        paid_dbapi.connect(KEY, base_url=https) as conn,
        pytest.raises(paid_dbapi.OperationalError) as info,
    ):
        conn.cursor().execute("SELECT 1")
    message = str(info.value)
    hostport = plain_server.split("/")[2]
    assert message.startswith(f"TLS handshake with {hostport} failed")
    assert f"paid+http://token:KEY@{hostport}" in message
    assert "attempts" not in message
    assert no_sleep == []
    assert "retrying" not in caplog.text
    assert KEY not in message


def test_unknown_demo_organization_is_quoted_once() -> None:
    with pytest.raises(paid_dbapi.InterfaceError) as info:
        paid_dbapi.connect(demo=True, demo_org="nope")
    assert str(info.value).startswith("unknown demo organization 'nope' (demo organizations: acme")


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAID_API_KEY", KEY)
    monkeypatch.setenv("PAID_API_URL", "https://env.example.test/base")
    transport, seen = scripted(httpx.Response(200, json=OK_BODY))
    paid_dbapi.connect(transport=transport).cursor().execute("SELECT 1")
    assert str(seen[0].url) == "https://env.example.test/base/query"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


def test_production_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAID_API_URL", raising=False)
    conn = paid_dbapi.connect(KEY, transport=scripted(httpx.Response(200, json=OK_BODY))[0])
    assert conn.base_url == "https://api.agentpaid.io/api/v2/analytics"


@pytest.mark.parametrize(
    "kwargs",
    [{"on_truncation": "maybe"}, {"timeout": -1}, {"max_retries": "3"}, {"bogus": 1}],
)
def test_bad_connect_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(paid_dbapi.InterfaceError):
        connect(scripted(httpx.Response(200, json=OK_BODY))[0], **kwargs)


def test_timeouts_are_configured_separately() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=OK_BODY)

    connect(httpx.MockTransport(handler), connect_timeout=2.5, read_timeout=90).cursor().execute(
        "SELECT 1"
    )
    timeout = seen[0].extensions["timeout"]
    assert (timeout["connect"], timeout["read"]) == (2.5, 90)


def only_under(prefix: str) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A service that serves its endpoints under one route set and answers 404 elsewhere."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith(prefix + "/"):
            return httpx.Response(200, json=OK_BODY)
        return err(404, "NOT_FOUND")

    return httpx.MockTransport(handler), seen


@pytest.mark.parametrize("live", ["/api/v2/analytics", "/api/v2/experimental/analytics"])
def test_auto_routes_find_the_live_route_set(live: str, caplog: pytest.LogCaptureFixture) -> None:
    transport, seen = only_under(live)
    with caplog.at_level(logging.INFO, logger="paid_dbapi._client"):
        conn = paid_dbapi.connect(KEY, transport=transport)
        for _ in range(3):
            assert conn.cursor().execute("SELECT 1").fetchall() == [(1,)]
    assert conn.base_url == f"https://api.agentpaid.io{live}"
    misses = [r for r in seen if not r.url.path.startswith(live)]
    assert len(misses) == (0 if live == "/api/v2/analytics" else 1)  # one 404, then settled
    assert KEY not in caplog.text


def test_settled_route_set_does_not_switch_on_a_later_404() -> None:
    transport, seen = scripted(httpx.Response(200, json=OK_BODY), err(404, "NOT_FOUND"))
    conn = paid_dbapi.connect(KEY, transport=transport)
    conn.cursor().execute("SELECT 1")
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        conn.cursor().execute("SELECT 1")
    assert info.value.status == 404
    assert {r.url.path for r in seen} == {"/api/v2/analytics/query"}


@pytest.mark.parametrize(("routes", "path"), [("stable", "/api/v2/analytics"),
                                               ("experimental", "/api/v2/experimental/analytics")])  # fmt: skip
def test_explicit_routes_never_fall_back(routes: str, path: str) -> None:
    transport, seen = only_under("/nowhere")
    conn = paid_dbapi.connect(KEY, transport=transport, routes=routes)
    with pytest.raises(paid_dbapi.Error) as info:
        conn.cursor().execute("SELECT 1")
    assert info.value.status == 404
    assert [r.url.path for r in seen] == [f"{path}/query"]


def test_unknown_routes_value_is_refused() -> None:
    with pytest.raises(paid_dbapi.InterfaceError, match="routes must be one of"):
        paid_dbapi.connect(KEY, routes="beta")


def test_a_404_everywhere_says_where_to_look() -> None:
    transport, seen = only_under("/nowhere")
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        paid_dbapi.connect(KEY, transport=transport).cursor().execute("SELECT 1")
    assert [r.url.path for r in seen] == [
        "/api/v2/analytics/query",
        "/api/v2/experimental/analytics/query",
    ]
    message = str(info.value)
    assert "https://api.agentpaid.io/api/v2/experimental/analytics" in message
    assert "routes=" in message
    assert (info.value.status, info.value.code) == (404, "NOT_FOUND")


def test_schema_and_signals_read_leniently_and_refuse_a_wrong_shape() -> None:
    """Odd but valid bodies (null or missing comments, unknown fields, no meta) read; a body
    of the wrong shape is an InterfaceError naming where, never a KeyError or TypeError."""
    schema = {"views": [{"name": "v", "comment": None, "extra": 1,
                         "columns": [{"name": "c", "type": "UInt64"}]}], "next": None}  # fmt: skip
    signals = {"signals": [{"signalName": "s", "paths": [{"path": "a.b"}]}]}
    transport, _ = scripted(httpx.Response(200, json=schema), httpx.Response(200, json=signals),
                            httpx.Response(200, json={"views": [{"comment": "no name"}]}))  # fmt: skip
    conn = connect(transport)
    assert conn.schema() == [
        paid_dbapi.ViewInfo("v", None, (paid_dbapi.ColumnInfo("c", "UInt64", None),))
    ]
    (signal,) = conn.signals_metadata()
    assert (signal.signal_name, signal.paths[0].path, signal.paths[0].types) == ("s", "a.b", ())
    with pytest.raises(
        paid_dbapi.InterfaceError, match=r"/schema answer shape: .*name.*views\[0\]"
    ):
        conn.schema()
