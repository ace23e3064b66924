"""Client-side parameter binding: Python values rendered as exact ClickHouse SQL literals.

The service has no server-side parameters, so safety rests here: every value becomes a literal
that ClickHouse reads back as the identical value (strings are escaped, never interpolated).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._exceptions import ProgrammingError

MAX_DECIMAL_PRECISION = 76
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\0": "\\0", "\b": "\\b", "\f": "\\f", "\r": "\\r",
            "\n": "\\n", "\t": "\\t"}  # fmt: skip
_NEEDS_ESCAPE = re.compile(r"[\\'\0\b\f\r\n\t]")
#: Integer types beyond 64 bits, narrowest first, with their ranges [low, high).
_WIDE_INTS = (
    ("Int128", -(2**127), 2**127),
    ("UInt128", 0, 2**128),
    ("Int256", -(2**255), 2**255),
    ("UInt256", 0, 2**256),
)
_INTERVAL_MAX = 2**63 - 1
#: numpy datetime64/timedelta64 units, by the fractional digits they carry.
_NUMPY_DIGITS = {"Y": 0, "M": 0, "W": 0, "D": 0, "h": 0, "m": 0, "s": 0, "ms": 3, "us": 6, "ns": 9}
_NUMPY_BASE_UNIT = {0: "s", 3: "ms", 6: "us", 9: "ns"}


def quote_string(text: str) -> str:
    """A ClickHouse string literal holding exactly `text` (`ProgrammingError` for text that is
    not valid Unicode, such as a lone surrogate)."""
    text = str.__str__(text)  # a subclass's own methods never shape the literal
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProgrammingError(
            f"cannot bind a string that is not valid Unicode: {exc.reason} at index {exc.start}"
        ) from None
    return "'" + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) + "'"


def quote_identifier(name: str) -> str:
    """A backtick-quoted ClickHouse identifier naming exactly `name`."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _negative(text: str) -> str:
    """Negative numbers in parentheses, so that `10-%s` never becomes the comment `10--1`."""
    return f"({text})" if text.startswith("-") else text


def _int(value: int) -> str:
    if -(2**63) <= value < 2**63:
        return _negative(int.__repr__(value))
    if 0 <= value < 2**64:  # in parentheses: `-%s` must negate it, not fold into a Float64
        return f"({int.__repr__(value)})"
    for name, low, high in _WIDE_INTS:
        if low <= value < high:
            return f"to{name}('{int.__repr__(value)}')"
    raise ProgrammingError(
        f"integer {value} is outside the widest ClickHouse integers (Int256 and UInt256)"
    )


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "(-inf)"
    return _negative(float.__repr__(value))


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ProgrammingError(
            f"cannot bind Decimal {value}: ClickHouse Decimals have no NaN or infinity"
        )
    # Measured before formatting, so that Decimal('1E+999999') never becomes a million digits.
    exponent = int(value.as_tuple().exponent)
    scale = max(-exponent, 0)
    whole = max(value.adjusted() + 1, 0) if value else 0
    precision = max(whole + scale, 1)
    if precision > MAX_DECIMAL_PRECISION:
        raise ProgrammingError(
            f"Decimal {value} needs {precision} digits; ClickHouse holds at most "
            f"{MAX_DECIMAL_PRECISION}"
        )
    text = format(value, "f")
    return f"CAST({quote_string(text)} AS Decimal({precision}, {scale}))"


def _datetime(value: dt.datetime, nanosecond: int = 0) -> str:
    """`DateTime64(6)` (or 9 with nanoseconds); aware values as their UTC instant."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        try:
            value = dt.datetime.astimezone(value, dt.timezone.utc)
        except OverflowError:
            raise ProgrammingError(
                f"cannot bind {value!r}: its UTC time is outside years 1-9999"
            ) from None
        zone = ", 'UTC'"
    else:
        zone = ""
    text = dt.datetime.isoformat(dt.datetime.replace(value, tzinfo=None), sep=" ")
    if nanosecond:
        text = f"{text if '.' in text else text + '.000000'}{nanosecond:03d}"
        return f"toDateTime64({quote_string(text)}, 9{zone})"
    return f"toDateTime64({quote_string(text)}, 6{zone})"


def _timedelta(value: dt.timedelta, nanoseconds: int = 0) -> str:
    """`toIntervalMicrosecond(n)`, or `toIntervalNanosecond(n)` for a value with nanoseconds."""
    micros = dt.timedelta.__floordiv__(value, dt.timedelta(microseconds=1))
    count, unit = (micros * 1000 + nanoseconds, "Nano") if nanoseconds else (micros, "Micro")
    if abs(count) > _INTERVAL_MAX:
        raise ProgrammingError(
            f"cannot bind {value!r}: ClickHouse intervals hold at most ±2**63-1 "
            f"{unit.lower()}seconds"
        )
    return f"toInterval{unit}second({count})"


def _numpy(value: Any) -> str:
    """numpy scalars as the Python value they hold (pandas hands these out)."""
    kind = value.dtype.kind
    if kind == "b":
        return "true" if value else "false"
    if kind in "iu":
        return _int(int(value))
    if kind == "f" and value.dtype.itemsize <= 8:
        return _float(float(value))
    if kind in "mM":
        return _numpy_time(value, sys.modules["numpy"].datetime_data(value.dtype)[0])
    raise ProgrammingError(f"cannot bind a parameter of type numpy.{type(value).__name__}")


def _numpy_time(value: Any, unit: str) -> str:
    """datetime64 as a naive DateTime64 (nanoseconds kept), timedelta64 as an interval."""
    if value != value:  # NaT
        return "NULL"
    digits = _NUMPY_DIGITS.get(unit)
    if digits is None or (value.dtype.kind == "m" and unit in ("Y", "M")):
        raise ProgrammingError(f"cannot bind numpy {value.dtype} exactly")
    ticks = int(value.astype(f"{value.dtype.kind}8[{_NUMPY_BASE_UNIT[digits]}]").astype("i8"))
    nanos = ticks * 10 ** (9 - digits)
    if value.dtype.kind == "m":
        micros, nanos = divmod(nanos, 1000)
        return _timedelta(dt.timedelta(microseconds=micros), nanos)
    try:
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=nanos // 1000)
    except OverflowError:
        raise ProgrammingError(f"cannot bind {value!r}: outside years 1-9999") from None
    return _datetime(moment, nanos % 1000)


def _sequence(values: Sequence[Any] | set[Any] | frozenset[Any], open_: str, close: str) -> str:
    return open_ + ", ".join(render_literal(v) for v in values) + close


def render_literal(value: object) -> str:
    """Render one Python value as a ClickHouse literal; `ProgrammingError` for other types and
    for values ClickHouse cannot hold exactly.

    Every literal is one self-delimiting token (negative numbers are parenthesised) and is
    built with the base type's own methods, so a subclass cannot shape the SQL. `list` renders
    as an array `[...]`; `tuple`, `set` and `frozenset` as a parenthesised list `(...)` for
    `IN`; `dict` as `map(...)`.
    """
    if value is None:
        return "NULL"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return _int(int.__int__(value))
    if isinstance(value, float):
        return _float(float.__float__(value))
    if isinstance(value, Decimal):
        return _decimal(Decimal(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, bytes):
        return _bytes(bytes.hex(value))
    if isinstance(value, bytearray):
        return _bytes(bytearray.hex(value))
    if isinstance(value, memoryview):
        return _bytes(value.hex())
    if isinstance(value, dt.datetime):
        if value != value:  # pandas.NaT
            return "NULL"
        nanosecond = getattr(value, "nanosecond", 0)  # pandas.Timestamp
        return _datetime(value, nanosecond if type(nanosecond) is int and nanosecond < 1000 else 0)
    if isinstance(value, dt.date):
        return f"toDate32({quote_string(dt.date.isoformat(value))})"
    if isinstance(value, dt.time):
        return quote_string(dt.time.isoformat(dt.time.replace(value, tzinfo=None)))
    if isinstance(value, dt.timedelta):
        nanoseconds = getattr(value, "nanoseconds", 0)  # pandas.Timedelta
        return _timedelta(value, nanoseconds if type(nanoseconds) is int else 0)
    if isinstance(value, uuid.UUID):
        return f"toUUID({quote_string(str(uuid.UUID(str(value))))})"
    if isinstance(value, list):
        return _sequence(value, "[", "]")
    if isinstance(value, tuple):
        return _sequence(value, "(", ")") if value else "tuple()"
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)
        return _sequence(items, "(", ")") if items else "tuple()"
    if isinstance(value, dict):
        pairs = ", ".join(f"{render_literal(k)}, {render_literal(v)}" for k, v in value.items())
        return f"map({pairs})"
    numpy = sys.modules.get("numpy")  # never imported here: only values numpy made can match
    if numpy is not None and isinstance(value, numpy.generic):
        return _numpy(value)
    raise ProgrammingError(f"cannot bind a parameter of type {type(value).__name__}")


def _bytes(hex_digits: str) -> str:
    return "'" + "".join(f"\\x{hex_digits[i : i + 2]}" for i in range(0, len(hex_digits), 2)) + "'"


_SAFE_NEIGHBOURS = frozenset(" \t\r\n(),")


def _delimited(literal: str, sql: str, marker: re.Match[str]) -> str:
    """`literal` with a space on each side that touches text it could merge with (`1%s`,
    `'a'%s`, `x-%s`): a bound value always stays one token of its own."""
    before = sql[marker.start() - 1 : marker.start()]
    after = sql[marker.end() : marker.end() + 1]
    head = "" if not before or before in _SAFE_NEIGHBOURS else " "
    tail = "" if not after or after in _SAFE_NEIGHBOURS else " "
    return f"{head}{literal}{tail}"


_MARKER = re.compile(r"%(?:\((?P<name>[^)]*)\)s|(?P<pos>s)|(?P<pct>%))")


def bind_parameters(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> str:
    """Substitute pyformat markers (`%s`, `%(name)s`; `%%` is a literal `%`).

    With `params=None` the SQL is returned verbatim. Missing or surplus parameters raise
    `ProgrammingError`, so a wrong call never reaches the server.
    """
    if params is None:
        return sql
    if isinstance(params, (str, bytes)):
        raise ProgrammingError("parameters must be a sequence or a mapping, not a string")
    named = isinstance(params, Mapping)
    used: set[str] = set()
    position = 0
    parts: list[str] = []
    last = 0
    for m in _MARKER.finditer(sql):
        parts.append(sql[last : m.start()])
        last = m.end()
        if m.group("pct"):
            parts.append("%")
            continue
        if m.group("pos"):
            if named:
                raise ProgrammingError("query uses %s but parameters are a mapping")
            assert not isinstance(params, Mapping)
            if position >= len(params):
                raise ProgrammingError(
                    f"query has more %s markers than the {len(params)} parameters given"
                )
            parts.append(_delimited(render_literal(params[position]), sql, m))
            position += 1
            continue
        key = m.group("name")
        if not isinstance(params, Mapping):
            raise ProgrammingError(f"query uses %({key})s but parameters are a sequence")
        if key not in params:
            raise ProgrammingError(f"missing parameter {key!r}")
        used.add(key)
        parts.append(_delimited(render_literal(params[key]), sql, m))
    parts.append(sql[last:])
    if isinstance(params, Mapping):
        unused = set(params) - used
        if unused:
            raise ProgrammingError(f"parameters not used by the query: {sorted(unused)}")
    elif position != len(params):
        raise ProgrammingError(
            f"query has {position} %s markers but {len(params)} parameters were given"
        )
    return "".join(parts)
