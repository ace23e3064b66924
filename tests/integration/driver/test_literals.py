"""Parameter binding: every value renders as a literal ClickHouse reads back identically."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paid_dbapi
from paid_dbapi._literals import bind_parameters, render_literal
from tests.conftest import exact_connect
from tests.differential import examples

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
INTS = st.one_of(
    st.integers(min_value=-(2**255), max_value=2**255 - 1),
    st.integers(min_value=0, max_value=2**256 - 1),
    st.sampled_from([-(2**63), 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 2**127, 2**128]),
)
DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: (
            len(d.as_tuple().digits) - min(int(d.as_tuple().exponent), 0) <= 76
            and d.adjusted() < 70
        )
    ),
    st.builds(  # extreme exponents: up to 76 digits, all of them after the point or before it
        lambda digits, exponent, sign: Decimal((sign, digits, exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=76).map(tuple),
        st.integers(min_value=-76, max_value=40),
        st.integers(0, 1),
    ),
)
ZONES = [ZoneInfo(z) for z in ("America/St_Johns", "Europe/London", "Australia/Lord_Howe", "UTC")]
DATETIMES = st.datetimes()
AWARE = st.datetimes(timezones=st.sampled_from(ZONES), allow_imaginary=True)
SCALARS = st.one_of(
    TEXT,
    INTS,
    DECIMALS,
    st.floats(allow_nan=False, width=64),
    st.booleans(),
    st.dates(),
    DATETIMES,
    AWARE,
    st.timedeltas(),
    st.times(),
    st.uuids(),
)
#: Containers ClickHouse can type: arrays and maps of one element type, tuples of any. Ints
#: stay below UInt64: ClickHouse finds no common type for the arrays [-1] and [2**32].
ITEMS = [
    TEXT,
    st.integers(-(2**31), 2**32 - 1),
    st.floats(width=64),
    st.dates(),
    DATETIMES,
    st.uuids(),
]
ARRAYS = st.one_of(
    *(st.lists(item, max_size=4) for item in ITEMS),
    *(st.lists(st.lists(item, max_size=3), max_size=3) for item in ITEMS),
)
MAPS = st.one_of(
    *(st.dictionaries(TEXT, item, max_size=3) for item in ITEMS),
    *(
        st.dictionaries(st.integers(-(2**63), 2**63 - 1), st.lists(item, max_size=3), max_size=2)
        for item in ITEMS
    ),
)
TUPLES = st.tuples(SCALARS, st.one_of(SCALARS, ARRAYS, MAPS), st.one_of(ARRAYS, MAPS))
VALUES = st.one_of(SCALARS, SCALARS, ARRAYS, MAPS, TUPLES)


@pytest.fixture(scope="module")
def cursor() -> Iterator[paid_dbapi.Cursor]:
    """Decimals of every digit must survive: the emulator is asked to send them exactly."""
    with exact_connect() as conn:
        yield conn.cursor()


def same(got: Any, sent: Any) -> bool:
    """`got` is what binding `sent` and reading it back must give: the same type and value,
    aware datetimes as the same instant, Decimals with the same exponent (positive exponents
    become 0: a ClickHouse Decimal's scale is never negative), recursively."""
    if isinstance(sent, dt.time):
        return bool(got == sent.isoformat())  # bound as its ClickHouse text
    if type(got) is not type(sent):
        return False
    if isinstance(sent, float):
        # ClickHouse writes negative zero as the JSON integer -0: the sign of zero is lost.
        return got == sent or (got != got and sent != sent)
    if isinstance(sent, Decimal):
        return bool(got == sent) and got.as_tuple().exponent == min(
            int(sent.as_tuple().exponent), 0
        )
    if isinstance(sent, dt.datetime) and sent.tzinfo is not None:
        return bool(got.astimezone(dt.timezone.utc) == sent.astimezone(dt.timezone.utc))
    if isinstance(sent, (list, tuple)):
        return len(got) == len(sent) and all(map(same, got, sent))
    if isinstance(sent, dict):
        return got.keys() == sent.keys() and all(same(got[k], v) for k, v in sent.items())
    return bool(got == sent)


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=VALUES)
def test_round_trip_through_clickhouse(cursor: paid_dbapi.Cursor, value: Any) -> None:
    """Every value reads back identical, or fails cleanly before any request."""
    try:
        sql = bind_parameters("SELECT %s AS v", (value,))
    except paid_dbapi.ProgrammingError:
        # Only values beyond what ClickHouse holds: an aware datetime whose UTC time leaves
        # years 1-9999, a timedelta beyond 2**63 µs, a Decimal of more than 76 digits.
        assert _may_refuse(value), value
        return
    cursor.execute(sql)
    row = cursor.fetchone()
    assert row is not None
    assert same(row[0], value), (value, row[0], cursor.description)


def _may_refuse(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(map(_may_refuse, value))
    if isinstance(value, dict):
        return any(map(_may_refuse, value.values()))
    aware = isinstance(value, dt.datetime) and value.tzinfo is not None
    return aware or isinstance(value, (dt.timedelta, Decimal))


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    value=st.one_of(
        st.integers(-(2**63), 2**63 - 1).map(np.int64),
        st.integers(0, 2**64 - 1).map(np.uint64),
        st.integers(-128, 127).map(np.int8),
        st.floats(allow_nan=False, width=64).map(np.float64),
        st.floats(allow_nan=False, width=32).map(np.float32),
        st.booleans().map(np.bool_),
        st.datetimes(dt.datetime(1678, 1, 1), dt.datetime(2261, 12, 31)).map(np.datetime64),
        st.timedeltas(-dt.timedelta(days=10**5), dt.timedelta(days=10**5)).map(np.timedelta64),
    )
)
def test_numpy_scalars_round_trip(cursor: paid_dbapi.Cursor, value: Any) -> None:
    cursor.execute("SELECT %s AS v", (value,))
    row = cursor.fetchone()
    assert row is not None
    assert same(row[0], value.item()), (value, row[0])


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=st.binary(max_size=40))
def test_bytes_round_trip(cursor: paid_dbapi.Cursor, value: bytes) -> None:
    cursor.execute("SELECT hex(%s)", (value,))
    assert cursor.fetchone() == (value.hex().upper(),)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("0E-10"),
        Decimal("-0"),
        Decimal("1E-76"),
        Decimal("-" + "9" * 76),
        -(2**255),
        2**256 - 1,
        2**64,
        -(2**63) - 1,
        Decimal("1E+50"),
        Decimal("-1.000"),
        Decimal("1E-40"),
        math.inf,
        -math.inf,
        -0.0,
        "",
        "\\",
        "'; DROP TABLE x; --",
        "\0\n\t\r",
        "\x85 \u2028 \u2029 \x1c \x0b",  # line breaks to str.splitlines(), not to JSON lines
        "\U0001f600 \U0001d518",
    ],
)
def test_edge_values_round_trip(cursor: paid_dbapi.Cursor, value: Any) -> None:
    cursor.execute("SELECT %(v)s", {"v": value})
    row = cursor.fetchone()
    assert row is not None
    assert same(row[0], value)


def test_nan_renders(cursor: paid_dbapi.Cursor) -> None:
    cursor.execute("SELECT %s", (math.nan,))
    (value,) = cursor.fetchone() or (None,)
    assert isinstance(value, float)
    assert math.isnan(value)


def test_containers(cursor: paid_dbapi.Cursor) -> None:
    cursor.execute(
        "SELECT 2 IN %(ids)s, %(arr)s, %(m)s, 3 IN %(s)s, %(td)s, %(t)s",
        {
            "ids": (1, 2),
            "arr": ["a", None],
            "m": {"k": 1},
            "s": {3},
            "td": dt.timedelta(seconds=90),
            "t": dt.time(8, 15, 30),
        },
    )
    assert cursor.fetchone() == (
        True,
        ["a", None],
        {"k": 1},
        True,
        dt.timedelta(seconds=90),
        "08:15:30",
    )


def test_unbindable_values_fail_before_any_request(conn: paid_dbapi.Connection) -> None:
    """The error comes from binding: the connection sends nothing (and stays usable)."""
    cur = conn.cursor()
    with pytest.raises(paid_dbapi.ProgrammingError, match="Unicode"):
        cur.execute("SELECT %s", ("\udfff",))
    assert cur.description is None
    cur.execute("SELECT %s", ("ok",))
    assert cur.fetchall() == [("ok",)]


def test_numpy_scalars_bind_as_their_values(cursor: paid_dbapi.Cursor) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    cursor.execute(
        "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s",
        (
            np.float64(0.25),
            np.float32(0.1),
            np.int8(-3),
            np.uint64(2**64 - 1),
            np.bool_(True),
            np.datetime64("2026-03-01T12:34:56.123456789"),
            np.datetime64("2026-03-01", "D"),
            np.timedelta64(-1500, "ms"),
            np.datetime64("NaT"),
            pd.Timestamp("2026-03-01 12:00:00.000001"),
        ),
    )
    assert cursor.fetchone() == (
        0.25,
        float(np.float32(0.1)),
        -3,
        2**64 - 1,
        True,
        dt.datetime(2026, 3, 1, 12, 34, 56, 123456),
        dt.datetime(2026, 3, 1),
        dt.timedelta(milliseconds=-1500),
        None,
        dt.datetime(2026, 3, 1, 12, 0, 0, 1),
    )
    assert render_literal(np.datetime64("2026-03-01T00:00:00.000000001")) == (
        "toDateTime64('2026-03-01 00:00:00.000000001', 9)"
    )
    assert render_literal(np.timedelta64(-1, "ns")) == "toIntervalNanosecond(-1)"
    assert render_literal(pd.Timedelta(1, "us") + pd.Timedelta(1, "ns")) == (
        "toIntervalNanosecond(1001)"
    )
    assert render_literal(pd.NaT) == "NULL"
    with pytest.raises(paid_dbapi.ProgrammingError, match=r"numpy\.complex128"):
        render_literal(np.complex128(1))


@pytest.mark.parametrize(
    ("sql", "params", "reference"),
    [
        ("SELECT 10-%s AS v, 'x' AS w", (-1,), "SELECT minus(10, %s), 'x'"),
        ("SELECT %s-%s AS v, 'x' AS w", (-1, -(2**70)), "SELECT minus(%s, %s), 'x'"),
        ("SELECT -%s AS v, 'x' AS w", (-2.5,), "SELECT negate(%s), 'x'"),
        ("SELECT 1/%s AS v, 'x' AS w", (-0.5,), "SELECT divide(1, %s), 'x'"),
        ("SELECT -%s AS v, 'x' AS w", (-math.inf,), "SELECT negate(%s), 'x'"),
        (
            "SELECT count() AS v, 'x' AS w FROM dim_customer WHERE 1-%s = 3",
            (-1,),
            "SELECT toUInt64(%s + 1), 'x'",
        ),
    ],
)
def test_literals_never_merge_with_neighbouring_text(
    cursor: paid_dbapi.Cursor, sql: str, params: tuple[Any, ...], reference: str
) -> None:
    """`10-%s` with -1 must not become the comment `10--1` (which drops the rest of the line)."""
    cursor.execute(sql, params)
    row = cursor.fetchone()
    cursor.execute(reference, params)
    assert row == cursor.fetchone()


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT 'a'%s", ("b",)),
        ("SELECT 1%s", (2,)),
        ("SELECT 1.%s", (5,)),
        ("SELECT %s%s", (1, 2)),
    ],
)
def test_literals_glued_to_a_token_are_a_syntax_error(
    cursor: paid_dbapi.Cursor, sql: str, params: tuple[Any, ...]
) -> None:
    """`'a'%s` must not become `'a''b'` (one string, a'b), nor `1%s` the number 12."""
    with pytest.raises(paid_dbapi.ProgrammingError, match=r"SYNTAX_ERROR|[Ss]yntax"):
        cursor.execute(sql, params)


NUMBERS = st.one_of(INTS, st.floats(width=64), st.integers(-(2**63), 2**63 - 1))


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(a=NUMBERS, b=NUMBERS)
def test_numbers_next_to_operators(cursor: paid_dbapi.Cursor, a: Any, b: Any) -> None:
    """`10-%s`, `%s-%s` and `-%s` mean what the same functions spelled out mean."""
    params = (a, a, b, b)
    try:
        cursor.execute("SELECT 10-%s AS x, %s-%s AS y, -%s AS z, 'w' AS w", params)
        got: Any = cursor.fetchall()
    except paid_dbapi.DatabaseError as exc:  # e.g. no common type for Int256 and UInt256
        got = exc.code
    try:
        cursor.execute("SELECT minus(10, %s), minus(%s, %s), negate(%s), 'w'", params)
        want: Any = cursor.fetchall()
    except paid_dbapi.DatabaseError as exc:
        want = exc.code
    assert repr(got) == repr(want)
