"""Serving an ASGI app with uvicorn in a background thread, and reading request bodies.

Shared by the emulator and the gateway: both answer from a socket bound here (`listen`),
under the connection limits of `server_limits`, and read a request body under a cap before
answering.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from .server_limits import DEFAULT_LIMITS, ServerLimits, fit_descriptors

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
START_TIMEOUT = 15.0


def request_headers(scope: MutableMapping[str, Any]) -> dict[str, str]:
    """An ASGI request's headers by lower-cased name (a repeated header: its last value)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None past `limit` (the rest is read and dropped, so the client
    sees an answer rather than a reset connection; a body endlessly long is cut off), or None
    when the client is gone before its end (a part of a body is never taken for the whole;
    nobody reads the answer then)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body") or size > 64 * limit:
            break
    return b"".join(chunks) if size <= limit else None


async def disconnected(receive: Receive) -> None:
    """Return when the client disconnects (call once the request body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_response(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    """One complete HTTP answer through ASGI."""
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(k.encode(), v.encode("latin-1", "replace")) for k, v in headers.items()],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port); OSError (EADDRINUSE...) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":  # on Windows SO_REUSEADDR would share a busy port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def serve_in_thread(
    app: Any,
    sock: socket.socket,
    *,
    name: str,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    limits: ServerLimits = DEFAULT_LIMITS,
) -> Iterator[str]:
    """Serve `app` on the bound `sock` until the block exits; yields `host:port` for a URL.

    TLS, when given a certificate, starts in the connection protocol after admission (see
    `connections`), not in uvicorn.
    """
    import uvicorn

    from .connections import protocol_class, tls_context

    host, port = sock.getsockname()[:2]
    tls = tls_context(ssl_certfile, ssl_keyfile) if ssl_certfile and ssl_keyfile else None
    limits = fit_descriptors(limits)
    config = uvicorn.Config(
        app,
        http=protocol_class(limits, tls),
        ws="none",
        log_level="warning",
        lifespan="off",
        access_log=False,  # access lines would show query strings, which may carry secrets
        # uvicorn annotates these two as int; it passes them to call_later and asyncio.timeout
        timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=limits.shutdown_timeout,  # type: ignore[arg-type]
        h11_max_incomplete_event_size=limits.max_header_bytes,
        # requests still running after their clients left count too: 503 beyond the cap
        limit_concurrency=limits.max_connections + 1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        sock.close()
        raise RuntimeError(f"{name} could not start on {host}:{port}")
    try:
        yield f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()
