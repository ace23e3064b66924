"""SQLAlchemy-style URLs (`paid://`, `paid+http://`, `paid+demo://`) as connect() arguments.

Shared by the SQLAlchemy dialect and the `paid-sql` command line, so both accept exactly the
same URL forms and options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url

from ._exceptions import InterfaceError
from ._routes import ROUTES_CHOICES, default_path

DRIVERS = {"paid": "https", "paid+https": "https", "paid+http": "http", "paid+demo": "demo"}


def _positive_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("must be a non-negative number")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be a non-negative integer")
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text

    return parse


#: URL query option -> (connect() argument, parser)
OPTIONS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "timeout": ("timeout", _positive_float),
    "connect_timeout": ("connect_timeout", _positive_float),
    "read_timeout": ("read_timeout", _positive_float),
    "max_retries": ("max_retries", _count),
    "retry_budget": ("retry_budget", _positive_float),
    "on_truncation": ("on_truncation", _choice("warn", "error", "ignore")),
    "on_precision": ("on_precision", _choice("warn", "error", "ignore")),
    "naive_timezone": ("naive_timezone", str),
    "org": ("demo_org", str),
    "routes": ("routes", _choice(*ROUTES_CHOICES)),
}


def connect_args_from_url(
    url: str | URL, extra_options: Mapping[str, Callable[[str], Any]] | None = None
) -> dict[str, Any]:
    """`connect()` keyword arguments for a URL; `extra_options` lets a caller accept more.

    A malformed URL or option value is an `InterfaceError` naming the option, never the key.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception:
        raise InterfaceError(
            "malformed URL: expected paid://, paid+http:// or paid+demo://"
        ) from None
    driver = DRIVERS.get(parsed.drivername)
    if driver is None:
        raise InterfaceError(
            f"unsupported URL scheme {parsed.drivername!r}: "
            "use paid://, paid+http:// or paid+demo://"
        )
    args: dict[str, Any] = {}
    known = {**{k: v[1] for k, v in OPTIONS.items()}, **(extra_options or {})}
    for name, raw in parsed.query.items():
        if name not in known:
            raise InterfaceError(
                f"unknown URL option {name!r}; known options: {', '.join(sorted(known))}"
            )
        text = raw[-1] if isinstance(raw, tuple) else raw
        try:
            value = known[name](text)
        except (TypeError, ValueError) as exc:
            raise InterfaceError(f"invalid value for URL option {name!r}: {exc}") from None
        args[OPTIONS[name][0] if name in OPTIONS else name] = value
    if driver == "demo":
        args["demo"] = True
        return args
    if "demo_org" in args:
        raise InterfaceError("the URL option 'org' only applies to paid+demo://")
    if parsed.password:
        args["api_key"] = str(parsed.password)
    if parsed.host:
        port = f":{parsed.port}" if parsed.port else ""
        routes = args.get("routes", "auto")
        path = "/" + parsed.database.strip("/") if parsed.database else default_path(routes)
        args["base_url"] = f"{driver}://{parsed.host}{port}{path}"
    elif driver == "http":
        raise InterfaceError("paid+http:// needs a host, e.g. paid+http://token:KEY@127.0.0.1:8080")
    return args
