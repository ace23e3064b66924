"""The typed msgspec passes (for Python rows and for Arrow) give exactly what the plain parse
and the converters give."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import paid_dbapi
from paid_dbapi import _wire as wire
from tests.unit.frames.test_wire import fingerprint, table_fingerprint

EDGES = [
    "toUInt64(18446744073709551615)", "toInt64(-9223372036854775808)", "toInt128('-170141183460469231731687303715884105728')",
    "toUInt256('115792089237316195423570985008687907853269984665640564039457584007913129639935')", "toInt8(-128)",
    "toFloat64(nan)", "toFloat64(-inf)", "toFloat64(-0.)", "toFloat64(0.1)", "toFloat32(1e-45)", "toFloat64(1.7976931348623157e308)",
    "toDecimal256('-1234567890123456789012345678901234.5678901234567890123456789012345678901', 41)",
    "toDecimal64('1.5', 4)", "toDecimal32(0, 3)", "CAST(NULL, 'Nullable(Decimal(18, 2))')",
    "''", "'é\\0\\n\"'", "toFixedString('a', 3)", "CAST(NULL, 'Nullable(String)')", "CAST('x', 'LowCardinality(Nullable(String))')",
    "CAST('b', 'Enum8(\\'a\\' = 1, \\'b\\' = 2)')", "true", "CAST(NULL, 'Nullable(Bool)')",
    "toUUID('6A0E1F8E-5B6C-4D3E-9F00-0123456789AB')", "CAST(NULL, 'Nullable(UUID)')",
    "toDate32('1900-01-01')", "toDate32('2299-12-31')", "toDate('1970-01-01')",
    "toDateTime64('2026-11-01 08:15:00.123456789', 9, 'UTC')", "toDateTime('2026-10-25 02:30:00', 'Europe/Paris')",
    "toDateTime64('1900-01-01 00:00:00', 0)", "CAST(NULL, 'Nullable(DateTime(\\'UTC\\'))')",
    "[toDecimal64('1.25', 3), NULL]", "[[1, 2], []]", "['a', NULL]", "[toUUID('00000000-0000-0000-0000-000000000001')]",
    "map('k', toDecimal128('12345678901234567890.123456789', 9))", "map(1, 0.1)", "tuple(toDecimal64('2.5', 2), 0.30000000000000004, 'x')",
    "CAST('{\"a\": 0.1, \"b\": [1.25, \"x\"], \"c\": 123456789012345678}', 'JSON')", "toIPv6('2001:db8::1')",
    "toIntervalNanosecond(1500)", "toIntervalMonth(-3)", "NULL",
]  # fmt: skip
QUERY = "SELECT " + ", ".join(f"{e} AS c{i}" for i, e in enumerate(EDGES))


@pytest.fixture
def plain_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the typed pass off: every body goes through the plain parse and the converters."""
    monkeypatch.setattr(wire, "_plan", lambda *plan: None)


def run(sql: str) -> list[tuple[Any, ...]]:
    with paid_dbapi.connect(demo=True, on_precision="ignore") as conn:
        return conn.cursor().execute(sql).fetchall()


@pytest.fixture(scope="module")
def typed() -> list[tuple[Any, ...]]:
    return run(QUERY)


def test_typed_and_plain_passes_agree(typed: list[tuple[Any, ...]], plain_parse: None) -> None:
    assert fingerprint(typed) == fingerprint(run(QUERY))


def test_arrow_from_the_servers_text_equals_arrow_from_python_values() -> None:
    """Arrow built from the server's text (UUIDs, dates, date-times, Decimals, JSON cast in C)
    is the table built from the exact Python values."""
    with paid_dbapi.connect(demo=True, on_precision="ignore") as conn:
        cur = conn.cursor()
        from_text = cur.execute(QUERY).fetch_arrow_table()
        cur.execute(QUERY).fetchmany(0)  # Python values first: Arrow is built from them
        from_values = cur.fetch_arrow_table()
    assert from_text.schema == from_values.schema
    assert table_fingerprint(from_text) == table_fingerprint(from_values)
    texts = wire.decode_rows(wire.parse_body(b"[[1]]"), ["UUID"], wire_text=True).text
    assert texts == frozenset()  # not a body's rows: nothing kept as text
    body = b'{"rows": [["6a0e1f8e-5b6c-4d3e-9f00-0123456789ab", 1.50, {"a": 1}, 2]]}'
    rows, _, texts = wire.decode_rows(
        wire.parse_body(body)["rows"],
        ["UUID", "Decimal(9, 2)", "JSON", "UInt8"],
        wire_text=True,
    )
    assert texts == {0, 1, 2}
    assert rows[0][:2] == ("6a0e1f8e-5b6c-4d3e-9f00-0123456789ab", "1.50")


def test_typed_and_plain_passes_agree_on_many_rows(
    plain_parse: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = (
        "SELECT number, toDecimal128(number / 7, 12) AS d, toDateTime64(number, 3, 'UTC') AS t, "
        "if(number % 3 = 0, NULL, toString(number)) AS s, reinterpretAsUUID(MD5(toString(number))) AS u "
        "FROM (SELECT arrayJoin(range(2000)) AS number) ORDER BY number"
    )
    plain = run(sql)
    monkeypatch.undo()
    assert fingerprint(run(sql)) == fingerprint(plain)


@pytest.mark.parametrize("read", ["before", "after_rows", "after_arrow", "after_close"])
def test_ignored_precision_flags_read_the_same_whenever_read(read: str) -> None:
    """With on_precision="ignore" the flags are settled when first read, from the pass that
    decoded the rows by then; they say what the warning says in "warn" mode."""
    sql = (
        "SELECT toDecimal128('12345678901234567.5', 2) AS big, toDecimal64('1.5', 2) AS small,"
        " [toDecimal128('1234567890123456789.5', 1)] AS nested, toDecimal128('1.5', 2) AS fits"
    )
    with paid_dbapi.connect(demo=True, on_precision="warn") as conn:
        with pytest.warns(paid_dbapi.PrecisionWarning, match="'big', 'nested'"):
            warned = conn.cursor().execute(sql)
        expected = (warned.precision_lost, warned.imprecise_columns)
    assert expected == (True, ("big", "nested"))
    with paid_dbapi.connect(demo=True, on_precision="ignore") as conn:
        cursor = conn.cursor().execute(sql)
        if read == "after_rows":
            assert cursor.fetchall()[0][1] == Decimal("1.50")
        elif read == "after_arrow":
            assert cursor.fetch_arrow_table().num_rows == 1
        elif read == "after_close":
            cursor.close()
        assert (cursor.precision_lost, cursor.imprecise_columns) == expected
        fits = conn.cursor().execute("SELECT toDecimal128('1.5', 2) AS fits")
        assert (fits.precision_lost, fits.imprecise_columns) == (False, ())
