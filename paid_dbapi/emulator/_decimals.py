"""Decimal values as the service writes them: through a double, printed as a JSON number.

The vendor's definition says Decimal columns "come back as JSON numbers", so "a value beyond
2^53 is already rounded". The service's form is taken to be what a JavaScript service does
with ClickHouse's exact text: read it into the nearest double, then `JSON.stringify` it, which
prints the shortest text that reads back as the same double, with an exponent below 1e-6 and
from 1e21 (`1e-7`, `1.5e+21`, `-2.5e-8`; integers such as `123` without `.0`).

ClickHouse's own `toFloat64` of a Decimal is not used: it divides by the scale in binary and
can miss the nearest double (`0.1000000000000000055511151231257827` gives
`0.10000000000000002`), and its Float64 text is not JavaScript's (`1e21`). Python's
`float(Decimal)` is correctly rounded and `repr` is the shortest round-trip text, so only the
layout is converted here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .._types import DECIMALS, TRANSPARENT, ClickHouseType, parse_type

#: JavaScript's Number-to-string switches to an exponent below 1e-6 and from 1e21.
_SMALLEST_PLAIN = -7  # decimal exponent of the leading digit: 1e-7 is written with one
_LARGEST_PLAIN = 21


def js_number(value: Decimal | int | str) -> str:
    """The JSON text a JavaScript service writes for `value` after reading it into a double."""
    number = float(Decimal(value))  # correctly rounded to the nearest double
    if number == 0:
        return "0"  # JSON.stringify(-0) is "0" too
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)  # a finite double
    text = "".join(map(str, digits))
    point = len(text) + exponent  # digits before the decimal point (may be <= 0 or > len)
    lead = point - 1  # decimal exponent of the leading digit
    if lead < _SMALLEST_PLAIN + 1 or lead >= _LARGEST_PLAIN:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        body = f"{mantissa}e{'+' if lead >= 0 else '-'}{abs(lead)}"
    elif point <= 0:
        body = "0." + "0" * -point + text
    elif point >= len(text):
        body = text + "0" * (point - len(text))
    else:
        body = text[:point] + "." + text[point:]
    return ("-" if sign else "") + body


def service_rows(types: Sequence[str], row_texts: Sequence[str]) -> list[str]:
    """ClickHouse's JSON rows (`JSONCompactEachRow`) with each Decimal as `js_number` writes
    it; the other values keep ClickHouse's exact text."""
    parsed = [_parse(t) for t in types]
    if not any(_holds_decimal(t) for t in parsed):
        return list(row_texts)
    return [_row(parsed, text) for text in row_texts]


class _Number(str):
    """The exact text of a non-integer JSON number, kept as it was written."""

    __slots__ = ()


_DECODER = json.JSONDecoder(parse_float=_Number)


def _row(types: list[ClickHouseType | None], text: str) -> str:
    values = _DECODER.decode(text)
    return "[" + ",".join(_render(v, t) for v, t in zip(values, types, strict=True)) + "]"


def _render(value: Any, t: ClickHouseType | None) -> str:
    """`value` (parsed from ClickHouse's JSON) as JSON text, Decimals through a double."""
    if value is None:
        return "null"
    while t is not None and t.name in TRANSPARENT and t.args:
        t = t.args[-1]
    if t is None or not _holds_decimal(t):
        return _plain(value)
    if t.name in DECIMALS:
        return js_number(value) if isinstance(value, int | str) else _plain(value)
    if t.name == "Array" and isinstance(value, list):
        return "[" + ",".join(_render(v, t.args[0]) for v in value) + "]"
    if t.name == "Map" and isinstance(value, dict) and len(t.args) == 2:
        inner = t.args[1]  # keys are ClickHouse's text form of the key: strings, left alone
        return "{" + ",".join(f"{_plain(k)}:{_render(v, inner)}" for k, v in value.items()) + "}"
    if t.name == "Tuple" and isinstance(value, dict):  # named tuples are objects
        fields = dict(zip(t.field_names or (), t.args, strict=False))
        items = (f"{_plain(k)}:{_render(v, fields.get(k))}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if t.name == "Tuple" and isinstance(value, list):
        return "[" + ",".join(_render(v, a) for v, a in zip(value, t.args, strict=False)) + "]"
    return _plain(value)  # Variant, Dynamic, JSON: what they hold is passed on as it is


def _plain(value: Any) -> str:
    """JSON text of a parsed value, non-integer numbers exactly as they were written."""
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_plain(k)}:{_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_plain, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


def _holds_decimal(t: ClickHouseType | None) -> bool:
    """True when values of `t` carry Decimals as JSON numbers in the structures handled here."""
    if t is None:
        return False
    if t.name in DECIMALS:
        return True
    if t.name in (*TRANSPARENT, "Array", "Map", "Tuple"):
        return any(_holds_decimal(a) for a in (t.args[1:] if t.name == "Map" else t.args))
    return False


def _parse(text: str) -> ClickHouseType | None:
    try:
        return parse_type(text)
    except ValueError:
        return None  # a type this parser does not know carries no Decimal we could find


__all__ = ["js_number", "service_rows"]
