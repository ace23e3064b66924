"""The PEP 249 exception hierarchy, plus the warnings for truncated and possibly rounded results."""

from __future__ import annotations

import builtins
import sys
import warnings

#: `Error.code` of the InterfaceError raised when no API key was given; each surface (the
#: CLI, the SQLAlchemy dialect) catches it to name its own way of giving one.
NO_API_KEY = "NO_API_KEY"


class Warning(builtins.Warning):
    """Important warnings, such as data truncation (PEP 249)."""


class TruncatedResultWarning(Warning):
    """The server cut the result at its row cap: rows were dropped."""


class PrecisionWarning(Warning):
    """A Decimal column holds values of 16 or more significant digits at its scale: the service
    sends Decimals through a double, so they may have been rounded (`toString(col)` is exact)."""


#: Top-level packages between a user's line and the driver; a warning skips their frames.
CALLING_LIBRARIES = frozenset({"paid_dbapi", "paid_sqlalchemy", "sqlalchemy", "pandas", "polars"})


def warn_at_caller(message: str, category: type[builtins.Warning]) -> None:
    """Warn at the caller's own line, past the driver's, SQLAlchemy's, pandas' and polars' frames.

    A fixed `stacklevel` cannot do this: the number of frames depends on the path taken.
    """
    frame = sys._getframe(1)
    level = 2  # 1 is this function, 2 the frame above
    while frame.f_back is not None and (
        str(frame.f_globals.get("__name__", "")).partition(".")[0] in CALLING_LIBRARIES
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


class Error(Exception):
    """Base of every error this package raises; carries the server's error body if any."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details

    def __str__(self) -> str:
        text = self.message
        if self.code and f"[{self.code}]" not in text:
            text = f"[{self.code}] {text}"
        if self.details and self.details not in text:
            text = f"{text} ({self.details})"
        return text


class InterfaceError(Error):
    """Misuse of the driver itself: bad configuration, closed objects, unusable answers."""


class DatabaseError(Error):
    """Errors related to the database service."""


class DataError(DatabaseError):
    """Problems with processed data, e.g. a truncated result under on_truncation='error'."""


class OperationalError(DatabaseError):
    """Service-side conditions outside the caller's SQL: auth, timeouts, rate limits, outages."""


class IntegrityError(DatabaseError):
    """Relational integrity problems (never raised by this read-only service)."""


class InternalError(DatabaseError):
    """The service reported an internal fault."""


class ProgrammingError(DatabaseError):
    """The query or its parameters are wrong: rejected SQL, bad parameters."""


class NotSupportedError(DatabaseError):
    """The operation is not available on this read-only service."""


__all__ = [
    "NO_API_KEY",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "PrecisionWarning",
    "ProgrammingError",
    "TruncatedResultWarning",
    "Warning",
]
