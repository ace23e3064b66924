"""Typed frames on every path, per type family, on the installed pandas (2.2 or 3.x) and polars.

Each path's dtypes are checked against the README's type table, and its values against the
driver's own exact Python values (`fetchall`), which tests/differential checks against ClickHouse.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import sqlalchemy as sa

import paid_dbapi
from paid_dbapi import DataError, TruncatedResultWarning
from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
from tests.conftest import connect_to, exact_connect

PANDAS3 = int(pd.__version__.split(".")[0]) >= 3
STR = "str" if PANDAS3 else "object"  # pandas 3's string dtype
NS = "us" if PANDAS3 else "ns"  # the unit read_sql gives datetimes and timedeltas
UTC = dt.timezone.utc

# family: (ClickHouse expression, {path: dtype}); paths not named take the "*" entry
FAMILIES: dict[str, tuple[str, dict[str, str]]] = {
    "int32": ("toInt32(-7)", {"arrow": "int32", "fetch_df": "int32", "fetch_polars": "Int32", "pl_read_database": "Int32", "*": "int64"}),
    "uint64": ("toUInt64(18446744073709551615)", {"arrow": "uint64", "fetch_polars": "UInt64", "pl_read_database": "UInt64", "*": "uint64"}),
    "nullable_int": ("CAST(5, 'Nullable(Int64)')", {"arrow": "int64", "fetch_df": "Int64", "fetch_polars": "Int64", "pl_read_database": "Int64", "*": "int64"}),
    "int128": ("toInt128('-170141183460469231731687303715884105728')", {"arrow": "large_string", "fetch_df": STR, "fetch_polars": "String", "pl_read_database": "Int128", "*": "object"}),
    "float64": ("toFloat64(0.1)", {"arrow": "double", "fetch_polars": "Float64", "pl_read_database": "Float64", "*": "float64"}),
    "float32": ("toFloat32(0.5)", {"arrow": "float", "fetch_df": "float32", "fetch_polars": "Float32", "pl_read_database": "Float32", "*": "float64"}),
    "decimal": ("toDecimal128('123.456789012', 12)", {"arrow": "decimal128(38, 12)", "fetch_polars": "Decimal(precision=38, scale=12)", "pl_read_database": "Decimal(precision=38, scale=12)", "read_sql_query": "float64", "*": "object"}),
    "bool": ("true", {"arrow": "bool", "fetch_polars": "Boolean", "pl_read_database": "Boolean", "*": "bool"}),
    "string": ("'x'", {"arrow": "large_string", "fetch_polars": "String", "pl_read_database": "String", "*": STR}),
    "low_cardinality": ("CAST('a', 'LowCardinality(Nullable(String))')", {"arrow": "large_string", "fetch_polars": "String", "pl_read_database": "String", "*": STR}),
    "enum": ("CAST('b', 'Enum8(\\'a\\' = 1, \\'b\\' = 2)')", {"arrow": "large_string", "fetch_polars": "String", "pl_read_database": "String", "*": STR}),
    "uuid": ("toUUID('6a0e1f8e-5b6c-4d3e-9f00-0123456789ab')", {"arrow": "extension<arrow.uuid>", "fetch_polars": "Binary", "pl_read_database": "Object", "*": "object"}),
    "date": ("toDate32('1969-07-20')", {"arrow": "date32[day]", "fetch_polars": "Date", "pl_read_database": "Date", "*": "object"}),
    "datetime_utc": ("toDateTime64('2026-11-01 08:15:00.123', 3, 'UTC')", {"arrow": "timestamp[ms, tz=UTC]", "fetch_df": "datetime64[ms, UTC]", "fetch_polars": "Datetime(time_unit='ms', time_zone='UTC')", "pl_read_database": "Datetime(time_unit='us', time_zone=None)", "*": f"datetime64[{NS}, UTC]"}),
    "datetime_zone": ("toDateTime('2026-03-29 03:30:00', 'Europe/Paris')", {"arrow": "timestamp[s, tz=Europe/Paris]", "fetch_df": "datetime64[s, Europe/Paris]", "fetch_polars": "Datetime(time_unit='ms', time_zone='Europe/Paris')", "pl_read_database": "Datetime(time_unit='us', time_zone=None)", "*": f"datetime64[{NS}, UTC]"}),
    "datetime_naive": ("toDateTime('2026-11-01 08:15:00')", {"arrow": "timestamp[s]", "fetch_df": "datetime64[s]", "fetch_polars": "Datetime(time_unit='ms', time_zone=None)", "pl_read_database": "Datetime(time_unit='us', time_zone=None)", "*": f"datetime64[{NS}]"}),
    "array": ("[1, 2]", {"arrow": "list<item: uint8 not null>", "fetch_polars": "List(UInt8)", "pl_read_database": "List(UInt64)", "*": "object"}),
    "map": ("map('a', 1)", {"arrow": "map<large_string, uint8>", "fetch_polars": "Map(String, UInt8)", "pl_read_database": "Struct({'a': Int64})", "*": "object"}),
    "tuple": ("CAST((1, 'x'), 'Tuple(n Int64, s String)')", {"arrow": "struct<n: int64 not null, s: large_string not null>", "fetch_polars": "Struct({'n': Int64, 's': String})", "pl_read_database": "Struct({'n': Int64, 's': String})", "*": "object"}),
    "json": ("CAST('{\"a\": {\"b\": 1.5}}', 'JSON')", {"arrow": "large_string", "fetch_df": STR, "fetch_polars": "String", "pl_read_database": "Struct({'a': Struct({'b': Float64})})", "*": "object"}),
    "ip": ("toIPv6('2001:db8::1')", {"arrow": "large_string", "fetch_df": STR, "fetch_polars": "String", "pl_read_database": "Object", "*": "object"}),
    "interval": ("toIntervalSecond(3)", {"arrow": "duration[s]", "fetch_df": "timedelta64[s]", "fetch_polars": "Duration(time_unit='ms')", "pl_read_database": "Duration(time_unit='us')", "*": f"timedelta64[{NS}]"}),
}  # fmt: skip
QUERY = "SELECT " + ", ".join(f"{sql} AS {name}" for name, (sql, _) in FAMILIES.items())


def dtype(path: str, family: str) -> str:
    expected = FAMILIES[family][1]
    return expected.get(path, expected["*"])


@pytest.fixture(scope="module")
def exact() -> dict[str, Any]:
    """The driver's own Python values: the oracle every path is held to."""
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        cur.execute(QUERY)
        (row,) = cur.fetchall()
    return dict(zip(FAMILIES, row, strict=True))


def python_value(value: Any) -> Any:
    """A frame cell as a plain Python value (numpy and pandas scalars unwrapped)."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, pd.Timedelta):
        return value.to_pytimedelta()
    if isinstance(value, np.ndarray):
        return [python_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_arrow_form(family: str, value: Any) -> Any:
    """Undo what the Arrow representation documents for a family (text, bytes, structs)."""
    if family == "int128":
        return int(value)
    if family == "uuid" and isinstance(value, bytes):
        return uuid.UUID(bytes=value)
    if family == "ip":
        return ipaddress.ip_address(value)
    if family == "json":
        return json.loads(value)
    if family == "map" and isinstance(value, list):  # pyarrow's list of pairs
        return dict(value)
    return value


def frame_for(
    path: str, engine: sa.engine.Engine, sql: str = QUERY
) -> tuple[dict[str, str], dict[str, Any]]:
    """Run `sql` through `path`; return its dtypes and first row as {column: ...}."""
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        if path == "arrow":
            table = cur.execute(sql).fetch_arrow_table()
            return {f.name: str(f.type) for f in table.schema}, table.to_pylist()[0]
        if path == "fetch_polars":
            pframe = cur.execute(sql).fetch_polars()
            return {k: str(v) for k, v in pframe.schema.items()}, pframe.row(0, named=True)
        if path == "fetch_df":
            frame = cur.execute(sql).fetch_df()
        elif path == "read_sql":
            frame = pd.read_sql(sql, engine, coerce_float=False)
        elif path == "read_sql_query":
            frame = pd.read_sql_query(sa.text(sql), engine)
        else:
            raise AssertionError(path)
    return {k: str(v) for k, v in frame.dtypes.items()}, {
        k: python_value(v) for k, v in frame.iloc[0].items()
    }


@pytest.mark.parametrize(
    "path", ["arrow", "fetch_df", "fetch_polars", "read_sql", "read_sql_query"]
)
def test_typed_frame(path: str, engine: sa.engine.Engine, exact: dict[str, Any]) -> None:
    dtypes, row = frame_for(path, engine)
    assert dtypes == {family: dtype(path, family) for family in FAMILIES}
    for family, expected in exact.items():
        value = row[family]
        if path in ("arrow", "fetch_df", "fetch_polars"):
            value = from_arrow_form(family, value)
        if family == "tuple" and isinstance(value, dict) and not isinstance(expected, dict):
            value = tuple(value.values())
        if path == "read_sql_query" and family == "decimal":  # pandas' coerce_float=True
            expected = float(expected)
        if path.startswith("read_sql") and family == "datetime_zone":  # pandas makes it UTC
            expected = expected.astimezone(UTC)
        assert value == expected, family
        assert type(value) is type(expected) or family in ("datetime_utc", "datetime_zone"), family


def test_raw_connection_read_sql(exact: dict[str, Any]) -> None:
    """pandas on a plain DB-API connection (it warns that it only tests SQLAlchemy and sqlite)."""
    with paid_dbapi.connect(demo=True) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        frame = pd.read_sql(QUERY, conn, coerce_float=False)
    assert {k: str(v) for k, v in frame.dtypes.items()} == {
        f: dtype("read_sql", f) for f in FAMILIES
    }
    assert frame["decimal"][0] == exact["decimal"]
    assert frame["uint64"][0] == exact["uint64"]


@pytest.mark.parametrize("via", ["connection", "engine"])
def test_polars_read_database(via: str, engine: sa.engine.Engine, exact: dict[str, Any]) -> None:
    """The generic path types columns from `cursor.description` names; it loses time zones."""
    families = [f for f in FAMILIES if f != "tuple"]
    sql = "SELECT " + ", ".join(f"{FAMILIES[f][0]} AS {f}" for f in families)
    with paid_dbapi.connect(demo=True) as conn:
        frame = pl.read_database(sql, conn if via == "connection" else engine)
    assert {k: str(v) for k, v in frame.schema.items()} == {
        f: dtype("pl_read_database", f) for f in families
    }
    row = frame.row(0, named=True)
    for family in families:
        expected = exact[family]
        if family.startswith("datetime_") and expected.tzinfo is not None:
            expected = expected.astimezone(UTC).replace(tzinfo=None)  # the zone is lost
        if family == "json":
            expected = {"a": {"b": 1.5}}
        assert row[family] == expected, family


def test_arrow_keeps_nanoseconds_and_wide_decimals() -> None:
    """What Python objects cannot hold, Arrow does: nanoseconds and 76-digit Decimals (sent
    with every digit by the exact emulator; the service rounds them through a double)."""
    with exact_connect() as conn:
        table = (
            conn.cursor()
            .execute(
                "SELECT toDateTime64('2026-11-01 08:15:00.123456789', 9, 'Asia/Tokyo') AS ns, toIntervalNanosecond(5) AS iv, "
                "toTime64('-12:34:56.123456789', 9) AS tm, "
                "toDecimal256('-1234567890123456789012345678901234.5678901234567890123456789012345678901', 41) AS wide"
            )
            .fetch_arrow_table()
        )
    assert table.schema.field("ns").type == pa.timestamp("ns", "Asia/Tokyo")
    assert (
        table["ns"][0].value == pd.Timestamp("2026-11-01 08:15:00.123456789", tz="Asia/Tokyo").value
    )
    assert table.schema.field("iv").type == pa.duration("ns")
    assert table["iv"][0].value == 5
    assert table.schema.field("tm").type == pa.duration("ns")
    assert table["tm"][0].value == -((12 * 3600 + 34 * 60 + 56) * 10**9 + 123456789)
    wide = Decimal("-1234567890123456789012345678901234.5678901234567890123456789012345678901")
    assert table["wide"][0].as_py() == wide
    with exact_connect() as conn:
        frame = conn.cursor().execute("SELECT toDecimal256('1.5', 40) AS wide").fetch_polars()
    assert frame["wide"].to_list() == ["1.5" + "0" * 39]  # polars' Decimal stops at 38 digits


def test_fetch_df_keeps_columns_of_the_same_name() -> None:
    with paid_dbapi.connect(demo=True) as conn:
        frame = conn.cursor().execute("SELECT 1, 1, toInt8(2) AS n").fetch_df()
    assert list(frame.columns) == ["1", "1", "n"]
    assert [str(t) for t in frame.dtypes] == ["uint8", "uint8", "int8"]


NULLS = (
    "SELECT * FROM (SELECT CAST(NULL, 'Nullable(Int64)') AS i, CAST(NULL, 'Nullable(Bool)') AS b, CAST(NULL, 'Nullable(Decimal(18, 4))') AS d, CAST(NULL, 'Nullable(String)') AS s "
    "UNION ALL SELECT toInt64(9007199254740993), true, toDecimal64('1.25', 4), 'x') ORDER BY i NULLS FIRST"
)


def test_nulls_stay_nulls_and_ints_stay_exact() -> None:
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        frame = cur.execute(NULLS).fetch_df()
        pframe = cur.execute(NULLS).fetch_polars()
    assert [str(t) for t in frame.dtypes] == [
        "Int64",
        "boolean",
        "object",
        STR if PANDAS3 else "object",
    ]
    assert frame["i"].isna()[0]
    assert frame["i"][1] == 9007199254740993
    assert frame["d"][1] == Decimal("1.2500")
    assert pframe["i"].to_list() == [None, 9007199254740993]
    assert pframe["d"].to_list() == [None, Decimal("1.2500")]


def test_uuid_and_json_columns_with_and_without_nulls() -> None:
    """Arrow from the server's text (first fetch) and from the Python values (after a fetch),
    with and without NULLs, agrees with the rows."""
    sql = (
        "SELECT toUUID(concat('6a0e1f8e-5b6c-4d3e-9f00-0123456789a', toString(n))) AS u,"
        " if(n = 1, NULL, u) AS nu, CAST(concat('{\"k\": ', toString(n), '.5}'), 'JSON') AS j"
        " FROM (SELECT arrayJoin([0, 1, 2]) AS n)"
    )
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        rows = cur.execute(sql).fetchall()
        from_text = cur.execute(sql).fetch_arrow_table()
        assert cur.execute(sql).fetchone() == rows[0]
        from_values = cur.fetch_arrow_table()  # the rows after the first, from Python values
    for table, expected in ((from_text, rows), (from_values, rows[1:])):
        assert [str(f.type) for f in table.schema] == [
            "extension<arrow.uuid>", "extension<arrow.uuid>", "large_string",
        ]  # fmt: skip
        assert table["u"].to_pylist() == [r[0] for r in expected]
        assert table["nu"].to_pylist() == [r[1] for r in expected]
        assert table["nu"].null_count == 1
        assert [json.loads(text) for text in table["j"].to_pylist()] == [r[2] for r in expected]
    assert rows[2][2] == {"k": 2.5}


EMPTY = "SELECT toUInt64(1) AS n, toDecimal64('1.5', 4) AS d, toDateTime64('2026-01-01 00:00:00', 3, 'UTC') AS t, CAST(NULL, 'Nullable(String)') AS s WHERE false"


def test_empty_results_keep_their_schema(engine: sa.engine.Engine) -> None:
    """Tools probe with WHERE false: the schema must be the same as with rows."""
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        table = cur.execute(EMPTY).fetch_arrow_table()
        frame = cur.execute(EMPTY).fetch_df()
        pframe = cur.execute(EMPTY).fetch_polars()
        streamed = pa.table(cur.execute(EMPTY))
    expected = pa.schema([
        pa.field("n", pa.uint64(), nullable=False), pa.field("d", pa.decimal128(18, 4), nullable=False),
        pa.field("t", pa.timestamp("ms", "UTC"), nullable=False), pa.field("s", pa.large_string()),
    ])  # fmt: skip
    assert table.num_rows == 0
    assert table.schema == expected
    assert streamed.schema == expected
    assert [str(t) for t in frame.dtypes] == [
        "uint64",
        "object",
        "datetime64[ms, UTC]",
        STR if PANDAS3 else "object",
    ]
    assert pframe.schema == pl.Schema(
        {"n": pl.UInt64, "d": pl.Decimal(18, 4), "t": pl.Datetime("ms", "UTC"), "s": pl.String}
    )
    assert pl.read_database(EMPTY, engine).columns == ["n", "d", "t", "s"]


def test_arrow_stream_interface() -> None:
    """The cursor is an Arrow stream: pyarrow, polars, DuckDB (and pandas 3) read it without a
    copy, as often as they like, and exporting it does not move the cursor."""
    sql = "SELECT arrayJoin([0, 1, 2]) AS n, toDecimal64(n, 2) AS d"
    with paid_dbapi.connect(demo=True) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        decimals = [Decimal("0.00"), Decimal("1.00"), Decimal("2.00")]
        assert pa.table(cur)["d"].to_pylist() == decimals
        assert pl.DataFrame(cur)["n"].to_list() == [0, 1, 2]
        assert duckdb.sql("SELECT sum(d) AS s, max(n) FROM cur").fetchall() == [
            (Decimal("3.00"), 2)
        ]
        if PANDAS3:
            assert pd.DataFrame.from_arrow(cur)["n"].tolist() == [0, 1, 2]
        assert cur.fetchone() == (0, Decimal("0.00"))
        assert pa.table(cur)["n"].to_pylist() == [1, 2]  # the rest of the result
        assert cur.fetch_arrow_table()["n"].to_pylist() == [1, 2]
        assert cur.fetchall() == []
        assert pa.table(cur).num_rows == 0


FETCHES: dict[str, Callable[[paid_dbapi.Cursor], Any]] = {
    "fetchall": lambda cur: cur.fetchall(),
    "fetch_arrow_table": lambda cur: cur.fetch_arrow_table(),
    "fetch_df": lambda cur: cur.fetch_df(),
    "fetch_polars": lambda cur: cur.fetch_polars(),
}


CAPPED = "SELECT id, cost_amount FROM fact_cost"


@pytest.fixture(scope="module")
def capped() -> Emulator:
    """An emulator whose row cap is 5, so that any view is truncated."""
    return Emulator(row_limit=5)


@pytest.mark.parametrize("fetch", FETCHES)
def test_truncation_follows_on_truncation(fetch: str, capped: Emulator) -> None:
    sql = CAPPED
    for mode in ("warn", "error", "ignore"):
        with connect_to(capped, on_truncation=mode) as conn:
            cur = conn.cursor()
            if mode == "error":
                with pytest.raises(DataError, match="row cap"):
                    cur.execute(sql)
                assert cur.truncated
                continue
            if mode == "warn":
                with pytest.warns(TruncatedResultWarning):
                    cur.execute(sql)
            else:
                cur.execute(sql)
            assert cur.truncated
            assert len(FETCHES[fetch](cur)) == 5


def test_truncation_on_the_generic_paths(capped: Emulator) -> None:
    def engine(mode: str) -> sa.engine.Engine:
        return sa.create_engine("paid://", connect_args={
            "api_key": capped.keys()["acme"], "base_url": DEMO_BASE_URL, "transport": capped.transport(), "on_truncation": mode})  # fmt: skip

    strict, loose = engine("error"), engine("warn")
    with pytest.raises(
        (pd.errors.DatabaseError, sa.exc.DataError), match=r"\[TRUNCATED\]"
    ):  # pandas 3 wraps
        pd.read_sql(CAPPED, strict)
    with pytest.raises(sa.exc.DataError, match=r"\[TRUNCATED\]"):
        pl.read_database(CAPPED, strict)
    with pytest.warns(TruncatedResultWarning):
        assert len(pl.read_database(CAPPED, loose)) == 5
    with (
        connect_to(capped, on_truncation="error") as conn,
        pytest.raises(DataError, match="row cap"),
    ):
        pl.read_database(CAPPED, conn)
    strict.dispose()
    loose.dispose()


def test_ten_thousand_decimals_keep_every_digit() -> None:
    """38-digit Decimals on 10,000 rows, held to ClickHouse's own text of each value."""
    sql = (
        "SELECT toString(x) AS text, x FROM (SELECT toDecimal128(concat(toString(cityHash64(number) % 1000000000000000000), "
        "toString(cityHash64(number + 1) % 100000000), '.', leftPad(toString(cityHash64(number + 2) % 1000000000000), 12, '0')), 12) AS x "
        "FROM (SELECT arrayJoin(range(10000)) AS number))"
    )
    with exact_connect() as conn:  # every digit sent: the service's double would round them
        cur = conn.cursor()
        table = cur.execute(sql).fetch_arrow_table()
        frame = cur.execute(sql).fetch_df()
        pframe = cur.execute(sql).fetch_polars()
    texts = table["text"].to_pylist()
    assert len(texts) == 10_000
    assert max(len(t) for t in texts) >= 38
    expected = [Decimal(t) for t in texts]
    assert table["x"].to_pylist() == expected
    assert frame["x"].tolist() == expected
    assert pframe["x"].to_list() == expected
