"""PEP 249 type objects and constructors.

A type object compares equal to every ClickHouse type string whose family
(`paid_dbapi._families`) names it, so `cursor.description[i][1] == NUMBER` works for
`Nullable(UInt64)`.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from . import _types as ch
from ._families import family_of


class DBAPITypeObject:
    """Equal to the ClickHouse type codes whose base type's family names it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return other is self
        if isinstance(other, str):
            try:
                base = ch.parse_type(other).base
            except ValueError:
                return False
            return family_of(base).pep249 == self.name
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


STRING = DBAPITypeObject("STRING")
BINARY = DBAPITypeObject("BINARY")
NUMBER = DBAPITypeObject("NUMBER")
DATETIME = DBAPITypeObject("DATETIME")
ROWID = DBAPITypeObject("ROWID")

Date = dt.date
Time = dt.time
Timestamp = dt.datetime


def DateFromTicks(ticks: float) -> dt.date:
    """The local date of a POSIX timestamp."""
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> dt.time:
    """The local time of a POSIX timestamp."""
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> dt.datetime:
    """The local date and time of a POSIX timestamp."""
    return Timestamp(*time.localtime(ticks)[:6])


def Binary(value: Any) -> bytes:
    """A bytes object (rendered as an exact byte-string literal)."""
    return bytes(value)
