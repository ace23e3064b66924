"""The PEP 249 connection: configuration, the shared HTTP client, metadata requests."""

from __future__ import annotations

import datetime as dt
import logging

from . import _exceptions as exceptions
from ._client import Client
from ._cursor import Cursor
from ._exceptions import InterfaceError, NotSupportedError
from ._metadata import SignalInfo, ViewInfo, parse_schema, parse_signals

logger = logging.getLogger(__name__)

#: What a cursor does with a truncated or possibly rounded result (`on_truncation`,
#: `on_precision`).
TRUNCATION_MODES = ("warn", "error", "ignore")
PRECISION_MODES = TRUNCATION_MODES


class Connection:
    """A connection to the Analytics API; read-only, so commit is a no-op."""

    Warning = exceptions.Warning
    Error = exceptions.Error
    InterfaceError = exceptions.InterfaceError
    DatabaseError = exceptions.DatabaseError
    DataError = exceptions.DataError
    OperationalError = exceptions.OperationalError
    IntegrityError = exceptions.IntegrityError
    InternalError = exceptions.InternalError
    ProgrammingError = exceptions.ProgrammingError
    NotSupportedError = exceptions.NotSupportedError

    def __init__(
        self,
        client: Client,
        *,
        on_truncation: str,
        naive_timezone: str | None,
        on_precision: str = "warn",
    ) -> None:
        for name, value, modes in (
            ("on_truncation", on_truncation, TRUNCATION_MODES),
            ("on_precision", on_precision, PRECISION_MODES),
        ):
            if value not in modes:
                client.close()
                raise InterfaceError(f"{name} must be one of {', '.join(modes)}, not {value!r}")
        self._client = client
        self.on_truncation = on_truncation
        self.on_precision = on_precision
        self.naive_timezone = naive_timezone
        self.closed = False

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<paid_dbapi.Connection {self._client.base_url} {state}>"

    @property
    def base_url(self) -> str:
        """The API base URL this connection talks to."""
        return self._client.base_url

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client; idempotent."""
        if not self.closed:
            self.closed = True
            self._client.close()

    def _check_open(self) -> None:
        if self.closed:
            raise InterfaceError("connection is closed")

    def commit(self) -> None:
        """Nothing to commit: the service is read-only."""
        self._check_open()

    def rollback(self) -> None:
        """Transactions do not exist on this read-only service."""
        raise NotSupportedError("the Analytics API is read-only and has no transactions")

    def cursor(self) -> Cursor:
        """A new cursor sharing this connection's HTTP client."""
        self._check_open()
        return Cursor(self)

    def schema(self) -> list[ViewInfo]:
        """The queryable views with their columns and comments (GET /schema)."""
        self._check_open()
        return parse_schema(self._client.request("GET", "/schema"))

    def signals_metadata(
        self,
        signal_name: str | None = None,
        from_date: dt.datetime | dt.date | str | None = None,
        to_date: dt.datetime | dt.date | str | None = None,
    ) -> list[SignalInfo]:
        """JSON paths and types seen in `fact_signal.data` (GET /signals/metadata)."""
        self._check_open()
        params: dict[str, str] = {}
        if signal_name is not None:
            params["signalName"] = signal_name
        for key, value in (("fromDate", from_date), ("toDate", to_date)):
            if value is not None:
                params[key] = value if isinstance(value, str) else _iso(value)
        return parse_signals(self._client.request("GET", "/signals/metadata", params=params))

    def ping(self) -> None:
        """One cheap authenticated request; raises if the service or the key is unusable."""
        self.cursor().execute("SELECT 1")


def _iso(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()
