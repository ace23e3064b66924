"""Readers of values as the service sends them in JSON: exact numbers, date-times, times,
intervals, and ClickHouse's text form of composite values (map keys).

These are the building blocks the type families (`paid_dbapi._families`) assemble into one
converter per column; none of them knows about column types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ._exceptions import DataError

Converter = Callable[[Any], Any]
ColumnDecoder = Callable[[Sequence[Any]], list[Any]]

#: Room for 76 digits and more: quantize only rounds digits finer than the column's scale,
#: which the shortest text of a double can carry (`0.10000000000000009` in `Decimal(38, 16)`).
_DECIMAL_CONTEXT = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_EVEN)
_MAX_TIMEDELTA_US = dt.timedelta.max // dt.timedelta(microseconds=1)


class JSONNumber(str):
    """The exact text of a non-integer JSON number, kept until a column type says what it is.

    Bodies are parsed with `float_hook=JSONNumber`: a Decimal column then gets the Decimal of
    exactly the text that arrived (`Decimal(text)`), a float column a correctly rounded
    `float(text)`, and no value passes through a binary float in the driver on its way to a
    Decimal (the service's own double is another matter: see `paid_dbapi._precision`).
    """

    __slots__ = ()


def identity(value: Any) -> Any:
    return value


def to_int(value: Any) -> int:
    return value if type(value) is int else int(value)


def nullable(inner: Converter) -> Converter:
    """`inner`, with None passed through."""

    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def mapped(*stages: Converter) -> ColumnDecoder:
    """A decoder applying C-level callables in sequence over a whole column."""

    def decode(column: Sequence[Any]) -> list[Any]:
        values: Iterable[Any] = column
        for stage in stages:
            values = map(stage, values)
        return list(values)

    return decode


def plain_json(value: Any) -> Any:
    """Semi-structured payloads: numbers kept as text become floats (in place)."""
    kind = type(value)
    if kind is JSONNumber:
        return float(value)
    if kind is dict or kind is list:
        for key, item in value.items() if kind is dict else enumerate(value):
            item_kind = type(item)
            if item_kind is JSONNumber:
                value[key] = float(item)
            elif item_kind is dict or item_kind is list:
                plain_json(item)
    return value


def at_scale(scale: int) -> Callable[[Decimal], Decimal]:
    """A Decimal with the exponent of its column's scale: `1.5` in `Decimal(18, 4)` is
    `Decimal('1.5000')` (ClickHouse writes no trailing zeros) and `1e-7` in `Decimal(18, 10)`
    is `Decimal('0.0000001000')` (the service writes a double's shortest text)."""
    return operator.methodcaller("quantize", Decimal(1).scaleb(-scale), context=_DECIMAL_CONTEXT)


def scaled(scale: int) -> Callable[[Iterable[Decimal]], list[Decimal]]:
    """`at_scale` over a whole column of Decimals: the context's own quantize, mapped, costs a
    third of a method call per value."""
    quantum = Decimal(1).scaleb(-scale)
    quantize = _DECIMAL_CONTEXT.quantize

    def decode(column: Iterable[Decimal]) -> list[Decimal]:
        return list(map(quantize, column, itertools.repeat(quantum)))

    return decode


def decimal_converter(scale: int) -> Converter:
    """Decimals from number text (or a Decimal, or a string) at their column's scale
    (`at_scale`): the Decimal of exactly the text that arrived, never by way of a float."""
    quantize = at_scale(scale)

    def convert(value: Any) -> Decimal:
        # A float is never produced by our body parser; stay exact anyway.
        exact = Decimal(repr(value) if isinstance(value, float) else value)
        return quantize(exact)

    return convert


def parse_datetime(text: str) -> dt.datetime:
    """ClickHouse text `YYYY-MM-DD hh:mm:ss[.fffffffff]`; digits past microseconds are cut."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        head, dot, frac = text.partition(".")
        if not dot:
            raise
        return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")


def zone_info(zone: str) -> dt.tzinfo:
    """The tzinfo of a ClickHouse time-zone name (UTC as `datetime.timezone.utc`)."""
    return dt.timezone.utc if zone in ("UTC", "Etc/UTC") else ZoneInfo(zone)


def datetime_converter(zone: str | None) -> Converter:
    """Wall-clock text in `zone`. The text carries no offset, so in a repeated DST hour the
    first occurrence is chosen; an offset, if the service ever sends one, is honoured."""
    if zone is None:
        return parse_datetime
    tz = zone_info(zone)

    def convert(value: Any) -> dt.datetime:
        parsed = parse_datetime(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(tz)
        return parsed.replace(tzinfo=tz)

    return convert


def has_offset(value: Any) -> bool:
    """True for date-time text that carries its own UTC offset."""
    return isinstance(value, str) and len(value) > 19 and any(c in value[19:] for c in "+-Z")


def time_nanoseconds(value: Any) -> int:
    """ClickHouse `Time`/`Time64` text `[-]hhh:mm:ss[.fffffffff]` (or whole seconds) as a
    signed count of nanoseconds: the one reading of Time text, for Python and for Arrow."""
    if isinstance(value, int):
        return value * 10**9
    text = str(value)
    hours, minutes, seconds = text.lstrip("-").split(":")
    whole, _, frac = seconds.partition(".")
    total = (int(hours) * 3600 + int(minutes) * 60 + int(whole)) * 10**9
    total += int((frac + "000000000")[:9])
    return -total if text.startswith("-") else total


def parse_time(value: Any) -> dt.timedelta:
    """`Time`/`Time64` as a signed duration; digits past microseconds are cut toward zero, as
    for DateTime64."""
    nanoseconds = time_nanoseconds(value)
    micros = nanoseconds // 1000 if nanoseconds >= 0 else -(-nanoseconds // 1000)
    return dt.timedelta(microseconds=micros)


def parse_bool(value: Any) -> bool:
    if value in ("true", "false"):
        return bool(value == "true")
    if isinstance(value, bool):
        return value
    raise ValueError(f"not a ClickHouse Bool: {value!r}")


def interval_converter(name: str, nanoseconds: int) -> Converter:
    """A fixed-length interval count as a timedelta (nanoseconds cut toward zero);
    `DataError` for a count beyond timedelta's range (±999,999,999 days)."""

    def convert(value: Any) -> dt.timedelta:
        count = int(value)
        total = count * nanoseconds
        micros = total // 1000 if total >= 0 else -(-total // 1000)
        if abs(micros) > _MAX_TIMEDELTA_US:
            raise DataError(
                f"{name} value {count} is beyond the range of datetime.timedelta "
                "(±999999999 days); select it as a number, e.g. toInt64(x)"
            )
        return dt.timedelta(microseconds=micros)

    return convert


# --- ClickHouse's text form of composite values (map keys) ----------------------------------

_TEXT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "0": "\0",
                 "a": "\a", "v": "\v", "e": "\x1b"}  # fmt: skip
_TEXT_TOKEN = re.compile(
    r"\s*(?:'(?P<str>(?:[^'\\]|\\.)*)'|(?P<open>[\[({])|(?P<close>[\])}])|(?P<sep>[,:])"
    r"|(?P<bare>[^\s'\[\](){},:]+))",
    re.S,
)
_STRING_ESCAPE = re.compile(r"((?:\\x[0-9A-Fa-f]{2})+)|\\(.)", re.S)


def unescape(body: str) -> str:
    """ClickHouse's escapes in quoted text (its readEscapedString rule): `\\t` and the other
    C escapes, `\\xHH` bytes (a run of them read as UTF-8), any other `\\c` as `c`."""

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            raw = bytes.fromhex(m.group(1).replace("\\x", ""))
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:  # not UTF-8: one character per byte, as before
                return raw.decode("latin-1")
        c = m.group(2)
        return _TEXT_ESCAPES.get(c, c)

    return _STRING_ESCAPE.sub(one, body) if "\\" in body else body


def parse_text(text: str) -> Any:
    """Parse ClickHouse's text form of a value (`(1,'a')`, `[1,2]`, `{1:2}`, `NULL`).

    Strings come back unescaped, other scalars as their text, `NULL` as None, arrays and tuples
    as lists and maps as lists of (key, value) pairs, for the type's converter to finish.
    """
    pos = 0

    def token() -> tuple[str, str]:
        nonlocal pos
        m = _TEXT_TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            raise ValueError(f"cannot parse ClickHouse text {text!r} at {pos}")
        pos = m.end()
        return m.lastgroup, m.group(m.lastgroup)

    def value() -> Any:
        nonlocal pos
        kind, tok = token()
        if kind == "str":
            return unescape(tok)
        if kind == "bare":
            return None if tok == "NULL" else tok
        if kind != "open":
            raise ValueError(f"cannot parse ClickHouse text {text!r} at {pos}")
        close = {"[": "]", "(": ")", "{": "}"}[tok]
        items: list[Any] = []
        save = pos
        if token() == ("close", close):
            return items
        pos = save
        while True:
            item = value()
            if tok == "{":
                if token() != ("sep", ":"):
                    raise ValueError(f"cannot parse ClickHouse text {text!r} at {pos}")
                item = (item, value())
            items.append(item)
            kind, sep = token()
            if (kind, sep) == ("close", close):
                return items
            if (kind, sep) != ("sep", ","):
                raise ValueError(f"cannot parse ClickHouse text {text!r} at {pos}")

    result = value()
    if text[pos:].strip():
        raise ValueError(f"cannot parse ClickHouse text {text!r}: trailing text at {pos}")
    return result
