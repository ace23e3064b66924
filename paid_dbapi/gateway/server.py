"""Serving the gateway over HTTP(S) with uvicorn, loopback by default."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from ..client import is_loopback
from .app import Gateway


class BindError(ValueError):
    """A listen address the gateway refuses: the API key would cross a network in clear."""


def check_bind(host: str, *, tls: bool, allow_insecure: bool) -> None:
    """Loopback, or TLS, or an explicit opt-out; anything else raises BindError."""
    if is_loopback(host) or tls or allow_insecure:
        return
    raise BindError(
        f"refusing to listen on {host} without TLS: clients send the Paid API key as their "
        "password. Pass --tls-cert and --tls-key, or --insecure-bind to accept the risk "
        "(only behind a trusted network boundary)"
    )


@contextlib.contextmanager
def serve(
    gateway: Gateway,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    allow_insecure: bool = False,
) -> Iterator[str]:
    """Serve `gateway` in a background thread; yields its base URL (`http(s)://host:port`)."""
    import uvicorn

    check_bind(host, tls=bool(tls_cert and tls_key), allow_insecure=allow_insecure)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        gateway,
        log_level="warning",
        lifespan="off",
        access_log=False,  # access lines would carry the password parameter
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        sock.close()
        raise RuntimeError(f"the gateway could not start on {host}:{bound}")
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"{'https' if tls_cert else 'http'}://{shown}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
