"""Native for a client_protocol_version, checked against ClickHouse itself (chDB) column by column.

chDB writes Native only for revision 0, so the oracle is built from its parts: each column's
data is chDB's Native of that column alone, its exact type is DESCRIBE's, and the layout around
them (BlockInfo, custom-serialization flag) is ClickHouse's NativeWriter as clickhouse-go and
clickhouse-connect read it (both read the gateway's answers in test_go and
test_clickhouse_connect).
"""

from __future__ import annotations

import struct

import chdb
import pytest

from paid_dbapi.gateway import _native as native
from paid_dbapi.gateway._clickhouse_errors import ClickHouseError

COLUMNS = {
    "i8": "toInt8(-3 + number)",
    "u16": "toUInt16(40000 + number)",
    "i128": "toInt128('-170141183460469231731687303715884105728') + number",
    "u256": "toUInt256(number) * toUInt256('1000000000000000000000000000000')",
    "f32": "toFloat32(number / 3)",
    "f64": "number / 7",
    "bf16": "toBFloat16(number + 0.5)",
    "d9": "toDecimal32(number / 4, 2)",
    "d18": "toDecimal64(number / 8, 4)",
    "d38": "toDecimal128(number / 3, 10)",
    "d76": "toDecimal256(number / 3, 20)",
    "s": "repeat('é', number * 70)",
    "fs": "toFixedString(toString(number), 3)",
    "uuid": "toUUID(concat('61f0c404-5cb3-11e7-907b-a6006ad3dba', toString(number)))",
    "ip4": "toIPv4('10.0.0.1')",
    "ip6": "toIPv6('::1')",
    "day": "toDate('2026-01-01') + number",
    "day32": "toDate32('1960-01-01') + number",
    "naive": "toDateTime(1768446000 + number)",
    "utc": "toDateTime('2026-01-15 03:00:00', 'UTC') + number",
    "tokyo": "toDateTime('2026-01-15 03:00:00', 'Asia/Tokyo') + number",
    "ms": "toDateTime64('2026-01-15 03:00:00.123', 3, 'UTC')",
    "e8": "CAST(number % 2 + 1 AS Enum8('a' = 1, 'b' = 2))",
    "e16": "CAST(number % 2 + 1000 AS Enum16('x' = 1000, 'y' = 1001))",
    "flag": "number % 2 = 0",
    "maybe": "nullIf(toString(number % 2), '0')",
    "null": "NULL",
    "ints": "arrayMap(x -> nullIf(toInt32(x % 2), 0), range(number))",
    "lcs": "[toString(number), NULL]::Array(LowCardinality(Nullable(String)))",
    "lc": "toLowCardinality(toString(number % 2))",
    "lcn": "toLowCardinality(nullIf(toString(number), '1'))",
    "m": "map(toString(number), range(number), 'k', [])",
    "mlc": "map(toLowCardinality('a'), number)",
    "t": "CAST((toString(number), [toDateTime64(number, 3, 'UTC')]) AS "
    "Tuple(a String, b Array(DateTime64(3, 'UTC'))))",
    "nested": "[[], [toString(number)], [[]][1]]",
    "point": "(toFloat64(number), 2.5)::Point",
    "ring": "[(0., 0.), (toFloat64(number), 1.)]::Ring",
    "polygon": "[[(0., 0.), (1., toFloat64(number))]]::Polygon",
    "multipolygon": "[[[(0., 0.), (1., toFloat64(number))]]]::MultiPolygon",
    "days": "toIntervalDay(number)",
    "time": "toTime(3600 + number)",
    "time64": "toTime64(3600.5 + number, 3)",
    "sum": "CAST(number AS SimpleAggregateFunction(sum, UInt64))",
}
SOURCE = "(SELECT number FROM system.numbers LIMIT 4)"


def native_of(sql: str) -> bytes:
    if "SETTINGS" not in sql:
        sql += " SETTINGS enable_time_time64_type = 1"
    return bytes(chdb.query(sql, "Native").bytes())


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def string(value: bytes) -> bytes:
    return varint(len(value)) + value


def column_data(name: str, expression: str) -> bytes:
    """chDB's Native of one column alone, without its header (one block)."""
    alone = native_of(f"SELECT {expression} AS {name} FROM {SOURCE}")
    header = varint(1) + varint(4) + string(name.encode())
    assert alone.startswith(header)
    rest = alone[len(header) :]
    type_length = rest[0]  # every type name here is shorter than 128 bytes
    return rest[1 + type_length :]


def exact_types(sql: str) -> list[str]:
    rows = (
        bytes(
            chdb.query(
                f"DESCRIBE ({sql}) SETTINGS print_pretty_type_names = 0, enable_time_time64_type = 1",
                "TSVRaw",
            ).bytes()
        )
        .decode()
        .splitlines()
    )
    return [row.split("\t")[1] for row in rows]


@pytest.mark.parametrize("revision", [54405, 54460, 54491])
def test_each_column_as_clickhouse_writes_it_for_the_revision(revision: int) -> None:
    sql = f"SELECT {', '.join(f'{e} AS {n}' for n, e in COLUMNS.items())} FROM {SOURCE}"
    types = exact_types(sql)
    assert "DateTime('Asia/Tokyo')" in types
    flag = b"\x00" if revision >= native.WITH_CUSTOM_SERIALIZATION else b""
    expected = native.BLOCK_INFO + varint(len(COLUMNS)) + varint(4)
    for (name, expression), type_name in zip(COLUMNS.items(), types, strict=True):
        expected += string(name.encode()) + string(type_name.encode()) + flag
        expected += column_data(name, expression)
    asked: list[int] = []

    def exact() -> list[str]:
        asked.append(1)
        return types

    assert native.for_revision(native_of(sql), revision, exact) == expected
    assert asked == [1]  # asked once, for the DateTime columns


def test_revision_0_is_chdbs_own_and_below_54337_a_datetime_has_no_zone() -> None:
    sql = "SELECT toDateTime(0, 'Asia/Tokyo') AS d"
    body = native_of(sql)
    assert native.for_revision(body, 0, list) == body
    assert b"DateTime\x00" in body  # revision 0: ClickHouse names it without its zone
    old = native.for_revision(body, 54336, lambda: ["DateTime('Asia/Tokyo')"])
    assert old == native.BLOCK_INFO + body


def test_every_block_gets_its_block_info() -> None:
    body = native_of(
        "SELECT number AS n, toString(number) AS s FROM numbers(5) SETTINGS max_block_size = 2"
    )
    expected = b""
    for block in ([0, 1], [2, 3], [4]):
        expected += native.BLOCK_INFO + varint(2) + varint(len(block))
        expected += string(b"n") + string(b"UInt64") + b"\x00"
        expected += b"".join(struct.pack("<Q", n) for n in block)
        expected += string(b"s") + string(b"String") + b"\x00"
        expected += b"".join(string(str(n).encode()) for n in block)
    assert native.for_revision(body, 54460, list) == expected


def test_many_distinct_low_cardinality_values_use_wider_indexes() -> None:
    body = native_of("SELECT toLowCardinality(toString(number)) AS v FROM numbers(1000)")
    head = varint(1) + varint(1000) + string(b"v") + string(b"LowCardinality(String)")
    data = body[len(head) :]
    assert body.startswith(head)
    assert data[8:10] == b"\x01\x06"
    assert native.for_revision(body, 54460, list) == native.BLOCK_INFO + head + b"\x00" + data


@pytest.mark.parametrize("revision", [54405, 54460])
def test_semi_structured_columns_are_the_engines_encoding_of_them_alone(revision: int) -> None:
    columns = {"s": "toString(number)", "j": "CAST(concat('{\"a\": ', toString(number), '}') AS JSON)",
               "d": "number::Dynamic", "v": "number::Variant(UInt64, String)"}  # fmt: skip
    sql = f"SELECT {', '.join(f'{e} AS {n}' for n, e in columns.items())} FROM {SOURCE}"
    flag = b"\x00" if revision >= native.WITH_CUSTOM_SERIALIZATION else b""
    expected = native.BLOCK_INFO + varint(4) + varint(4)
    for (name, expression), type_name in zip(columns.items(), exact_types(sql), strict=True):
        expected += string(name.encode()) + string(type_name.encode()) + flag
        expected += column_data(name, expression)
    names = list(columns)

    def alone(i: int) -> bytes:
        return native_of(f"SELECT {names[i]} FROM ({sql})")

    assert native.for_revision(native_of(sql), revision, list, alone, 4) == expected
    with pytest.raises(ClickHouseError):  # not one block of all the rows: not written
        native.for_revision(native_of(sql), revision, list, alone, 5)
    with pytest.raises(ClickHouseError) as caught:  # their second serialization
        native.for_revision(native_of(sql), native.WITH_V2_DYNAMIC_AND_JSON, list, alone, 4)
    assert caught.value.code == 48


@pytest.mark.parametrize(
    ("sql", "revision"),
    [
        ("SELECT '{\"a\": 1}'::JSON AS j", 54460),
        ("SELECT 1::Dynamic AS d", 54460),
        ("SELECT 1::Variant(UInt8, String) AS v", 54460),
        ("SELECT sumState(1) AS s", 54460),
        ("SELECT toLowCardinality('a') AS l", 54404),
        ("SELECT 'a' AS s", native.WITH_STRING_SIZE_STREAM),
    ],
)
def test_what_the_gateway_does_not_write_is_refused(sql: str, revision: int) -> None:
    with pytest.raises(ClickHouseError) as caught:
        native.for_revision(native_of(sql), revision, list)
    assert caught.value.code == 48  # NOT_IMPLEMENTED
