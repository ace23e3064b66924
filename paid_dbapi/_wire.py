"""The /query body decoded by msgspec, with a type per column planned from the column types.

`parse_body` (the HTTP client's parser for /query) reads the columns and meta of a body laid out
as the service writes it from its two ends, leaving the rows unread (`Unread`), so that the one
pass that decodes them, on first use, for Python or for Arrow (`decode_rows`), is the only pass
over the body; any other body is checked to be JSON and split into its members first. The
Python plan gives each column the msgspec type that yields exactly the object its converter
would (integers, floats, strings, UUIDs, dates, Decimals), and the plain JSON value, with
non-integer numbers kept as exact text where a Decimal may need them, everywhere else. The
Arrow plan keeps UUIDs, date-times, Decimals and JSON objects as the server's text, for Arrow
to cast in C. If a typed pass refuses the rows, the plain parse runs instead, so results and
errors never depend on the pass. Rows with columns still to finish, and rows for Arrow, can
come as mutable array-like structs the GC does not track (`structs`): the cursor finishes those
columns in place and turns each row into a tuple once, instead of transposing the rows and
zipping them back, or reads the columns for Arrow off them, and the collector never walks them.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec

from . import _families as families
from ._types import ClickHouseType, ColumnDecoder, JSONNumber, column_decoder, parse_type

#: Any JSON, non-integer numbers kept as their exact text (what Decimal converters need).
_EXACT = msgspec.json.Decoder(float_hook=JSONNumber)
#: A top-level object with its members left undecoded.
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])

#: What a planned column still needs: nothing (None) or this decoder instead of its converter.
Planned = dict[int, ColumnDecoder | None]


class Body(NamedTuple):
    """A /query body as read: (name, type) columns, rows (raw until decoded), meta."""

    columns: list[tuple[str, str]]
    rows: Any
    meta: Any


class _Plan(NamedTuple):
    rows: msgspec.json.Decoder[list[tuple[Any, ...]]]  # the rows member alone
    body: msgspec.json.Decoder[Any]  # a whole body, for its rows member (attribute `rows`)
    planned: Planned
    text: frozenset[int]  # the columns kept as the server's text


class Unread(NamedTuple):
    """A whole body whose rows member is not read yet, nor checked to be JSON."""

    body: bytes

    def rows(self) -> Any:
        """The rows member, plain-parsed (numbers exact); msgspec.DecodeError when the body
        is not JSON."""
        return _EXACT.decode(self.body)["rows"]


def parse_body(body: bytes) -> Any:
    """A JSON body; an object's members stay undecoded for `read`. Raises ValueError when the
    body is not JSON (for a body read from its ends, on first use of the rows)."""
    ends = _ends(body)
    if ends is not None:
        return ends
    try:
        return _MEMBERS.decode(body)
    except msgspec.ValidationError:  # JSON, but not an object: `read` judges its shape
        return _EXACT.decode(body)


def _ends(body: bytes) -> dict[str, Any] | None:
    """The members of `{"columns":C,"rows":R,"meta":M}` with C and M decoded from the body's
    ends and R `Unread`; None for any other layout. Neither `,"rows":` nor `,"meta":` can lie
    inside a string (a quote there follows a backslash), and C closed by `}` parses as an
    object only if C ends at the top level; M, the value before the final `}`, is the last
    member of the top level once the whole body is found to be JSON."""
    rows_at = body.find(b',"rows":') if body.startswith(b'{"columns":') else -1
    meta_at = body.rfind(b',"meta":')
    if rows_at < 0 or meta_at < rows_at:
        return None
    try:
        head = _EXACT.decode(body[:rows_at] + b"}")
        tail = _EXACT.decode(b"{" + body[meta_at + 1 :])
    except msgspec.DecodeError:
        return None
    if list(head) != ["columns"] or list(tail) != ["meta"]:
        return None
    return {"columns": head["columns"], "rows": Unread(body), "meta": tail["meta"]}


def read(body: Any) -> Body:
    """The parts of what `parse_body` returned, rows still raw; KeyError, TypeError or
    AttributeError when the body does not have the shape of a /query answer."""
    columns = [(str(c["name"]), str(c["type"])) for c in member(body["columns"])]
    return Body(columns, body["rows"], member(body.get("meta")))


def member(value: Any) -> Any:
    """A member of a parsed body, decoded (numbers exact) if it is still raw."""
    return _EXACT.decode(value) if isinstance(value, msgspec.Raw) else value


class Decoded(NamedTuple):
    """Rows as decoded; for the columns the typed pass decoded, what they still need (the
    other columns go through their column decoder as usual); the columns kept as text."""

    rows: Any
    planned: Planned
    text: frozenset[int]


def decode_rows(
    rows: Any,
    types: Sequence[str],
    wire_text: bool = False,
    naive_timezone: str | None = None,
    structs: bool = False,
) -> Decoded:
    """The rows of a body, for Python values; with `wire_text`, for Arrow: the columns for
    whose family has a `wire_text` type keep the server's text, for Arrow to cast. With
    `structs`, typed rows that are not final as decoded (for Arrow, all) come as array-like
    structs the GC does not track (column i is attribute `field(i)`)."""
    plain = Decoded(rows, {}, frozenset())
    if not isinstance(rows, msgspec.Raw | Unread):
        return plain
    plan = _plan(tuple(types), wire_text, naive_timezone, structs)
    if plan is not None:
        try:
            if isinstance(rows, Unread):
                return Decoded(plan.body.decode(rows.body).rows, plan.planned, plan.text)
            return Decoded(plan.rows.decode(rows), plan.planned, plan.text)
        except msgspec.ValidationError:
            pass  # a value the plan did not expect: the converters judge it, as always
    return plain._replace(rows=rows.rows() if isinstance(rows, Unread) else _EXACT.decode(rows))


def field(i: int) -> str:
    """The attribute that holds column `i` of a struct row."""
    return f"c{i}"


@functools.lru_cache(maxsize=256)
def _plan(
    types: tuple[str, ...],
    wire_text: bool = False,
    naive_timezone: str | None = None,
    structs: bool = False,
) -> _Plan | None:
    if not types:
        return None
    try:
        parsed = [parse_type(t) for t in types]
    except ValueError:
        return None
    as_texts = [families.wire_text(t) if wire_text else None for t in parsed]
    text = [as_text is not None for as_text in as_texts]
    # Decimals kept as text are untyped JSON: non-integer numbers must then stay exact text
    exact = any(_needs_exact_text(t) for t in parsed) or any(
        as_text and _is_decimal(t) for t, as_text in zip(parsed, text, strict=True)
    )
    wires: list[tuple[Any, bool]] = []
    finish: dict[int, ColumnDecoder | None] = {}
    for i, (t, as_text) in enumerate(zip(parsed, as_texts, strict=True)):
        whole = None if as_text is not None else families.native(t, naive_timezone)
        if as_text is not None:
            wires.append((as_text, False))
        elif whole is not None:  # natively decoded, then finished over the column
            native, finish[i] = whole
            wires.append((native | None if t.nullable else native, True))
        else:
            wires.append(families.wire(t, exact))
    # types made at run time, hence `Any` to the type checker
    generic: Any = tuple, list
    row, table = generic
    options: dict[str, Any] = {
        "strict": False,  # 64-bit and wider integers arrive as strings
        "float_hook": JSONNumber if exact else None,
    }
    planned: Planned = {i: None for i, (_, final) in enumerate(wires) if final}
    for i, stage in finish.items():  # NULLs only where the wire type lets them through
        planned[i] = stage if stage is None or not parsed[i].nullable else _finished(stage)
    unfinished = any(
        planned[i] is not None if i in planned else column_decoder(t, naive_timezone) is not None
        for i, t in enumerate(types)
    )
    if structs and (unfinished or wire_text):  # untracked by the GC: only JSON in them
        fields = [(field(i), w) for i, (w, _) in enumerate(wires)]
        row = msgspec.defstruct(
            "Row", fields, array_like=True, gc=False, forbid_unknown_fields=True
        )
        rows = table[row]
    else:
        rows = table[row[tuple(w for w, _ in wires)]]
    text_columns = frozenset(i for i, as_text in enumerate(text) if as_text)
    body: Any = msgspec.defstruct("Body", [("rows", rows)])  # other members skipped unread
    return _Plan(
        msgspec.json.Decoder(rows, **options),
        msgspec.json.Decoder(body, **options),
        planned,
        text_columns,
    )


def _finished(stage: ColumnDecoder) -> ColumnDecoder:
    """`stage` over a column, NULLs left as they are."""

    def finish(column: Sequence[Any]) -> list[Any]:
        if not any(map(operator.is_, column, itertools.repeat(None))):  # `in` calls __eq__
            return stage(column)
        present = [v for v in column if v is not None]
        done = iter(stage(present))
        return [None if v is None else next(done) for v in column]

    return finish


def _needs_exact_text(t: ClickHouseType) -> bool:
    """True when a Decimal sits where the plan decodes untyped JSON (anywhere but in arrays)."""
    b = t.base
    if b.name == "Array" and b.args:  # msgspec decodes Decimals in typed lists exactly
        return _needs_exact_text(b.args[0])
    return not _is_decimal(b) and any(_contains_decimal(a) for a in b.args)


def _is_decimal(t: ClickHouseType) -> bool:
    return families.family_of(t.base).decimal


def _contains_decimal(t: ClickHouseType) -> bool:
    return _is_decimal(t) or any(_contains_decimal(a) for a in t.base.args)
