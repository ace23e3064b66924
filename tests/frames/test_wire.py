"""The typed msgspec passes (for Python rows and for Arrow) give exactly what the plain parse
and the converters give."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest

import paid_dbapi
from paid_dbapi import _wire as wire
from paid_dbapi._types import make_converter

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


def fingerprint(rows: list[tuple[Any, ...]]) -> list[list[tuple[str, str]]]:
    """Each value's type and repr: Decimal('1.50') and Decimal('1.5') differ, nan is nan."""
    return [[(type(v).__name__, repr(v)) for v in row] for row in rows]


def table_fingerprint(table: Any) -> list[list[tuple[str, str]]]:
    return fingerprint([tuple(row.values()) for row in table.to_pylist()])


def run(sql: str) -> list[tuple[Any, ...]]:
    with paid_dbapi.connect(demo=True, on_precision="ignore") as conn:
        return conn.cursor().execute(sql).fetchall()


def test_the_plan_is_used_for_these_types() -> None:
    planned = wire.decode_rows(wire.parse_body(b"[[1]]"), ["UInt8"]).planned
    assert planned == {}  # not a body object: nothing typed
    body = wire.parse_body(
        b'{"rows": [["18446744073709551615", "6a0e1f8e-5b6c-4d3e-9f00-0123456789ab", 1.5]]}'
    )
    rows, planned, text = wire.decode_rows(body["rows"], ["UInt64", "UUID", "Decimal(9, 2)"])
    assert text == frozenset()
    assert rows[0][0] == 18446744073709551615
    assert planned[0] is None
    assert planned[1] is None
    assert planned[2] is not None  # the Decimal still gets its column's scale
    assert planned[2](rows[0][2:]) == [Decimal("1.50")]


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


def test_a_row_count_other_than_the_meta_one_is_an_interface_error() -> None:
    body = b'{"columns": [{"name": "x", "type": "UInt8"}], "rows": [[1]], "meta": {"rowCount": 2}}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with paid_dbapi.connect("key", base_url="https://odd.invalid", transport=transport) as conn:
        cur = conn.cursor()
        for fetch in (cur.fetchall, cur.fetch_arrow_table):
            assert cur.execute("SELECT 1").rowcount == 2  # rows are read on first fetch
            with pytest.raises(paid_dbapi.InterfaceError, match="1 rows, its meta says 2"):
                fetch()


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


ODD_BODIES = [
    # values a typed plan refuses: the plain parse and the converters decide, as always
    ({"x": "UInt64"}, [["1"], [None]]),
    ({"x": "String"}, [[5]]),
    ({"x": "Bool"}, [[1], [True]]),
    ({"x": "Float64"}, [["nan"], [None], [1]]),
    ({"x": "Date"}, [["2026-11-01"], [None]]),
    ({"x": "Decimal(10, 2)", "y": "UUID"}, [["1.5", "6A0E1F8E5B6C4D3E9F000123456789AB"]]),
    # UUID text Arrow takes only when every value is canonical: else the converters decide
    (
        {"x": "UUID"},
        [["6A0E1F8E-5B6C-4D3E-9F00-0123456789AB"], ["00000000-0000-0000-0000-00000000000a"]],
    ),
    (
        {"x": "UUID"},
        [["6a0e1f8e-5b6c-4d3e-9f00-0123456789a"], ["a6a0e1f8e-5b6c-4d3e-9f00-0123456789ab"]],
    ),
    ({"x": "UUID"}, [["6a0e1f8e-5b6c-4d3e-9f00-0123456789a "]]),
    ({"x": "Decimal(10, 2)", "y": "Date"}, [[1, "2026-11-01"], ["123456789.005", "2026-02-30"]]),
]


@pytest.mark.parametrize(("columns", "rows"), ODD_BODIES)
def test_odd_bodies_decode_as_the_plain_parse_does(
    columns: dict[str, str], rows: list[list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(
        {
            "columns": [{"name": n, "type": t} for n, t in columns.items()],
            "rows": rows,
            "meta": {"rowCount": len(rows)},
        }
    ).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))

    def fetch() -> Any:
        """As rows, and as Arrow built from the server's text where it can be."""
        answers = []
        with paid_dbapi.connect("key", base_url="https://odd.invalid", transport=transport) as conn:
            cur = conn.cursor()
            reads = (
                lambda: fingerprint(cur.fetchall()),
                lambda: table_fingerprint(cur.fetch_arrow_table()),
            )
            for read in reads:
                try:
                    cur.execute("SELECT 1")
                    answers.append(read())
                except paid_dbapi.Error as exc:
                    answers.append((type(exc).__name__, str(exc)))
        return answers

    typed = fetch()
    monkeypatch.setattr(wire, "_plan", lambda *plan: None)
    assert typed == fetch()


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


@pytest.mark.parametrize("naive_timezone", [None, "UTC", "America/St_Johns"])
def test_datetime_columns_by_the_typed_pass_equal_the_converters(
    naive_timezone: str | None,
) -> None:
    """Date-time text decoded natively and then zoned gives what each value's converter
    gives: offsets sent keep their instant, NULLs stay None, each column's own zone wins."""
    columns = ["DateTime", "Nullable(DateTime64(3, 'Europe/Paris'))", "DateTime64(6, 'UTC')"]
    rows = [
        ["2026-11-01 01:30:00", None, "2026-11-01 08:15:00.000001"],
        ["2026-11-01 01:30:00-03:30", "2026-10-25 02:30:00.500", "2026-11-01 08:15:00+01:00"],
        ["1900-01-01 00:00:00", "2299-12-31 23:59:59.999", "2026-11-01 08:15:00.123456"],
    ]
    body = json.dumps({"columns": [{"name": f"c{i}", "type": t} for i, t in enumerate(columns)],
                       "rows": rows, "meta": {"rowCount": len(rows)}}).encode()  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with paid_dbapi.connect(
        "k", base_url="https://x.invalid", transport=transport, naive_timezone=naive_timezone
    ) as conn:
        got = conn.cursor().execute("SELECT 1").fetchall()
    converters = [make_converter(t, naive_timezone) for t in columns]
    want = [tuple(c(v) for c, v in zip(converters, row, strict=True)) for row in rows]
    assert fingerprint(got) == fingerprint(want)
    assert [(v.utcoffset(), v.fold) for v in got[1] if v] == [
        (w.utcoffset(), w.fold) for w in want[1] if w
    ]


def test_a_body_is_read_from_its_ends_and_its_rows_in_one_pass() -> None:
    """The service's layout leaves the rows unread until used; a body whose rows turn out not
    to be JSON raises OperationalError then; another layout is split as before."""
    head = b'{"columns":[{"name":"d","type":"Decimal(9, 2)"},{"name":"x","type":"UInt8"}]'
    meta = b',"meta":{"rowCount":2}}'
    read = wire.parse_body(head + b',"rows":[[1.5,1],[2,3]]' + meta)
    assert isinstance(read["rows"], wire.Unread)
    assert read["meta"] == {"rowCount": 2}
    reordered = b'{"rows":[[1.5,1],[2,3]],' + head[1:] + meta
    assert isinstance(wire.parse_body(reordered)["rows"], msgspec.Raw)
    for body, rows in [(head + b',"rows":[[1.5,1],[2,3]]' + meta, True), (reordered, True),
                       (head + b',"rows":[[1.5,1],[2,3]]]' + meta, False)]:  # fmt: skip
        transport = httpx.MockTransport(
            lambda request, body=body: httpx.Response(200, content=body)
        )
        with paid_dbapi.connect("k", base_url="https://x.invalid", transport=transport) as conn:
            cur = conn.cursor()
            for fetch in (cur.fetchall, cur.fetch_arrow_table):
                cur.execute("SELECT 1")
                if rows:
                    assert len(fetch()) == 2
                else:
                    with pytest.raises(paid_dbapi.OperationalError, match="not JSON"):
                        fetch()


def test_an_offset_after_the_first_value_keeps_its_instant_on_the_plain_parse() -> None:
    """A typed pass refused (an int in a String column): a zoned date-time column is read
    value by value by the converters once any value carries an offset, not just the first."""
    columns = ["String", "DateTime('America/St_Johns')"]
    rows = [[5, "2026-11-01 01:30:00"], ["a", "2026-11-01 04:30:00+00:00"]]
    body = json.dumps({"columns": [{"name": f"c{i}", "type": t} for i, t in enumerate(columns)],
                       "rows": rows, "meta": {"rowCount": len(rows)}}).encode()  # fmt: skip
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with paid_dbapi.connect("k", base_url="https://x.invalid", transport=transport) as conn:
        got = conn.cursor().execute("SELECT 1").fetchall()
    convert = make_converter(columns[1], None)
    assert fingerprint([(v,) for _, v in got]) == fingerprint([(convert(v),) for _, v in rows])
