"""Typed views of the GET /schema and GET /signals/metadata answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from ._contract import SchemaAnswer, SignalsAnswer
from ._exceptions import InterfaceError

_Answer = TypeVar("_Answer", SchemaAnswer, SignalsAnswer)


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a view: its name, ClickHouse type string and documentation."""

    name: str
    type: str
    comment: str | None = None


@dataclass(frozen=True)
class ViewInfo:
    """One queryable view with its columns, in server order."""

    name: str
    comment: str | None
    columns: tuple[ColumnInfo, ...]


@dataclass(frozen=True)
class PathInfo:
    """A JSON path seen in `fact_signal.data` and the ClickHouse types observed for it."""

    path: str
    types: tuple[str, ...]


@dataclass(frozen=True)
class SignalInfo:
    """The payload paths observed for one signal name."""

    signal_name: str
    paths: tuple[PathInfo, ...]


def _text(value: str | None) -> str | None:
    return value or None


def _read(body: Any, shape: type[_Answer], what: str) -> _Answer:
    try:
        return msgspec.convert(body, shape)
    except msgspec.ValidationError as exc:
        raise InterfaceError(f"unexpected {what} answer shape: {exc}") from None


def parse_schema(body: Any) -> list[ViewInfo]:
    """Parse a /schema body (the contract's shape); unknown extra fields are ignored."""
    return [
        ViewInfo(
            name=view.name,
            comment=_text(view.comment),
            columns=tuple(ColumnInfo(c.name, c.type, _text(c.comment)) for c in view.columns),
        )
        for view in _read(body, SchemaAnswer, "/schema").views
    ]


def parse_signals(body: Any) -> list[SignalInfo]:
    """Parse a /signals/metadata body (the contract's shape); unknown extra fields are ignored."""
    return [
        SignalInfo(
            signal_name=signal.signalName,
            paths=tuple(PathInfo(p.path, tuple(p.types)) for p in signal.paths),
        )
        for signal in _read(body, SignalsAnswer, "/signals/metadata").signals
    ]
