"""Typed views of the GET /schema and GET /signals/metadata answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import InterfaceError


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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_schema(body: Any) -> list[ViewInfo]:
    """Parse a /schema body; unknown extra fields are ignored."""
    try:
        return [
            ViewInfo(
                name=str(view["name"]),
                comment=_text(view.get("comment")),
                columns=tuple(
                    ColumnInfo(str(c["name"]), str(c["type"]), _text(c.get("comment")))
                    for c in view.get("columns", ())
                ),
            )
            for view in body["views"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InterfaceError(f"unexpected /schema answer shape: missing {exc}") from None


def parse_signals(body: Any) -> list[SignalInfo]:
    """Parse a /signals/metadata body; unknown extra fields are ignored."""
    try:
        return [
            SignalInfo(
                signal_name=str(sig["signalName"]),
                paths=tuple(
                    PathInfo(str(p["path"]), tuple(str(t) for t in p.get("types", ())))
                    for p in sig.get("paths", ())
                ),
            )
            for sig in body["signals"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InterfaceError(f"unexpected /signals/metadata answer shape: missing {exc}") from None
