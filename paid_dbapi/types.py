"""ClickHouse type strings: one recursive parser, and value converters built once per column.

The service describes every result column with a ClickHouse type string. `parse_type` turns it
into a `ClickHouseType` tree; `make_converter` turns that tree into one function that maps the
JSON value the service sent to the exact Python object (ints, Decimals, aware datetimes, ...).
The SQLAlchemy dialect maps the same tree to SQLAlchemy types, so there is one type system.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import ipaddress
import logging
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .exceptions import DataError

logger = logging.getLogger(__name__)

Converter = Callable[[Any], Any]

#: Wrappers that do not change the Python value of what they wrap.
TRANSPARENT = frozenset({"Nullable", "LowCardinality", "SimpleAggregateFunction"})
INT_SIZES = {
    "Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64, "Int128": 128, "Int256": 256,
    "UInt8": 8, "UInt16": 16, "UInt32": 32, "UInt64": 64, "UInt128": 128, "UInt256": 256,
}  # fmt: skip
FLOATS = frozenset({"Float32", "Float64", "BFloat16"})
DECIMAL_PRECISION = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}
DECIMALS = frozenset({"Decimal", *DECIMAL_PRECISION})
STRINGS = frozenset({"String", "FixedString", "Enum8", "Enum16", "Enum"})
DATES = frozenset({"Date", "Date32"})
DATETIMES = frozenset({"DateTime", "DateTime32", "DateTime64"})
TIMES = frozenset({"Time", "Time64"})
#: Fixed-length intervals and their unit in nanoseconds; they come back as `timedelta`.
INTERVAL_UNITS = {
    "IntervalNanosecond": 1,
    "IntervalMicrosecond": 1_000,
    "IntervalMillisecond": 1_000_000,
    "IntervalSecond": 1_000_000_000,
    "IntervalMinute": 60_000_000_000,
    "IntervalHour": 3_600_000_000_000,
    "IntervalDay": 86_400_000_000_000,
    "IntervalWeek": 604_800_000_000_000,
}
#: Calendar intervals have no fixed length: they come back as a plain count.
CALENDAR_INTERVALS = frozenset({"IntervalMonth", "IntervalQuarter", "IntervalYear"})
SEMI_STRUCTURED = frozenset({"JSON", "Object", "Dynamic", "Variant"})
#: Types that hold NULL without a `Nullable` wrapper.
HOLDS_NULL = frozenset({"Dynamic", "Variant"})
#: Types whose parameters are not types (kept verbatim in `params`).
RAW_PARAMS = frozenset({"JSON", "Object", "AggregateFunction"})


@dataclass(frozen=True)
class ClickHouseType:
    """A parsed ClickHouse type: `name`, nested type `args`, literal `params`, tuple field names."""

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
        while t.name in TRANSPARENT and t.args:
            if t.name == "Nullable":
                return True
            t = t.args[-1]
        return t.name in HOLDS_NULL

    @property
    def base(self) -> ClickHouseType:
        """The type with `Nullable`, `LowCardinality` and `SimpleAggregateFunction` peeled off."""
        t = self
        while t.name in TRANSPARENT and t.args:
            t = t.args[-1]
        return t

    @property
    def precision(self) -> int | None:
        """Decimal precision (digits), or DateTime64 sub-second digits."""
        b = self.base
        if b.name == "Decimal":
            return int(b.params[0]) if b.params else 10
        if b.name in DECIMAL_PRECISION:
            return DECIMAL_PRECISION[b.name]
        if b.name == "DateTime64" or b.name == "Time64":
            return int(b.params[0]) if b.params else 3
        return None

    @property
    def scale(self) -> int | None:
        """Decimal scale (digits after the point)."""
        b = self.base
        if b.name == "Decimal":
            return int(b.params[1]) if len(b.params) > 1 else 0
        if b.name in DECIMAL_PRECISION:
            return int(b.params[0])
        return None

    @property
    def timezone(self) -> str | None:
        """The time-zone argument of `DateTime('Zone')` / `DateTime64(p, 'Zone')`, if any."""
        b = self.base
        if b.name in ("DateTime", "DateTime32") and b.params:
            return str(b.params[0])
        if b.name == "DateTime64" and len(b.params) > 1:
            return str(b.params[1])
        return None

    @property
    def length(self) -> int | None:
        """FixedString(N) length in bytes."""
        b = self.base
        return int(b.params[0]) if b.name == "FixedString" else None

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
        return _unescape(token[1:-1])
    return token


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> ClickHouseType:
    """Parse a ClickHouse type string such as `Nullable(DateTime64(3, 'UTC'))` (cached)."""
    parser = _Parser(text)
    result = parser.parse()
    if parser.peek() is not None:
        raise parser.fail("trailing text")
    return result


# --- value converters ---------------------------------------------------------------------
#
# A converter maps one value as the service sends it to the exact Python object. Inside JSON a
# value has its JSON form (small ints as numbers, wider ints and dates as strings, ...); a map
# key is always ClickHouse's *text* form of the key (`"-5"`, `"true"`, `"(1,'a')"`), because JSON
# object keys are strings. `_converter(t, tz, text=True)` builds converters for that text form:
# composite keys are first parsed by `parse_text`, and since dict keys must be hashable, arrays,
# tuples and maps in a key become tuples.

#: Room for 76 digits and more: quantize only rounds digits finer than the column's scale,
#: which the shortest text of a double can carry (`0.10000000000000009` in `Decimal(38, 16)`).
_DECIMAL_CONTEXT = decimal.Context(prec=100, rounding=decimal.ROUND_HALF_EVEN)
_MAX_TIMEDELTA_US = dt.timedelta.max // dt.timedelta(microseconds=1)


def _to_int(value: Any) -> int:
    return value if type(value) is int else int(value)


def at_scale(scale: int) -> Callable[[Decimal], Decimal]:
    """A Decimal with the exponent of its column's scale: `1.5` in `Decimal(18, 4)` is
    `Decimal('1.5000')` (ClickHouse writes no trailing zeros) and `1e-7` in `Decimal(18, 10)`
    is `Decimal('0.0000001000')` (the service writes a double's shortest text)."""
    return operator.methodcaller("quantize", Decimal(1).scaleb(-scale), context=_DECIMAL_CONTEXT)


def _decimal_converter(scale: int) -> Converter:
    """Decimals from number text (or a Decimal, or a string) at their column's scale
    (`at_scale`): the Decimal of exactly the text that arrived, never by way of a float."""
    quantize = at_scale(scale)

    def convert(value: Any) -> Decimal:
        # A float is never produced by our body parser; stay exact anyway.
        exact = Decimal(repr(value) if isinstance(value, float) else value)
        return quantize(exact)

    return convert


def _parse_datetime(text: str) -> dt.datetime:
    """ClickHouse text `YYYY-MM-DD hh:mm:ss[.fffffffff]`; digits past microseconds are cut."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        head, dot, frac = text.partition(".")
        if not dot:
            raise
        return dt.datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}")


def _datetime_converter(zone: str | None) -> Converter:
    """Wall-clock text in `zone`. The text carries no offset, so in a repeated DST hour the
    first occurrence is chosen; an offset, if the service ever sends one, is honoured."""
    if zone is None:
        return _parse_datetime
    tz = dt.timezone.utc if zone in ("UTC", "Etc/UTC") else ZoneInfo(zone)

    def convert(value: Any) -> dt.datetime:
        parsed = _parse_datetime(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(tz)
        return parsed.replace(tzinfo=tz)

    return convert


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


def _parse_time(value: Any) -> dt.timedelta:
    """`Time`/`Time64` as a signed duration; digits past microseconds are cut toward zero, as
    for DateTime64."""
    nanoseconds = time_nanoseconds(value)
    micros = nanoseconds // 1000 if nanoseconds >= 0 else -(-nanoseconds // 1000)
    return dt.timedelta(microseconds=micros)


def _parse_bool(value: Any) -> bool:
    if value in ("true", "false"):
        return bool(value == "true")
    if isinstance(value, bool):
        return value
    raise ValueError(f"not a ClickHouse Bool: {value!r}")


class JSONNumber(str):
    """The exact text of a non-integer JSON number, kept until a column type says what it is.

    Bodies are parsed with `float_hook=JSONNumber`: a Decimal column then gets the Decimal of
    exactly the text that arrived (`Decimal(text)`), a float column a correctly rounded
    `float(text)`, and no value passes through a binary float in the driver on its way to a
    Decimal (the service's own double is another matter: see `paid_dbapi.precision`).
    """

    __slots__ = ()


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


def _nullable(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _interval(name: str, nanoseconds: int) -> Converter:
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


def _array(inner: Converter | None, text: bool) -> Converter | None:
    if inner is None:
        return tuple if text else None
    if text:
        return lambda value: tuple(inner(v) for v in value)
    return lambda value: [inner(v) for v in value]


def _map(key: Converter | None, val: Converter | None, text: bool) -> Converter:
    k = key or _identity
    v = val or _identity

    def convert(value: Any) -> Any:
        items = value.items() if isinstance(value, dict) else value
        if text:
            return tuple((k(a), v(b)) for a, b in items)
        return {k(a): v(b) for a, b in items}

    return convert


def _tuple(t: ClickHouseType, naive_tz: str | None, text: bool) -> Converter:
    convs = [_converter(a, naive_tz, text) or _identity for a in t.args]
    names = None if text else t.field_names

    def convert(value: Any) -> Any:
        items = list(value.values()) if isinstance(value, dict) else value
        converted = [c(v) for c, v in zip(convs, items, strict=False)]
        return dict(zip(names, converted, strict=False)) if names else tuple(converted)

    return convert


def _json_kind(t: ClickHouseType) -> type:
    """The kind of JSON value the service sends for `t` (64-bit ints and dates as strings)."""
    name = t.base.name
    if name == "Bool":
        return bool
    if (name in INT_SIZES and INT_SIZES[name] < 64) or name in FLOATS or name in DECIMALS:
        return float
    if name in ("Array", "Nested") or (name == "Tuple" and not t.base.field_names):
        return list
    if name in ("Map", "Tuple", "JSON", "Object"):
        return dict
    return str


def _variant(t: ClickHouseType, naive_tz: str | None) -> Converter:
    """A Variant value carries no tag on the wire: it is decoded by the member its JSON kind
    names when only one member has that kind (so `Variant(String, Decimal(10, 2))` keeps exact
    Decimals), and passes through as sent otherwise. Beside a String member, a float's `nan`
    or `inf` (sent as text) stays a string."""
    members: dict[type, list[ClickHouseType]] = {}
    for member in t.args:
        members.setdefault(_json_kind(member), []).append(member)
    by_kind = {
        kind: _converter(found[0], naive_tz) or _identity
        for kind, found in members.items()
        if len(found) == 1
    }

    def convert(value: Any) -> Any:
        kind = type(value)
        if (
            kind is int
            or kind is JSONNumber
            or (kind is str and str not in members and value in ("nan", "inf", "-inf"))
        ):
            kind = float  # a non-finite float is sent as text
        member = by_kind.get(kind)
        return plain_json(value) if member is None else member(value)

    return convert


def _key_converter(t: ClickHouseType, naive_tz: str | None) -> Converter | None:
    """Map keys arrive as ClickHouse's text form of the key; composite keys are parsed first."""
    convert = _converter(t, naive_tz, text=True)
    if t.base.name not in ("Array", "Map", "Tuple", "Nested"):
        return convert
    inner = convert or _identity
    return lambda value: inner(parse_text(value))


def _converter(t: ClickHouseType, naive_tz: str | None, text: bool = False) -> Converter | None:
    """The converter for `t`, or None when the value is already the right object.

    With `text=True`, for a value in ClickHouse's text form (map keys): scalars arrive as text
    and composite values come back hashable.
    """
    name = t.name
    if name in TRANSPARENT and t.args:
        inner = _converter(t.args[-1], naive_tz, text)
        return _nullable(inner) if inner is not None and name == "Nullable" else inner
    if name in INT_SIZES:
        return _to_int if text or INT_SIZES[name] >= 64 else None
    if name in FLOATS:
        return float  # number text, int, and the strings 'nan', 'inf', '-inf'
    if name in DECIMALS:
        return _decimal_converter(t.scale or 0)
    if name == "Bool":
        return _parse_bool if text else None
    if name in STRINGS or name == "Nothing":
        return None
    if name == "UUID":
        return uuid.UUID
    if name in DATES:
        return dt.date.fromisoformat
    if name in DATETIMES:
        return _datetime_converter(t.timezone or naive_tz)
    if name in TIMES:
        return _parse_time
    if name in ("IPv4", "IPv6"):
        return ipaddress.ip_address
    if name in INTERVAL_UNITS:
        return _interval(name, INTERVAL_UNITS[name])
    if name in CALENDAR_INTERVALS:
        return _to_int
    if name == "Array" and t.args:
        return _array(_converter(t.args[0], naive_tz, text), text)
    if name == "Map" and len(t.args) == 2:
        key = _converter(t.args[0], naive_tz, True) if text else _key_converter(t.args[0], naive_tz)
        return _map(key, _converter(t.args[1], naive_tz, text), text)
    if name == "Tuple":
        return _tuple(t, naive_tz, text)
    if name == "Nested" and t.args:
        row = _tuple(t, naive_tz, text)
        if text:
            return lambda value: tuple(row(v) for v in value)
        return lambda value: [row(v) for v in value]
    if name == "Variant" and t.args and not text:
        return _variant(t, naive_tz)
    if name in SEMI_STRUCTURED:
        return plain_json
    logger.debug("no converter for ClickHouse type %s; values pass through as sent", t.text)
    return plain_json


# --- ClickHouse's text form of composite values (map keys) ----------------------------------

_TEXT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "0": "\0",
                 "a": "\a", "v": "\v", "e": "\x1b"}  # fmt: skip
_TEXT_TOKEN = re.compile(
    r"\s*(?:'(?P<str>(?:[^'\\]|\\.)*)'|(?P<open>[\[({])|(?P<close>[\])}])|(?P<sep>[,:])"
    r"|(?P<bare>[^\s'\[\](){},:]+))",
    re.S,
)
_STRING_ESCAPE = re.compile(r"((?:\\x[0-9A-Fa-f]{2})+)|\\(.)", re.S)


def _unescape(body: str) -> str:
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
            return _unescape(tok)
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


def make_converter(t: ClickHouseType | str, naive_timezone: str | None = None) -> Converter:
    """Build the converter for one column (NULL-safe); identity when no conversion is needed.

    `naive_timezone` attaches a zone to `DateTime` values whose type names none.
    """
    parsed = parse_type(t) if isinstance(t, str) else t
    conv = _converter(parsed, naive_timezone)
    if conv is None:
        return _identity
    return _nullable(conv)


ColumnDecoder = Callable[[Sequence[Any]], list[Any]]


def _mapped(*stages: Converter) -> ColumnDecoder:
    """A decoder applying C-level callables in sequence over a whole column."""

    def decode(column: Sequence[Any]) -> list[Any]:
        values: Iterable[Any] = column
        for stage in stages:
            values = map(stage, values)
        return list(values)

    return decode


def _fast_decoder(t: ClickHouseType, naive_tz: str | None) -> ColumnDecoder | None:
    """For the common scalar types, a decoder made only of C-level calls (no Python frame per
    value); None where the per-value converter is the fastest there is."""
    name = t.name
    if name in INT_SIZES:
        return _mapped(int)
    if name in FLOATS:
        return _mapped(float)
    if name in DECIMALS:
        return _mapped(Decimal, at_scale(t.scale or 0))
    if name in DATES:
        return _mapped(dt.date.fromisoformat)
    if name in DATETIMES:
        zone = t.timezone or naive_tz
        if zone is None:
            return _mapped(dt.datetime.fromisoformat)
        if zone in ("UTC", "Etc/UTC"):
            return _mapped("{}+00:00".format, dt.datetime.fromisoformat)
        return _mapped(
            dt.datetime.fromisoformat, operator.methodcaller("replace", tzinfo=ZoneInfo(zone))
        )
    return None


@functools.lru_cache(maxsize=1024)
def column_decoder(type_text: str, naive_timezone: str | None = None) -> ColumnDecoder | None:
    """Decoder for a whole result column, or None if its values need no conversion.

    Built once per column type and run over the whole column. Unparseable type strings are
    tolerated (values pass through) so that a new server type never breaks a query.
    """
    try:
        parsed = parse_type(type_text)
    except ValueError:
        logger.debug("unparseable ClickHouse type %r; values pass through as sent", type_text)
        return None
    convert = _converter(parsed, naive_timezone)
    if convert is None:
        return None
    fast = _fast_decoder(parsed.base, naive_timezone)
    zoned = parsed.base.name in DATETIMES  # the fast path would drop an offset in the text

    def decode(column: Sequence[Any]) -> list[Any]:
        if None in column:
            return [None if v is None else convert(v) for v in column]
        if fast is not None and not (zoned and _has_offset(column[0])):
            try:
                return fast(column)
            except (ValueError, TypeError):
                pass  # e.g. 9 fractional digits on Python 3.10: the converter copes
        return list(map(convert, column))

    return decode


def _has_offset(value: Any) -> bool:
    """True for date-time text that carries its own UTC offset."""
    return isinstance(value, str) and len(value) > 19 and any(c in value[19:] for c in "+-Z")


def _identity(value: Any) -> Any:
    return value
