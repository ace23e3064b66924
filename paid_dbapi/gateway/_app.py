"""ClickHouse's HTTP interface in front of the Analytics API.

`Gateway.handle(method, path, query, headers, body)` answers one request as a ClickHouse
server would: routes, credentials (the password is the API key, used for this request only),
parameters, output formats, compression, response headers and errors. Queries over the views
become one POST /query; metadata is answered from the local catalog.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from .._contract import clickhouse_name
from .._engine.guard import GuardError
from .._engine.serving import (
    Receive,
    Send,
    disconnected,
    read_body,
    request_headers,
    send_response,
)
from .._exceptions import Error
from .._literals import quote_string
from . import _compression as compression
from . import _formats as formats
from . import _native as native
from . import _settings as settings
from . import _sql as sql
from ._catalog import Catalog, policy
from ._clickhouse_errors import ClickHouseError, from_api, from_driver
from ._local import clickhouse_version
from ._tenants import Slots, Tenant, Tenants, in_thread
from ._upstream import Answer, Upstream

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BODY_BYTES = 16 * 1024 * 1024
#: What the gateway does with a result the API cut at its row cap (the driver has its own
#: `paid_dbapi._connection.TRUNCATION_MODES`: warn, error or ignore).
GATEWAY_TRUNCATION_MODES = ("error", "pass")
SERVER_TIMEZONE = settings.SERVER_TIMEZONE
OK = b"Ok.\n"
#: printable ASCII, without spaces at either end (HTTP header values cannot carry those)
_QUERY_ID = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?")


@dataclass
class GatewayResponse:
    """One answer of the gateway, as a ClickHouse server would send it: status, headers, body."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Request:
    params: dict[str, str]
    headers: dict[str, str]
    sql: str
    api_key: str
    query_id: str
    settings: settings.Settings


@dataclass(frozen=True)
class _Planned:
    """A request read and judged, ready to run: what `Gateway.prepare` hands `finish`."""

    request: _Request
    fingerprint: bytes
    plan: sql.Plan
    format: str
    started: int  # perf_counter_ns() when the request arrived

    @property
    def upstream(self) -> bool:
        """True when running it calls the API (and so takes one of the key's slots)."""
        return self.plan.route is sql.Route.FORWARD


def _query_id(params: dict[str, str]) -> str:
    """The client's query_id when it is printable ASCII (it is echoed in a header), else new."""
    query_id = params.get("query_id", "")
    return query_id if _QUERY_ID.fullmatch(query_id) else str(uuid.uuid4())


def _credentials(params: dict[str, str], headers: dict[str, str]) -> str:
    """The API key: the password of Basic auth, X-ClickHouse-Key or `password`, or a Bearer."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic":
        try:
            _, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ClickHouseError("AUTHENTICATION_FAILED", "malformed Basic credentials") from None
        if password:
            return password
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = headers.get("x-clickhouse-key") or params.get("password")
    if key:
        return key
    raise ClickHouseError(
        "AUTHENTICATION_FAILED",
        "no password: log in with any user name and your Paid API key as the password",
    )


class Gateway:
    """The gateway's request handling, over one upstream API and one local engine."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        database: str = "paid",
        on_truncation: str = "error",
        catalog_ttl: float = 60.0,
        tenants: Tenants | None = None,
        slots: Slots | None = None,
    ) -> None:
        if on_truncation not in GATEWAY_TRUNCATION_MODES:
            raise ValueError(f"on_truncation must be one of {', '.join(GATEWAY_TRUNCATION_MODES)}")
        self.upstream = upstream
        self.catalog = Catalog(upstream, database, catalog_ttl)
        self.tenants = tenants or Tenants(database)
        self.slots = slots or Slots()
        self.version = clickhouse_version()
        self.on_truncation = on_truncation
        #: query_id -> (key fingerprint, cancel callback) of the queries being answered.
        self._running: dict[str, tuple[bytes, Callable[[], None]]] = {}
        self._running_lock = threading.Lock()

    def close(self) -> None:
        """Stop every key's engines."""
        self.tenants.close()

    @property
    def database(self) -> str:
        return self.catalog.database

    # -- entry point ---------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        query_id: str | None = None,
    ) -> GatewayResponse:
        """Answer one HTTP request (headers lower-cased): `prepare`, then `finish`."""
        step = self.prepare(method, path, query, headers, body, query_id)
        return step if isinstance(step, GatewayResponse) else self.finish(step)

    def prepare(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        query_id: str | None = None,
    ) -> GatewayResponse | _Planned:
        """Everything before a query runs: route, key, settings, body and the guard's plan.
        A response when that is already the answer (a ping, an error)."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        if path in ("/ping", "/replicas_status") or (path == "/" and method in ("GET", "HEAD")
                                                     and "query" not in params):  # fmt: skip
            return GatewayResponse(200, OK, {"content-type": "text/html; charset=UTF-8"})
        started = time.perf_counter_ns()
        query_id = query_id or _query_id(params)

        def read() -> _Planned:
            if path != "/":
                raise ClickHouseError("UNKNOWN_EXCEPTION", f"There is no handle {path[:100]}")
            if method not in ("GET", "POST"):
                raise ClickHouseError("BAD_ARGUMENTS", f"HTTP method {method} is not supported")
            api_key = _credentials(params, headers)
            self.catalog.schema(api_key)  # the key is checked before any other work
            checked = settings.read(params)
            text = params.get("query", "")
            if method == "POST":
                posted = self._request_body(checked, headers, body).decode("utf-8", "replace")
                text = f"{text}\n{posted}" if text and posted else text or posted
            request = _Request(params, headers, text, api_key, query_id, checked)
            return self._plan(request, started)

        return self._answering(query_id, started, read)

    def finish(self, planned: _Planned) -> GatewayResponse:
        """Run a prepared query and answer it."""
        request = planned.request
        return self._answering(request.query_id, planned.started,
                               lambda: self._query(planned))  # fmt: skip

    def _answering(self, query_id: str, started: int, step: Callable[[], T]) -> T | GatewayResponse:
        """`step()`, with every failure turned into ClickHouse's error answer; a response gets the
        query id and time zone headers."""
        result: T | GatewayResponse
        try:
            result = step()
        except ClickHouseError as exc:
            result = self._error(exc)
        except GuardError as exc:
            details = f" ({exc.details})" if exc.details else ""
            result = self._error(from_api(400, exc.code, f"[{exc.code}] {exc.message}{details}"))
        except Error as exc:
            result = self._error(from_driver(exc))
        except Exception:
            logger.exception("internal error answering query %s", query_id)
            result = self._error(ClickHouseError("LOGICAL_ERROR", "internal error in the gateway"))
        if isinstance(result, GatewayResponse):
            result.headers.update(
                {"x-clickhouse-query-id": query_id, "x-clickhouse-timezone": SERVER_TIMEZONE}
            )
            elapsed = (time.perf_counter_ns() - started) / 1e6
            logger.debug("query %s answered %d in %.1f ms", query_id, result.status, elapsed)
        return result

    def _request_body(
        self, checked: settings.Settings, headers: dict[str, str], body: bytes
    ) -> bytes:
        try:
            body = compression.decompress_body(
                headers.get("content-encoding", ""), body, MAX_BODY_BYTES
            )
            if checked.decompress:
                body = compression.decompress_blocks(body, MAX_BODY_BYTES)
        except compression.DecompressError as exc:
            raise ClickHouseError("CANNOT_DECOMPRESS", str(exc)) from None
        return body

    def _cancel(self, query_id: str, api_key: str) -> bool:
        """Cancel a running query of the same key; True if there was one."""
        with self._running_lock:
            entry = self._running.get(query_id)
        if entry is None or not hmac.compare_digest(entry[0], self.catalog.fingerprint(api_key)):
            return False
        entry[1]()
        return True

    def _error(self, exc: ClickHouseError) -> GatewayResponse:
        return GatewayResponse(
            exc.status,
            exc.body(self.version),
            {"content-type": "text/plain; charset=UTF-8",
             "x-clickhouse-exception-code": str(exc.code)},
        )  # fmt: skip

    # -- queries -------------------------------------------------------------------------

    def _plan(self, request: _Request, started: int) -> _Planned:
        """The guard's plan of a request, read in the key's own catalog engine."""
        params, headers = request.params, request.headers
        if not request.sql.strip(" \t\r\n;"):
            raise ClickHouseError("SYNTAX_ERROR", "Empty query")
        database = params.get("database") or headers.get("x-clickhouse-database") or self.database
        if database not in (self.database, "default", *sql.METADATA_DATABASES):
            raise ClickHouseError(
                "UNKNOWN_DATABASE",
                f"Database {database[:64]} does not exist: the gateway serves `{self.database}`",
            )
        schema = self.catalog.schema(request.api_key)
        fingerprint = self.catalog.fingerprint(request.api_key)
        with self.tenants.use(fingerprint, schema) as tenant:
            plan = tenant.plan(request.sql)
        fmt = formats.canonical(
            plan.format or params.get("default_format") or headers.get("x-clickhouse-format")
            or "TabSeparated"
        )  # fmt: skip
        return _Planned(request, fingerprint, plan, fmt, started)

    def _query(self, planned: _Planned) -> GatewayResponse:
        request, fmt = planned.request, planned.format
        schema = self.catalog.schema(request.api_key)
        with self.tenants.use(planned.fingerprint, schema) as tenant:
            body, summary = self._run(request, tenant, planned.plan, fmt)
        elapsed = time.perf_counter_ns() - planned.started
        summary = {
            "read_rows": "0", "read_bytes": "0", "written_rows": "0", "written_bytes": "0",
            "total_rows_to_read": "0", "result_rows": "0", "result_bytes": str(len(body)),
            **summary, "elapsed_ns": str(elapsed),
        }  # fmt: skip
        response_headers = {
            "content-type": formats.content_type(fmt),
            "x-clickhouse-format": fmt,
            "x-clickhouse-summary": json.dumps(summary, separators=(",", ":")),
        }
        if summary.get("paid_truncated"):
            response_headers["x-paid-truncated"] = "1"
        return self._compressed(request, GatewayResponse(200, body, response_headers))

    def _run(
        self, request: _Request, tenant: Tenant, plan: sql.Plan, fmt: str
    ) -> tuple[bytes, dict[str, str]]:
        """Answer a planned query in the key's own engines: (body, summary fields)."""
        summary: dict[str, str] = {}
        local_policy = policy(self.database, tenant.schema.names)
        # for Native at the client's revision (see `native.for_revision`)
        alone: Callable[[int], bytes] | None = None
        encoded: int | None = None
        if plan.route is sql.Route.KILL:
            killed = self._cancel(plan.sql, request.api_key)
            statement = (
                f"SELECT 'finished' AS kill_status, {quote_string(plan.sql)} AS query_id, "
                f"'default' AS user, '' AS query WHERE {int(killed)}"
            )
            body = tenant.encoder.query(statement, fmt)

            def exact() -> list[str]:
                return native.header_types(
                    tenant.encoder.query(statement, "RowBinaryWithNamesAndTypes")
                )
        elif plan.route is sql.Route.LOCAL:
            logger.debug("query %s answered from the local catalog", request.query_id)
            try:
                body = tenant.catalog.query(plan.sql, fmt, policy=local_policy)
            except GuardError as exc:  # the guard judged it: an unknown table
                if not (plan.absent and clickhouse_name(exc.code) == "UNKNOWN_TABLE"):
                    raise
                body = tenant.encoder.query("SELECT toUInt8(0) AS result", fmt)  # as ClickHouse

            def exact() -> list[str]:  # the same statement, judged again
                header = "RowBinaryWithNamesAndTypes"
                return native.header_types(
                    tenant.catalog.query(plan.sql, header, policy=local_policy)
                )
        else:
            logger.debug("query %s forwarded to the API: %.300s", request.query_id, plan.sql)
            answer = self.upstream.query(request.api_key, plan.sql)
            limit = self._row_limit(answer, request.settings, summary)
            body = formats.encode(
                tenant.encoder, answer, fmt, limit=limit, settings=request.settings.formats
            )
            rows = answer.row_count if limit is None else min(limit, answer.row_count)
            summary.update(read_rows=str(answer.row_count), result_rows=str(rows))

            def exact() -> list[str]:  # ClickHouse's own names, as the API sends them
                return [t for _, t in answer.columns]

            def alone(column: int) -> bytes:
                return formats.encode(tenant.encoder, answer, fmt, limit=limit,
                                      settings=request.settings.formats, column=column)  # fmt: skip

            encoded = len(answer.rows) if limit is None else min(limit, len(answer.rows))
        if fmt == "Native":
            revision = request.settings.client_protocol_version
            body = native.for_revision(body, revision, exact, alone, encoded)
        return body, summary

    def _row_limit(
        self, answer: Answer, checked: settings.Settings, summary: dict[str, str]
    ) -> int | None:
        """Apply `max_result_rows` (with `result_overflow_mode`) and the API's row cap.

        A result the API cut is an error unless truncation passes; it is never cut silently.
        """
        max_rows, breaks = checked.max_result_rows, checked.overflow_break
        if max_rows and answer.row_count > max_rows:
            if not breaks:
                raise ClickHouseError(
                    "TOO_MANY_ROWS_OR_BYTES",
                    f"Limit for result exceeded, max rows: {max_rows}, current rows: "
                    f"{answer.row_count}",
                )
            return max_rows
        if answer.truncated:
            mode = checked.truncation or self.on_truncation
            if mode == "error":
                raise ClickHouseError(
                    "TOO_MANY_ROWS_OR_BYTES",
                    f"Limit for result exceeded: the Paid Analytics API returns at most "
                    f"{answer.row_count} rows per query and cut this result there. Aggregate "
                    "(GROUP BY) or filter (WHERE, LIMIT) so that fewer rows come back, or set "
                    "paid_on_truncation=pass to receive the first rows with a truncation flag",
                )
            summary["paid_truncated"] = "true"
        return None

    def _compressed(self, request: _Request, response: GatewayResponse) -> GatewayResponse:
        checked = request.settings
        if checked.compress:
            response.body = compression.compress_blocks(response.body)
        if checked.http_compression:
            encoding = compression.choose_encoding(request.headers.get("accept-encoding", ""))
            if encoding is not None:
                response.body = compression.ENCODINGS[encoding](response.body)
                response.headers["content-encoding"] = encoding
        return response

    # -- ASGI ----------------------------------------------------------------------------

    async def _answer_cancellable(
        self,
        prepare: Callable[[str], GatewayResponse | _Planned],
        params: dict[str, str],
        headers: dict[str, str],
        receive: Receive,
    ) -> GatewayResponse | None:
        """`prepare(query_id)`, then `finish`, each in a thread of its own (see `_admitted`).
        A KILL QUERY for this query_id (same key) answers 394 at once, a client that
        disconnects gets nothing (None), and either way the abandoned upstream call ends at
        the API's time limit."""
        query_id = _query_id(params)
        try:
            fingerprint = self.catalog.fingerprint(_credentials(params, headers))
        except ClickHouseError:
            fingerprint = b""
        loop = asyncio.get_running_loop()
        cancelled = asyncio.Event()

        def cancel() -> None:  # called from the thread answering the KILL QUERY
            loop.call_soon_threadsafe(cancelled.set)

        with self._running_lock:
            registered = bool(fingerprint) and query_id not in self._running
            if registered:
                self._running[query_id] = (fingerprint, cancel)
        work = asyncio.ensure_future(self._admitted(fingerprint, lambda: prepare(query_id)))
        stop = asyncio.ensure_future(cancelled.wait())
        gone = asyncio.ensure_future(disconnected(receive))
        try:
            await asyncio.wait({work, stop, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            gone.cancel()
            if not work.done():
                work.cancel()  # gives its slot back; the thread ends at its own time limit
            if registered:
                with self._running_lock:
                    self._running.pop(query_id, None)
        if work.done():
            return work.result()
        if not cancelled.is_set():
            logger.info("query %s cancelled: the client disconnected", query_id)
            return None
        logger.info("query %s cancelled by KILL QUERY", query_id)
        response = self._error(ClickHouseError("QUERY_WAS_CANCELLED", "Query was cancelled"))
        response.headers.update({"x-clickhouse-query-id": query_id,
                                 "x-clickhouse-timezone": SERVER_TIMEZONE})  # fmt: skip
        return response

    async def _admitted(
        self, fingerprint: bytes, prepare: Callable[[], GatewayResponse | _Planned]
    ) -> GatewayResponse:
        """A place in the key's line (see `Slots`), `prepare()`, then `finish`: in one of the
        key's running slots when it calls the API, at once otherwise (the local catalog, and a
        KILL QUERY, which must never wait behind the queries it may cancel)."""
        try:
            async with self.slots.hold(fingerprint):
                step = await in_thread(prepare)
                if isinstance(step, GatewayResponse):
                    return step
                if not step.upstream:
                    return await in_thread(functools.partial(self.finish, step))
                async with self.slots.run(fingerprint):
                    return await in_thread(functools.partial(self.finish, step))
        except ClickHouseError as exc:  # too many queries of this key at once
            return self._error(exc)

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
        headers = request_headers(scope)
        response: GatewayResponse | None
        if body is None:
            too_large = f"the request body exceeds {MAX_BODY_BYTES} bytes"
            response = self._error(ClickHouseError("BAD_ARGUMENTS", too_large))
        else:
            query = scope["query_string"].decode("latin-1")
            method, path = scope["method"], scope["path"]
            prepare = functools.partial(self.prepare, method, path, query, headers, body)
            params = dict(parse_qsl(query, keep_blank_values=True))
            response = await self._answer_cancellable(prepare, params, headers, receive)
            if response is None:
                return  # nobody is listening
        await send_response(send, response.status, response.headers, response.body)
