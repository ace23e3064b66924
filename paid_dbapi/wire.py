"""The /query body decoded by msgspec, with a type per column planned from the column types.

`parse_body` (the HTTP client's parser for /query) checks that the body is JSON. When the
body's columns have the types of the cursor's previous result (pages of an extract, a chart
refreshed), it decodes the whole body in one typed pass; otherwise it splits the top-level
object without decoding the rows, and `read` decodes them with the plan for the columns found.
The plan gives each column the msgspec type that yields exactly the object its converter would
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
from typing import Any, Literal, NamedTuple

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

#: What a planned column still needs: nothing (None) or this decoder instead of its converter.
Planned = dict[int, ColumnDecoder | None]


class Body(NamedTuple):
    """A /query body as read: (name, type) columns, rows, what the typed pass left to do, meta."""

    columns: list[tuple[str, str]]
    rows: Any
    planned: Planned
    meta: Any


class _Plan(NamedTuple):
    rows: msgspec.json.Decoder[list[tuple[Any, ...]]]  # the rows member alone
    body: msgspec.json.Decoder[Any]  # a whole body whose columns have exactly these types
    planned: Planned


def parse_body(body: bytes, expect: tuple[str, ...] = ()) -> Any:
    """A JSON body, in one typed pass if its columns have the types `expect`; otherwise an
    object's members stay undecoded for `read`. Raises ValueError when the body is not JSON."""
    plan = _plan(expect) if expect else None
    if plan is not None:
        try:
            return plan.body.decode(body)
        except msgspec.ValidationError:
            pass  # other columns, or a value the plan did not expect
    try:
        return _MEMBERS.decode(body)
    except msgspec.ValidationError:  # JSON, but not an object: `read` judges its shape
        return _EXACT.decode(body)


def read(body: Any) -> Body:
    """The parts of what `parse_body` returned; KeyError, TypeError or AttributeError when
    the body does not have the shape of a /query answer."""
    if isinstance(body, msgspec.Struct):  # decoded in one pass
        whole: Any = body
        types = tuple(c.type for c in whole.columns)
        plan = _plan(types)
        assert plan is not None  # the plan that decoded it
        names = [c.name for c in whole.columns]
        return Body(list(zip(names, types, strict=True)), whole.rows, plan.planned, whole.meta)
    columns = [(str(c["name"]), str(c["type"])) for c in member(body["columns"])]
    rows, planned = decode_rows(body["rows"], [t for _, t in columns])
    return Body(columns, rows, planned, member(body.get("meta")))


def member(value: Any) -> Any:
    """A member of a parsed body, decoded (numbers exact) if it is still raw."""
    return _EXACT.decode(value) if isinstance(value, msgspec.Raw) else value


def decode_rows(rows: Any, types: Sequence[str]) -> tuple[Any, Planned]:
    """The rows of a body, and for the columns the typed pass decoded, what they still need
    (the other columns go through their column decoder as usual)."""
    if not isinstance(rows, msgspec.Raw):
        return rows, {}
    plan = _plan(tuple(types))
    if plan is not None:
        try:
            return plan.rows.decode(rows), plan.planned
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
    # types made at run time, hence `Any` to the type checker
    generic: Any = tuple, list, Literal
    row, table, literal = generic
    rows = table[row[tuple(w for w, _ in wires)]]
    columns = row[
        tuple(msgspec.defstruct("Column", [("name", str), ("type", literal[t])]) for t in types)
    ]
    body = msgspec.defstruct("Body", [("columns", columns), ("rows", rows), ("meta", Any, None)])
    options: dict[str, Any] = {
        "strict": False,  # 64-bit and wider integers arrive as strings
        "float_hook": JSONNumber if exact else None,
    }
    planned: Planned = {i: None for i, (_, final) in enumerate(wires) if final}
    for i, t in enumerate(parsed):
        if t.base.name in DECIMALS:  # already Decimals: only the column's scale is missing
            planned[i] = _scaled(at_scale(t.scale or 0), t.nullable)
    return _Plan(
        msgspec.json.Decoder(rows, **options), msgspec.json.Decoder(body, **options), planned
    )


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
