"""The Analytics API side: one POST /query (or GET /schema) per request, through paid_dbapi.

Each request gets a `paid_dbapi` client carrying the caller's key for that request only; the
clients share one connection pool, so keep-alive survives while no key outlives its request.
The /query answer is split without re-serialising anything: the rows stay the exact JSON
text the API sent, for ClickHouse to read back.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

import httpx

from ..client import Client, check_base_url
from ..metadata import ViewInfo, parse_schema

logger = logging.getLogger(__name__)

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


@dataclass(frozen=True)
class Answer:
    """A POST /query answer: columns, the rows' JSON text as sent, and the meta fields."""

    columns: list[tuple[str, str]]
    rows_json: str
    row_count: int
    truncated: bool
    elapsed_ms: float | None


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _SPACE:
        index += 1
    return index


def split_answer(body: bytes) -> Answer:
    """Read a /query body, keeping the `rows` array as its exact text; ValueError if unusable."""
    text = body.decode("utf-8")
    fields: dict[str, Any] = {}
    rows_json = ""
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        raise ValueError("not a JSON object")
    index = _skip(text, index + 1)
    while text[index : index + 1] == '"':
        key, index = scanstring(text, index + 1)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise ValueError("malformed object")
        start = _skip(text, index + 1)
        value, index = _DECODER.raw_decode(text, start)
        fields[key] = value
        if key == "rows":
            rows_json = text[start:index]
        index = _skip(text, index)
        if text[index : index + 1] == ",":
            index = _skip(text, index + 1)
    if text[index : index + 1] != "}" or _skip(text, index + 1) != len(text):
        raise ValueError("malformed object")
    try:
        columns = [(str(c["name"]), str(c["type"])) for c in fields["columns"]]
        rows = fields["rows"]
        meta = fields.get("meta") or {}
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ValueError("rows is not a list of arrays")
        elapsed = meta.get("elapsedMs")
        return Answer(
            columns,
            rows_json,
            len(rows),
            bool(meta.get("truncated", False)),
            float(elapsed) if isinstance(elapsed, (int, float)) else None,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"unexpected /query answer shape: {exc}") from None


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
        )
        try:
            yield client
        finally:
            client.close()

    def query(self, api_key: str, sql: str) -> Answer:
        """POST /query; raises paid_dbapi's errors."""
        with self._client(api_key) as client:
            answer: Answer = client.request(
                "POST", "/query", json_body={"query": sql}, parse=split_answer
            )
        return answer

    def schema(self, api_key: str) -> list[ViewInfo]:
        """GET /schema; raises paid_dbapi's errors (401/403 for a key it refuses)."""
        with self._client(api_key) as client:
            return parse_schema(client.request("GET", "/schema"))
