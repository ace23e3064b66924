"""Connection limits of both servers, on real servers over loopback with raw sockets.

Each server runs with short limits, so that a silent, slow or idle client is cut off in
half a second; meanwhile a normal query of another client must answer within 1 s.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from paid_dbapi._engine.server_limits import ServerLimits
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
from paid_dbapi.gateway import Gateway, Upstream, serve

SHORT = ServerLimits(header_timeout=0.5, keep_alive_timeout=0.5, body_timeout=0.5)
CAPPED = ServerLimits(header_timeout=5, keep_alive_timeout=5, max_connections=6, max_per_address=3)


@dataclass(frozen=True)
class Server:
    """A served app, and the raw bytes of one normal query to it."""

    port: int
    query: bytes


def _emulator_query(key: str) -> bytes:
    body = b'{"query": "SELECT 1 AS one"}'
    return (
        b"POST /api/v2/analytics/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def _gateway_query(key: str) -> bytes:
    token = base64.b64encode(f"u:{key}".encode()).decode()
    return f"GET /?query=SELECT%201 HTTP/1.1\r\nHost: t\r\nAuthorization: Basic {token}\r\n\r\n".encode()


@contextlib.contextmanager
def _served(kind: str, emulator: Emulator, limits: ServerLimits) -> Iterator[Server]:
    key = next(iter(emulator.keys().values()))
    if kind == "emulator":
        with emulator.serve(limits=limits) as url:
            yield Server(int(url.split(":")[2].split("/")[0]), _emulator_query(key))
        return
    upstream = Upstream(DEMO_BASE_URL, transport=emulator.transport())
    gateway = Gateway(upstream)
    try:
        with serve(gateway, limits=limits) as url:
            yield Server(int(url.rsplit(":", 1)[1]), _gateway_query(key))
    finally:
        gateway.close()
        upstream.close()


@pytest.fixture(scope="module", params=["emulator", "gateway"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def short(kind: str, emulator: Emulator) -> Iterator[Server]:
    with _served(kind, emulator, SHORT) as server:
        assert _status(ask(server)) == 200  # warm: the gateway's catalog, the worker
        yield server


@pytest.fixture(scope="module")
def capped(kind: str, emulator: Emulator) -> Iterator[Server]:
    with _served(kind, emulator, CAPPED) as server:
        yield server


def connect(server: Server, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(
        ("127.0.0.1", server.port), timeout=5, source_address=(source, 0)
    )
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """One HTTP answer (headers and a Content-Length body), or what came before the close."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
               if line.startswith(b"content-length:")]  # fmt: skip

    def complete() -> bool:  # a Content-Length body, or the last chunk of a chunked one
        return len(body) >= lengths[0] if lengths else body.endswith(b"0\r\n\r\n")

    while not complete():
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def ask(server: Server, source: str = "127.0.0.1") -> bytes:
    with connect(server, source) as sock:
        sock.sendall(server.query)
        return read_answer(sock)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def assert_quick(server: Server, source: str = "127.0.0.1") -> None:
    """A normal query of another client answers 200 within 1 s."""
    started = time.monotonic()
    answer = ask(server, source)
    assert _status(answer) == 200, answer[:300]
    assert time.monotonic() - started < 1.0


def closed_after(sock: socket.socket) -> float:
    """Seconds until the server closes `sock` (reading and dropping what it sends)."""
    started = time.monotonic()
    with contextlib.suppress(ConnectionResetError):
        while sock.recv(65536):
            pass
    return time.monotonic() - started


def test_a_silent_connection_is_closed_after_the_header_timeout(short: Server) -> None:
    silent = [connect(short) for _ in range(20)]
    assert_quick(short)
    waited = closed_after(silent[0])
    assert 0.3 < waited < 1.5
    for sock in silent:
        assert closed_after(sock) < 0.5  # all of them, not only the first
        sock.close()


def test_headers_sent_a_byte_at_a_time_are_cut_off(short: Server) -> None:
    started = time.monotonic()
    with connect(short) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for byte in short.query[:200]:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
                if time.monotonic() - started > 3:
                    break
        assert closed_after(sock) < 1.5
    assert time.monotonic() - started < 2.0  # 0.5 s of headers, never the 20 s of 200 bytes
    assert_quick(short)


def test_an_idle_keep_alive_connection_is_closed(short: Server) -> None:
    with connect(short) as sock:
        sock.sendall(short.query)
        assert _status(read_answer(sock)) == 200
        sock.sendall(short.query)  # the connection is kept alive: a second query answers
        assert _status(read_answer(sock)) == 200
        assert_quick(short)
        assert 0.3 < closed_after(sock) < 1.5


def test_a_stalled_body_is_answered_408_and_closed(short: Server) -> None:
    head, _, body = short.query.partition(b"\r\n\r\n")
    if b"content-length" not in head.lower():
        head += b"\r\nContent-Length: 100"
    head = head.replace(f"Content-Length: {len(body)}".encode(), b"Content-Length: 100")
    with connect(short) as sock:
        sock.sendall(head + b"\r\n\r\n" + b"SELECT")  # 6 of 100 bytes, then nothing
        assert_quick(short)  # the stalled upload holds no worker
        started = time.monotonic()
        answer = read_answer(sock)
        assert _status(answer) == 408
        assert b"did not arrive within 0.5s" in answer
        assert time.monotonic() - started < 1.0
        assert closed_after(sock) < 0.5


def test_connections_beyond_the_cap_are_refused_while_open_ones_answer(capped: Server) -> None:
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(connect(capped))
        client.sendall(capped.query)
        assert _status(read_answer(client)) == 200
        # five more from three addresses (the per-address cap is 3): six open in all
        for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.4"):
            stack.enter_context(connect(capped, source))
        time.sleep(0.1)
        extra = stack.enter_context(connect(capped, "127.0.0.5"))
        answer = read_answer(extra)
        assert _status(answer) == 503
        assert b"maximum of 6 connections" in answer
        assert closed_after(extra) < 0.5
        started = time.monotonic()
        client.sendall(capped.query)  # the open client still answers
        assert _status(read_answer(client)) == 200
        assert time.monotonic() - started < 1.0
    time.sleep(0.1)
    assert_quick(capped)  # closed connections give their places back


def test_connections_beyond_the_per_address_cap_are_refused(capped: Server) -> None:
    with contextlib.ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(connect(capped, "127.0.0.7"))
        time.sleep(0.1)
        extra = stack.enter_context(connect(capped, "127.0.0.7"))
        answer = read_answer(extra)
        assert _status(answer) == 503
        assert b"this address holds its maximum of 3 connections" in answer
        assert_quick(capped, "127.0.0.8")  # another address is served at once
    time.sleep(0.1)
    assert_quick(capped, "127.0.0.7")
