"""Arrow tables built straight from decoded result columns, typed exactly after ClickHouse.

Each type family (`paid_dbapi._families`) names its Arrow type (Decimals stay decimals, 64-bit
integers stay 64-bit, time stamps keep the column's unit and zone) and how its array is built;
this module holds what they share and `to_table`, which turns the cursor's decoded columns into
one `pyarrow.Table` without building Python row tuples.
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

from ._exceptions import DataError
from ._families import Prepare, arrow_type, family_of
from ._types import ClickHouseType, parse_type

logger = logging.getLogger(__name__)

#: Text of a JSON value, for semi-structured columns and anything without an Arrow type.
JSON_TEXT = pa.large_string()


def time_unit(digits: int) -> str:
    """The coarsest Arrow unit that holds `digits` fractional digits of a second."""
    return "s" if digits == 0 else "ms" if digits <= 3 else "us" if digits <= 6 else "ns"


def field(name: str, t: ClickHouseType, naive_timezone: str | None) -> pa.Field:
    nullable = t.nullable or family_of(t.base).always_null
    return pa.field(name, arrow_type(t, naive_timezone), nullable=nullable)


def tuple_fields(t: ClickHouseType, naive_timezone: str | None) -> list[pa.Field]:
    """Struct fields: the tuple's element names, else "1", "2", ... as ClickHouse numbers them."""
    names = t.field_names or tuple(str(i) for i in range(1, len(t.args) + 1))
    return [field(n, a, naive_timezone) for n, a in zip(names, t.args, strict=True)]


@functools.lru_cache(maxsize=1024)
def preparer(t: ClickHouseType) -> Prepare | None:
    """How a decoded Python value of `t` becomes one pyarrow accepts for its Arrow type, or
    None when pyarrow takes the value as it is (most types: ints, Decimals, datetimes...)."""
    b = t.base
    return family_of(b).arrow_prepare(b)


def no_nulls(values: Sequence[Any]) -> bool:
    """True when no value is None (`None in values` would call each value's `__eq__`)."""
    return not any(map(operator.is_, values, itertools.repeat(None)))


def json_text(value: Any) -> str:
    """Compact JSON text of a decoded semi-structured value."""
    return encode_json(value).decode()


encode_json = msgspec.json.Encoder().encode


def column_array(
    t: ClickHouseType,
    values: Callable[[], Sequence[Any]],
    raw: Sequence[Any],
    naive_timezone: str | None = None,
    text: bool = False,
) -> pa.Array:
    """One result column as an Arrow array, from `raw`, the values as the server sent them
    (`text`: kept as its text, see `families.wire_text`), where the family builds it from
    them, and else from `values()`, the column's Python values."""
    b = t.base
    family = family_of(b)
    type_ = family.arrow_type(b, naive_timezone)
    direct = family.arrow_array(b, type_, raw, text)
    if direct is not None:
        return direct
    decoded = values()
    prepare = preparer(t)
    if prepare is not None:
        decoded = list(map(family.arrow_unguarded(b) if no_nulls(decoded) else prepare, decoded))
    storage = _storage_type(type_)
    array = pa.array(decoded, storage)
    return array if storage == type_ else array.cast(type_)


def cast_text(raw: Sequence[Any], type_: pa.DataType) -> pa.Array | None:
    """Text (or None) cast to `type_` by Arrow, which refuses what it cannot hold exactly;
    None when refused (the Python values decide then)."""
    try:
        return pa.array(raw, pa.large_string()).cast(type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def timestamps(raw: Sequence[Any], type_: pa.DataType) -> pa.Array | None:
    """Date-time text as zoned time stamps of `type_`, every sub-second digit kept; None
    when Arrow refuses the text (e.g. with an offset)."""
    naive = cast_text(raw, pa.timestamp(type_.unit))
    if naive is None or type_.tz is None:
        return naive
    if type_.tz in ("UTC", "Etc/UTC"):  # Arrow reads naive time stamps as UTC: no shift
        return naive.cast(type_)
    try:  # wall-clock times in the zone, earliest of ambiguous
        return pc.assume_timezone(naive, type_.tz, ambiguous="earliest", nonexistent="earliest")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def texts(raw: Sequence[Any]) -> pa.Array | None:
    """Byte strings (or buffers) of UTF-8 text as one Arrow string array, copied once; None
    when it is not UTF-8."""
    offsets = pa.array(itertools.accumulate(map(len, raw), initial=0), pa.int64())
    data = pa.py_buffer(b"".join(raw))
    array = pa.Array.from_buffers(pa.large_string(), len(raw), [None, offsets.buffers()[1], data])
    try:
        array.validate(full=True)  # UTF-8 checked, as pa.array would
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return array


def uuids(raw: Sequence[Any]) -> pa.Array | None:
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


def schema(columns: Sequence[tuple[str, str]], naive_timezone: str | None = None) -> pa.Schema:
    """The Arrow schema of a result with these (name, ClickHouse type) columns."""
    return pa.schema(field(name, _parse(text), naive_timezone) for name, text in columns)


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
