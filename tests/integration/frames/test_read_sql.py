"""pandas read_sql against the emulator: correct dtypes and no warnings from our code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from paid_dbapi import TruncatedResultWarning
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator

# pandas 3 reads datetimes at microseconds, pandas 2 at nanoseconds
UNIT = "us" if int(pd.__version__.split(".")[0]) >= 3 else "ns"


def test_read_sql_dtypes(engine: sa.engine.Engine) -> None:
    df = pd.read_sql(
        "SELECT toUInt64(18446744073709551615) AS big, toInt64(-5) AS small, "
        "toDecimal128('12345.6789', 10) AS money, "
        "toDateTime64('2026-11-01 08:15:00.123', 3, 'UTC') AS ts, "
        "CAST(NULL, 'Nullable(String)') AS missing, '' AS empty, toFloat64(1.5) AS f",
        engine,
        coerce_float=False,  # keep Decimals exact (pandas' default turns them into floats)
    )
    row = df.iloc[0]
    assert df["big"].dtype == "uint64"  # exact: no float detour
    assert row["big"] == 18446744073709551615
    assert df["small"].dtype == "int64"
    assert df["money"].dtype == object
    assert row["money"] == Decimal("12345.6789000000")  # 15 digits: exact through a double
    assert str(df["ts"].dtype) == f"datetime64[{UNIT}, UTC]"
    assert row["ts"] == pd.Timestamp("2026-11-01 08:15:00.123", tz="UTC")
    assert row["missing"] is None
    assert row["empty"] == ""
    assert df["f"].dtype == "float64"


def test_read_sql_query_with_params(engine: sa.engine.Engine) -> None:
    df = pd.read_sql_query(
        sa.text("SELECT signal_name, count() AS n FROM fact_signal WHERE created_at >= :since "
                "AND signal_name IN :names GROUP BY signal_name ORDER BY signal_name")
        .bindparams(sa.bindparam("names", expanding=True)),
        engine,
        params={"since": dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30),
                "names": ["chat_reply", "email_sent"]},
    )  # fmt: skip
    assert list(df["signal_name"]) == ["chat_reply", "email_sent"]
    assert (df["n"] > 0).all()
    assert df["n"].dtype == "int64"


def test_read_sql_query_pyformat_params(engine: sa.engine.Engine) -> None:
    df = pd.read_sql_query(
        "SELECT count() AS n FROM dim_customer WHERE country = %(c)s", engine, params={"c": "US"}
    )
    assert df["n"][0] > 0


def test_read_sql_table(emulator: Emulator, org_keys: dict[str, str]) -> None:
    """A whole view, from an emulator whose row cap is raised above the view's size."""
    roomy = Emulator(row_limit=1_000_000)
    engine = sa.create_engine("paid://", connect_args={
        "api_key": org_keys["initech"], "base_url": DEMO_BASE_URL, "transport": roomy.transport()})  # fmt: skip
    df = pd.read_sql_table("fact_cost", engine)
    with engine.connect() as conn:
        assert len(df) == conn.execute(sa.text("SELECT count() FROM fact_cost")).scalar()
    engine.dispose()
    assert str(df["created_at"].dtype) == f"datetime64[{UNIT}, UTC]"
    assert df["cost_amount"].dtype == "float64"  # pandas maps Numeric columns to float here
    assert df["input_tokens"].dtype == "int64"
    assert list(df.columns)[:3] == ["id", "trace_id", "vendor"]


def test_default_coerce_float_gives_floats(engine: sa.engine.Engine) -> None:
    df = pd.read_sql("SELECT toDecimal64('1.25', 2) AS d", engine)
    assert df["d"].dtype == "float64"
    assert df["d"][0] == 1.25


def test_truncation_is_a_visible_warning(engine: sa.engine.Engine) -> None:
    with pytest.warns(TruncatedResultWarning, match="truncated at 10000 rows"):
        df = pd.read_sql_table("fact_cost", engine)
    assert len(df) == 10_000


def test_time_series(engine: sa.engine.Engine) -> None:
    df = pd.read_sql(
        "SELECT toDate(created_at) AS day, count() AS signals FROM fact_signal GROUP BY day ORDER BY day",
        engine,
        parse_dates=["day"],
    )
    assert len(df) >= 85
    assert df["signals"].iloc[-10:].mean() > df["signals"].iloc[:10].mean()
