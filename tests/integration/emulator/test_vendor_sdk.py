"""The vendor's own generated client (`paid-python`, pinned in the test extra) against
`paid-emulator serve`: a real client nobody here wrote holds the emulator to the vendor's
definition of the API.

Both of its route sets run: `analytics` (the stable `/api/v2/analytics/...`) and
`analytics_experimental` (`/api/v2/experimental/analytics/...`). Its pydantic models must parse
every answer, its error classes must match every status, and its raw row values must be the
very rows `paid_dbapi` reads from the same server: 64-bit integers as JSON strings, Decimals as
JSON numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import paid_dbapi
from paid_dbapi.emulator._data import demo_keys
from tests.servers import BIN, start

paid = pytest.importorskip("paid", reason="paid-python supports Python 3.10 to 3.13 only")
from paid.core.api_error import ApiError  # noqa: E402
from paid.errors import (  # noqa: E402
    BadRequestError,
    ForbiddenError,
    RequestTimeoutError,
    TooManyRequestsError,
)
from paid.types import (  # noqa: E402
    AnalyticsQueryResponse,
    AnalyticsSchemaResponse,
    ErrorResponse,
    SignalsMetadataResponse,
)

KEYS = demo_keys(42)
#: the SDK retries 408 and 429 (after Retry-After) twice by default; these tests see each answer
ONCE = {"max_retries": 0}
UTC = dt.timezone.utc
#: a query the strict server's 0.3 s limit cannot let finish (3.6 * 10^9 joined rows or more)
SLOW = "SELECT count() FROM fact_signal AS a CROSS JOIN fact_signal AS b WHERE a.created_at < b.created_at"


@dataclass(frozen=True)
class Api:
    """One of the SDK's two analytics clients, under names common to both."""

    name: str
    query: Callable[..., AnalyticsQueryResponse]
    schema: Callable[..., AnalyticsSchemaResponse]
    signals: Callable[..., SignalsMetadataResponse]


def apis(client: Any) -> list[Api]:
    """The stable and the experimental client of one `paid.Paid`."""
    stable, experimental = client.analytics, client.analytics_experimental
    return [
        Api("analytics", stable.execute_analytics_query, stable.get_analytics_schema,
            stable.get_signals_metadata),
        Api("analytics_experimental", experimental.execute_experimental_analytics_query,
            experimental.get_experimental_analytics_schema,
            experimental.get_experimental_signals_metadata),
    ]  # fmt: skip


def served(log: Path, *options: str) -> tuple[Any, str]:
    """`paid-emulator serve --port 0 [options]`: (process, the SDK's base URL `.../api/v2`)."""
    process, url = start([str(BIN / "paid-emulator"), "serve", "--port", "0", *options],
                         r"serving (http://\S+)", log)  # fmt: skip
    assert url.endswith("/api/v2/analytics"), url  # the stable route set is what it announces
    return process, url.removesuffix("/analytics")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The emulator with the service's limits, as a separate process: its `/api/v2` URL."""
    process, base = served(tmp_path_factory.mktemp("sdk") / "emulator.log")
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An emulator with a 0.3 s query limit and one request per 100 s per key."""
    log = tmp_path_factory.mktemp("sdk-strict") / "emulator.log"
    process, base = served(log, "--timeout", "0.3", "--rate-limit", "0.01")
    yield base
    process.terminate()
    process.wait(timeout=15)


@contextlib.contextmanager
def sdk(base: str, key: str | None) -> Iterator[Any]:
    """A `paid.Paid` for `base` (its `base_url` option) on an httpx client closed afterwards;
    with no key, its requests leave without an Authorization header (the SDK requires a token)."""

    def drop_key(request: httpx.Request) -> None:
        del request.headers["authorization"]

    hooks = {"request": [drop_key]} if key is None else {}
    with httpx.Client(timeout=60, event_hooks=hooks) as http:
        yield paid.Paid(token=key or "unused", base_url=base, httpx_client=http)


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[Any]:
    with sdk(server, KEYS["acme"]) as c:
        yield c


@pytest.fixture(scope="module")
def conn(server: str) -> Iterator[paid_dbapi.Connection]:
    with paid_dbapi.connect(KEYS["acme"], base_url=server + "/analytics") as connection:
        yield connection


@pytest.fixture(params=["analytics", "analytics_experimental"])
def api(request: pytest.FixtureRequest, client: Any) -> Api:
    return next(a for a in apis(client) if a.name == request.param)


# -- POST /query: the SDK's raw values against paid_dbapi's -----------------------------------

QUERIES = {
    "calls by status": """SELECT data.call_status::String AS status, count() AS calls,
        sum(data.call_length_sec::Int64) AS seconds, avg(data.call_length_sec::Int64) AS mean
        FROM fact_signal WHERE signal_name = 'call' GROUP BY status ORDER BY status""",
    "credits by kind": """SELECT kind, count() AS n, sum(amount) AS credits, min(amount) AS smallest,
        max(amount) AS largest FROM fact_credit_transaction GROUP BY kind ORDER BY kind""",
    "credit balances": """SELECT customer_id, credits_currency_id, sum(amount) AS balance
        FROM fact_credit_transaction GROUP BY customer_id, credits_currency_id
        ORDER BY customer_id, credits_currency_id LIMIT 50""",
    "spend by vendor": """SELECT vendor, round(sum(cost_amount), 2) AS cents, sum(input_tokens) AS tokens,
        max(cost_amount) AS dearest FROM fact_cost GROUP BY vendor ORDER BY vendor""",
    "call rows": """SELECT signal_id, customer_id, created_at, data, data.call_length_sec::Int64 AS seconds,
        toUInt32(data.call_length_sec::Int64) AS seconds32 FROM fact_signal WHERE signal_name = 'call'
        ORDER BY created_at, signal_id LIMIT 200""",
    "invoices": """SELECT id, number, status, issue_date, is_overdue, total_incl_tax, amount_due
        FROM fact_invoice ORDER BY id LIMIT 200""",
    "credit rows": """SELECT id, kind, amount, signal_id, created_at FROM fact_credit_transaction
        ORDER BY id LIMIT 200""",
}


def same_value(ctype: str, raw: Any, value: Any) -> bool:
    """Whether the SDK's raw JSON value `raw` is the value `paid_dbapi` read (`value`), in the
    form the vendor's definition gives for `ctype`."""
    base = ctype.removeprefix("Nullable(").removesuffix(")") if raw is not None else ctype
    if raw is None:
        return value is None
    if base in ("Int64", "UInt64"):
        return isinstance(raw, str) and int(raw) == value
    if base.startswith("Decimal"):  # a JSON number, not a string
        return (
            isinstance(raw, (int, float))
            and not isinstance(raw, bool)
            and Decimal(repr(raw)) == value
        )
    if base in ("UInt8", "UInt32", "Float64"):
        return isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw == value
    if base == "Bool":
        return raw is value
    if base == "UUID":
        return uuid.UUID(raw) == value
    if base == "Date":
        return dt.date.fromisoformat(raw) == value
    if base.startswith("DateTime64"):
        return dt.datetime.fromisoformat(raw).replace(tzinfo=UTC) == value
    if base == "JSON":
        return isinstance(raw, dict) and raw == value
    return isinstance(raw, str) and raw == value


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_rows_are_the_rows_paid_dbapi_reads(
    api: Api, conn: paid_dbapi.Connection, name: str
) -> None:
    answer = api.query(query=QUERIES[name])
    assert isinstance(answer, AnalyticsQueryResponse)
    cur = conn.cursor()
    with warnings.catch_warnings(record=True) as caught:  # credits carry 16+ digits
        warnings.simplefilter("always", paid_dbapi.PrecisionWarning)
        cur.execute(QUERIES[name])
    assert cur.precision_lost is bool(caught)  # warned exactly when a value may be rounded
    expected = cur.fetchall()
    assert [c.name for c in answer.columns] == [d[0] for d in cur.description]
    assert answer.meta.row_count == len(answer.rows) == len(expected) > 0
    assert answer.meta.truncated is False
    assert answer.meta.elapsed_ms >= 0
    types = [c.type for c in answer.columns]
    for raw_row, row in zip(answer.rows, expected, strict=True):
        for ctype, raw, value in zip(types, raw_row, row, strict=True):
            assert same_value(ctype, raw, value), (name, ctype, raw, value)


def test_column_types_are_the_vendors(api: Api) -> None:
    """The types the vendor's description names: 64-bit counts, Decimal credits and costs."""
    answer = api.query(query=QUERIES["credits by kind"])
    assert [(c.name, c.type) for c in answer.columns] == [
        ("kind", "LowCardinality(String)"), ("n", "UInt64"), ("credits", "Decimal(38, 10)"),
        ("smallest", "Decimal(38, 10)"), ("largest", "Decimal(38, 10)"),
    ]  # fmt: skip
    by_kind = {row[0]: row for row in answer.rows}
    assert by_kind["grant"][2] > 0 > by_kind["spend"][2]  # numbers, compared as numbers
    assert isinstance(by_kind["grant"][1], str)


def test_truncated_result(api: Api) -> None:
    answer = api.query(query="SELECT signal_id FROM fact_signal")
    assert (answer.meta.row_count, len(answer.rows), answer.meta.truncated) == (
        10_000,
        10_000,
        True,
    )


# -- GET /schema ------------------------------------------------------------------------------


def test_schema_parses_and_matches_paid_dbapi(api: Api, conn: paid_dbapi.Connection) -> None:
    answer = api.schema()
    assert isinstance(answer, AnalyticsSchemaResponse)
    assert len(answer.views) == 15
    ours = conn.schema()
    assert [(v.name, v.comment) for v in answer.views] == [(v.name, v.comment) for v in ours]
    assert [[(c.name, c.type, c.comment) for c in v.columns] for v in answer.views] == [
        [(c.name, c.type, c.comment) for c in v.columns] for v in ours
    ]
    credits = next(v for v in answer.views if v.name == "fact_credit_transaction")
    assert {c.name: c.type for c in credits.columns}["amount"] == "Decimal(38, 10)"


# -- GET /signals/metadata, with and without each filter --------------------------------------

NOW = dt.datetime.now(UTC).replace(microsecond=0)
FILTERS: dict[str, dict[str, Any]] = {
    "none": {},
    "signalName": {"signal_name": "call"},
    "fromDate": {"from_date": NOW - dt.timedelta(days=7)},
    "toDate": {"to_date": NOW - dt.timedelta(days=1)},
    "all": {"signal_name": "email_sent", "from_date": NOW - dt.timedelta(days=60),
            "to_date": NOW - dt.timedelta(days=2, microseconds=-250_000)},
    "empty window": {"signal_name": "call", "from_date": dt.datetime(2020, 1, 1, tzinfo=UTC),
                     "to_date": dt.datetime(2020, 2, 1, tzinfo=UTC)},
}  # fmt: skip


@pytest.mark.parametrize("name", list(FILTERS))
def test_signals_metadata(api: Api, conn: paid_dbapi.Connection, name: str) -> None:
    params = FILTERS[name]
    answer = api.signals(**params)
    assert isinstance(answer, SignalsMetadataResponse)
    ours = conn.signals_metadata(
        params.get("signal_name"), params.get("from_date"), params.get("to_date")
    )
    assert [(s.signal_name, [(p.path, p.types) for p in s.paths]) for s in answer.signals] == [
        (s.signal_name, [(p.path, list(p.types)) for p in s.paths]) for s in ours
    ]
    start_, end = (dt.datetime.fromisoformat(answer.meta.from_date.replace("Z", "+00:00")),
                   dt.datetime.fromisoformat(answer.meta.to_date.replace("Z", "+00:00")))  # fmt: skip
    if "to_date" in params:
        assert end == params["to_date"]
    if "from_date" in params:
        assert start_ == params["from_date"]
    else:
        assert end - start_ == dt.timedelta(days=30)  # the default window
    names = [s.signal_name for s in answer.signals]
    if name == "empty window":
        assert names == []
    elif "signal_name" in params:
        assert names == [params["signal_name"]]
    else:
        assert {
            "call",
            "chat_reply",
            "document_summarized",
            "email_sent",
            "ticket_resolved",
        } == set(names)
    if "call" in names:
        call = next(s for s in answer.signals if s.signal_name == "call")
        assert {p.path: p.types for p in call.paths} == {
            "account_tier": ["String"], "call_length_sec": ["Int64"], "call_status": ["String"],
            "opportunity_stage": ["String"],
        }  # fmt: skip


# -- errors: each status is the SDK's class for it --------------------------------------------


def test_bad_sql_is_bad_request_error(api: Api) -> None:
    with pytest.raises(BadRequestError) as caught:
        api.query(query="SELEC * FORM fact_signal")
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "SYNTAX_ERROR"
    with pytest.raises(BadRequestError) as caught:
        api.query(query="DROP TABLE fact_signal")
    assert caught.value.body["code"] == "NOT_A_SELECT"


def test_inverted_window_is_bad_request_error(api: Api) -> None:
    with pytest.raises(BadRequestError) as caught:
        api.signals(from_date=NOW, to_date=NOW - dt.timedelta(days=1))
    assert (caught.value.status_code, caught.value.body["code"]) == (400, "INVALID_DATE")


@pytest.mark.parametrize(
    ("key", "code"), [("demo_acme_not-a-key", "INVALID_API_KEY"), (None, "UNAUTHENTICATED")]
)
def test_wrong_or_missing_key_is_403(server: str, key: str | None, code: str) -> None:
    """POST /query declares 403 (ForbiddenError); GET /schema and /signals/metadata declare no
    error status but 500, so the SDK raises its generic ApiError there, with status 403."""
    with sdk(server, key) as client:
        for api in apis(client):
            with pytest.raises(ForbiddenError) as caught:
                api.query(query="SELECT 1")
            assert caught.value.status_code == 403
            assert caught.value.body["code"] == code
            for call in (api.schema, api.signals):
                with pytest.raises(ApiError) as other:
                    call()
                assert other.value.status_code == 403
                assert other.value.body["code"] == code


def test_timeout_is_request_timeout_error(strict: str) -> None:
    """408 with the ErrorResponse body the SDK declares for it (one fresh key per client, as
    the strict server lets each key through once per 100 s)."""
    for key, which in ((KEYS["acme"], 0), (KEYS["globex"], 1)):
        with sdk(strict, key) as client:
            api = apis(client)[which]
            with pytest.raises(RequestTimeoutError) as caught:
                api.query(query=SLOW, request_options=ONCE)
            assert caught.value.status_code == 408
            assert isinstance(caught.value.body, ErrorResponse)
            assert caught.value.body.code == "QUERY_TIMEOUT"
            assert "0.3 s" in caught.value.body.error


def test_rate_limit_is_too_many_requests_error(strict: str) -> None:
    with sdk(strict, KEYS["initech"]) as client:
        first, *rest = apis(client)
        assert first.query(query="SELECT 1").rows == [[1]]  # the one request of this key
        for api in (first, *rest):
            with pytest.raises(TooManyRequestsError) as caught:
                api.query(query="SELECT 1", request_options=ONCE)
            assert caught.value.status_code == 429
            assert isinstance(caught.value.body, ErrorResponse)
            assert caught.value.body.code == "RATE_LIMITED"
            assert int(caught.value.headers["retry-after"]) >= 1
