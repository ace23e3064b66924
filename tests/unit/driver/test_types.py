"""The type parser and value converters on their own: type properties, Tuple and Enum names,
malformed types and texts, type objects (values ClickHouse produced: tests/integration)."""

from __future__ import annotations

import pytest

import paid_dbapi
from paid_dbapi._types import make_converter, parse_text, parse_type


@pytest.mark.parametrize(
    ("text", "name", "nullable", "base", "precision", "scale", "timezone", "length"),
    [
        ("UInt64", "UInt64", False, "UInt64", None, None, None, None),
        ("Nullable(DateTime64(3, 'UTC'))", "Nullable", True, "DateTime64", 3, None, "UTC", None),
        (
            "LowCardinality(Nullable(String))",
            "LowCardinality",
            True,
            "String",
            None,
            None,
            None,
            None,
        ),
        ("Decimal(38, 10)", "Decimal", False, "Decimal", 38, 10, None, None),
        ("Decimal128(4)", "Decimal128", False, "Decimal128", 38, 4, None, None),
        ("FixedString(16)", "FixedString", False, "FixedString", None, None, None, 16),
        (
            "DateTime('Europe/Paris')",
            "DateTime",
            False,
            "DateTime",
            None,
            None,
            "Europe/Paris",
            None,
        ),
        (
            "SimpleAggregateFunction(sum, UInt64)",
            "SimpleAggregateFunction",
            False,
            "UInt64",
            None,
            None,
            None,
            None,
        ),
        ("Enum8('a' = 1, 'b\\'c' = -2)", "Enum8", False, "Enum8", None, None, None, None),
        ("JSON(max_dynamic_paths=10, a.b UInt32)", "JSON", False, "JSON", None, None, None, None),
        (
            "AggregateFunction(quantiles(0.5, 0.9), UInt64)",
            "AggregateFunction",
            False,
            "AggregateFunction",
            None,
            None,
            None,
            None,
        ),
    ],
)
def test_parse_type_properties(
    text: str,
    name: str,
    nullable: bool,
    base: str,
    precision: int | None,
    scale: int | None,
    timezone: str | None,
    length: int | None,
) -> None:
    t = parse_type(text)
    assert (t.text, t.name, t.nullable, t.base.name) == (text, name, nullable, base)
    assert (t.precision, t.scale, t.timezone, t.length) == (precision, scale, timezone, length)


def test_parse_named_tuple_and_enum_members() -> None:
    t = parse_type("Tuple(a UInt64, `b c` Nullable(Decimal(38, 10)))")
    assert t.field_names == ("a", "b c")
    assert [a.text for a in t.args] == ["UInt64", "Nullable(Decimal(38, 10))"]
    assert parse_type("Enum8('a' = 1, 'b\\'c' = -2)").params == ("a", "b'c")


@pytest.mark.parametrize("bad", ["", "Array(", "Map(String UInt8", "Nullable(String))", "1abc"])
def test_parse_type_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot parse"):
        parse_type(bad)


def test_unknown_type_passes_value_through(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="paid_dbapi._families")
    assert make_converter("Geometry2099")({"x": 1}) == {"x": 1}
    assert "Geometry2099" in caplog.text


def test_type_objects_compare_equal_to_type_codes() -> None:
    assert paid_dbapi.NUMBER == "Nullable(UInt64)"
    assert paid_dbapi.NUMBER == "Decimal(38, 10)"
    assert paid_dbapi.STRING == "LowCardinality(String)"
    assert paid_dbapi.DATETIME == "DateTime64(3, 'UTC')"
    assert paid_dbapi.DATETIME == "Date32"
    assert paid_dbapi.NUMBER != "String"
    assert paid_dbapi.STRING != "not a type("


def test_datetime_with_an_offset_keeps_its_instant() -> None:
    """The wire carries wall-clock text; an offset, if ever sent, decides the DST fold."""
    convert = make_converter("DateTime('America/St_Johns')")
    first = convert("2026-11-01 01:30:00-02:30")
    second = convert("2026-11-01 01:30:00-03:30")
    assert (first.fold, second.fold) == (0, 1)
    assert second.timestamp() - first.timestamp() == 3600
    assert convert("2026-11-01 01:30:00").fold == 0  # without an offset: the first occurrence


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("(1,'a')", ["1", "a"]),
        ("[1,-2.5e3,nan]", ["1", "-2.5e3", "nan"]),
        ("{1:[2,3],4:[]}", [("1", ["2", "3"]), ("4", [])]),
        ("('x\\'y\\\\z\\n\\0',NULL,())", ["x'y\\z\n\0", None, []]),
        ("  ( 'a' , [ 'b' ] )  ", ["a", ["b"]]),
    ],
)
def test_parse_text(text: str, parsed: object) -> None:
    assert parse_text(text) == parsed


@pytest.mark.parametrize("bad", ["(1,", "[1 2]", "{1,2}", "(1))", "'open", ""])
def test_parse_text_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot parse"):
        parse_text(bad)
