"""Parameter binding without a server: instants, refusals, subclasses, bind markers, and bad
parameters failing before any request (round trips through ClickHouse: tests/integration)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

import paid_dbapi
from paid_dbapi._literals import bind_parameters, render_literal


def test_aware_datetime_keeps_its_instant() -> None:
    paris = dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert render_literal(paris) == "toDateTime64('2026-07-01 12:00:00', 6, 'UTC')"
    assert (
        render_literal(dt.datetime(2026, 7, 1, 14, 0)) == "toDateTime64('2026-07-01 14:00:00', 6)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), "type object"),
        (Decimal("1" * 77), "77 digits"),
        (Decimal("1E-77"), "77 digits"),
        (Decimal("1E+999999"), "1000000 digits"),
        (Decimal("NaN"), "no NaN"),
        (Decimal("-Infinity"), "no NaN or infinity"),
        (2**256, "Int256 and UInt256"),
        (-(2**255) - 1, "outside the widest"),
        (dt.timedelta(days=999999999), "2\\*\\*63-1 microseconds"),
        (dt.timedelta(microseconds=2**63), "2\\*\\*63-1"),
        ("a\ud800b", "not valid Unicode"),
        (dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(-dt.timedelta(hours=5))), "1-9999"),
        (dt.datetime(1, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))), "1-9999"),
        (complex(1, 2), "complex"),
        ([1, object()], "type object"),
    ],
)
def test_unbindable_values_are_programming_errors(value: object, message: str) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match=message):
        render_literal(value)


class _Crafted(float):
    def __repr__(self) -> str:
        return "1) OR 1=1 --"

    def __float__(self) -> float:
        return 2.0


class _CraftedInt(int):
    def __repr__(self) -> str:
        return "1) OR 1=1 --"

    __str__ = __repr__

    def __int__(self) -> int:
        return 7


class _CraftedStr(str):
    def __str__(self) -> str:
        return "') OR 1=1 --"


def test_subclasses_render_as_their_base_value() -> None:
    """A subclass's own methods never shape the SQL: its base value does."""
    assert render_literal(_Crafted(0.25)) == "0.25"
    assert render_literal(_CraftedInt(3)) == "3"
    assert render_literal(_CraftedStr("a")) == "'a'"


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
