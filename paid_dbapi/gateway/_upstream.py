"""The Analytics API side: one POST /query (or GET /schema) per request, through paid_dbapi.

Each request gets a `paid_dbapi` client carrying the caller's key for that request only; the
clients share one connection pool, so keep-alive survives while no key outlives its request.
The /query answer is split without re-serialising anything: each row stays the exact JSON
text the API sent, for ClickHouse to read back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import msgspec

from .._client import Client, check_base_url
from .._contract import QueryAnswer, QueryRequest
from .._metadata import ViewInfo, parse_schema

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A POST /query answer: columns, each row's JSON text as sent, and the meta fields."""

    columns: list[tuple[str, str]]
    rows: list[bytes]
    truncated: bool
    elapsed_ms: float | None

    @property
    def row_count(self) -> int:
        return len(self.rows)


_DECODE = msgspec.json.Decoder(QueryAnswer).decode


def split_answer(body: bytes) -> Answer:
    """Read a /query body, keeping each row as its exact JSON text; ValueError if unusable."""
    try:
        parsed = _DECODE(body)
    except msgspec.MsgspecError as exc:
        raise ValueError(f"unexpected /query answer shape: {exc}") from None
    return Answer(
        [(c.name, c.type) for c in parsed.columns],
        [bytes(row) for row in parsed.rows],
        parsed.meta.truncated,
        parsed.meta.elapsedMs,
    )


class _SharedPool(httpx.BaseTransport):
    """A transport shared by per-request clients: closing one client keeps the pool open."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        """Kept open for the next request; `Upstream.close()` closes the pool."""


class Upstream:
    """The Analytics API at `base_url`, called with the key each request brings."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        retry_budget: float = 60.0,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._fallback = True  # until an answer settles the route set (see paid_dbapi._routes)
        self._pool = transport or httpx.HTTPTransport()
        self._shared = _SharedPool(self._pool)
        self._timeout = httpx.Timeout(timeout, connect=10.0)
        self._max_retries = max_retries
        self._retry_budget = retry_budget

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def _client(self, api_key: str) -> Iterator[Client]:
        client = Client(
            self.base_url,
            api_key,
            timeout=self._timeout,
            max_retries=self._max_retries,
            retry_budget=self._retry_budget,
            transport=self._shared,
            fallback=self._fallback,
        )
        try:
            yield client
        finally:
            if self._fallback and client.routes_settled:  # later requests go straight there
                self.base_url, self._fallback = client.base_url, False
            client.close()

    def query(self, api_key: str, sql: str) -> Answer:
        """POST /query; raises paid_dbapi's errors."""
        with self._client(api_key) as client:
            body = msgspec.structs.asdict(QueryRequest(sql))
            answer: Answer = client.request("POST", "/query", json_body=body, parse=split_answer)
        return answer

    def schema(self, api_key: str) -> list[ViewInfo]:
        """GET /schema; raises paid_dbapi's errors (401/403 for a key it refuses)."""
        with self._client(api_key) as client:
            return parse_schema(client.request("GET", "/schema"))
