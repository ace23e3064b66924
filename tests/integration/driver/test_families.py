"""Every type family of the registry answers every question the driver asks of a type: its
Python value, its native msgspec type, its Arrow type and array, its SQLAlchemy type, its
PEP 249 type object and its description fields. Values come from the emulator's ClickHouse
where a query can make them, and are checked against Python literals."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import uuid
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import chdb
import msgspec
import pyarrow as pa
import pytest
import sqlalchemy as sa

import paid_dbapi
from paid_dbapi import _families as families
from paid_dbapi._arrow import preparer
from paid_dbapi._types import JSONNumber, make_converter, parse_type


class Case(NamedTuple):
    sql: str | None  # a query that makes the value; None: the service cannot send one
    type_text: str  # the type code the service sends
    wire: str  # the value's JSON as the service sends it
    value: Any  # the Python value
    arrow: str  # the Arrow type
    sqlalchemy: str  # the SQLAlchemy type's class name
    pep249: str | None  # the PEP 249 type object it equals
    described: tuple[int | None, int | None, int | None]  # display_size, precision, scale


PARIS = ZoneInfo("Europe/Paris")
CASES = {
    "Integers": Case("toUInt64(18446744073709551615)", "UInt64", '"18446744073709551615"',
                     2**64 - 1, "uint64", "BigInteger", "NUMBER", (None, None, None)),
    "Floats": Case("toFloat32(0.5)", "Float32", "0.5", 0.5, "float", "Float", "NUMBER",
                   (None, None, None)),
    "Decimals": Case("toDecimal64('1.5', 4)", "Decimal(18, 4)", "1.5", Decimal("1.5000"),
                     "decimal128(18, 4)", "Numeric", "NUMBER", (None, 18, 4)),
    "Bool": Case("true", "Bool", "true", True, "bool", "Boolean", "NUMBER", (None, None, None)),
    "Strings": Case("toFixedString('ab', 3)", "FixedString(3)", '"ab\\u0000"', "ab\0",
                    "large_string", "String", "STRING", (3, None, None)),
    "Enums": Case("CAST('b', 'Enum8(\\'a\\' = 1, \\'b\\' = 2)')", "Enum8('a' = 1, 'b' = 2)",
                  '"b"', "b", "large_string", "String", "STRING", (None, None, None)),
    "Nothing": Case("NULL", "Nullable(Nothing)", "null", None, "null", "NullType", None,
                    (None, None, None)),
    "UUIDs": Case("toUUID('6a0e1f8e-5b6c-4d3e-9f00-0123456789ab')", "UUID",
                  '"6a0e1f8e-5b6c-4d3e-9f00-0123456789ab"',
                  uuid.UUID("6a0e1f8e-5b6c-4d3e-9f00-0123456789ab"), "extension<arrow.uuid>",
                  "Uuid" if hasattr(sa, "Uuid") else "String", "STRING", (None, None, None)),
    "Dates": Case("toDate32('1900-01-01')", "Date32", '"1900-01-01"', dt.date(1900, 1, 1),
                  "date32[day]", "Date", "DATETIME", (None, None, None)),
    "DateTimes": Case("toDateTime64('2026-11-01 08:15:00.123456', 6, 'Europe/Paris')",
                      "DateTime64(6, 'Europe/Paris')", '"2026-11-01 08:15:00.123456"',
                      dt.datetime(2026, 11, 1, 8, 15, 0, 123456, tzinfo=PARIS),
                      "timestamp[us, tz=Europe/Paris]", "DateTime", "DATETIME", (None, 6, None)),
    "Times": Case("toTime64('12:34:56.5', 3)", "Time64(3)", '"12:34:56.500"',
                  dt.timedelta(hours=12, minutes=34, seconds=56.5), "duration[ms]", "Interval",
                  "DATETIME", (None, 3, None)),
    "IPs": Case("toIPv4('10.0.0.1')", "IPv4", '"10.0.0.1"', ipaddress.IPv4Address("10.0.0.1"),
                "large_string", "String", "STRING", (None, None, None)),
    "Intervals": Case("toIntervalSecond(90)", "IntervalSecond", '"90"', dt.timedelta(seconds=90),
                      "duration[s]", "Interval", None, (None, None, None)),
    "CalendarIntervals": Case("toIntervalMonth(-3)", "IntervalMonth", '"-3"', -3, "int64",
                              "Integer", None, (None, None, None)),
    "Geo": Case("CAST((1.5, 2.0), 'Point')", "Point", "[1.5,2]", [1.5, 2], "large_string",
                "NullType", None, (None, None, None)),
    "JSONObjects": Case("CAST('{\"a\": 0.5}', 'JSON')", "JSON", '{"a":0.5}', {"a": 0.5},
                        "large_string", "JSON", None, (None, None, None)),
    "Dynamic": Case("CAST(1.5, 'Dynamic')", "Dynamic", "1.5", 1.5, "large_string", "JSON", None,
                    (None, None, None)),
    "Variant": Case("CAST(toDecimal32('2.5', 2), 'Variant(String, Decimal(9, 2))')",
                    "Variant(Decimal(9, 2), String)", "2.5", Decimal("2.50"), "large_string",
                    "JSON", None, (None, None, None)),
    "Arrays": Case("[1, 2]", "Array(UInt8)", "[1,2]", [1, 2], "list<item: uint8 not null>",
                   "ARRAY", None, (None, None, None)),
    "Maps": Case("map(1, 'x')", "Map(UInt8, String)", '{"1":"x"}', {1: "x"},
                 "map<uint8, large_string>", "JSON", None, (None, None, None)),
    "Tuples": Case("tuple(1, 'a')", "Tuple(UInt8, String)", '[1,"a"]', (1, "a"),
                   "struct<1: uint8 not null, 2: large_string not null>", "JSON", None,
                   (None, None, None)),
    "Nested": Case("CAST([(1, 'a')], 'Nested(n UInt8, s String)')", "Nested(n UInt8, s String)",
                   '[[1,"a"]]', [{"n": 1, "s": "a"}],
                   "list<item: struct<n: uint8 not null, s: large_string not null>>", "JSON",
                   None, (None, None, None)),
    "Wrappers": Case("CAST('7', 'LowCardinality(Nullable(String))')",
                     "LowCardinality(Nullable(String))", '"7"', "7", "large_string", "String",
                     "STRING", (None, None, None)),
    "AggregateStates": Case(None, "AggregateFunction(sum, UInt64)", '"\\u0003"', "\x03",
                            "large_string", "NullType", None, (None, None, None)),
}  # fmt: skip
TYPE_OBJECTS = {"STRING": paid_dbapi.STRING, "NUMBER": paid_dbapi.NUMBER,
                "DATETIME": paid_dbapi.DATETIME, "BINARY": paid_dbapi.BINARY,
                "ROWID": paid_dbapi.ROWID}  # fmt: skip
REGISTRY = {type(family).__name__: family for family in families.FAMILIES}


def test_every_family_has_a_case() -> None:
    """A family added to the registry without a case here fails this test."""
    assert sorted(CASES) == sorted(REGISTRY)


@pytest.fixture(scope="module")
def cursor() -> Iterator[paid_dbapi.Cursor]:
    with paid_dbapi.connect(demo=True, on_precision="ignore") as conn:
        yield conn.cursor()


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_family_answers_every_question(name: str, cursor: paid_dbapi.Cursor) -> None:
    case, family = CASES[name], REGISTRY[name]
    t = parse_type(case.type_text)
    assert families.family_of(t if family.transparent else t.base) is family
    assert all(families.family_of(parse_type(n)) is family for n in family.names)
    sent = json.loads(case.wire, parse_float=JSONNumber)
    # the Python value, by the converter and by the native pass
    assert make_converter(t)(sent) == case.value
    native, final = families.wire(t, exact=False)
    decoded = msgspec.json.Decoder(native, strict=False).decode(case.wire)
    if final:
        assert decoded == case.value
    # Arrow
    assert str(families.arrow_type(t)) == case.arrow
    prepare = preparer(t)
    prepared = case.value if prepare is None else prepare(case.value)
    arrow_type = families.arrow_type(t)
    if isinstance(arrow_type, pa.BaseExtensionType):
        from_python = pa.array([prepared], arrow_type.storage_type).cast(arrow_type)
    else:
        from_python = pa.array([prepared], arrow_type)
    assert from_python.type == arrow_type
    # SQLAlchemy: unknown to SQLAlchemy only with a warning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mapped = families.sqlalchemy_type(t)
    assert type(mapped).__name__ == case.sqlalchemy
    assert isinstance(mapped, sa.types.TypeEngine)
    assert bool(caught) == (case.sqlalchemy == "NullType")
    # PEP 249 type objects and the description's fields
    for object_name, type_object in TYPE_OBJECTS.items():
        assert (case.type_text == type_object) == (object_name == case.pep249)
    assert (t.length, t.precision, t.scale) == case.described
    if case.sql is None:
        return
    # what the service sends for the query is what the case says, and it decodes the same
    cursor.execute(f"SELECT {case.sql} AS v")
    assert cursor.description is not None
    assert cursor.description[0][1:] == (case.type_text, None, *case.described, t.nullable)
    assert cursor.fetchall() == [(case.value,)]
    table = cursor.execute(f"SELECT {case.sql} AS v").fetch_arrow_table()
    assert str(table.schema.field("v").type) == case.arrow
    assert table.column("v").to_pylist() == from_python.to_pylist()


#: A value of every fixed-size type, and of some that are not: ClickHouse's own RowBinary of
#: one value of a fixed-size type is as long as the type is wide (in Native too).
SIZED = [
    "toInt8(1)", "toUInt8(1)", "toInt16(1)", "toUInt16(1)", "toInt32(1)", "toUInt32(1)",
    "toInt64(1)", "toUInt64(1)", "toInt128(1)", "toUInt128(1)", "toInt256(1)", "toUInt256(1)",
    "toBFloat16(1)", "toFloat32(1)", "toFloat64(1)", "toDecimal32(1, 2)", "toDecimal64(1, 2)",
    "toDecimal128(1, 2)", "toDecimal256(1, 2)", "CAST(1 AS Decimal(9, 0))",
    "CAST(1 AS Decimal(10, 0))", "CAST(1 AS Decimal(38, 0))", "CAST(1 AS Decimal(39, 0))",
    "true", "toFixedString('ab', 5)", "CAST('a' AS Enum8('a' = 1))",
    "CAST('a' AS Enum16('a' = 1000))", "toUUID('6a0e1f8e-5b6c-4d3e-9f00-0123456789ab')",
    "toDate('2026-01-01')", "toDate32('2026-01-01')", "toDateTime(0, 'UTC')",
    "toDateTime64(0, 3, 'UTC')", "toTime('12:00:00')", "toTime64('12:00:00', 3)",
    "toIPv4('10.0.0.1')", "toIPv6('::1')", "toIntervalSecond(1)", "toIntervalMonth(1)",
]  # fmt: skip
UNSIZED = ["'abc'", "[1, 2]", "(1, 'a')", "map('k', 1)", "toNullable(1)",
           "toLowCardinality('a')", "CAST((1.5, 2.0), 'Point')"]  # fmt: skip


@pytest.mark.parametrize("sql", SIZED + UNSIZED)
def test_a_fixed_size_type_is_as_wide_as_clickhouse_writes_it(sql: str) -> None:
    settings = " SETTINGS enable_time_time64_type = 1"
    type_text = bytes(chdb.query(f"SELECT toTypeName({sql}){settings}", "TSVRaw").bytes())
    width = families.byte_width(parse_type(type_text.decode().strip()))
    one = bytes(chdb.query(f"SELECT {sql}{settings}", "RowBinary").bytes())
    assert width == (len(one) if sql in SIZED else None)
