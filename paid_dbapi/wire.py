"""The /query body parsed in one msgspec pass, planned from the column types it announces.

`parse_body` (the HTTP client's parser for /query) checks that the body is JSON and splits its
top-level object without decoding the rows. `decode_rows` then decodes every row with a
msgspec type per column where msgspec yields exactly the object the column's converter would
(integers, floats, strings, UUIDs, dates, Decimals), and the plain JSON value, with non-integer
numbers kept as exact text where a Decimal may need them, everywhere else. If the typed pass
refuses a body, the plain parse runs instead, so results and errors never depend on the pass.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import msgspec

from .types import (
    DATES,
    DECIMALS,
    FLOATS,
    INT_SIZES,
    SEMI_STRUCTURED,
    STRINGS,
    TRANSPARENT,
    ClickHouseType,
    ColumnDecoder,
    JSONNumber,
    at_scale,
    parse_type,
)

#: Any JSON, non-integer numbers kept as their exact text (what Decimal converters need).
_EXACT = msgspec.json.Decoder(float_hook=JSONNumber)
#: A top-level object with its members left undecoded.
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])


def parse_body(body: bytes) -> Any:
    """A JSON body; an object's members stay undecoded (`msgspec.Raw`) for `member` and
    `decode_rows`. Raises ValueError when the body is not JSON."""
    try:
        return _MEMBERS.decode(body)
    except msgspec.ValidationError:  # JSON, but not an object: let the caller judge its shape
        return _EXACT.decode(body)


def member(value: Any) -> Any:
    """A member of a parsed body, decoded (numbers exact) if it is still raw."""
    return _EXACT.decode(value) if isinstance(value, msgspec.Raw) else value


#: What a planned column still needs: nothing (None) or this decoder instead of its converter.
Planned = dict[int, ColumnDecoder | None]


class _Plan(NamedTuple):
    decoder: msgspec.json.Decoder[list[tuple[Any, ...]]]
    planned: Planned


def decode_rows(rows: Any, types: Sequence[str]) -> tuple[Any, Planned]:
    """The rows of a body, and for the columns the typed pass decoded, what they still need
    (the other columns go through their column decoder as usual)."""
    if not isinstance(rows, msgspec.Raw):
        return rows, {}
    plan = _plan(tuple(types))
    if plan is not None:
        try:
            return plan.decoder.decode(rows), plan.planned
        except msgspec.ValidationError:
            pass  # a value the plan did not expect: the converters judge it, as always
    return _EXACT.decode(rows), {}


@functools.lru_cache(maxsize=256)
def _plan(types: tuple[str, ...]) -> _Plan | None:
    if not types:
        return None
    try:
        parsed = [parse_type(t) for t in types]
    except ValueError:
        return None
    exact = any(_needs_exact_text(t) for t in parsed)
    wires = [_wire(t, exact) for t in parsed]
    decoder = msgspec.json.Decoder(
        list[tuple[tuple(w for w, _ in wires)]],  # type: ignore[misc]
        strict=False,  # 64-bit and wider integers arrive as strings
        float_hook=JSONNumber if exact else None,
    )
    planned: Planned = {i: None for i, (_, final) in enumerate(wires) if final}
    for i, t in enumerate(parsed):
        if t.base.name in DECIMALS:  # already Decimals: only the column's scale is missing
            planned[i] = _scaled(at_scale(t.scale or 0), t.nullable)
    return _Plan(decoder, planned)


def _scaled(quantize: Callable[[Decimal], Decimal], nullable: bool) -> ColumnDecoder:
    if nullable:
        return lambda column: [None if v is None else quantize(v) for v in column]
    return lambda column: list(map(quantize, column))


def _wire(t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
    """The msgspec type for values of `t`, and whether it already gives the final object.

    `exact` says the decoder keeps non-integer numbers as text in untyped (Any) values.
    """
    name = t.name
    if name in TRANSPARENT and t.args:
        inner, final = _wire(t.args[-1], exact)
        return (inner | None if name == "Nullable" and inner is not Any else inner), final
    if name in INT_SIZES:
        return int, True
    if name in FLOATS:
        return float, True  # also the strings 'nan', 'inf', '-inf'
    if name in STRINGS:
        return str, True
    if name == "UUID":
        return uuid.UUID, True
    if name in DATES:
        return dt.date, True
    if name in DECIMALS:
        return Decimal, False  # exact from number or text; the converter sets the scale
    if name == "Bool" or name == "Nothing":
        return Any, True  # passed through as sent
    if name == "Array" and t.args:
        inner, final = _wire(t.args[0], exact)
        return (Any if inner is Any else list[inner]), final  # type: ignore[valid-type]
    if name == "Variant":
        return Any, False  # decoded by its members' converters
    if name in SEMI_STRUCTURED:
        return Any, not exact  # plain floats straight from msgspec unless kept as text
    return Any, False


def _needs_exact_text(t: ClickHouseType) -> bool:
    """True when a Decimal sits where the plan decodes untyped JSON (anywhere but in arrays)."""
    b = t.base
    if b.name == "Array" and b.args:
        return _needs_exact_text(b.args[0])
    return b.name not in DECIMALS and any(_contains_decimal(a) for a in b.args)


def _contains_decimal(t: ClickHouseType) -> bool:
    return t.base.name in DECIMALS or any(_contains_decimal(a) for a in t.base.args)
