"""ClickHouse type strings: one recursive parser, and value decoders built once per column.

The service describes every result column with a ClickHouse type string. `parse_type` turns it
into a `ClickHouseType` tree; what the driver does with each type (Python values, Arrow,
SQLAlchemy, PEP 249, description fields) is its family's, in `paid_dbapi._families`.
`column_decoder` and `make_converter` build, from the families, the function that maps the JSON
values the service sent to the exact Python objects (ints, Decimals, aware datetimes, ...).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import _families as families
from ._families import Decimals, Intervals, family_of
from ._values import (
    ColumnDecoder,
    Converter,
    JSONNumber,
    at_scale,
    identity,
    nullable,
    parse_text,
    plain_json,
    time_nanoseconds,
    unescape,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CALENDAR_INTERVALS", "DATES", "DATETIMES", "DECIMALS", "DECIMAL_PRECISION", "FLOATS",
    "HOLDS_NULL", "INTERVAL_UNITS", "INT_SIZES", "RAW_PARAMS", "SEMI_STRUCTURED", "STRINGS",
    "TIMES", "TRANSPARENT", "ClickHouseType", "ColumnDecoder", "Converter", "JSONNumber",
    "at_scale", "column_decoder", "make_converter", "parse_text", "parse_type", "plain_json",
    "time_nanoseconds",
]  # fmt: skip

# The type names of some families, for code that asks about names (kept from the registry).
#: Wrappers that do not change the Python value of what they wrap.
TRANSPARENT = families.names(transparent=True)
INT_SIZES = families.Integers.SIZES
FLOATS = families.Floats.names
DECIMAL_PRECISION = Decimals.PRECISION
DECIMALS = Decimals.names
STRINGS = families.Strings.names | families.Enums.names
DATES = families.Dates.names
DATETIMES = families.DateTimes.names
TIMES = families.Times.names
INTERVAL_UNITS = Intervals.UNITS
CALENDAR_INTERVALS = families.CalendarIntervals.names
SEMI_STRUCTURED = families.JSONObjects.names | families.Dynamic.names | families.Variant.names
#: Types that hold NULL without a `Nullable` wrapper.
HOLDS_NULL = families.names(holds_null=True)
#: Types whose parameters are not types (kept verbatim in `params`).
RAW_PARAMS = families.names(raw_params=True)


@dataclass(frozen=True)
class ClickHouseType:
    """A parsed ClickHouse type: `name`, nested type `args`, literal `params`, tuple field names.

    The description fields (precision, scale, length, timezone) are asked of the family of
    the type with its wrappers peeled off."""

    text: str
    name: str
    args: tuple[ClickHouseType, ...] = ()
    params: tuple[int | str, ...] = ()
    field_names: tuple[str, ...] | None = None

    @property
    def nullable(self) -> bool:
        """True when values can be NULL: `Nullable(T)` (also inside `LowCardinality`),
        `Dynamic` and `Variant(...)`."""
        t = self
        while family_of(t).transparent and t.args:
            if t.name == "Nullable":
                return True
            t = t.args[-1]
        return family_of(t).holds_null

    @property
    def base(self) -> ClickHouseType:
        """The type with `Nullable`, `LowCardinality` and `SimpleAggregateFunction` peeled off."""
        t = self
        while family_of(t).transparent and t.args:
            t = t.args[-1]
        return t

    @property
    def precision(self) -> int | None:
        """Decimal precision (digits), or DateTime64/Time64 sub-second digits."""
        b = self.base
        return family_of(b).precision(b)

    @property
    def scale(self) -> int | None:
        """Decimal scale (digits after the point)."""
        b = self.base
        return family_of(b).scale(b)

    @property
    def timezone(self) -> str | None:
        """The time-zone argument of `DateTime('Zone')` / `DateTime64(p, 'Zone')`, if any."""
        b = self.base
        return family_of(b).timezone(b)

    @property
    def length(self) -> int | None:
        """FixedString(N) length in bytes."""
        b = self.base
        return family_of(b).length(b)

    def __str__(self) -> str:
        return self.text


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<quoted>`(?:[^`\\]|\\.)*`|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[(),=]))"
)


class _Parser:
    """Recursive-descent parser over ClickHouse type syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"cannot parse ClickHouse type {self.text!r}: {what} at {self.pos}")

    def peek(self) -> tuple[str, str] | None:
        m = _TOKEN.match(self.text, self.pos)
        if not m or m.end() == m.start() or m.lastgroup is None:
            return None
        return m.lastgroup, m.group(m.lastgroup)

    def next(self) -> tuple[str, str]:
        m = _TOKEN.match(self.text, self.pos)
        if not m or m.lastgroup is None:
            raise self.fail("unexpected text")
        self.pos = m.end()
        return m.lastgroup, m.group(m.lastgroup)

    def expect(self, punct: str) -> None:
        kind, value = self.next()
        if kind != "punct" or value != punct:
            raise self.fail(f"expected {punct!r}")

    def raw_until_close(self) -> str:
        """Return the raw text up to the matching ')' (for parameters that are not types)."""
        depth, start = 0, self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in "'`\"":
                _kind, _ = self.next()
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    return self.text[start : self.pos]
                depth -= 1
            self.pos += 1
        raise self.fail("unbalanced parentheses")

    def parse(self) -> ClickHouseType:
        start = self.pos
        kind, name = self.next()
        if kind != "ident":
            raise self.fail("expected a type name")
        args: list[ClickHouseType] = []
        params: list[int | str] = []
        fields: list[str] = []
        peeked = self.peek()
        if peeked == ("punct", "("):
            self.next()
            if name in RAW_PARAMS:
                raw = self.raw_until_close().strip()
                if name == "AggregateFunction":
                    func, rest = _split_top_level(raw)
                    params.append(func.strip())
                    sub = _Parser(rest)
                    while sub.peek() is not None:
                        args.append(sub.parse())
                        if sub.peek() == ("punct", ","):
                            sub.next()
                elif raw:
                    params.append(raw)
            elif self.peek() != ("punct", ")"):
                self._arguments(name, args, params, fields)
            self.expect(")")
        text = self.text[start : self.pos].strip()
        if fields and len(fields) != len(args):
            raise self.fail("mixed named and unnamed tuple elements")
        return ClickHouseType(text, name, tuple(args), tuple(params), tuple(fields) or None)

    def _arguments(
        self, name: str, args: list[ClickHouseType], params: list[int | str], fields: list[str]
    ) -> None:
        first = True
        while True:
            kind, value = self.peek() or ("", "")
            if kind == "str":
                self.next()
                params.append(_unquote(value))
                if self.peek() == ("punct", "="):  # Enum member: 'name' = value
                    self.next()
                    self.next()
            elif kind == "num":
                self.next()
                params.append(int(value) if value.lstrip("-").isdigit() else value)
            elif name == "SimpleAggregateFunction" and first:
                self.next()
                params.append(value if kind == "ident" else _unquote(value))
                if self.peek() == ("punct", "("):  # e.g. anyLast(x) parameters
                    self.next()
                    self.raw_until_close()
                    self.expect(")")
            elif kind in ("ident", "quoted"):
                save = self.pos
                self.next()
                after = self.peek()
                if after is not None and after[0] in ("ident", "quoted"):
                    fields.append(_unquote(value))  # named element: `name Type`
                    args.append(self.parse())
                else:
                    self.pos = save
                    args.append(self.parse())
            else:
                raise self.fail("unexpected token")
            first = False
            if self.peek() == ("punct", ","):
                self.next()
                continue
            return


def _split_top_level(raw: str) -> tuple[str, str]:
    """Split `f(a, b), T1, T2` at its first comma outside parentheses."""
    depth = 0
    for i, ch in enumerate(raw):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            return raw[:i], raw[i + 1 :]
    return raw, ""


def _unquote(token: str) -> str:
    """A quoted type argument (field or Enum name) read by the same rule as a string value."""
    if token[:1] in "'`\"" and token[-1:] == token[:1]:
        return unescape(token[1:-1])
    return token


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> ClickHouseType:
    """Parse a ClickHouse type string such as `Nullable(DateTime64(3, 'UTC'))` (cached)."""
    parser = _Parser(text)
    result = parser.parse()
    if parser.peek() is not None:
        raise parser.fail("trailing text")
    return result


def make_converter(t: ClickHouseType | str, naive_timezone: str | None = None) -> Converter:
    """Build the converter for one column (NULL-safe); identity when no conversion is needed.

    `naive_timezone` attaches a zone to `DateTime` values whose type names none.
    """
    parsed = parse_type(t) if isinstance(t, str) else t
    conv = families.converter(parsed, naive_timezone)
    if conv is None:
        return identity
    return nullable(conv)


@functools.lru_cache(maxsize=1024)
def column_decoder(type_text: str, naive_timezone: str | None = None) -> ColumnDecoder | None:
    """Decoder for a whole result column, or None if its values need no conversion.

    Built once per column type and run over the whole column: its family's fast decoder when
    the column has no NULL and the decoder takes every value, else the converter value by
    value. Unparseable type strings are tolerated (values pass through) so that a new server
    type never breaks a query.
    """
    try:
        parsed = parse_type(type_text)
    except ValueError:
        logger.debug("unparseable ClickHouse type %r; values pass through as sent", type_text)
        return None
    convert = families.converter(parsed, naive_timezone)
    if convert is None:
        return None
    base = parsed.base
    fast = family_of(base).fast(base, naive_timezone)

    def decode(column: Sequence[Any]) -> list[Any]:
        if None in column:
            return [None if v is None else convert(v) for v in column]
        if fast is not None:
            try:
                return fast(column)
            except (ValueError, TypeError):
                pass  # e.g. 9 fractional digits on Python 3.10: the converter copes
        return list(map(convert, column))

    return decode
