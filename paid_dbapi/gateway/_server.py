"""Serving the gateway over HTTP(S) with uvicorn, loopback by default."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from .._client import is_loopback
from .._engine.server_limits import DEFAULT_LIMITS, ServerLimits
from .._engine.serving import listen, serve_in_thread
from ._app import Gateway


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
    limits: ServerLimits = DEFAULT_LIMITS,
) -> Iterator[str]:
    """Serve `gateway` in a background thread under the connection `limits`; yields its base
    URL (`http(s)://host:port`)."""
    check_bind(host, tls=bool(tls_cert and tls_key), allow_insecure=allow_insecure)
    sock = listen(host, port)
    with serve_in_thread(
        gateway, sock, name="the gateway", ssl_certfile=tls_cert, ssl_keyfile=tls_key,
        limits=limits,
    ) as address:  # fmt: skip
        yield f"{'https' if tls_cert else 'http'}://{address}"
