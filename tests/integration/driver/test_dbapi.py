"""PEP 249 behaviour end to end against the in-process emulator."""

from __future__ import annotations

import datetime as dt
import sys
import warnings
from decimal import Decimal

import httpx
import pandas
import polars
import pytest
import sqlalchemy

import paid_dbapi
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
from tests.conftest import connect_to


def test_description_for_zero_rows(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.execute("SELECT signal_id, created_at, data FROM fact_signal WHERE false")
    assert cur.fetchall() == []
    assert cur.rowcount == 0
    assert cur.description == (
        ("signal_id", "UUID", None, None, None, None, False),
        ("created_at", "DateTime64(3, 'UTC')", None, None, 3, None, False),
        ("data", "JSON", None, None, None, None, False),
    )


def test_description_sizes_and_null_ok(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.execute("SELECT cost_amount, toFixedString('ab', 2) AS f, parent_customer_id "
                "FROM fact_cost, dim_customer LIMIT 1")  # fmt: skip
    assert cur.description is not None
    assert cur.description[0][1:] == ("Decimal(38, 10)", None, None, 38, 10, False)
    assert cur.description[1][3] == 2
    assert cur.description[2][6] is True
    assert cur.description[0][1] == paid_dbapi.NUMBER


def test_fetch_methods_and_iteration(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    assert cur.rowcount == -1
    with pytest.raises(paid_dbapi.InterfaceError, match="execute"):
        cur.fetchone()
    cur.execute("SELECT number FROM (SELECT arrayJoin(range(10)) AS number) ORDER BY number")
    assert cur.rowcount == 10
    assert cur.fetchone() == (0,)
    cur.arraysize = 3
    assert cur.fetchmany() == [(1,), (2,), (3,)]
    assert cur.fetchmany(2) == [(4,), (5,)]
    assert list(cur) == [(6,), (7,), (8,), (9,)]
    assert cur.fetchone() is None
    assert cur.fetchall() == []


def test_real_data_types(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.execute("SELECT vendor, sum(cost_amount) AS spend, count() AS calls, max(created_at) "
                "FROM fact_cost GROUP BY vendor ORDER BY spend DESC")  # fmt: skip
    rows = cur.fetchall()
    assert len(rows) >= 4
    _vendor, spend, calls, latest = rows[0]
    assert isinstance(spend, Decimal)
    assert isinstance(calls, int)
    assert latest.tzinfo is dt.timezone.utc


def test_parameters_end_to_end(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
    cur.execute("SELECT count() FROM fact_signal WHERE signal_name IN %(names)s AND created_at >= %(since)s",
                {"names": ("chat_reply", "email_sent"), "since": since})  # fmt: skip
    (n,) = cur.fetchone() or (0,)
    cur.execute("SELECT count() FROM fact_signal WHERE signal_name IN ('chat_reply', 'email_sent') "
                "AND created_at >= now64() - INTERVAL 7 DAY")  # fmt: skip
    (m,) = cur.fetchone() or (0,)
    assert n > 0
    assert abs(n - m) <= n // 100 + 5
    cur.execute("SELECT count() FROM dim_customer WHERE name LIKE 'North%'")
    assert (cur.fetchone() or (0,))[0] > 0


def test_server_error_carries_code_and_details(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        cur.execute("SELECT * FROM analytics.fact_signal")
    assert info.value.code == "QUALIFIED_NAME"
    assert info.value.status == 400
    assert "QUALIFIED_NAME" in str(info.value)
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        cur.execute("SELECT no_such_column FROM fact_signal")
    assert info.value.code == "UNKNOWN_COLUMN"
    assert info.value.details
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    assert conn.cursor().execute("SELECT 2").fetchall() == [(2,)]


@pytest.mark.parametrize(("mode", "warns"), [("warn", True), ("ignore", False)])
def test_truncation_visible(emulator: Emulator, mode: str, warns: bool) -> None:
    capped = Emulator(row_limit=50)
    conn = connect_to(capped, on_truncation=mode)
    cur = conn.cursor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cur.execute("SELECT signal_id FROM fact_signal LIMIT 51")
    assert cur.truncated is True
    assert cur.rowcount == 50
    assert any(issubclass(w.category, paid_dbapi.TruncatedResultWarning) for w in caught) is warns
    cur.execute("SELECT signal_id FROM fact_signal LIMIT 50")
    assert (cur.truncated, cur.rowcount) == (False, 50)


def test_truncation_warning_points_at_the_callers_line() -> None:
    """Through the DB-API, SQLAlchemy, pandas and polars, the warning names this file's line."""
    sql = "SELECT signal_id FROM fact_signal LIMIT 10001"
    engine = sqlalchemy.create_engine("paid+demo://")
    lines: list[int] = []
    with warnings.catch_warnings(record=True) as caught, paid_dbapi.connect(demo=True) as conn:
        warnings.simplefilter("always")
        lines.append(sys._getframe().f_lineno + 1)
        conn.cursor().execute(sql)
        with engine.connect() as sa_conn:
            lines.append(sys._getframe().f_lineno + 1)
            sa_conn.execute(sqlalchemy.text(sql)).fetchall()
            lines.append(sys._getframe().f_lineno + 1)
            pandas.read_sql(sqlalchemy.text(sql), sa_conn)
        lines.append(sys._getframe().f_lineno + 1)
        pandas.read_sql(sql, conn)  # a raw DB-API connection (pandas warns about it too)
        lines.append(sys._getframe().f_lineno + 1)
        polars.read_database(sql, conn)
    truncation = [w for w in caught if issubclass(w.category, paid_dbapi.TruncatedResultWarning)]
    assert [(w.filename, w.lineno) for w in truncation] == [(__file__, line) for line in lines]


def test_truncation_error_mode(emulator: Emulator) -> None:
    cur = connect_to(Emulator(row_limit=50), on_truncation="error").cursor()
    with pytest.raises(paid_dbapi.DataError, match="row cap"):
        cur.execute("SELECT signal_id FROM fact_signal LIMIT 51")
    assert cur.truncated is True
    assert cur.description is None
    assert cur.rowcount == -1


def test_elapsed_and_executemany(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.executemany("SELECT %s", [(1,), (2,)])
    assert cur.fetchall() == [(2,)]
    assert cur.elapsed_ms is not None
    assert cur.elapsed_ms >= 0


def test_schema_and_signals(conn: paid_dbapi.Connection) -> None:
    views = {v.name: v for v in conn.schema()}
    assert len(views) == 15
    cost = {c.name: c for c in views["fact_cost"].columns}
    assert cost["cost_amount"].type == "Decimal(38, 10)"
    assert cost["cost_amount"].comment
    signals = {s.signal_name: s for s in conn.signals_metadata()}
    assert {p.path for p in signals["chat_reply"].paths} >= {"country", "tokens"}
    only = conn.signals_metadata("email_sent", from_date=dt.date.today() - dt.timedelta(days=3))
    assert [s.signal_name for s in only] == ["email_sent"]
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        conn.signals_metadata(from_date="yesterday-ish")
    assert info.value.code == "INVALID_DATE"


def test_demo_org_selection() -> None:
    counts = set()
    for org in ("acme", "globex", "initech"):
        with paid_dbapi.connect(demo=True, demo_org=org) as c:
            counts.add(c.cursor().execute("SELECT count() FROM fact_signal").fetchall()[0][0])
    assert len(counts) == 3
    with pytest.raises(paid_dbapi.InterfaceError, match="unknown demo organization"):
        paid_dbapi.connect(demo=True, demo_org="umbrella")


def test_loopback_server(server_url: str, org_keys: dict[str, str]) -> None:
    with paid_dbapi.connect(org_keys["globex"], base_url=server_url) as c:
        cur = c.cursor()
        cur.execute("SELECT name FROM dim_organization")
        assert cur.fetchall() == [("Globex Automation",)]


def test_threads_share_a_connection(server_url: str, org_keys: dict[str, str]) -> None:
    """threadsafety = 2: one connection, a cursor per thread."""
    from concurrent.futures import ThreadPoolExecutor

    with paid_dbapi.connect(org_keys["acme"], base_url=server_url) as conn:

        def work(n: int) -> list[tuple[object, ...]]:
            return conn.cursor().execute("SELECT %s + 1", (n,)).fetchall()

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, range(20)))
    assert results == [[(n + 1,)] for n in range(20)]


def test_missing_parameter_sends_nothing(emulator: Emulator) -> None:
    calls: list[httpx.Request] = []
    inner = emulator.transport()

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return inner.handle_request(request)

    conn = paid_dbapi.connect(emulator.keys()["acme"], base_url=DEMO_BASE_URL, transport=Counting())
    with pytest.raises(paid_dbapi.ProgrammingError, match="missing parameter"):
        conn.cursor().execute("SELECT %(a)s", {"b": 1})
    assert calls == []


def test_close_and_transactions(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    conn.commit()
    with pytest.raises(paid_dbapi.NotSupportedError):
        conn.rollback()
    with pytest.raises(paid_dbapi.NotSupportedError):
        cur.callproc("x")
    cur.close()
    with pytest.raises(paid_dbapi.InterfaceError, match="cursor is closed"):
        cur.execute("SELECT 1")
    conn.close()
    conn.close()
    with pytest.raises(paid_dbapi.InterfaceError, match="connection is closed"):
        conn.cursor()
