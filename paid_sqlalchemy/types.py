"""ClickHouse type strings -> SQLAlchemy types, through the driver's own type parser."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from typing import Any

from sqlalchemy import func
from sqlalchemy import types as sqltypes
from sqlalchemy.sql.sqltypes import _AbstractInterval
from sqlalchemy.sql.type_api import NativeForEmulated

from paid_dbapi import types as ch

logger = logging.getLogger(__name__)

UUID_TYPE: Any = getattr(sqltypes, "Uuid", None)  # SQLAlchemy 2.x only


class JSON(sqltypes.JSON):
    """JSON whose values the driver already decoded into Python objects."""

    def result_processor(self, dialect: Any, coltype: Any) -> None:
        return None


class Interval(NativeForEmulated, _AbstractInterval):
    """A native interval: `timedelta` binds as a ClickHouse interval literal and the driver
    decodes `IntervalSecond`..`IntervalWeek` to `timedelta`, so no epoch emulation is needed."""

    __visit_name__ = "INTERVAL"
    native = True

    @classmethod
    def adapt_emulated_to_native(cls, impl: Any, **kw: Any) -> Interval:
        return cls()

    @property
    def _type_affinity(self) -> type[sqltypes.Interval]:
        return sqltypes.Interval

    @property
    def python_type(self) -> type[dt.timedelta]:
        return dt.timedelta


class LargeBinary(sqltypes.LargeBinary):
    """Bytes selected as `hex(...)` and decoded back, so arbitrary bytes survive the JSON wire
    (which carries text)."""

    def column_expression(self, colexpr: Any) -> Any:
        return func.hex(colexpr, type_=self)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: str | None) -> bytes | None:
            return None if value is None else bytes.fromhex(value)

        return process


def _integer(bits: int) -> sqltypes.TypeEngine[Any]:
    if bits <= 16:
        return sqltypes.SmallInteger()
    if bits <= 32:
        return sqltypes.Integer()
    return sqltypes.BigInteger()


def to_sqlalchemy(t: ch.ClickHouseType) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type for a parsed ClickHouse type (Nullable/LowCardinality are peeled)."""
    b = t.base
    name = b.name
    if name in ch.INT_SIZES:
        unsigned = name.startswith("U")
        return _integer(ch.INT_SIZES[name] * 2 if unsigned else ch.INT_SIZES[name])
    if name in ch.FLOATS:
        return sqltypes.Float()
    if name in ch.DECIMALS:
        return sqltypes.Numeric(precision=b.precision, scale=b.scale, asdecimal=True)
    if name in ch.STRINGS or name in ("IPv4", "IPv6"):
        return sqltypes.String()
    if name in ch.DATES:
        return sqltypes.Date()
    if name in ch.DATETIMES:
        return sqltypes.DateTime(timezone=b.timezone is not None)
    if name == "Bool":
        return sqltypes.Boolean()
    if name == "UUID":
        return UUID_TYPE() if UUID_TYPE is not None else sqltypes.String(length=36)
    if name == "Array" and b.args:
        return sqltypes.ARRAY(to_sqlalchemy(b.args[0]))
    if name in ch.SEMI_STRUCTURED or name in ("Map", "Tuple", "Nested"):
        return JSON()
    if name in ch.INTERVAL_UNITS or name in ch.TIMES:
        return sqltypes.Interval()
    if name in ch.CALENDAR_INTERVALS:
        return sqltypes.Integer()
    warnings.warn(f"unsupported ClickHouse type {t.text!r}; reflected as NullType", stacklevel=3)
    return sqltypes.NullType()


def from_type_string(text: str) -> sqltypes.TypeEngine[Any]:
    """Map a type string; an unparseable one becomes NullType with a warning, never an error."""
    try:
        return to_sqlalchemy(ch.parse_type(text))
    except ValueError:
        warnings.warn(f"unparseable ClickHouse type {text!r}; reflected as NullType", stacklevel=2)
        return sqltypes.NullType()
