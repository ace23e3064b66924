"""Arrow tables built straight from decoded result columns, typed exactly after ClickHouse.

`arrow_type` maps a parsed ClickHouse type to an Arrow type (Decimals stay decimals, 64-bit
integers stay 64-bit, time stamps keep the column's unit and zone); `to_table` turns the
cursor's decoded columns into one `pyarrow.Table` without building Python row tuples.
pyarrow is optional (extra `arrow`): importing this module without it raises ImportError.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
from collections.abc import Callable, Collection, Sequence
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from .exceptions import DataError
from .types import (
    CALENDAR_INTERVALS,
    DATES,
    DATETIMES,
    DECIMALS,
    FLOATS,
    HOLDS_NULL,
    INT_SIZES,
    INTERVAL_UNITS,
    SEMI_STRUCTURED,
    STRINGS,
    TIMES,
    ClickHouseType,
    parse_type,
    time_nanoseconds,
)

logger = logging.getLogger(__name__)

Prepare = Callable[[Any], Any]

#: Arrow's integer types by ClickHouse name (128 and 256 bits have no Arrow integer type).
ARROW_INTS = {
    "Int8": pa.int8(), "Int16": pa.int16(), "Int32": pa.int32(), "Int64": pa.int64(),
    "UInt8": pa.uint8(), "UInt16": pa.uint16(), "UInt32": pa.uint32(), "UInt64": pa.uint64(),
}  # fmt: skip
#: The Arrow duration unit of a sub-second interval, by its length in nanoseconds
#: (`INTERVAL_UNITS`); longer intervals count seconds.
SUBSECOND_UNITS = {1: "ns", 1_000: "us", 1_000_000: "ms"}
#: Text of a JSON value, for semi-structured columns and anything without an Arrow type.
JSON_TEXT = pa.large_string()


def _time_unit(digits: int) -> str:
    """The coarsest Arrow unit that holds `digits` fractional digits of a second."""
    return "s" if digits == 0 else "ms" if digits <= 3 else "us" if digits <= 6 else "ns"


def arrow_type(t: ClickHouseType, naive_timezone: str | None = None) -> pa.DataType:
    """The Arrow type for ClickHouse type `t` (nullability lives in the field, not the type)."""
    b = t.base
    name = b.name
    if name in ARROW_INTS:
        return ARROW_INTS[name]
    if name in INT_SIZES:  # 128 and 256 bits: exact decimal text (no Arrow type holds them)
        return pa.large_string()
    if name in FLOATS:
        return pa.float64() if name == "Float64" else pa.float32()
    if name in DECIMALS:
        precision, scale = b.precision or 10, b.scale or 0
        return (pa.decimal128 if precision <= 38 else pa.decimal256)(precision, scale)
    if name == "Bool":
        return pa.bool_()
    if name in STRINGS or name in ("IPv4", "IPv6"):
        return pa.large_string()
    if name == "UUID":
        return pa.uuid()
    if name in DATES:
        return pa.date32()
    if name in DATETIMES:
        digits = (b.precision or 0) if name == "DateTime64" else 0
        return pa.timestamp(_time_unit(digits), b.timezone or naive_timezone)
    if name in TIMES:
        return pa.duration(_time_unit(b.precision or 0) if name == "Time64" else "s")
    if name in INTERVAL_UNITS:
        return pa.duration(SUBSECOND_UNITS.get(INTERVAL_UNITS[name], "s"))
    if name in CALENDAR_INTERVALS:
        return pa.int64()
    if name == "Nothing":
        return pa.null()
    if name == "Array" and b.args:
        return pa.list_(_field("item", b.args[0], naive_timezone))
    if name == "Map" and len(b.args) == 2:
        return pa.map_(
            arrow_type(b.args[0], naive_timezone), _field("value", b.args[1], naive_timezone)
        )
    if name == "Tuple" and b.args:
        return pa.struct(_tuple_fields(b, naive_timezone))
    if name == "Nested" and b.args:
        return pa.list_(pa.struct(_tuple_fields(b, naive_timezone)))
    return JSON_TEXT


def _field(name: str, t: ClickHouseType, naive_timezone: str | None) -> pa.Field:
    nullable = t.nullable or t.base.name == "Nothing"
    return pa.field(name, arrow_type(t, naive_timezone), nullable=nullable)


def _tuple_fields(t: ClickHouseType, naive_timezone: str | None) -> list[pa.Field]:
    """Struct fields: the tuple's element names, else "1", "2", ... as ClickHouse numbers them."""
    names = t.field_names or tuple(str(i) for i in range(1, len(t.args) + 1))
    return [_field(n, a, naive_timezone) for n, a in zip(names, t.args, strict=True)]


def _optional(prepare: Prepare) -> Prepare:
    return lambda value: None if value is None else prepare(value)


@functools.lru_cache(maxsize=1024)
def _preparer(t: ClickHouseType) -> Prepare | None:
    """How a decoded Python value becomes one pyarrow accepts for `arrow_type(t)`, or None
    when pyarrow takes the value as it is (most types: ints, Decimals, datetimes, lists...)."""
    b = t.base
    name = b.name
    if name in INT_SIZES:
        return None if name in ARROW_INTS else _optional(str)
    if name in ("IPv4", "IPv6"):
        return _optional(str)
    if name == "UUID":
        return _optional(lambda u: u.bytes)
    if name == "Array" and b.args:
        item = _preparer(b.args[0])
        return None if item is None else _optional(lambda v: [item(x) for x in v])
    if name == "Map" and len(b.args) == 2:
        key, val = _preparer(b.args[0]), _preparer(b.args[1])
        if key is None and val is None:
            return None
        k, v = key or _same, val or _same
        return _optional(lambda m: [(k(a), v(c)) for a, c in m.items()])
    if name in ("Tuple", "Nested") and b.args:
        preparers = [_preparer(a) for a in b.args]
        if all(p is None for p in preparers):
            return None
        items = [p or _same for p in preparers]
        names = b.field_names

        def row(value: Any) -> Any:
            values = value.values() if isinstance(value, dict) else value
            converted = [p(x) for p, x in zip(items, values, strict=True)]
            return dict(zip(names, converted, strict=True)) if names else tuple(converted)

        if name == "Nested":
            return _optional(lambda v: [row(x) for x in v])
        return _optional(row)
    if arrow_type(b) == JSON_TEXT and name not in STRINGS:
        return _optional(_json_text)
    return None


def _unguarded(t: ClickHouseType) -> Prepare:
    """`_preparer(t)` for a column without NULLs, as one C-level call per value where there
    is one (a UUID's bytes, a JSON value's UTF-8 text) rather than a Python function."""
    if t.name == "UUID":
        return _UUID_BYTES
    if t.name in SEMI_STRUCTURED and t.name not in HOLDS_NULL:
        return _ENCODE  # pyarrow takes UTF-8 bytes for a string type (and checks them)
    prepare = _preparer(t)
    assert prepare is not None  # only asked for types that need preparing
    return prepare


def _no_nulls(values: Sequence[Any]) -> bool:
    """True when no value is None (`None in values` would call each value's `__eq__`)."""
    return not any(map(operator.is_, values, itertools.repeat(None)))


_UUID_BYTES = operator.attrgetter("bytes")


def _json_text(value: Any) -> str:
    """Compact JSON text of a decoded semi-structured value."""
    return _ENCODE(value).decode()


_ENCODE = msgspec.json.Encoder().encode


def _same(value: Any) -> Any:
    return value


def column_array(
    t: ClickHouseType,
    values: Callable[[], Sequence[Any]],
    raw: Sequence[Any],
    naive_timezone: str | None = None,
    text: bool = False,
) -> pa.Array:
    """One result column as an Arrow array, from `raw`, the values as the server sent them
    (`text`: kept as its text, see `wire.wire_text_type`), where Arrow casts them exactly, and
    else from `values()`, the column's Python values."""
    type_ = arrow_type(t, naive_timezone)
    b = t.base
    if text or b.name in DATETIMES:
        cast = _from_text(b, type_, raw)
        if cast is not None:
            return cast
    if b.name == "Time64" and type_.unit == "ns":  # Python's timedelta stops at 1 us
        return pa.array([None if v is None else time_nanoseconds(v) for v in raw], type_)
    if b.name in INTERVAL_UNITS:  # counts from the server: Python's timedelta stops at 1 us
        counts = pa.array(raw).cast(pa.int64())
        per_second = max(INTERVAL_UNITS[b.name] // 10**9, 1)  # seconds in one unit, if longer
        return (counts if per_second == 1 else pc.multiply_checked(counts, per_second)).cast(type_)
    decoded = values()
    prepare = _preparer(t)
    if prepare is not None:
        decoded = list(map(_unguarded(b) if _no_nulls(decoded) else prepare, decoded))
    storage = _storage_type(type_)
    array = pa.array(decoded, storage)
    return array if storage == type_ else array.cast(type_)


def _from_text(b: ClickHouseType, type_: pa.DataType, raw: Sequence[Any]) -> pa.Array | None:
    """The server's values of base type `b` as `type_` by Arrow's casts, which refuse what
    they cannot hold exactly; None when refused (the Python values decide then)."""
    try:
        if b.name in DATETIMES:  # ClickHouse's text carries every digit, Python stops at 1 us
            naive = pa.array(raw, pa.large_string()).cast(pa.timestamp(type_.unit))
            return _zoned(naive, type_.tz)
        if b.name in DECIMALS:  # number text, an int, or a string
            text = list(map(str, raw)) if _no_nulls(raw) else [_str_or_none(v) for v in raw]
            return pa.array(text, pa.large_string()).cast(type_)
        if b.name in DATES:
            return pa.array(raw, pa.large_string()).cast(type_)
        if b.name == "UUID":
            return _uuids(raw)
        if b.name in ("JSON", "Object"):  # msgspec.Raw: the object's JSON text as sent
            return _texts(raw)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass  # e.g. date-time text with an offset
    return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _texts(raw: Sequence[Any]) -> pa.Array:
    """Byte strings (or buffers) of UTF-8 text as one Arrow string array, copied once."""
    offsets = pa.array(itertools.accumulate(map(len, raw), initial=0), pa.int64())
    data = pa.py_buffer(b"".join(raw))
    array = pa.Array.from_buffers(pa.large_string(), len(raw), [None, offsets.buffers()[1], data])
    array.validate(full=True)  # UTF-8 checked, as pa.array would
    return array


def _uuids(raw: Sequence[Any]) -> pa.Array | None:
    """UUIDs from their canonical text (`8-4-4-4-12` hex digits, as ClickHouse writes them),
    all decoded in one call; None when a value is NULL or not canonical text."""
    if set(map(type, raw)) != {str} or set(map(len, raw)) != {36}:
        return None
    text = "".join(raw)
    dashes = "".join(text[i::36] for i in (8, 13, 18, 23))
    if dashes.count("-") != len(dashes) or text.count("-") != len(dashes):
        return None  # a dash out of place
    try:
        packed = bytes.fromhex(text.replace("-", ""))
    except ValueError:
        return None
    if len(packed) != 16 * len(raw):  # fromhex skips white space
        return None
    storage = pa.Array.from_buffers(pa.binary(16), len(raw), [None, pa.py_buffer(packed)])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def _storage_type(t: pa.DataType) -> pa.DataType:
    """`t` with extension types (UUID) replaced by their storage, which pyarrow can build."""
    if isinstance(t, pa.BaseExtensionType):
        return t.storage_type
    if pa.types.is_map(t):
        return pa.map_(
            _storage_type(t.key_type), t.item_field.with_type(_storage_type(t.item_type))
        )
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_storage_type(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_storage_type(f.type)) for f in t])
    return t


def _zoned(naive: pa.Array, zone: str | None) -> pa.Array:
    """Wall-clock times in `zone` as zone-aware Arrow time stamps (earliest of ambiguous)."""
    if zone is None:
        return naive
    return pc.assume_timezone(naive, zone, ambiguous="earliest", nonexistent="earliest")


def schema(columns: Sequence[tuple[str, str]], naive_timezone: str | None = None) -> pa.Schema:
    """The Arrow schema of a result with these (name, ClickHouse type) columns."""
    return pa.schema(_field(name, _parse(text), naive_timezone) for name, text in columns)


def to_table(
    columns: Sequence[tuple[str, str]],
    values: Callable[[int], Sequence[Any]],
    raw: Sequence[Sequence[Any]],
    naive_timezone: str | None = None,
    text: Collection[int] = (),
) -> pa.Table:
    """A table from the server's `raw` columns (those in `text` kept as text) and `values(i)`,
    the Python values of column `i`, asked for only where Arrow cannot cast the raw ones."""
    arrays = []
    for i, ((name, type_text), sent) in enumerate(zip(columns, raw, strict=True)):
        try:
            column = functools.partial(values, i)
            array = column_array(_parse(type_text), column, sent, naive_timezone, i in text)
        except (pa.ArrowException, ValueError, TypeError, ArithmeticError) as exc:
            hint = ""
            if "Decimal" in type_text:  # a double can round 99...9 up past the precision
                hint = (
                    "; the service sends Decimals through a double, which can round a value "
                    f"past the column's precision: select toString({name}) for the exact value"
                )
            raise DataError(
                f"column {name!r} cannot be held by Arrow as {type_text}: {exc}{hint}"
            ) from None
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=schema(columns, naive_timezone))


def _parse(text: str) -> ClickHouseType:
    """Parse a column type; an unparseable one is carried as JSON text."""
    try:
        return parse_type(text)
    except ValueError:
        logger.debug("unparseable ClickHouse type %r; carried as JSON text in Arrow", text)
        return parse_type("JSON")
