"""Client-side parameter binding: Python values rendered as exact ClickHouse SQL literals.

The service has no server-side parameters, so safety rests here: every value becomes a literal
that ClickHouse reads back as the identical value (strings are escaped, never interpolated).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .exceptions import ProgrammingError

MAX_DECIMAL_PRECISION = 76
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\0": "\\0", "\b": "\\b", "\f": "\\f", "\r": "\\r",
            "\n": "\\n", "\t": "\\t"}  # fmt: skip
_NEEDS_ESCAPE = re.compile(r"[\\'\0\b\f\r\n\t]")


def quote_string(text: str) -> str:
    """A ClickHouse string literal holding exactly `text`."""
    return "'" + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) + "'"


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        if value.is_nan():
            return "nan"
        return "inf" if value > 0 else "-inf"
    text = format(value, "f")
    digits = text.lstrip("-")
    whole, _, frac = digits.partition(".")
    scale = len(frac)
    precision = max(len(whole.lstrip("0")) + scale, 1, scale)
    if precision > MAX_DECIMAL_PRECISION:
        raise ProgrammingError(
            f"Decimal {value} needs {precision} digits; ClickHouse holds at most "
            f"{MAX_DECIMAL_PRECISION}"
        )
    return f"CAST({quote_string(text)} AS Decimal({precision}, {scale}))"


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None and value.utcoffset() is not None:
        utc = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"toDateTime64({quote_string(utc.isoformat(sep=' '))}, 6, 'UTC')"
    return f"toDateTime64({quote_string(value.replace(tzinfo=None).isoformat(sep=' '))}, 6)"


def _timedelta(value: dt.timedelta) -> str:
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return f"toIntervalMicrosecond({micros})"


def _sequence(values: Sequence[Any] | set[Any] | frozenset[Any], open_: str, close: str) -> str:
    return open_ + ", ".join(render_literal(v) for v in values) + close


def render_literal(value: object) -> str:
    """Render one Python value as a ClickHouse literal; `ProgrammingError` for other types.

    `list` renders as an array `[...]`; `tuple`, `set` and `frozenset` as a parenthesised list
    `(...)` for `IN`; `dict` as `map(...)`.
    """
    if value is None:
        return "NULL"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "'" + "".join(f"\\x{b:02X}" for b in bytes(value)) + "'"
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return f"toDate32({quote_string(value.isoformat())})"
    if isinstance(value, dt.time):
        return quote_string(value.replace(tzinfo=None).isoformat())
    if isinstance(value, dt.timedelta):
        return _timedelta(value)
    if isinstance(value, uuid.UUID):
        return f"toUUID({quote_string(str(value))})"
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
    raise ProgrammingError(f"cannot bind a parameter of type {type(value).__name__}")


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
            parts.append(render_literal(params[position]))
            position += 1
            continue
        key = m.group("name")
        if not isinstance(params, Mapping):
            raise ProgrammingError(f"query uses %({key})s but parameters are a sequence")
        if key not in params:
            raise ProgrammingError(f"missing parameter {key!r}")
        used.add(key)
        parts.append(render_literal(params[key]))
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
