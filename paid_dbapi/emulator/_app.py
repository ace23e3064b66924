"""The emulator's HTTP layer: a framework-free core handler, an ASGI adapter, a sync transport.

`App.handle(method, path, query, headers, body)` answers exactly like the service (paths,
auth, JSON shapes, error bodies, limits). The ASGI adapter serves it through uvicorn; the
httpx transport calls it in-process, without a port.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import msgspec

from .._contract import (
    ENDPOINTS,
    Column,
    ErrorBody,
    QueryAnswer,
    QueryMeta,
    QueryRequest,
    SchemaAnswer,
    SchemaColumn,
    Signal,
    SignalPath,
    SignalsAnswer,
    SignalsMeta,
    View,
    engine_code,
    scrub,
)
from .._engine.guard import GuardError
from .._engine.messages import engine_error
from .._engine.serving import (
    Receive,
    Send,
    disconnected,
    read_body,
    request_headers,
    send_response,
)
from .._engine.worker import Cancelled, EngineError, Limits
from .._literals import quote_string, render_literal
from .._routes import STABLE, endpoint
from . import _data as data
from ._decimals import service_rows
from ._demo_engine import DemoEngine

logger = logging.getLogger(__name__)

PREFIX = STABLE  # where paid-emulator serve points its users; both route sets are served
#: Largest request body accepted (bigger ones get 413): a query is at most 100 kB of text.
MAX_BODY_BYTES = 1024**2
#: Requests of one organization in flight at once (more get 429). The server's threads number
#: more than all organizations' shares together, so one organization never holds them all.
MAX_PENDING_PER_ORG = 16
JSON_HEADERS = {"content-type": "application/json"}
_ENCODE = msgspec.json.Encoder().encode
_DECODE_QUERY = msgspec.json.Decoder(QueryRequest).decode
SIGNALS_DEFAULT_DAYS = 30


@dataclass
class EmulatorResponse:
    """One answer of the emulated API: a status, headers (JSON by default) and body."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))


def error(status: int, code: str, message: str, details: str = "") -> EmulatorResponse:
    """An error answer in the contract's shape."""
    return EmulatorResponse(status, _ENCODE(ErrorBody(message, code, details)))


def _scrub(message: str) -> str:
    """`message` without internal database names, organization ids, paths, UUIDs, addresses
    and versions (`contract.scrub`)."""
    return scrub(message, data.internal_names())


class _Bucket:
    """A token bucket: `rate` requests per second, bursts up to max(1, rate)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 when a request may pass, else the seconds to wait."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class App:
    """The three endpoints over one data set, with its limits and fault knobs."""

    def __init__(
        self,
        dataset: data.Dataset,
        limits: Limits,
        *,
        rate_limit: float | None = None,
        latency: float = 0.0,
        fail_rate: float = 0.0,
        exact_decimals: bool = False,
    ) -> None:
        self.engine = DemoEngine(dataset, limits)
        #: Send Decimals with every digit instead of through a double, as the service does.
        self.exact_decimals = exact_decimals
        self.dataset = dataset
        self.limits = limits
        self.rate_limit = rate_limit
        self.latency = latency
        self.fail_rate = fail_rate
        self._orgs = {org.api_key: org for org in dataset.organizations}
        self._buckets: dict[str, _Bucket] = {}
        self._faults = random.Random(dataset.seed)
        self._lock = threading.Lock()
        self._pending = {
            org.api_key: threading.BoundedSemaphore(MAX_PENDING_PER_ORG)
            for org in dataset.organizations
        }
        self._threads = ThreadPoolExecutor(
            MAX_PENDING_PER_ORG * len(dataset.organizations) + 8, "paid-emulator"
        )
        self._schemas: dict[str, bytes] = {}

    # -- entry point -------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        cancel: threading.Event | None = None,
    ) -> EmulatorResponse:
        """Answer one request (headers are lower-cased); setting `cancel` stops its query."""
        if self.latency:
            time.sleep(self.latency)
        route = endpoint(path)
        if route is None:
            return error(404, "NOT_FOUND", f"no such endpoint: {path[:200]}")
        if method != ENDPOINTS[route]:
            return error(405, "METHOD_NOT_ALLOWED", f"{route} expects {ENDPOINTS[route]}")
        auth = headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            # the vendor's definition declares 403 (not 401) for every key failure
            return error(403, "UNAUTHENTICATED", "missing or malformed Authorization header",
                         "send Authorization: Bearer <API key>")  # fmt: skip
        org = self._orgs.get(key.strip())
        if org is None:
            return error(403, "INVALID_API_KEY", "the API key is not valid")
        if self.rate_limit:
            with self._lock:
                wait = self._buckets.setdefault(org.api_key, _Bucket(self.rate_limit)).take()
            if wait:
                response = error(429, "RATE_LIMITED", "too many requests",
                                 f"retry after {math.ceil(wait)} s")  # fmt: skip
                response.headers["retry-after"] = str(math.ceil(wait))
                return response
        if self.fail_rate:
            with self._lock:
                failing = self._faults.random() < self.fail_rate
            if failing:
                html = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
                return EmulatorResponse(503, html, {"content-type": "text/html"})
        if len(body) > MAX_BODY_BYTES:
            return too_large()
        pending = self._pending[org.api_key]
        if not pending.acquire(blocking=False):
            message = f"more than {MAX_PENDING_PER_ORG} requests at once"
            response = error(429, "TOO_MANY_QUERIES", message, "retry after 1 s")
            response.headers["retry-after"] = "1"
            return response
        try:
            if route == "/query":
                return self.query(org, body, cancel)
            if route == "/schema":
                return EmulatorResponse(200, self.schema(org))
            return self.signals(org, parse_qs(query, keep_blank_values=True))
        except Exception:
            logger.exception("internal error while answering %s", route)
            return error(500, "INTERNAL_ERROR", "internal error")
        finally:
            pending.release()

    # -- endpoints ---------------------------------------------------------------------------

    def query(
        self, org: data.Organization, body: bytes, cancel: threading.Event | None = None
    ) -> EmulatorResponse:
        """POST /query: guard, run, and splice ClickHouse's own JSON rows into the answer
        (Decimals as the service writes them, unless `exact_decimals`)."""
        try:
            sql = _DECODE_QUERY(body).query
        except msgspec.ValidationError:
            return error(400, "BAD_REQUEST", 'the body must be {"query": "<SQL>"}')
        except msgspec.DecodeError:
            return error(400, "BAD_REQUEST", "the request body is not valid JSON")
        started = time.perf_counter()
        try:
            result = self.engine.run(org, sql, cancel)
        except Cancelled:
            return error(499, "CANCELLED", "the client went away; the query was stopped")
        except GuardError as exc:
            return error(400, exc.code, exc.message, _scrub(exc.details))
        except EngineError as exc:
            status, code = engine_code(exc.name)
            if status == 408:
                message = f"the query ran past the {self.limits.timeout:g} s execution limit"
            elif code == "MEMORY_LIMIT":
                message = "the query exceeded the memory limit"
            elif code == "RESULT_TOO_LARGE":  # the worker's message already names the cap
                return error(status, code, exc.message, "select fewer columns or rows")
            elif status == 500:
                return error(500, "INTERNAL_ERROR", "internal error")
            else:
                message, details = engine_error(exc.message)
                return error(status, code, _scrub(message), _scrub(details))
            return error(status, code, message, _scrub(exc.message))
        rows = result.row_texts
        if not self.exact_decimals:  # the service's form: every Decimal through a double
            rows = service_rows(result.types, rows)
        elapsed = (time.perf_counter() - started) * 1000
        answer = QueryAnswer(
            [Column(n, t) for n, t in zip(result.names, result.types, strict=True)],
            [msgspec.Raw(row) for row in rows],  # ClickHouse's own JSON, spliced as it is
            QueryMeta(len(rows), round(elapsed, 3), result.truncated),
        )
        return EmulatorResponse(200, _ENCODE(answer))

    def schema(self, org: data.Organization) -> bytes:
        """GET /schema, read back from the engine's system tables (cached per organization)."""
        cached = self._schemas.get(org.database)
        if cached is not None:
            return cached
        db = quote_string(org.database)
        # one row each, so the answer never meets the row limit
        [[tables]] = self.engine.rows(
            org, f"SELECT groupArray((name, comment)) FROM system.tables WHERE database = {db}"
        )
        [[columns]] = self.engine.rows(
            org,
            "SELECT groupArray((table, position, name, type, comment)) FROM system.columns "
            f"WHERE database = {db}",
        )
        columns.sort(key=lambda column: (column[0], int(column[1])))
        views = [
            View(
                name,
                comment,
                [SchemaColumn(c, t, doc) for table, _, c, t, doc in columns if table == name],
            )
            for name, comment in sorted(tables)
        ]
        body = _ENCODE(SchemaAnswer(views))
        self._schemas[org.database] = body
        return body

    def signals(self, org: data.Organization, params: dict[str, list[str]]) -> EmulatorResponse:
        """GET /signals/metadata: JSON paths and observed types per signal name."""
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        try:
            to_date = _date_param(params, "toDate") or now
            from_date = _date_param(params, "fromDate") or to_date - dt.timedelta(
                days=SIGNALS_DEFAULT_DAYS
            )
        except ValueError as exc:
            return error(400, "INVALID_DATE", "fromDate and toDate must be ISO date-times",
                         str(exc))  # fmt: skip
        if from_date > to_date:
            return error(400, "INVALID_DATE", "fromDate is after toDate")
        where = (
            f"created_at >= {render_literal(from_date)} AND created_at < {render_literal(to_date)}"
        )
        name = params.get("signalName", [""])[0]
        if name:
            where += f" AND signal_name = {quote_string(name)}"
        [[rows]] = self.engine.rows(
            org,
            "SELECT groupArray((signal_name, paths)) FROM (SELECT signal_name, "
            f"distinctJSONPathsAndTypes(data) AS paths FROM fact_signal WHERE {where} "
            "GROUP BY signal_name)",
        )
        signals = [
            Signal(signal, [SignalPath(p, types) for p, types in sorted(paths.items())])
            for signal, paths in sorted(rows)
        ]
        meta = SignalsMeta(_iso(from_date), _iso(to_date))
        return EmulatorResponse(200, _ENCODE(SignalsAnswer(signals, meta)))

    # -- adapters ----------------------------------------------------------------------------

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
    ) -> None:
        """ASGI entry point (served by uvicorn)."""
        if scope["type"] != "http":
            return
        body = await read_body(receive, MAX_BODY_BYTES)
        if body is None:
            response = too_large()
        else:
            headers = request_headers(scope)
            cancel = threading.Event()
            watcher = asyncio.ensure_future(_disconnected(receive, cancel))
            try:
                response = await asyncio.get_running_loop().run_in_executor(
                    self._threads, self.handle, scope["method"], scope["path"],
                    scope["query_string"].decode("latin-1"), headers, body, cancel,
                )  # fmt: skip
            finally:
                watcher.cancel()
            if cancel.is_set():
                return  # nobody is listening
        await send_response(send, response.status, response.headers, response.body)


def too_large() -> EmulatorResponse:
    """413 for a request body over the cap."""
    message = f"the request body is larger than {MAX_BODY_BYTES} bytes"
    return error(413, "PAYLOAD_TOO_LARGE", message, "send a query of at most 100 kB")


async def _disconnected(receive: Receive, cancel: threading.Event) -> None:
    """Set `cancel` when the client disconnects before its answer is ready."""
    await disconnected(receive)
    cancel.set()


class Transport(httpx.BaseTransport):
    """An httpx transport answering from an `App` in-process (no socket, synchronous)."""

    def __init__(self, app: App) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        response = self.app.handle(
            request.method, request.url.path, request.url.query.decode("latin-1"), headers, body
        )
        return httpx.Response(response.status, headers=response.headers, content=response.body)


def _date_param(params: dict[str, list[str]], name: str) -> dt.datetime | None:
    values = params.get(name)
    if not values or not values[0]:
        return None
    text = values[0].strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}={values[0][:40]!r} is not an ISO date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat() + "Z"
