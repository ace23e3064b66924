"""The type parser and value converters, checked against values ClickHouse itself produced."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import paid_dbapi
from tests.conftest import exact_connect

# Each case: SQL expression, expected Python value, expected type code.
CASES = [
    ("toUInt64(18446744073709551615)", 18446744073709551615, "UInt64"),
    ("toInt64(-9223372036854775808)", -9223372036854775808, "Int64"),
    ("toUInt128('340282366920938463463374607431768211455')", 2**128 - 1, "UInt128"),
    (
        "toInt256('-57896044618658097711785492504343953926634992332820282019728792003956564819968')",
        -(2**255),
        "Int256",
    ),
    ("toUInt8(255)", 255, "UInt8"),
    ("toInt32(-2147483648)", -(2**31), "Int32"),
    (
        "toDecimal128('1234567890123456789012345678.9012345678', 10)",
        Decimal("1234567890123456789012345678.9012345678"),
        "Decimal(38, 10)",
    ),
    (
        "toDecimal256('-0.000000000000000000000000000000000001', 40)",
        Decimal("-1.0000E-36"),
        "Decimal(76, 40)",
    ),
    ("toDecimal32('0.5', 4)", Decimal("0.5000"), "Decimal(9, 4)"),
    ("toDecimal64('-0.000', 3)", Decimal("0.000"), "Decimal(18, 3)"),
    ("toDecimal64(2, 4)", Decimal("2.0000"), "Decimal(18, 4)"),
    ("toFloat64(0.1)", 0.1, "Float64"),
    ("toFloat32(1.5)", 1.5, "Float32"),
    ("true", True, "Bool"),
    ("'a\\'b\\\\c\\0'", "a'b\\c\0", "String"),
    ("toFixedString('ab', 2)", "ab", "FixedString(2)"),
    (
        "toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')",
        uuid.UUID("61f0c404-5cb3-11e7-907b-a6006ad3dba0"),
        "UUID",
    ),
    ("toDate('2026-11-01')", dt.date(2026, 11, 1), "Date"),
    ("toDate32('1900-01-01')", dt.date(1900, 1, 1), "Date32"),
    (
        "toDateTime('2026-11-01 08:15:00', 'UTC')",
        dt.datetime(2026, 11, 1, 8, 15, tzinfo=dt.timezone.utc),
        "DateTime('UTC')",
    ),
    ("toDateTime('2026-11-01 08:15:00')", dt.datetime(2026, 11, 1, 8, 15), "DateTime"),
    (
        "toDateTime64('2026-11-01 08:15:00.123', 3, 'Asia/Tokyo')",
        dt.datetime(2026, 11, 1, 8, 15, 0, 123000, tzinfo=ZoneInfo("Asia/Tokyo")),
        "DateTime64(3, 'Asia/Tokyo')",
    ),
    (
        "toDateTime64('2026-11-01 08:15:00.123456789', 9, 'UTC')",
        dt.datetime(2026, 11, 1, 8, 15, 0, 123456, tzinfo=dt.timezone.utc),
        "DateTime64(9, 'UTC')",
    ),
    ("CAST('b', 'Enum8(\\'a\\' = 1, \\'b\\' = 2)')", "b", "Enum8('a' = 1, 'b' = 2)"),
    ("toIPv4('10.1.2.3')", ipaddress.IPv4Address("10.1.2.3"), "IPv4"),
    ("toIPv6('2001:db8::1')", ipaddress.IPv6Address("2001:db8::1"), "IPv6"),
    ("CAST(NULL, 'Nullable(Int64)')", None, "Nullable(Int64)"),
    ("toLowCardinality('x')", "x", "LowCardinality(String)"),
    ("[toInt64(1), NULL, 3]", [1, None, 3], "Array(Nullable(Int64))"),
    ("map('k', toUInt64(1))", {"k": 1}, "Map(String, UInt64)"),
    (
        "map(toUInt64(7), [toDecimal64('1.25', 2)])",
        {7: [Decimal("1.25")]},
        "Map(UInt64, Array(Decimal(18, 2)))",
    ),
    ("tuple(toUInt64(1), 'a')", (1, "a"), "Tuple(UInt64, String)"),
    (
        "CAST((1, 'x'), 'Tuple(a UInt64, b String)')",
        {"a": 1, "b": "x"},
        "Tuple(a UInt64, b String)",
    ),
    ("toIntervalDay(3)", dt.timedelta(days=3), "IntervalDay"),
    ("toIntervalMonth(2)", 2, "IntervalMonth"),
    ("toIntervalNanosecond(-1999)", dt.timedelta(microseconds=-1), "IntervalNanosecond"),
    ("toIntervalNanosecond(123456789)", dt.timedelta(microseconds=123456), "IntervalNanosecond"),
    (
        "toTime64('23:59:59.999999999', 9)",
        dt.timedelta(hours=23, minutes=59, seconds=59, microseconds=999999),
        "Time64(9)",
    ),
    ("toTime('-999:59:59')", -dt.timedelta(hours=999, minutes=59, seconds=59), "Time"),
    ("tuple()", (), "Tuple()"),
    ("map(toInt32(-5), 'x')", {-5: "x"}, "Map(Int32, String)"),
    ("map(true, 'y', false, 'n')", {True: "y", False: "n"}, "Map(Bool, String)"),
    ("map(toDecimal32('1.5', 2), 1)", {Decimal("1.50"): 1}, "Map(Decimal(9, 2), UInt8)"),
    ("map(-0., 1, nan, 2)", {0.0: 1, math.inf * 0: 2}, "Map(Float64, UInt8)"),
    ("map((1, 'a'), 'x')", {(1, "a"): "x"}, "Map(Tuple(UInt8, String), String)"),
    ("map([toUInt64(1), 2], 'x')", {(1, 2): "x"}, "Map(Array(UInt64), String)"),
    ("map(map(1, [2]), 3)", {((1, (2,)),): 3}, "Map(Map(UInt8, Array(UInt8)), UInt8)"),
    (
        "map((toDate('2020-01-02'), 'x\\'y,]', [true], CAST(NULL, 'Nullable(Int8)')), 1)",
        {(dt.date(2020, 1, 2), "x'y,]", (True,), None): 1},
        "Map(Tuple(Date, String, Array(Bool), Nullable(Int8)), UInt8)",
    ),
    (
        "map(CAST((1, 'a'), 'Tuple(a UInt8, b String)'), 'x')",
        {(1, "a"): "x"},
        "Map(Tuple(a UInt8, b String), String)",
    ),
    (
        "map(toDateTime64('2020-01-01 00:00:00.123456789', 9, 'Asia/Tokyo'), 1)",
        {dt.datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Tokyo")): 1},
        "Map(DateTime64(9, 'Asia/Tokyo'), UInt8)",
    ),
    ("map(toIPv6('::1'), 1)", {ipaddress.IPv6Address("::1"): 1}, "Map(IPv6, UInt8)"),
    ('CAST(\'{"a": {"b": 1.5}, "s": "x"}\', \'JSON\')', {"a": {"b": 1.5}, "s": "x"}, "JSON"),
    (
        "CAST(CAST('1.25', 'Decimal(10, 4)'), 'Variant(String, Decimal(10, 4))')",
        Decimal("1.2500"),
        "Variant(Decimal(10, 4), String)",
    ),
    ("CAST(toFloat64(2), 'Variant(Float64, String)')", 2.0, "Variant(Float64, String)"),
    (
        "CAST('2026-11-01', 'Variant(Date, Int32)')",
        dt.date(2026, 11, 1),
        "Variant(Date, Int32)",
    ),
    ("CAST(toDecimal64('1.25', 4), 'Dynamic')", 1.25, "Dynamic"),  # a JSON number: a float
    (
        "CAST(CAST('-inf', 'Float64'), 'Variant(Float64, Array(String))')",
        -math.inf,
        "Variant(Array(String), Float64)",
    ),
    ("CAST(nan, 'Float64')", "nan", "Float64"),
    ("CAST(-inf, 'Float64')", -math.inf, "Float64"),
]


@pytest.mark.parametrize(("expr", "expected", "type_code"), CASES, ids=[c[0][:40] for c in CASES])
def test_values_come_back_exact(expr: str, expected: object, type_code: str) -> None:
    cur = exact_connect().cursor()  # every Decimal digit sent: the service's double is not here
    cur.execute(f"SELECT {expr} AS v")
    (value,) = cur.fetchone() or (object(),)
    assert cur.description is not None
    assert cur.description[0][1] == type_code
    if expected == "nan":
        assert isinstance(value, float)
        assert math.isnan(value)
        return
    assert same(value, expected), (value, expected)


def same(a: object, b: object) -> bool:
    """Equal, of the same type, Decimals with the same exponent, datetimes in the same zone;
    recursively through containers (dict keys included)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, Decimal):
        return a == b and a.as_tuple().exponent == b.as_tuple().exponent  # type: ignore[attr-defined]
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()  # type: ignore[attr-defined]
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, dict):
        pairs = zip(sorted(a.items(), key=repr), sorted(b.items(), key=repr), strict=False)  # type: ignore[attr-defined]
        return len(a) == len(b) and all(  # type: ignore[arg-type]
            same(k1, k2) and same(v1, v2) for (k1, v1), (k2, v2) in pairs
        )
    return a == b


def test_38_digit_decimal_survives_the_json_body() -> None:
    """A 38-digit Decimal sent with every digit (the exact emulator) arrives as a JSON number;
    a float parse in the driver would lose digits."""
    cur = exact_connect().cursor()
    cur.execute("SELECT toDecimal128('9999999999999999999999999999.9999999999', 10)")
    (value,) = cur.fetchone() or (None,)
    assert value == Decimal("9999999999999999999999999999.9999999999")
    assert float(value) != value  # a double cannot hold it


def test_naive_timezone_switch(emulator: object) -> None:
    with paid_dbapi.connect(demo=True, naive_timezone="Europe/Paris") as c:
        cur = c.cursor()
        cur.execute(
            "SELECT toDateTime('2026-07-01 12:00:00'), toDateTime('2026-07-01 12:00:00', 'UTC')"
        )
        naive, utc = cur.fetchone() or (None, None)
    assert naive == dt.datetime(2026, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))
    assert utc.tzinfo is dt.timezone.utc


def test_dynamic_and_variant_can_hold_null(conn: paid_dbapi.Connection) -> None:
    cur = conn.cursor()
    cur.execute(
        "SELECT CAST(NULL, 'Dynamic') AS d, CAST(NULL, 'Variant(String, Int8)') AS v, 1 AS n"
    )
    assert cur.fetchall() == [(None, None, 1)]
    assert cur.description is not None
    assert [c[6] for c in cur.description] == [True, True, False]


def test_interval_beyond_timedelta_is_a_data_error_naming_the_column(
    conn: paid_dbapi.Connection,
) -> None:
    cur = conn.cursor()
    cur.execute("SELECT toIntervalSecond(9223372036854775807) AS big")  # rows read on fetch
    with pytest.raises(paid_dbapi.DataError, match=r"'big'.*IntervalSecond.*9223372036854775807"):
        cur.fetchall()
