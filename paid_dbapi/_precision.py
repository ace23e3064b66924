"""Which Decimal columns of a result may hold values the service rounded.

The service sends Decimals as JSON numbers that went through a double. A double holds every
decimal of up to 15 significant digits exactly, so a value that, written at its column's scale,
has at most 15 significant digits arrived exact. From 16 on it may not have: the stored value
could have had digits the double could not carry, and its text cannot tell. Digits are counted
at the column's scale because that is what the stored value holds: `1` in a `Decimal(38, 16)`
column stands for `1.0000000000000000` (17 digits), which `1.0000000000000001` also becomes.
So a `Decimal(P, S)` value may be rounded exactly when its magnitude is at least 10^(15 - S);
a column of precision 15 or less never holds one.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from ._families import family_of
from ._types import ClickHouseType, JSONNumber, parse_type
from ._wire import Unread

#: Significant digits every double carries exactly (DBL_DIG).
EXACT_DIGITS = 15


def rounding_limit(t: ClickHouseType) -> Decimal | None:
    """The smallest magnitude of a Decimal type `t` whose value may have been rounded, or None
    when no value of `t` can be (precision of 15 digits or less)."""
    if (t.precision or 0) <= EXACT_DIGITS:
        return None
    return Decimal(1).scaleb(EXACT_DIGITS - (t.scale or 0))


def imprecise_columns(columns: Sequence[tuple[str, str]], rows: Any) -> list[str]:
    """The names of the columns holding a Decimal (also inside arrays, maps, tuples) that may
    have been rounded, in column order. `rows` is the body's rows member, raw, parsed or still
    unread in its body (then the body is read once, for those columns alone, and only when a
    column needs the check); a shape or text this cannot read is left to the decoder, which
    reports it."""
    plan = _plan(tuple(t for _, t in columns))
    if plan is None:
        return []
    decoder, body_decoder, checked = plan
    try:
        if isinstance(rows, Unread | msgspec.Raw):
            parsed = (
                body_decoder.decode(rows.body).rows
                if isinstance(rows, Unread)
                else decoder.decode(rows)
            )
            values = {i: list(map(operator.attrgetter(f"c{i}"), parsed)) for i, _ in checked}
        else:
            values = {i: [row[i] for row in rows] for i, _ in checked}
    except (msgspec.DecodeError, TypeError, IndexError, KeyError, AttributeError):
        return []
    return [columns[i][0] for i, t in checked if _column_lost(values[i], t)]


def imprecise_in(columns: Sequence[tuple[str, str]], values: Sequence[Sequence[Any]]) -> list[str]:
    """`imprecise_columns` from a result's columns of values as sent (`values[i]` for column
    i), decoded already."""
    plan = _plan(tuple(t for _, t in columns))
    if plan is None:
        return []
    return [columns[i][0] for i, t in plan[2] if _column_lost(values[i], t)]


def _column_lost(column: Sequence[Any], t: ClickHouseType) -> bool:
    """True when a column of `t` holds a value that may have been rounded; a column of
    Decimals (or their text, or ints) is checked in one C-level pass."""
    limit = rounding_limit(t.base) if family_of(t.base).decimal else None
    try:
        if limit is not None:  # NULLs dropped
            return any(map(limit.__le__, map(abs, map(Decimal, filter(_present, column)))))
    except (InvalidOperation, TypeError, ValueError):
        pass  # not a number: the decoder reports it
    return any(_lost(v, t) for v in column)


_present = functools.partial(operator.is_not, None)


#: Decoders of the rows member and of a whole body (its rows alone), and the checked columns.
_Plan = tuple[
    msgspec.json.Decoder[Any], msgspec.json.Decoder[Any], list[tuple[int, ClickHouseType]]
]


@functools.lru_cache(maxsize=256)
def _plan(types: tuple[str, ...]) -> _Plan | None:
    """A decoder that reads only the columns that may hold rounded Decimals (numbers as exact
    text; the values after the last of them skipped unread), and those columns; None when
    there are none."""
    checked: list[tuple[int, ClickHouseType]] = []
    for i, text in enumerate(types):
        try:
            t = parse_type(text)
        except ValueError:
            continue
        if _may_round(t):
            checked.append((i, t))
    if not checked:
        return None
    wanted = {i for i, _ in checked}
    fields = [(f"c{i}", Any if i in wanted else msgspec.Raw) for i in range(max(wanted) + 1)]
    row: Any = msgspec.defstruct("Row", fields, array_like=True, gc=False)  # made at run time
    body: Any = msgspec.defstruct("Body", [("rows", list[row])])  # other members skipped unread
    return (
        msgspec.json.Decoder(list[row], float_hook=JSONNumber),
        msgspec.json.Decoder(body, float_hook=JSONNumber),
        checked,
    )


def _may_round(t: ClickHouseType) -> bool:
    if family_of(t).decimal:
        return rounding_limit(t) is not None
    return any(_may_round(a) for a in t.args)


def _lost(value: Any, t: ClickHouseType) -> bool:
    """True when `value` (JSON as sent) holds a Decimal of `t` that may have been rounded."""
    if value is None:
        return False
    t = t.base
    if family_of(t).decimal:
        limit = rounding_limit(t)
        try:
            return limit is not None and abs(Decimal(value)) >= limit
        except (InvalidOperation, TypeError, ValueError):
            return False  # not a number: the decoder reports it
    if t.name == "Array" and t.args and isinstance(value, list):
        return any(_lost(v, t.args[0]) for v in value)
    if t.name == "Map" and len(t.args) == 2 and isinstance(value, dict):
        return any(_lost(v, t.args[1]) for v in value.values())  # keys are text, never rounded
    if t.name == "Tuple" and isinstance(value, dict):  # named tuples arrive as objects
        fields = dict(zip(t.field_names or (), t.args, strict=False))
        return any(k in fields and _lost(v, fields[k]) for k, v in value.items())
    if t.name == "Tuple" and isinstance(value, list):
        return any(_lost(v, a) for v, a in zip(value, t.args, strict=False))
    return False


__all__ = ["EXACT_DIGITS", "imprecise_columns", "imprecise_in", "rounding_limit"]
