"""hypothesis strategies for ClickHouse types, SQL values of those types, and the oracle's rules.

A `Gen` is one ClickHouse type: its text, a strategy for SQL expressions of exactly that type,
and `expect`, which turns what the oracle (ClickHouse's Arrow output, temporal values as integer
ticks) gave into the Python value the driver must return. The rules use only the type's own
structure and ClickHouse's numbers; nothing here imports `paid_dbapi`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

EPOCH = dt.datetime(1970, 1, 1)
UTC = dt.timezone.utc
ZONES = ("UTC", "America/St_Johns", "Asia/Kathmandu", "Europe/London", "Australia/Lord_Howe")


def sql_string(text: str) -> str:
    """A ClickHouse string literal (for type names inside CAST)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def cast(expr: str, type_text: str) -> str:
    return f"CAST({expr}, {sql_string(type_text)})"


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True, repr=False)
class Gen:
    """One generated ClickHouse type."""

    text: str
    values: st.SearchStrategy[str]
    expect: Callable[[Any], Any]
    #: The expected value as a map key: composite keys become tuples (dict keys are hashable).
    key_expect: Callable[[Any], Any] | None = None
    key: bool = False  # may be a Map key
    nullable: bool = True  # may be wrapped in Nullable
    lowcard: bool = False  # may be wrapped in LowCardinality
    plain: bool = False  # a scalar that Dynamic/Variant/JSON carry unchanged as JSON
    #: Semi-structured: chDB's Arrow output needs at least one value of it in an array.
    dynamic: bool = False

    def __repr__(self) -> str:
        return f"Gen({self.text})"


class Float32(float):
    """An expected Float32: the driver's value must round to the same single-precision float."""


class BFloat16(float):
    """An expected BFloat16: the driver's value must round to the same bfloat16."""


def _scalar(
    text: str,
    values: st.SearchStrategy[Any],
    sql: Callable[[Any], str],
    expect: Callable[[Any], Any],
    **flags: bool,
) -> Gen:
    return Gen(text, values.map(lambda v: cast(sql(v), text)), expect, expect, **flags)


def _int_gen(name: str, bits: int) -> Gen:
    signed = not name.startswith("U")
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    values = st.one_of(st.integers(low, high), st.sampled_from([low, high, 0]))

    def expect(value: Any) -> int:
        if isinstance(value, bytes):  # Int128/256 arrive as little-endian bytes
            return int.from_bytes(value, "little", signed=signed)
        return int(value)

    return _scalar(name, values, lambda v: sql_string(str(v)), expect, key=True,
                   plain=bits <= 32)  # fmt: skip


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "'nan'"
    if math.isinf(value):
        return "'inf'" if value > 0 else "'-inf'"
    return sql_string(repr(value))


def _bfloat16(value: bytes) -> BFloat16:
    return BFloat16(struct.unpack("<f", b"\0\0" + value)[0])


def _decimal_gen(precision: int, scale: int, text: str) -> Gen:
    bound = 10**precision - 1
    values = st.one_of(st.integers(-bound, bound), st.sampled_from([-bound, bound, 0])).map(
        lambda units: Decimal(f"{units}E-{scale}")  # exact: no context rounding
    )
    return _scalar(text, values, lambda v: sql_string(str(v)), Decimal, key=True)


def _text_values(max_bytes: int | None = None) -> st.SearchStrategy[str]:
    text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
    if max_bytes is None:
        return text
    return text.filter(lambda s: len(s.encode()) <= max_bytes)


def _unhex(text: str) -> str:
    return f"unhex('{text.encode().hex()}')"


def _enum_gen(bits: int) -> Gen:
    members = {"a": 1, "b'c": -2, "\\d": 3, "é e": 100}
    body = ", ".join(f"{sql_string(k)} = {v}" for k, v in members.items())
    text = f"Enum{bits}({body})"
    names = {v: k for k, v in members.items()}
    return _scalar(text, st.sampled_from(sorted(members)), sql_string,
                   lambda code: names[code], key=True)  # fmt: skip


#: Wall-clock times that happen twice (a DST fold) or not at all (a gap), as (zone, text).
FOLDS = [("Europe/London", "2026-10-25 01:30:00"), ("America/St_Johns", "2026-11-01 01:30:00"),
         ("Australia/Lord_Howe", "2026-04-05 01:45:00"), ("Europe/London", "2026-03-29 01:30:00")]  # fmt: skip


def _fold_instants() -> list[int]:
    """Both instants of every fold above (a gap's wall-clock time maps to two nearby ones)."""
    instants = []
    for zone, text in FOLDS:
        wall = dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))
        instants += [int(wall.replace(fold=f).timestamp()) for f in (0, 1)]
    return instants


def _datetime_gen(zone: str | None) -> Gen:
    text = "DateTime" if zone is None else f"DateTime({sql_string(zone)})"
    # Values are instants (seconds since the epoch), so a fold's second occurrence appears too.
    values = st.one_of(st.integers(0, 2**32 - 1), st.sampled_from(_fold_instants()))

    def expect(seconds: int) -> dt.datetime:
        return _instant(seconds * 10**6, zone)

    return _scalar(text, values, str, expect, key=True)


def _instant(micros: int, zone: str | None) -> dt.datetime:
    """The instant `micros` after the epoch: naive UTC wall-clock, or aware in `zone`."""
    moment = EPOCH + dt.timedelta(microseconds=micros)
    if zone is None:
        return moment
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    return moment.replace(tzinfo=UTC).astimezone(tz)


def _unit_digits(precision: int) -> int:
    """Arrow's unit for a DateTime64/Time64 precision: 0, 3, 6 or 9 digits."""
    return 0 if precision == 0 else 3 * ((precision + 2) // 3)


def _datetime64_gen(precision: int, zone: str | None) -> Gen:
    text = f"DateTime64({precision}" + (f", {sql_string(zone)})" if zone else ")")
    low, high = (1900, 2261) if precision > 6 else (1900, 2299)
    values = st.tuples(
        st.datetimes(dt.datetime(low, 1, 2), dt.datetime(high, 12, 30)),
        st.integers(0, 10**precision - 1),
    ).map(lambda p: f"{p[0]:%Y-%m-%d %H:%M:%S}" + (f".{p[1]:0{precision}d}" if precision else ""))
    digits = _unit_digits(precision)

    def expect(ticks: int) -> dt.datetime:
        # ClickHouse's digits past microseconds are cut: floor of the tick count.
        return _instant(ticks * 10**6 // 10**digits, zone)

    return _scalar(text, values, sql_string, expect, key=True)


def _time64_gen(precision: int) -> Gen:
    # Arrow's time types hold a time of day, so only values in [0, 24h) reach the oracle.
    values = st.tuples(st.integers(0, 86399), st.integers(0, 10**precision - 1)).map(
        lambda p: (
            f"{p[0] // 3600:02d}:{p[0] // 60 % 60:02d}:{p[0] % 60:02d}"
            + (f".{p[1]:0{precision}d}" if precision else "")
        )
    )
    digits = _unit_digits(precision)

    def expect(ticks: int) -> dt.timedelta:
        return dt.timedelta(microseconds=ticks * 10**6 // 10**digits)

    return _scalar(f"Time64({precision})", values, sql_string, expect, key=True)


_INTERVALS = {  # name -> (timedelta per unit, or None for a calendar count), Arrow unit digits
    "IntervalNanosecond": (None, 9), "IntervalMicrosecond": (None, 6),
    "IntervalMillisecond": (None, 3), "IntervalSecond": (None, 0),
    "IntervalMinute": (dt.timedelta(minutes=1), None), "IntervalHour": (dt.timedelta(hours=1), None),
    "IntervalDay": (dt.timedelta(days=1), None), "IntervalWeek": (dt.timedelta(weeks=1), None),
    "IntervalMonth": (None, None), "IntervalQuarter": (None, None), "IntervalYear": (None, None),
}  # fmt: skip


def _interval_gen(name: str) -> Gen:
    unit, digits = _INTERVALS[name]

    def expect(count: int) -> Any:
        if digits is not None:  # an Arrow duration: ticks of its unit, cut toward zero
            ticks = abs(count) * 10**6 // 10**digits
            return dt.timedelta(microseconds=ticks if count >= 0 else -ticks)
        return count if unit is None else unit * count

    bound = 10**9 if unit is None else 10**5
    return _scalar(name, st.integers(-bound, bound), lambda v: sql_string(str(v)), expect)


def scalars() -> list[Gen]:
    """Every scalar family, its values at and near the edges."""
    gens = [_int_gen(name, bits) for name, bits in (
        ("Int8", 8), ("Int16", 16), ("Int32", 32), ("Int64", 64), ("Int128", 128), ("Int256", 256),
        ("UInt8", 8), ("UInt16", 16), ("UInt32", 32), ("UInt64", 64), ("UInt128", 128),
        ("UInt256", 256))]  # fmt: skip
    gens += [
        _scalar("Float64", st.floats(), _float_text, float),
        _scalar("Float64", st.floats(allow_nan=False, allow_infinity=False), _float_text, float,
                key=True, plain=True),
        _scalar("Float32", st.floats(width=32), _float_text, Float32),
        _scalar("Float32", st.floats(width=32, allow_nan=False), _float_text, Float32, key=True),
        _scalar("BFloat16", st.floats(width=32, allow_nan=False), _float_text, _bfloat16),
        _decimal_gen(9, 4, "Decimal(9, 4)"),
        _decimal_gen(18, 0, "Decimal64(0)"),
        _decimal_gen(38, 10, "Decimal(38, 10)"),
        _decimal_gen(76, 40, "Decimal256(40)"),
        _decimal_gen(76, 76, "Decimal(76, 76)"),
        _scalar("Bool", st.booleans(), lambda b: "true" if b else "false", bool, key=True,
                plain=True),
        _scalar("String", _text_values(), _unhex, _identity, key=True, lowcard=True, plain=True),
        _scalar("FixedString(4)", _text_values(4), _unhex, lambda b: b.decode(), key=True,
                lowcard=True),
        _enum_gen(8),
        _enum_gen(16),
        _scalar("UUID", st.uuids(), lambda u: sql_string(str(u)), _identity, key=True),
        _scalar("IPv4", st.ip_addresses(v=4), lambda a: sql_string(str(a)),
                ipaddress.IPv4Address, key=True),
        _scalar("IPv6", st.ip_addresses(v=6), lambda a: sql_string(str(a)),
                lambda b: ipaddress.IPv6Address(bytes(b)), key=True),
        _scalar("Date", st.dates(dt.date(1970, 1, 1), dt.date(2149, 6, 6)),
                lambda d: sql_string(str(d)), _identity, key=True),
        _scalar("Date32", st.dates(dt.date(1900, 1, 1), dt.date(2299, 12, 31)),
                lambda d: sql_string(str(d)), _identity, key=True),
        _scalar("Time", st.integers(0, 86399),
                lambda s: sql_string(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"),
                lambda s: dt.timedelta(seconds=s), key=True),
    ]  # fmt: skip
    gens += [_datetime_gen(zone) for zone in (None, *ZONES)]
    gens += [_datetime64_gen(p, z) for p, z in ((0, None), (3, "UTC"), (6, "America/St_Johns"),
                                                (9, "Asia/Kathmandu"), (7, None), (2, "Europe/London"))]  # fmt: skip
    gens += [_time64_gen(p) for p in (0, 3, 6, 9)]
    gens += [_interval_gen(name) for name in _INTERVALS]
    return gens


SCALARS = scalars()
PLAIN = [g for g in SCALARS if g.plain]


def nullable(inner: Gen) -> Gen:
    text = f"Nullable({inner.text})"
    values = st.one_of(st.just("NULL"), inner.values).map(lambda e: cast(e, text))

    def expect(value: Any) -> Any:
        return None if value is None else inner.expect(value)

    def key_expect(value: Any) -> Any:
        return None if value is None else (inner.key_expect or inner.expect)(value)

    return replace(inner, text=text, values=values, expect=expect, key_expect=key_expect,
                   key=False, nullable=False, plain=False)  # fmt: skip


def low_cardinality(inner: Gen) -> Gen:
    text = f"LowCardinality({inner.text})"
    return replace(inner, text=text, values=inner.values.map(lambda e: cast(e, text)),
                   lowcard=False, plain=False)  # fmt: skip


def array(inner: Gen) -> Gen:
    text = f"Array({inner.text})"
    key_inner = inner.key_expect or inner.expect
    return Gen(
        text,
        st.lists(inner.values, min_size=int(inner.dynamic), max_size=3).map(
            lambda items: cast(f"[{', '.join(items)}]", text)
        ),
        lambda value: [inner.expect(v) for v in value],
        lambda value: tuple(key_inner(v) for v in value),
        key=inner.key,
        nullable=False,
        dynamic=inner.dynamic,
    )


def map_of(key: Gen, value: Gen) -> Gen:
    text = f"Map({key.text}, {value.text})"
    key_of = key.key_expect or key.expect
    value_key = value.key_expect or value.expect
    pairs = st.lists(st.tuples(key.values, value.values), min_size=int(value.dynamic), max_size=3)
    return Gen(
        text,
        pairs.map(lambda ps: cast(f"map({', '.join(f'{k}, {v}' for k, v in ps)})", text)),
        lambda value_: {key_of(k): value.expect(v) for k, v in _collapsed(value_)},
        lambda value_: tuple((key_of(k), value_key(v)) for k, v in value_),
        key=key.key and value.key,
        nullable=False,
        dynamic=value.dynamic,
    )


def _collapsed(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The pairs as the JSON wire carries them: a repeated key (the same ClickHouse value)
    keeps its first place and its last value. Keys that differ only where Python cannot
    (past microseconds) collapse later, when converted, the same way."""
    seen: dict[str, tuple[Any, Any]] = {}
    for k, v in pairs:
        seen[repr(k)] = (seen[repr(k)][0] if repr(k) in seen else k, v)
    return list(seen.values())


FIELD_NAMES = ("a", "b c", "select", "`x`", "é")


def tuple_of(elements: list[Gen], named: bool) -> Gen:
    names = FIELD_NAMES[: len(elements)] if named else None
    if names:
        body = ", ".join(
            f"`{n.replace('`', '``')}` {e.text}" for n, e in zip(names, elements, strict=True)
        )
    else:
        body = ", ".join(e.text for e in elements)
    text = f"Tuple({body})"

    def expect(value: dict[str, Any]) -> Any:
        items = [e.expect(v) for e, v in zip(elements, value.values(), strict=True)]
        return dict(zip(names, items, strict=True)) if names else tuple(items)

    def key_expect(value: dict[str, Any]) -> Any:
        return tuple(
            (e.key_expect or e.expect)(v) for e, v in zip(elements, value.values(), strict=True)
        )

    values = st.tuples(*(e.values for e in elements)).map(
        lambda vs: cast(f"tuple({', '.join(vs)})", text)
    )
    return Gen(text, values, expect, key_expect, key=all(e.key for e in elements), nullable=False,
               dynamic=any(e.dynamic for e in elements))  # fmt: skip


def nested(elements: list[Gen]) -> Gen:
    names = FIELD_NAMES[: len(elements)]
    body = ", ".join(
        f"`{n.replace('`', '``')}` {e.text}" for n, e in zip(names, elements, strict=True)
    )
    text = f"Nested({body})"
    row = st.tuples(*(e.values for e in elements)).map(lambda vs: f"tuple({', '.join(vs)})")
    return Gen(
        text,
        st.lists(row, max_size=3).map(lambda rows: cast(f"[{', '.join(rows)}]", text)),
        lambda value: [
            {n: e.expect(v) for n, e, v in zip(names, elements, r.values(), strict=True)}
            for r in value
        ],
        nullable=False,
    )


def dynamic() -> Gen:
    """Dynamic holding a plain scalar or an array of one; the oracle gives ClickHouse's JSON."""
    members = [*PLAIN, *(array(g) for g in PLAIN)]
    values = st.one_of(st.just("NULL"), *(g.values for g in members))
    return Gen("Dynamic", values.map(lambda e: cast(e, "Dynamic")), _json_text, nullable=False,
               dynamic=True)  # fmt: skip


def _json_text(value: Any) -> Any:
    return None if value is None else json.loads(value)


def variant() -> st.SearchStrategy[Gen]:
    """Variant of two or three distinct plain types (ClickHouse sorts the members by name)."""

    def build(members: list[Gen]) -> Gen:
        text = f"Variant({', '.join(m.text for m in members)})"
        values = st.one_of(st.just("NULL"), *(m.values for m in members))
        # ClickHouse casts the string 'nan' to the Float64 member, and the wire sends a
        # non-finite float as its text: beside a String member, that text is a string.
        ambiguous = {m.text for m in members} >= {"Float64", "String"}
        return Gen(text, values.map(lambda e: cast(e, text)),
                   _float_as_text if ambiguous else _identity, nullable=False,
                   dynamic=True)  # fmt: skip

    # One number-like member at most: ClickHouse refuses "similar" variants such as Int32 and
    # Float64.
    string = next(g for g in PLAIN if g.text == "String")
    numbers = [g for g in PLAIN if g.text in ("Int32", "Float64", "Bool")]
    others = st.lists(st.sampled_from([string, array(string)]), min_size=1, max_size=2,
                      unique_by=lambda g: g.text)  # fmt: skip
    return st.builds(lambda n, rest: build([n, *rest]), st.sampled_from(numbers), others)


def _float_as_text(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


JSON_KEYS = st.text("abcxyz_", min_size=1, max_size=3)
JSON_LEAVES = st.one_of(
    st.text(max_size=5),
    st.integers(-(2**31), 2**31),
    st.booleans(),
    # Not integral: ClickHouse writes 2.0 as 2, which reads back as an int.
    st.floats(-1e15, 1e15).map(lambda f: f if not f.is_integer() else f + 0.5),
)
JSON_OBJECTS = st.recursive(
    st.dictionaries(JSON_KEYS, JSON_LEAVES, min_size=1, max_size=3),
    lambda inner: st.dictionaries(JSON_KEYS, st.one_of(JSON_LEAVES, inner), min_size=1, max_size=3),
    max_leaves=6,
)


def json_type() -> Gen:
    """JSON objects; the service writes their (Int64) integers as strings."""
    values = JSON_OBJECTS.map(lambda obj: cast(sql_string(json.dumps(obj)), "JSON"))
    return Gen("JSON", values, lambda text: _quote_ints(json.loads(text)), nullable=False,
               dynamic=True)  # fmt: skip


def _quote_ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _quote_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quote_ints(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _wrapped(inner: Gen, draw: Any) -> Gen:
    choice = draw(st.integers(0, 3))
    if choice == 1 and inner.nullable:
        return nullable(inner)
    if choice == 2 and inner.lowcard:
        lc = low_cardinality(inner)
        return low_cardinality(nullable(inner)) if draw(st.booleans()) else lc
    return inner


@st.composite
def _leaf(draw: Any) -> Gen:
    return _wrapped(draw(st.sampled_from(SCALARS)), draw)


def _extend(children: st.SearchStrategy[Gen]) -> st.SearchStrategy[Gen]:
    key_scalars = st.sampled_from([g for g in SCALARS if g.key])
    # Composite keys, parsed from ClickHouse's text by the driver (a NULL may sit in a tuple).
    elements = st.one_of(key_scalars, key_scalars.map(array), key_scalars.map(nullable))
    keys = st.one_of(
        key_scalars,
        st.sampled_from([low_cardinality(g) for g in SCALARS if g.key and g.lowcard]),
        key_scalars.map(array),
        st.builds(tuple_of, st.lists(elements, min_size=1, max_size=3), st.booleans()),
        st.builds(map_of, key_scalars, elements),
    )
    return st.one_of(
        children.map(array),
        st.builds(map_of, keys, children),
        st.builds(tuple_of, st.lists(children, min_size=1, max_size=3), st.booleans()),
        st.lists(_leaf(), min_size=1, max_size=3).map(nested),
    )


SEMI_STRUCTURED = st.one_of(st.just(dynamic()), variant(), st.just(json_type()))

#: ClickHouse types nested a few levels deep, every family at the leaves.
TYPES = st.one_of(
    st.recursive(_leaf(), _extend, max_leaves=4),
    st.recursive(SEMI_STRUCTURED, _extend, max_leaves=3),
    st.just(tuple_of([], named=False)),
)
