"""The typed msgspec passes (for Python rows and for Arrow) give exactly what the plain parse
and the converters give, on scripted bodies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import paid_dbapi
from paid_dbapi import _wire as wire
from paid_dbapi._types import make_converter
from tests.differential import examples


def fingerprint(rows: list[tuple[Any, ...]]) -> list[list[tuple[str, str]]]:
    """Each value's type and repr: Decimal('1.50') and Decimal('1.5') differ, nan is nan."""
    return [[(type(v).__name__, repr(v)) for v in row] for row in rows]


def table_fingerprint(table: Any) -> list[list[tuple[str, str]]]:
    return fingerprint([tuple(row.values()) for row in table.to_pylist()])


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


def test_a_row_count_other_than_the_meta_one_is_an_interface_error() -> None:
    body = b'{"columns": [{"name": "x", "type": "UInt8"}], "rows": [[1]], "meta": {"rowCount": 2}}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with paid_dbapi.connect("key", base_url="https://odd.invalid", transport=transport) as conn:
        cur = conn.cursor()
        for fetch in (cur.fetchall, cur.fetch_arrow_table):
            assert cur.execute("SELECT 1").rowcount == 2  # rows are read on first fetch
            with pytest.raises(paid_dbapi.InterfaceError, match="1 rows, its meta says 2"):
                fetch()


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


#: Text that looks like the members the ends reader looks for, for names and values to hold.
LOOKALIKES = st.sampled_from(
    [',"rows":', ',"meta":', '{"columns":', '"}', "]]", "\\", '\\"', "}", ",", ":", "\n", "é"]
)
TEXTS = st.lists(st.one_of(LOOKALIKES, st.text(max_size=3)), max_size=5).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXTS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.one_of(st.sampled_from(["rows", "meta", "columns"]), TEXTS), inner, max_size=3
        )
    ),
    max_leaves=8,
)


@settings(max_examples=examples(300), deadline=None)
@given(
    names=st.lists(TEXTS, min_size=1, max_size=3),
    values=st.lists(JSON_VALUES, max_size=4),
    meta=st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["rows", "meta", "rowCount"]), JSON_VALUES, max_size=3),
    ),
    extra=st.booleans(),
    column_extra=st.one_of(st.none(), JSON_VALUES),
)
def test_a_body_read_from_its_ends_is_what_the_standard_parser_reads(
    names: list[str],
    values: list[Any],
    meta: dict[str, Any] | None,
    extra: bool,
    column_extra: Any,
) -> None:
    """Column names, JSON values and meta holding text that looks like the members' edges
    (`,"rows":`, `,"meta":`, quotes and backslashes), in the service's compact layout or with
    one more member, or with a `rows` key inside a column: what `parse_body` reads equals
    `json.loads` of the same bytes."""
    columns = [{"name": n, "type": "JSON"} for n in names]
    if column_extra is not None:
        columns[-1]["rows"] = column_extra
    answer: dict[str, Any] = {"columns": columns}
    answer["rows"] = [[v] * len(names) for v in values]
    if meta is not None:
        answer["meta"] = meta
    if extra:
        answer["statistics"] = {"meta": values}
    body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode()
    read = wire.read(wire.parse_body(body))
    assert read.columns == [(n, "JSON") for n in names]
    assert read.meta == answer.get("meta")
    rows = read.rows.rows() if isinstance(read.rows, wire.Unread) else json.loads(bytes(read.rows))
    assert rows == answer["rows"]
