"""Serving an ASGI app with uvicorn in a background thread, and reading request bodies.

Shared by the emulator and the gateway: both answer from a bound socket in this process and
read a request body under a cap before answering.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
START_TIMEOUT = 15.0


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None past `limit` (the rest is read and dropped, so the client
    sees an answer rather than a reset connection; a body endlessly long is cut off)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
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


@contextlib.contextmanager
def serve_in_thread(
    app: Any,
    sock: socket.socket,
    *,
    name: str,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> Iterator[str]:
    """Serve `app` on the bound `sock` until the block exits; yields `host:port` for a URL."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        access_log=False,  # access lines would show query strings, which may carry secrets
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
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
