"""The registry of ClickHouse type families: all the driver knows about a type, in one place.

Each family (integers, Decimals, date-times, arrays, ...) is one class that answers every
question the driver asks of a column type: how a JSON value of it becomes a Python object
(`converter`, and `fast`, a whole-column decoder of C-level calls), which msgspec type decodes
it natively (`wire`), its Arrow type and how its Arrow array is built, its SQLAlchemy type, its
PEP 249 type object and its description fields. `family_of` finds the family of a parsed type;
a new ClickHouse type is one more entry in `FAMILIES`. The base class `Family` is what the
driver does with a type it does not know: values pass through as sent (JSON text in Arrow,
`NullType` in SQLAlchemy). pyarrow and SQLAlchemy are imported only when asked about.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import logging
import operator
import uuid
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from ._values import (
    ColumnDecoder,
    Converter,
    JSONNumber,
    datetime_converter,
    decimal_converter,
    has_offset,
    identity,
    interval_converter,
    mapped,
    nullable,
    parse_bool,
    parse_text,
    parse_time,
    plain_json,
    scaled,
    to_int,
    zone_info,
)

if TYPE_CHECKING:
    from ._types import ClickHouseType

logger = logging.getLogger(__name__)

#: Turns a decoded Python value into one pyarrow accepts for the column's Arrow type.
Prepare = Callable[[Any], Any]
#: An Arrow array or type (pyarrow ships no type information).
ArrowArray = Any
ArrowType = Any
SQLType = Any


def _pa() -> Any:
    import pyarrow

    return pyarrow


def _sa() -> Any:
    from sqlalchemy import types as sqltypes

    return sqltypes


def _optional(prepare: Prepare) -> Prepare:
    return lambda value: None if value is None else prepare(value)


class Family:
    """A family of ClickHouse types; as the base class, the types the driver does not know."""

    #: The ClickHouse type names of the family.
    names: ClassVar[frozenset[str]] = frozenset()
    #: The PEP 249 type object its type codes compare equal to ("STRING", "NUMBER", ...).
    pep249: ClassVar[str | None] = None
    #: Values can be NULL without a `Nullable` wrapper.
    holds_null: ClassVar[bool] = False
    #: Every value is NULL (its Arrow field is nullable even outside `Nullable`).
    always_null: ClassVar[bool] = False
    #: A wrapper whose values are those of its (last) argument.
    transparent: ClassVar[bool] = False
    #: Its parameters are not types: the parser keeps them verbatim.
    raw_params: ClassVar[bool] = False
    #: A Decimal: exact from the number's text, at the column's scale.
    decimal: ClassVar[bool] = False

    # --- description -------------------------------------------------------------------
    def byte_width(self, t: ClickHouseType) -> int | None:
        """The size of one value in ClickHouse's binary formats (Native, RowBinary); None when
        values differ in size or hold other types."""
        return None

    def precision(self, t: ClickHouseType) -> int | None:
        """Decimal digits, or sub-second digits of a time (the description's precision)."""
        return None

    def scale(self, t: ClickHouseType) -> int | None:
        """Decimal digits after the point (the description's scale)."""
        return None

    def length(self, t: ClickHouseType) -> int | None:
        """Fixed length in bytes (the description's display_size)."""
        return None

    def timezone(self, t: ClickHouseType) -> str | None:
        """The time zone the type names, if any."""
        return None

    def json_kind(self, t: ClickHouseType) -> type:
        """The kind of JSON value the service sends (64-bit ints and dates as strings)."""
        return str

    # --- Python values -----------------------------------------------------------------
    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        """The converter from the JSON value to the Python object, None when the value
        already is it. With `text`, for ClickHouse's text form (map keys): scalars arrive as
        text, and composite values come back hashable."""
        logger.debug("no converter for ClickHouse type %s; values pass through as sent", t.text)
        return plain_json

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        """A whole-column decoder of C-level calls for a column without NULLs; it may raise
        ValueError or TypeError, and the converter decides then. None: no such decoder."""
        return None

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        """The msgspec type that decodes the value natively, and whether that gives the final
        object. `exact`: the decoder keeps non-integer numbers as text in untyped values."""
        return Any, False

    def wire_text(self, t: ClickHouseType, nullable: bool) -> Any:
        """The msgspec type that keeps the value as the server's text for Arrow to cast, or
        None when Arrow is built from the Python value."""
        return None

    def native(self, t: ClickHouseType, tz: str | None) -> tuple[Any, ColumnDecoder | None] | None:
        """For a whole result column (not nested): a msgspec type that decodes its values
        natively though not to the final object, and the C-level pass over the column (no
        NULLs in it) that finishes them; None: `wire` says all there is."""
        return None

    # --- Arrow -------------------------------------------------------------------------
    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        """The Arrow type (nullability lives in the field): JSON text for unknown types."""
        return _pa().large_string()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        """How a Python value becomes one pyarrow takes for `arrow_type`, or None when it
        takes the value as it is."""
        from ._arrow import json_text

        return _optional(json_text)

    def arrow_unguarded(self, t: ClickHouseType) -> Prepare:
        """`arrow_prepare` for a column without NULLs (one C-level call where there is one)."""
        prepare = self.arrow_prepare(t)
        assert prepare is not None  # only asked for types that need preparing
        return prepare

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        """The Arrow array built straight from the server's values (`text`: kept as text by
        `wire_text`), or None to build it from the Python values."""
        return None

    # --- SQLAlchemy --------------------------------------------------------------------
    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        """The SQLAlchemy type of a column of this type."""
        warnings.warn(
            f"unsupported ClickHouse type {t.text!r}; reflected as NullType", stacklevel=5
        )
        return _sa().NullType()


# --- scalars ------------------------------------------------------------------------------


class Integers(Family):
    """`Int8`..`Int256`, `UInt8`..`UInt256`: exact Python ints; 64 bits and wider arrive as
    strings; 128 and 256 bits have no Arrow integer and are carried as decimal text."""

    SIZES: ClassVar[dict[str, int]] = {
        "Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64, "Int128": 128, "Int256": 256,
        "UInt8": 8, "UInt16": 16, "UInt32": 32, "UInt64": 64, "UInt128": 128, "UInt256": 256,
    }  # fmt: skip
    names = frozenset(SIZES)
    pep249 = "NUMBER"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return self.SIZES[t.name] // 8

    def json_kind(self, t: ClickHouseType) -> type:
        return float if self.SIZES[t.name] < 64 else str

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return to_int if text or self.SIZES[t.name] >= 64 else None

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        return mapped(int)

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return int, True

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        pa = _pa()
        signed = t.name.startswith("I")
        bits = self.SIZES[t.name]
        if bits > 64:
            return pa.large_string()
        return getattr(pa, f"{'' if signed else 'u'}int{bits}")()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return _optional(str) if self.SIZES[t.name] > 64 else None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        sqltypes = _sa()
        bits = self.SIZES[t.name] * (2 if t.name.startswith("U") else 1)
        if bits <= 16:
            return sqltypes.SmallInteger()
        return sqltypes.Integer() if bits <= 32 else sqltypes.BigInteger()


class Floats(Family):
    """`Float32`, `Float64`, `BFloat16`; `nan` and the infinities arrive as strings."""

    names = frozenset({"Float32", "Float64", "BFloat16"})
    pep249 = "NUMBER"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return {"BFloat16": 2, "Float32": 4, "Float64": 8}[t.name]

    def json_kind(self, t: ClickHouseType) -> type:
        return float

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return float  # number text, int, and the strings 'nan', 'inf', '-inf'

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        return mapped(float)

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return float, True  # also the strings 'nan', 'inf', '-inf'

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().float64() if t.name == "Float64" else _pa().float32()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Float()


class Decimals(Family):
    """`Decimal(P, S)` and `Decimal32/64/128/256(S)`: exact Decimals at the column's scale,
    from the text of the number that arrived (see `paid_dbapi._precision` for its double)."""

    PRECISION: ClassVar[dict[str, int]] = {
        "Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76,
    }  # fmt: skip
    names = frozenset({"Decimal", *PRECISION})
    pep249 = "NUMBER"
    decimal = True

    def byte_width(self, t: ClickHouseType) -> int | None:
        precision = self.precision(t) or 10  # a bare Decimal is Decimal(10, 0)
        return 4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32

    def precision(self, t: ClickHouseType) -> int | None:
        if t.name == "Decimal":
            return int(t.params[0]) if t.params else 10
        return self.PRECISION[t.name]

    def scale(self, t: ClickHouseType) -> int | None:
        if t.name == "Decimal":
            return int(t.params[1]) if len(t.params) > 1 else 0
        return int(t.params[0]) if t.params else None

    def json_kind(self, t: ClickHouseType) -> type:
        return float

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return decimal_converter(self.scale(t) or 0)

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        quantize = scaled(self.scale(t) or 0)
        return lambda column: quantize(map(Decimal, column))

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return Decimal, False  # exact from number or text; the column's scale is still missing

    def wire_text(self, t: ClickHouseType, nullable: bool) -> Any:
        return Any  # a number's exact text (JSONNumber), an int, a string or null

    def native(self, t: ClickHouseType, tz: str | None) -> tuple[Any, ColumnDecoder | None] | None:
        return Decimal, scaled(self.scale(t) or 0)  # exact; the scale is missing

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        pa = _pa()
        precision, scale = self.precision(t) or 10, self.scale(t) or 0
        return (pa.decimal128 if precision <= 38 else pa.decimal256)(precision, scale)

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        if not text:
            return None
        from ._arrow import cast_text, no_nulls

        as_sent = cast_text(raw, type_)  # number text is a str already: no copy per value
        if as_sent is not None:
            return as_sent
        strings = list(map(str, raw)) if no_nulls(raw) else [_str_or_none(v) for v in raw]
        return cast_text(strings, type_)  # ints (whole numbers) and strings as text

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Numeric(precision=self.precision(t), scale=self.scale(t), asdecimal=True)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class Bool(Family):
    """`Bool`: JSON true/false, `true`/`false` as map keys."""

    names = frozenset({"Bool"})
    pep249 = "NUMBER"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 1

    def json_kind(self, t: ClickHouseType) -> type:
        return bool

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return parse_bool if text else None

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return Any, True  # passed through as sent

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().bool_()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Boolean()


class Strings(Family):
    """`String` and `FixedString(N)`: str as sent."""

    names = frozenset({"String", "FixedString"})
    pep249 = "STRING"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return self.length(t)  # FixedString(N); a String's size is its own

    def length(self, t: ClickHouseType) -> int | None:
        return int(t.params[0]) if t.name == "FixedString" else None

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return None

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return str, True

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().String()


class Enums(Strings):
    """`Enum8`, `Enum16`: the member's name as a str."""

    names = frozenset({"Enum8", "Enum16", "Enum"})

    def byte_width(self, t: ClickHouseType) -> int | None:
        return {"Enum8": 1, "Enum16": 2}.get(t.name)

    def length(self, t: ClickHouseType) -> int | None:
        return None


class Nothing(Family):
    """`Nothing`, the type of a bare NULL: always None."""

    names = frozenset({"Nothing"})
    always_null = True

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 1  # a NULL's placeholder byte

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return None

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return Any, True

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().null()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None


class UUIDs(Family):
    """`UUID`: `uuid.UUID`; Arrow's UUID extension type, from the text in one call."""

    names = frozenset({"UUID"})
    pep249 = "STRING"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 16

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return uuid.UUID

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return uuid.UUID, True

    def wire_text(self, t: ClickHouseType, nullable: bool) -> Any:
        return str | None if nullable else str

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().uuid()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return _optional(_UUID_BYTES)

    def arrow_unguarded(self, t: ClickHouseType) -> Prepare:
        return _UUID_BYTES

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        from ._arrow import uuids

        return uuids(raw) if text else None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        sqltypes = _sa()
        uuid_type = getattr(sqltypes, "Uuid", None)  # SQLAlchemy 2.x only
        return uuid_type() if uuid_type is not None else sqltypes.String(length=36)


_UUID_BYTES = operator.attrgetter("bytes")


class Dates(Family):
    """`Date`, `Date32`: `datetime.date` from ISO text (also on the way to Arrow)."""

    names = frozenset({"Date", "Date32"})
    pep249 = "DATETIME"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 2 if t.name == "Date" else 4

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return dt.date.fromisoformat

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        return mapped(dt.date.fromisoformat)

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return dt.date, True  # for Arrow too: dates cost msgspec what text does, pyarrow less

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().date32()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Date()


class DateTimes(Family):
    """`DateTime`, `DateTime64(p)` with an optional zone: aware datetimes in the column's zone
    (or the connection's naive_timezone); Arrow keeps every sub-second digit of the text."""

    names = frozenset({"DateTime", "DateTime32", "DateTime64"})
    pep249 = "DATETIME"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 8 if t.name == "DateTime64" else 4

    def precision(self, t: ClickHouseType) -> int | None:
        if t.name != "DateTime64":
            return None
        return int(t.params[0]) if t.params else 3

    def timezone(self, t: ClickHouseType) -> str | None:
        if t.name == "DateTime64":
            return str(t.params[1]) if len(t.params) > 1 else None
        return str(t.params[0]) if t.params else None

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return datetime_converter(self.timezone(t) or tz)

    def fast(self, t: ClickHouseType, tz: str | None) -> ColumnDecoder | None:
        zone = self.timezone(t) or tz
        if zone is None:
            stages: tuple[Converter, ...] = (dt.datetime.fromisoformat,)
        elif zone in ("UTC", "Etc/UTC"):
            stages = ("{}+00:00".format, dt.datetime.fromisoformat)
        else:
            stages = (
                dt.datetime.fromisoformat,
                operator.methodcaller("replace", tzinfo=zone_info(zone)),
            )
        decode = mapped(*stages)

        def fast(column: Sequence[Any]) -> list[Any]:
            if any(map(has_offset, column)):  # these stages would drop it: the converter keeps it
                raise ValueError("date-time text with an offset")
            return decode(column)

        return fast

    def wire_text(self, t: ClickHouseType, nullable: bool) -> Any:
        return Any

    def native(self, t: ClickHouseType, tz: str | None) -> tuple[Any, ColumnDecoder | None] | None:
        """msgspec reads ClickHouse's date-time text as a naive datetime (an offset, if sent,
        kept); it rounds digits past microseconds, which must be cut, so only up to 6."""
        if (self.precision(t) or 0) > 6:
            return None
        zone = self.timezone(t) or tz
        if zone is None:
            return dt.datetime, None  # naive, as the converter makes them
        tzinfo = zone_info(zone)

        def zoned(column: Sequence[Any]) -> list[Any]:
            if any(map(_TZINFO, column)):  # an offset was sent: keep the instant
                return [
                    v.astimezone(tzinfo) if v.tzinfo else v.replace(tzinfo=tzinfo) for v in column
                ]
            # the wall-clock time in the zone (`replace(tzinfo=...)` is 4x slower per value)
            days, times = map(_DATE, column), map(_TIME, column)
            return list(map(dt.datetime.combine, days, times, itertools.repeat(tzinfo)))

        return dt.datetime, zoned

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        from ._arrow import time_unit

        digits = (self.precision(t) or 0) if t.name == "DateTime64" else 0
        return _pa().timestamp(time_unit(digits), self.timezone(t) or tz)

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        """ClickHouse's text carries every digit, Python's datetime stops at 1 us."""
        from ._arrow import timestamps

        return timestamps(raw, type_)

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().DateTime(timezone=self.timezone(t) is not None)


_TZINFO = operator.attrgetter("tzinfo")
_DATE = dt.datetime.date
_TIME = dt.datetime.time


class Times(Family):
    """`Time`, `Time64(p)`: signed durations (`timedelta`; Arrow keeps nanoseconds)."""

    names = frozenset({"Time", "Time64"})
    pep249 = "DATETIME"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 8 if t.name == "Time64" else 4

    def precision(self, t: ClickHouseType) -> int | None:
        if t.name != "Time64":
            return None
        return int(t.params[0]) if t.params else 3

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return parse_time

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        from ._arrow import time_unit

        return _pa().duration(time_unit(self.precision(t) or 0) if t.name == "Time64" else "s")

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        if t.name != "Time64" or type_.unit != "ns":
            return None
        from ._values import time_nanoseconds

        # Python's timedelta stops at 1 us
        return _pa().array([None if v is None else time_nanoseconds(v) for v in raw], type_)

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Interval()


class IPs(Family):
    """`IPv4`, `IPv6`: `ipaddress` objects; text in Arrow."""

    names = frozenset({"IPv4", "IPv6"})
    pep249 = "STRING"

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 4 if t.name == "IPv4" else 16

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return ipaddress.ip_address

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return _optional(str)

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().String()


class Intervals(Family):
    """Fixed-length intervals (`IntervalNanosecond`..`IntervalWeek`): `timedelta`s; Arrow
    durations counted from the server's numbers (Python's timedelta stops at 1 us)."""

    #: Their length in nanoseconds.
    UNITS: ClassVar[dict[str, int]] = {
        "IntervalNanosecond": 1,
        "IntervalMicrosecond": 1_000,
        "IntervalMillisecond": 1_000_000,
        "IntervalSecond": 1_000_000_000,
        "IntervalMinute": 60_000_000_000,
        "IntervalHour": 3_600_000_000_000,
        "IntervalDay": 86_400_000_000_000,
        "IntervalWeek": 604_800_000_000_000,
    }
    #: The Arrow duration unit of a sub-second interval; longer intervals count seconds.
    SUBSECOND_UNITS: ClassVar[dict[int, str]] = {1: "ns", 1_000: "us", 1_000_000: "ms"}
    names = frozenset(UNITS)

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 8

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return interval_converter(t.name, self.UNITS[t.name])

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().duration(self.SUBSECOND_UNITS.get(self.UNITS[t.name], "s"))

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        pa = _pa()
        import pyarrow.compute as pc

        counts = pa.array(raw).cast(pa.int64())
        per_second = max(self.UNITS[t.name] // 10**9, 1)  # seconds in one unit, if longer
        return (counts if per_second == 1 else pc.multiply_checked(counts, per_second)).cast(type_)

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Interval()


class CalendarIntervals(Family):
    """`IntervalMonth`, `IntervalQuarter`, `IntervalYear`: no fixed length, a plain count."""

    names = frozenset({"IntervalMonth", "IntervalQuarter", "IntervalYear"})

    def byte_width(self, t: ClickHouseType) -> int | None:
        return 8

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return to_int

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        return _pa().int64()

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        return None

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        return _sa().Integer()


class Geo(Family):
    """`Point`, `Ring`, `Polygon`, ... : nested arrays of floats, passed through as sent (JSON
    text in Arrow); SQLAlchemy has no type for them."""

    names = frozenset(
        {"Point", "Ring", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "Geometry"}
    )

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return plain_json


# --- semi-structured ----------------------------------------------------------------------


class SemiStructured(Family):
    """The base of JSON, Dynamic and Variant: plain JSON values (numbers as floats), JSON
    text in Arrow, SQLAlchemy's JSON."""

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return plain_json

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return Any, not exact  # plain floats straight from msgspec unless kept as text

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        from paid_sqlalchemy._types import JSON

        return JSON()


class JSONObjects(SemiStructured):
    """`JSON(...)` and the older `Object('json')`: a dict; Arrow takes the object's text as
    sent."""

    names = frozenset({"JSON", "Object"})
    raw_params = True

    def json_kind(self, t: ClickHouseType) -> type:
        return dict

    def wire_text(self, t: ClickHouseType, nullable: bool) -> Any:
        return None if nullable else msgspec.Raw  # the object's JSON text as sent

    def arrow_unguarded(self, t: ClickHouseType) -> Prepare:
        from ._arrow import encode_json

        return encode_json  # pyarrow takes UTF-8 bytes for a string type (and checks them)

    def arrow_array(
        self, t: ClickHouseType, type_: ArrowType, raw: Sequence[Any], text: bool
    ) -> ArrowArray | None:
        from ._arrow import texts

        return texts(raw) if text else None


class Dynamic(SemiStructured):
    """`Dynamic`: any value, NULL included, as plain JSON."""

    names = frozenset({"Dynamic"})
    holds_null = True


class Variant(SemiStructured):
    """`Variant(T1, T2, ...)`: a value carries no tag on the wire. It is decoded by the
    member its JSON kind names when only one member has that kind (so `Variant(String,
    Decimal(10, 2))` keeps exact Decimals), and passes through as sent otherwise. Beside a
    String member, a float's `nan` or `inf` (sent as text) stays a string."""

    names = frozenset({"Variant"})
    holds_null = True

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        if not t.args or text:
            return plain_json
        members: dict[type, list[ClickHouseType]] = {}
        for member in t.args:
            members.setdefault(json_kind(member), []).append(member)
        by_kind = {
            kind: converter(found[0], tz) or identity
            for kind, found in members.items()
            if len(found) == 1
        }

        def convert(value: Any) -> Any:
            kind = type(value)
            if (
                kind is int
                or kind is JSONNumber
                or (kind is str and str not in members and value in ("nan", "inf", "-inf"))
            ):
                kind = float  # a non-finite float is sent as text
            member = by_kind.get(kind)
            return plain_json(value) if member is None else member(value)

        return convert

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        return Any, False  # decoded by its members' converters


# --- composites ---------------------------------------------------------------------------


class Arrays(Family):
    """`Array(T)`: lists (tuples in map keys); Arrow lists."""

    names = frozenset({"Array"})

    def json_kind(self, t: ClickHouseType) -> type:
        return list

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        if not t.args:
            return super().converter(t, tz, text)
        inner = converter(t.args[0], tz, text)
        if inner is None:
            return tuple if text else None
        if text:
            return lambda value: tuple(inner(v) for v in value)
        return lambda value: [inner(v) for v in value]

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        if not t.args:
            return super().wire(t, exact)
        inner, final = wire(t.args[0], exact)
        return (Any if inner is Any else list[inner]), final  # type: ignore[valid-type]

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        if not t.args:
            return super().arrow_type(t, tz)
        from ._arrow import field

        return _pa().list_(field("item", t.args[0], tz))

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        if not t.args:
            return super().arrow_prepare(t)
        from ._arrow import preparer

        item = preparer(t.args[0])
        return None if item is None else _optional(lambda v: [item(x) for x in v])

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        if not t.args:
            return super().sqlalchemy(t)
        return _sa().ARRAY(sqlalchemy_type(t.args[0]))


class Maps(Family):
    """`Map(K, V)`: dicts whose keys are read from ClickHouse's text form of the key."""

    names = frozenset({"Map"})

    def json_kind(self, t: ClickHouseType) -> type:
        return dict

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        if len(t.args) != 2:
            return super().converter(t, tz, text)
        k = (converter(t.args[0], tz, True) if text else _key_converter(t.args[0], tz)) or identity
        v = converter(t.args[1], tz, text) or identity

        def convert(value: Any) -> Any:
            items = value.items() if isinstance(value, dict) else value
            if text:
                return tuple((k(a), v(b)) for a, b in items)
            return {k(a): v(b) for a, b in items}

        return convert

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        if len(t.args) != 2:
            return super().arrow_type(t, tz)
        from ._arrow import field

        return _pa().map_(arrow_type(t.args[0], tz), field("value", t.args[1], tz))

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        if len(t.args) != 2:
            return super().arrow_prepare(t)
        from ._arrow import preparer

        key, val = preparer(t.args[0]), preparer(t.args[1])
        if key is None and val is None:
            return None
        k, v = key or identity, val or identity
        return _optional(lambda m: [(k(a), v(c)) for a, c in m.items()])

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        from paid_sqlalchemy._types import JSON

        return JSON()


def _key_converter(t: ClickHouseType, tz: str | None) -> Converter | None:
    """Map keys arrive as ClickHouse's text form of the key; composite keys are parsed first
    (and, since dict keys must be hashable, come back as tuples)."""
    convert = converter(t, tz, text=True)
    if t.base.name not in ("Array", "Map", "Tuple", "Nested"):
        return convert
    inner = convert or identity
    return lambda value: inner(parse_text(value))


class Tuples(Family):
    """`Tuple(T1, ...)`: tuples, or dicts for named elements; Arrow structs."""

    names = frozenset({"Tuple"})

    def json_kind(self, t: ClickHouseType) -> type:
        return dict if t.field_names else list

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        return tuple_converter(t, tz, text)

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        if not t.args:
            return super().arrow_type(t, tz)
        from ._arrow import tuple_fields

        return _pa().struct(tuple_fields(t, tz))

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        if not t.args:
            return super().arrow_prepare(t)
        row = _row_preparer(t)
        return None if row is None else _optional(row)

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        from paid_sqlalchemy._types import JSON

        return JSON()


def tuple_converter(t: ClickHouseType, tz: str | None, text: bool) -> Converter:
    """One tuple (or Nested row) from its JSON list, or object for named elements."""
    convs = [converter(a, tz, text) or identity for a in t.args]
    names = None if text else t.field_names

    def convert(value: Any) -> Any:
        items = list(value.values()) if isinstance(value, dict) else value
        converted = [c(v) for c, v in zip(convs, items, strict=False)]
        return dict(zip(names, converted, strict=False)) if names else tuple(converted)

    return convert


def _row_preparer(t: ClickHouseType) -> Prepare | None:
    """A tuple's (or Nested row's) Arrow preparer, None when no element needs preparing."""
    from ._arrow import preparer

    preparers = [preparer(a) for a in t.args]
    if all(p is None for p in preparers):
        return None
    items = [p or identity for p in preparers]
    names = t.field_names

    def row(value: Any) -> Any:
        values = value.values() if isinstance(value, dict) else value
        converted = [p(x) for p, x in zip(items, values, strict=True)]
        return dict(zip(names, converted, strict=True)) if names else tuple(converted)

    return row


class Nested(Family):
    """`Nested(a T1, ...)`: a list of rows; Arrow lists of structs."""

    names = frozenset({"Nested"})

    def json_kind(self, t: ClickHouseType) -> type:
        return list

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        if not t.args:
            return super().converter(t, tz, text)
        row = tuple_converter(t, tz, text)
        if text:
            return lambda value: tuple(row(v) for v in value)
        return lambda value: [row(v) for v in value]

    def arrow_type(self, t: ClickHouseType, tz: str | None) -> ArrowType:
        if not t.args:
            return super().arrow_type(t, tz)
        from ._arrow import tuple_fields

        pa = _pa()
        return pa.list_(pa.struct(tuple_fields(t, tz)))

    def arrow_prepare(self, t: ClickHouseType) -> Prepare | None:
        if not t.args:
            return super().arrow_prepare(t)
        row = _row_preparer(t)
        return None if row is None else _optional(lambda v: [row(x) for x in v])

    def sqlalchemy(self, t: ClickHouseType) -> SQLType:
        from paid_sqlalchemy._types import JSON

        return JSON()


class Wrappers(Family):
    """`Nullable(T)`, `LowCardinality(T)`, `SimpleAggregateFunction(f, T)`: the values of `T`
    (None too for Nullable). Without an argument, an unknown type."""

    names = frozenset({"Nullable", "LowCardinality", "SimpleAggregateFunction"})
    transparent = True

    def converter(self, t: ClickHouseType, tz: str | None, text: bool) -> Converter | None:
        if not t.args:
            return super().converter(t, tz, text)
        inner = converter(t.args[-1], tz, text)
        return nullable(inner) if inner is not None and t.name == "Nullable" else inner

    def wire(self, t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
        if not t.args:
            return super().wire(t, exact)
        inner, final = wire(t.args[-1], exact)
        return (inner | None if t.name == "Nullable" and inner is not Any else inner), final

    def json_kind(self, t: ClickHouseType) -> type:
        return json_kind(t.args[-1]) if t.args else str


class AggregateStates(Family):
    """`AggregateFunction(f, T)`: an opaque state, passed through as sent."""

    names = frozenset({"AggregateFunction"})
    raw_params = True


#: Every family the driver knows; the registry.
FAMILIES: tuple[Family, ...] = (
    Integers(), Floats(), Decimals(), Bool(), Strings(), Enums(), Nothing(), UUIDs(), Dates(),
    DateTimes(), Times(), IPs(), Intervals(), CalendarIntervals(), Geo(), JSONObjects(),
    Dynamic(), Variant(), Arrays(), Maps(), Tuples(), Nested(), Wrappers(), AggregateStates(),
)  # fmt: skip
#: The family of an unknown type name.
UNKNOWN = Family()
_BY_NAME = {name: family for family in FAMILIES for name in family.names}
assert len(_BY_NAME) == sum(len(f.names) for f in FAMILIES), "a type name in two families"


def family_of(t: ClickHouseType) -> Family:
    """The family of `t` by its own name (wrappers are a family of their own)."""
    return _BY_NAME.get(t.name, UNKNOWN)


def names(**flags: bool) -> frozenset[str]:
    """The type names of the families with these class flags, e.g. `names(holds_null=True)`."""
    return frozenset(
        name
        for family in FAMILIES
        if all(getattr(family, flag) == want for flag, want in flags.items())
        for name in family.names
    )


# --- the questions, asked of any type -----------------------------------------------------


def byte_width(t: ClickHouseType) -> int | None:
    """The size of one value of `t` in ClickHouse's binary formats, None when not fixed."""
    return family_of(t).byte_width(t)


def converter(t: ClickHouseType, tz: str | None, text: bool = False) -> Converter | None:
    """The converter of values of `t`, None when the value already is the Python object."""
    return family_of(t).converter(t, tz, text)


def wire(t: ClickHouseType, exact: bool) -> tuple[Any, bool]:
    """The msgspec type of values of `t` and whether it decodes them to the final object."""
    return family_of(t).wire(t, exact)


def native(t: ClickHouseType, tz: str | None) -> tuple[Any, ColumnDecoder | None] | None:
    """The native msgspec type of a whole column of `t` and the pass that finishes it."""
    b = t.base
    return family_of(b).native(b, tz)


def wire_text(t: ClickHouseType) -> Any:
    """The msgspec type that keeps values of `t` as the server's text for Arrow, or None."""
    b = t.base
    return family_of(b).wire_text(b, t.nullable)


def json_kind(t: ClickHouseType) -> type:
    """The kind of JSON value the service sends for `t`."""
    b = t.base
    return family_of(b).json_kind(b)


def arrow_type(t: ClickHouseType, tz: str | None = None) -> ArrowType:
    """The Arrow type of `t` (nullability lives in the field)."""
    b = t.base
    return family_of(b).arrow_type(b, tz)


def sqlalchemy_type(t: ClickHouseType) -> SQLType:
    """The SQLAlchemy type of `t` (wrappers peeled)."""
    b = t.base
    return family_of(b).sqlalchemy(b)
