"""The SQLAlchemy dialect against the emulator, on SQLAlchemy 1.4 and 2.x alike."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import exc

import paid_dbapi
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
from paid_sqlalchemy._types import from_type_string

SA2 = sa.__version__.startswith("2.")


class Counting(httpx.BaseTransport):
    """Counts requests per path on their way to the emulator."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path.rsplit("/", 1)[-1])
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.engine.Engine]:
    eng = sa.create_engine("paid+demo://")
    yield eng
    eng.dispose()


@pytest.fixture
def counted(emulator: Emulator, org_keys: dict[str, str]) -> tuple[sa.engine.Engine, Counting]:
    transport = Counting(emulator.transport())
    eng = sa.create_engine(
        "paid://",
        connect_args={
            "api_key": org_keys["acme"],
            "base_url": DEMO_BASE_URL,
            "transport": transport,
        },
    )
    return eng, transport


def test_reflection_of_all_views_costs_one_request(
    counted: tuple[sa.engine.Engine, Counting],
) -> None:
    eng, transport = counted
    md = sa.MetaData()
    with eng.connect() as conn:
        md.reflect(conn)
        insp = sa.inspect(conn)
        for name in insp.get_table_names():
            insp.get_columns(name)
            insp.get_foreign_keys(name)
            insp.get_pk_constraint(name)
            insp.get_table_comment(name)
    assert len(md.tables) == 15
    assert transport.paths == ["schema"]


def test_schema_cache_ttl(emulator: Emulator, org_keys: dict[str, str]) -> None:
    transport = Counting(emulator.transport())
    eng = sa.create_engine("paid://?schema_cache_ttl=0",
                           connect_args={"api_key": org_keys["acme"], "base_url": DEMO_BASE_URL, "transport": transport})  # fmt: skip
    with eng.connect() as conn:
        sa.inspect(conn).get_table_names()
        sa.inspect(conn).get_table_names()
    assert transport.paths == ["schema", "schema"]


def test_inspector(engine: sa.engine.Engine) -> None:
    insp = sa.inspect(engine)
    tables, views = insp.get_table_names(), insp.get_view_names()
    assert len(tables) + len(views) == 15
    assert not set(tables) & set(views)
    assert insp.get_schema_names() == ["analytics"]
    assert insp.get_table_names(schema="analytics") == tables
    assert insp.has_table("fact_signal")
    assert not insp.has_table("nope")
    assert insp.get_indexes("fact_cost") == []
    assert insp.get_table_comment("fact_cost")["text"]
    columns = {c["name"]: c for c in insp.get_columns("dim_customer")}
    assert columns["parent_customer_id"]["nullable"] is True
    assert columns["id"]["nullable"] is False
    assert columns["name"]["comment"]
    assert isinstance(columns["annual_revenue"]["type"], sa.BigInteger)
    assert isinstance(columns["churn_date"]["type"], sa.Date)
    assert insp.get_pk_constraint("fact_signal")["constrained_columns"] == ["signal_id"]
    fks = {
        (f["constrained_columns"][0], f["referred_table"])
        for f in insp.get_foreign_keys("fact_invoice_line")
    }
    assert fks == {
        ("order_line_id", "fact_order_line"),
        ("invoice_id", "fact_invoice"),
        ("product_id", "dim_product"),
    }
    assert insp.get_foreign_keys("dim_customer")[0]["referred_table"] == "dim_customer"
    with pytest.raises(exc.NoSuchTableError):
        insp.get_columns("nope")


@pytest.mark.skipif(not SA2, reason="get_multi_* reflection exists only in SQLAlchemy 2.x")
def test_multi_reflection_honours_filter_names(counted: tuple[sa.engine.Engine, Counting]) -> None:
    eng, transport = counted
    insp = sa.inspect(eng)
    columns = insp.get_multi_columns(filter_names=["fact_cost", "dim_plan"])
    assert sorted(name for _, name in columns) == ["dim_plan", "fact_cost"]
    assert sorted(
        name for _, name in insp.get_multi_foreign_keys(filter_names=["fact_payment"])
    ) == ["fact_payment"]
    assert transport.paths == ["schema"]


@pytest.fixture(scope="module")
def tables(engine: sa.engine.Engine) -> dict[str, sa.Table]:
    md = sa.MetaData()
    md.reflect(engine)
    return dict(md.tables)


def run(engine: sa.engine.Engine, stmt: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def test_core_query_types(engine: sa.engine.Engine, tables: dict[str, sa.Table]) -> None:
    cost = tables["fact_cost"]
    rows = run(engine, sa.select(cost.c.vendor, sa.func.sum(cost.c.cost_amount).label("spend"),
                                 sa.func.max(cost.c.created_at).label("latest"))
               .group_by(cost.c.vendor).order_by(sa.desc("spend")))  # fmt: skip
    assert len(rows) >= 4
    assert isinstance(rows[0].spend, Decimal)
    assert rows[0].latest.tzinfo is not None


def test_compiler_features_execute(engine: sa.engine.Engine, tables: dict[str, sa.Table]) -> None:
    s, c = tables["fact_signal"], tables["dim_customer"]
    page = run(engine, sa.select(s.c.signal_id).order_by(s.c.signal_id).limit(5).offset(10))
    assert len(page) == 5
    assert len(run(engine, sa.select(s.c.signal_id).order_by(s.c.signal_id).offset(119_995))) == 5
    assert run(engine, sa.select(sa.true(), sa.false(), sa.literal(True)))[0] == (True, False, True)
    assert run(engine, sa.select(sa.func.count()).where(c.c.name.ilike("north%")))[0][0] > 0
    assert run(engine, sa.select(sa.func.count()).where(c.c.name.notilike("north%")))[0][0] > 0
    assert run(engine, sa.select(sa.func.count()).where(c.c.email.regexp_match("^billing@")))[0][
        0
    ] == len(run(engine, sa.select(c.c.id)))
    assert run(engine, sa.select(sa.literal("a-b-c").regexp_replace("-", "+")))[0][0] == "a+b+c"
    assert run(engine, sa.select(sa.extract("year", s.c.created_at)).limit(1))[0][0] >= 2026
    assert run(engine, sa.select(sa.cast(sa.literal("12.50"), sa.Numeric(10, 2))))[0][0] == Decimal(
        "12.5"
    )
    assert (
        run(engine, sa.select(sa.cast(s.c.created_at, sa.Date)).limit(1))[0][0].__class__ is dt.date
    )
    assert run(engine, sa.select(sa.cast(sa.literal(7), sa.String) + "x"))[0][0] == "7x"
    assert (
        run(
            engine,
            sa.select(sa.func.count()).where(s.c.signal_name.in_(["chat_reply", "email_sent"])),
        )[0][0]
        > 0
    )
    assert run(engine, sa.select(sa.func.count()).where(s.c.signal_name.in_([])))[0][0] == 0
    top = (
        sa.select(s.c.customer_id, sa.func.count().label("n")).group_by(s.c.customer_id).cte("top")
    )
    assert len(run(engine, sa.select(top.c.customer_id).order_by(top.c.n.desc()).limit(3))) == 3
    ranked = sa.select(
        s.c.signal_id, sa.func.row_number().over(order_by=s.c.created_at).label("rn")
    ).limit(3)
    assert [r.rn for r in run(engine, ranked)] == [1, 2, 3]
    names = run(engine, sa.select(s.c.signal_name).distinct())
    assert sorted(n for (n,) in names) == [
        "call",
        "chat_reply",
        "document_summarized",
        "email_sent",
        "ticket_resolved",
    ]
    nulls = run(engine, sa.select(c.c.state).order_by(c.c.state.asc().nulls_first()).limit(1))
    assert nulls == [(None,)]
    month = sa.func.toStartOfMonth(s.c.created_at).label("created_at")
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)
    grouped = run(
        engine, sa.select(month, sa.func.count()).where(s.c.created_at >= since).group_by(month)
    )
    assert grouped
    assert all(r[0].day == 1 for r in grouped)


def test_literal_binds_use_the_driver_renderer(
    engine: sa.engine.Engine, tables: dict[str, sa.Table]
) -> None:
    s = tables["fact_signal"]
    stmt = sa.select(s.c.signal_id).where(
        s.c.signal_name == "it's", s.c.created_at > dt.datetime(2026, 1, 1)
    )
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    assert "'it\\'s'" in sql
    assert "toDateTime64('2026-01-01 00:00:00', 6)" in sql
    assert run(engine, sa.text(sql)) == []


def test_schema_is_never_rendered(engine: sa.engine.Engine) -> None:
    t = sa.Table(
        "fact_signal", sa.MetaData(), sa.Column("signal_id", sa.String), schema="analytics"
    )
    sql = str(sa.select(t.c.signal_id).compile(engine))
    assert "analytics" not in sql
    assert len(run(engine, sa.select(t.c.signal_id).limit(2))) == 2


def test_server_errors_surface_with_code(engine: sa.engine.Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError) as info:
            conn.execute(sa.text("SELECT * FROM default.fact_signal"))
        assert info.value.orig.code == "QUALIFIED_NAME"  # type: ignore[union-attr]
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1


def test_pool_pre_ping(emulator: Emulator) -> None:
    eng = sa.create_engine("paid+demo://", pool_pre_ping=True)
    for _ in range(2):
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    raw = eng.raw_connection()
    try:
        assert eng.dialect.do_ping(raw.dbapi_connection if SA2 else raw.connection)  # type: ignore[attr-defined]
    finally:
        raw.close()


def test_demo_org_from_url() -> None:
    with sa.create_engine("paid+demo://?org=initech").connect() as conn:
        assert (
            conn.execute(sa.text("SELECT name FROM dim_organization")).scalar() == "Initech Agents"
        )


def test_http_url_against_loopback_server(server_url: str, org_keys: dict[str, str]) -> None:
    hostport = server_url.split("//", 1)[1].split("/", 1)[0]
    eng = sa.create_engine(f"paid+http://token:{org_keys['globex']}@{hostport}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with eng.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT name FROM dim_organization")).scalar()
                == "Globex Automation"
            )
    eng.dispose()  # closes the pooled connection's socket


def test_interval_is_native(engine: sa.engine.Engine) -> None:
    """timedelta binds as a ClickHouse interval and reads back as a timedelta, in every path."""
    moment, step = dt.datetime(2026, 1, 1), dt.timedelta(hours=1, microseconds=5)
    shifted = sa.select(sa.literal(moment) + sa.literal(step))
    assert run(engine, shifted) == [(moment + step,)]
    inline = str(shifted.compile(engine, compile_kwargs={"literal_binds": True}))
    assert "toIntervalMicrosecond(3600000005)" in inline
    assert run(engine, sa.text(inline)) == [(moment + step,)]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT :x"), {"x": step}).all() == [(step,)]
        typed = sa.text("SELECT toIntervalSecond(-5) AS i, toIntervalMonth(2) AS m").columns(
            i=from_type_string("IntervalSecond"), m=from_type_string("IntervalMonth")
        )
        assert conn.execute(typed).all() == [(dt.timedelta(seconds=-5), 2)]


def test_large_binary_round_trips(engine: sa.engine.Engine) -> None:
    value = bytes(range(256))
    assert run(engine, sa.select(sa.literal(value, sa.LargeBinary), sa.literal(b"'"))) == [
        (value, b"'")
    ]
    assert run(engine, sa.select(sa.literal(None, sa.LargeBinary))) == [(None,)]
    # compiled to text, the hex() is in the SQL: typed text reads bytes, untyped text the hex
    query = sa.select(sa.literal(value, sa.LargeBinary).label("b"))
    inline = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    assert run(engine, sa.text(inline).columns(b=sa.LargeBinary)) == [(value,)]
    assert run(engine, sa.text(inline)) == [(value.hex().upper(),)]


def test_read_only(engine: sa.engine.Engine, counted: tuple[sa.engine.Engine, Counting]) -> None:
    eng, transport = counted
    t = sa.Table("fact_signal", sa.MetaData(), sa.Column("signal_id", sa.String))
    for stmt in (
        sa.insert(t).values(signal_id="x"),
        sa.update(t).values(signal_id="x"),
        sa.delete(t),
    ):
        with pytest.raises(exc.CompileError, match="read-only"):
            stmt.compile(eng)
    with pytest.raises(exc.CompileError, match="read-only"):
        sa.schema.CreateTable(t).compile(eng)
    with eng.connect() as conn:
        for sql in (
            "DROP TABLE fact_signal",
            "  insert into fact_signal select 1",
            "/* x */ ALTER TABLE t DELETE WHERE 1",
        ):
            with pytest.raises(exc.DBAPIError, match="read-only") as info:
                conn.execute(sa.text(sql))
            assert isinstance(info.value.orig, paid_dbapi.NotSupportedError)
        conn.commit() if SA2 else None
        conn.rollback() if SA2 else None
    assert "query" not in transport.paths
