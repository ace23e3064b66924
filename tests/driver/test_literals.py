"""Parameter binding: every value renders as a literal ClickHouse reads back identically."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paid_dbapi
from paid_dbapi.literals import bind_parameters, render_literal

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
INTS = st.integers(min_value=-(2**63), max_value=2**64 - 1)
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: len(d.as_tuple().digits) - min(d.as_tuple().exponent, 0) <= 76 and d.adjusted() < 70
)
DATETIMES = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2262, 4, 11))
VALUES = st.one_of(
    TEXT,
    INTS,
    DECIMALS,
    st.floats(allow_nan=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2299, 12, 31)),
    DATETIMES,
    DATETIMES.map(lambda d: d.replace(tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))),
    st.uuids(),
    st.lists(st.integers(min_value=-(2**31), max_value=2**31), max_size=5),
)


@pytest.fixture(scope="module")
def cursor() -> Iterator[paid_dbapi.Cursor]:
    with paid_dbapi.connect(demo=True) as conn:
        yield conn.cursor()


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        # ClickHouse writes negative zero as the JSON integer -0: the sign of zero is lost.
        return a == b or (a != a and b != b)
    if isinstance(a, dt.datetime) and a.tzinfo is not None:
        return b.tzinfo is not None and a == b
    return bool(a == b)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=VALUES)
def test_round_trip_through_clickhouse(cursor: paid_dbapi.Cursor, value: Any) -> None:
    cursor.execute("SELECT %s AS v", (value,))
    row = cursor.fetchone()
    assert row is not None
    assert same(row[0], value), (value, row[0], cursor.description)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
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


def test_aware_datetime_keeps_its_instant() -> None:
    paris = dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert render_literal(paris) == "toDateTime64('2026-07-01 12:00:00', 6, 'UTC')"
    assert (
        render_literal(dt.datetime(2026, 7, 1, 14, 0)) == "toDateTime64('2026-07-01 14:00:00', 6)"
    )


def test_unsupported_type_is_a_programming_error() -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match="object"):
        render_literal(object())
    with pytest.raises(paid_dbapi.ProgrammingError, match="77 digits"):
        render_literal(Decimal("1" * 77))


def test_bind_markers() -> None:
    assert bind_parameters("SELECT '%' LIKE 'a%'", None) == "SELECT '%' LIKE 'a%'"
    assert bind_parameters("SELECT %s, '%%'", (1,)) == "SELECT 1, '%'"
    assert bind_parameters("SELECT %(a)s + %(a)s", {"a": 2}) == "SELECT 2 + 2"
    assert bind_parameters("SELECT %s", [uuid.UUID(int=0)]) == (
        "SELECT toUUID('00000000-0000-0000-0000-000000000000')"
    )


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELECT %s, %s", (1,), "more %s markers"),
        ("SELECT %s", (1, 2), "2 parameters"),
        ("SELECT %(a)s", {"b": 1}, "missing parameter 'a'"),
        ("SELECT %(a)s", {"a": 1, "b": 2}, "not used"),
        ("SELECT %s", {"a": 1}, "mapping"),
        ("SELECT %(a)s", (1,), "sequence"),
        ("SELECT %s", "abc", "not a string"),
    ],
)
def test_bad_parameters_fail_before_any_request(sql: str, params: Any, message: str) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match=message):
        bind_parameters(sql, params)
