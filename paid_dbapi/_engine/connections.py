"""Enforcing `ServerLimits` in uvicorn's h11 protocol, below the ASGI app: a connection that
is refused or timed out never reaches the app and never holds a thread.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .server_limits import DEFAULT_LIMITS, ServerLimits

logger = logging.getLogger(__name__)


class Admission:
    """Open connections in all and per address (used from the event loop's thread only)."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self.per_address: Counter[str] = Counter()
        self.total = 0

    def admit(self, address: str) -> str | None:
        """Count a new connection from `address`, or say which cap refuses it."""
        if self.total >= self.limits.max_connections:
            return f"the server holds its maximum of {self.limits.max_connections} connections"
        if self.per_address[address] >= self.limits.max_per_address:
            return f"this address holds its maximum of {self.limits.max_per_address} connections"
        self.total += 1
        self.per_address[address] += 1
        return None

    def release(self, address: str) -> None:
        """A connection counted by `admit` has closed."""
        self.total -= 1
        self.per_address[address] -= 1
        if not self.per_address[address]:
            del self.per_address[address]


def refusal(reason: str, status: int = 503) -> bytes:
    """A complete HTTP/1.1 answer that closes the connection."""
    phrase = {408: "Request Timeout", 503: "Service Unavailable"}[status]
    body = f"{reason}\n".encode()
    return (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the caps and timeouts of `ServerLimits`.

    A subclass made by `protocol_class` carries its server's limits, its admission count and
    its TLS context: TLS starts here, after admission, so a connection is counted (and can be
    refused) from the moment it is accepted, handshake included.
    """

    limits: ClassVar[ServerLimits] = DEFAULT_LIMITS
    admission: ClassVar[Admission]
    tls: ClassVar[ssl.SSLContext | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._address: str | None = None  # set while counted by admission
        self._serving = False  # uvicorn's connection_made has run
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._early: list[bytes] = []  # decrypted before start_tls returned to us

    # -- admission -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        refused = self.admission.admit(address)
        if refused is not None:
            logger.info("connection refused: %s", refused)
            if self.tls is None:  # a TLS client could not read a clear-text answer
                transport.write(refusal(refused))
            transport.close()
            return
        self._address = address
        if self.tls is None:
            self._serve(transport)
        else:
            transport.pause_reading()  # nothing reaches h11 before the handshake
            self.loop.create_task(self._start_tls(transport, self.tls))

    async def _start_tls(self, transport: asyncio.Transport, context: ssl.SSLContext) -> None:
        try:
            secure = await self.loop.start_tls(
                transport, self, context, server_side=True,
                ssl_handshake_timeout=self.limits.header_timeout,
            )  # fmt: skip
        except Exception as exc:  # a failed or timed-out handshake: the transport is closed
            logger.debug("TLS handshake failed: %s", exc)
            transport.abort()
            self._release()
            return
        if secure is None:
            self._release()
            return
        self._serve(secure)

    def _serve(self, transport: asyncio.Transport) -> None:
        self._serving = True
        super().connection_made(transport)
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_late)
        early, self._early = b"".join(self._early), []
        if early:
            self.data_received(early)

    def _release(self) -> None:
        if self._address is not None:
            self.admission.release(self._address)
            self._address = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        if self._serving:
            super().connection_lost(exc)

    # -- timeouts ------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not self._serving:  # TLS may hand over a request before the handshake's waiter
            self._early.append(data)
            return
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            # the first bytes of a next request on a kept-alive connection
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._header_late)
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state is not h11.IDLE and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        if state is h11.SEND_BODY:
            if self._body_timer is None:
                self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
        elif self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _header_late(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("connection closed: no complete request headers within %gs",
                        self.limits.header_timeout)  # fmt: skip
            self.transport.close()

    def _body_late(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        logger.info("request cut off: no complete body within %gs", self.limits.body_timeout)
        cycle = self.cycle
        if cycle is not None:
            if not cycle.response_started:
                reason = f"the request body did not arrive within {self.limits.body_timeout:g}s"
                self.transport.write(refusal(reason, 408))
            cycle.disconnected = True  # the app reads a disconnect and its answer is dropped
            cycle.message_event.set()
        self.transport.close()


def protocol_class(
    limits: ServerLimits, tls: ssl.SSLContext | None = None
) -> type[LimitedH11Protocol]:
    """A protocol class for one server: its own limits, admission count and TLS context."""

    class Configured(LimitedH11Protocol):
        """`LimitedH11Protocol` bound to one server."""

    Configured.limits = limits
    Configured.admission = Admission(limits)
    Configured.tls = tls
    return Configured


def tls_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """A server-side TLS context for the certificate and its key (OSError, SSLError)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context
