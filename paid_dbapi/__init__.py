"""paid_dbapi: a PEP 249 (DB-API 2.0) driver for the Paid Analytics API.

Each `cursor.execute` is one POST /query; values come back as the Python objects of exactly
what the service sent, decoded from the ClickHouse column types it reports. The service sends
Decimals through a double: a value that may have been rounded raises a `PrecisionWarning`.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx

from ._client import PRODUCTION_URL, Client, check_api_key
from ._connection import Connection
from ._cursor import Cursor
from ._exceptions import (
    NO_API_KEY,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PrecisionWarning,
    ProgrammingError,
    TruncatedResultWarning,
    Warning,
)
from ._extract import Extract
from ._metadata import ColumnInfo, PathInfo, SignalInfo, ViewInfo
from ._routes import ROUTES_CHOICES, production_url
from ._typeobjects import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

logger = logging.getLogger(__name__)

try:
    __version__: str = version("paid-dbapi")  # the one copy lives in pyproject.toml
except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"

apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"

DEFAULT_TIMEOUT = 60.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_RETRY_BUDGET = 60.0


def _demo(demo_org: str | None) -> tuple[httpx.BaseTransport, str, str]:
    try:
        from .emulator import DEMO_BASE_URL, demo_transport
    except ImportError as exc:
        raise InterfaceError(
            f"demo=True needs the emulator extra: pip install 'paid-dbapi[emulator]' ({exc})"
        ) from None
    try:
        transport, key = demo_transport(demo_org)
    except KeyError as exc:  # str(KeyError) would quote the message again
        raise InterfaceError(f"unknown demo organization {exc.args[0]}") from None
    return transport, key, DEMO_BASE_URL


def connect(
    api_key: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    max_retries: int = 3,
    retry_budget: float = DEFAULT_RETRY_BUDGET,
    on_truncation: str = "warn",
    on_precision: str = "warn",
    naive_timezone: str | None = None,
    transport: httpx.BaseTransport | None = None,
    demo: bool = False,
    demo_org: str | None = None,
    routes: str = "auto",
    **kwargs: Any,
) -> Connection:
    """Open a connection to the Analytics API (see the README for every parameter).

    The key falls back to `PAID_API_KEY`, the base URL to `PAID_API_URL` then production.
    `demo=True` runs the bundled emulator in-process on demo data and needs no key.
    """
    if kwargs:
        raise InterfaceError(f"unknown connect() argument(s): {', '.join(sorted(kwargs))}")
    if demo:
        transport, api_key, base_url = _demo(demo_org)
    elif demo_org is not None:
        raise InterfaceError("demo_org is only meaningful with demo=True")
    api_key = check_api_key(api_key or os.environ.get("PAID_API_KEY") or "")
    if not api_key:
        raise InterfaceError(
            "no API key: pass api_key=..., set PAID_API_KEY, or use demo=True for demo data",
            code=NO_API_KEY,
        )
    if routes not in ROUTES_CHOICES:
        raise InterfaceError(f"routes must be one of {', '.join(ROUTES_CHOICES)}, not {routes!r}")
    base_url = base_url or os.environ.get("PAID_API_URL") or production_url(routes)
    for name, value in (("timeout", timeout), ("max_retries", max_retries)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise InterfaceError(f"{name} must be a non-negative number, not {value!r}")
    http_timeout = httpx.Timeout(
        timeout,
        connect=connect_timeout if connect_timeout is not None else DEFAULT_CONNECT_TIMEOUT,
        read=read_timeout if read_timeout is not None else timeout,
    )
    client = Client(
        base_url,
        api_key,
        timeout=http_timeout,
        max_retries=int(max_retries),
        retry_budget=retry_budget,
        transport=transport,
        fallback=routes == "auto",
    )
    return Connection(
        client,
        on_truncation=on_truncation,
        on_precision=on_precision,
        naive_timezone=naive_timezone,
    )


__all__ = [
    "BINARY",
    "DATETIME",
    "NO_API_KEY",
    "NUMBER",
    "PRODUCTION_URL",
    "ROWID",
    "STRING",
    "Binary",
    "ColumnInfo",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "Extract",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "PathInfo",
    "PrecisionWarning",
    "ProgrammingError",
    "SignalInfo",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "TruncatedResultWarning",
    "ViewInfo",
    "Warning",
    "__version__",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]
