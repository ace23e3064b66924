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

from paid_dbapi import _types as ch
from paid_dbapi._families import sqlalchemy_type

logger = logging.getLogger(__name__)


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


def to_sqlalchemy(t: ch.ClickHouseType) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type for a parsed ClickHouse type (Nullable/LowCardinality are peeled):
    its family's (`paid_dbapi._families`); NullType with a warning for unknown types."""
    mapped: sqltypes.TypeEngine[Any] = sqlalchemy_type(t)
    return mapped


def from_type_string(text: str) -> sqltypes.TypeEngine[Any]:
    """Map a type string; an unparseable one becomes NullType with a warning, never an error."""
    try:
        return to_sqlalchemy(ch.parse_type(text))
    except ValueError:
        warnings.warn(f"unparseable ClickHouse type {text!r}; reflected as NullType", stacklevel=2)
        return sqltypes.NullType()
