"""Turning a non-2xx answer of the service into the right PEP 249 exception."""

from __future__ import annotations

import json
from typing import Any

from ._exceptions import (
    Error,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)

EXCERPT_CHARS = 200


def excerpt(body: bytes | str) -> str:
    """A short single-line excerpt of a body, for messages about unusable answers."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    if not text:
        return "<empty body>"
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def error_body(body: bytes) -> dict[str, Any] | None:
    """The contract's `{"error", "code", "details"}` body, or None when it is not one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return parsed
    return None


def error_from_response(status: int, body: bytes, attempts: int = 1) -> Error:
    """Map an HTTP status and error body to an exception carrying `status`, `code`, `details`."""
    parsed = error_body(body)
    if parsed is None:
        message = f"HTTP {status} with an unusable body: {excerpt(body)}"
        code = details = None
    else:
        message = parsed["error"]
        code = parsed.get("code") if isinstance(parsed.get("code"), str) else None
        raw_details = parsed.get("details")
        details = str(raw_details) if raw_details not in (None, "") else None
    cls: type[Error]
    if status == 400 or status == 404 or status == 422:
        cls = ProgrammingError
    elif status in (401, 403):
        cls = OperationalError
        message = f"the API key was rejected (HTTP {status}): {message}"
    elif status == 408:
        cls = OperationalError
        message = f"query timed out: {message}"
    elif status == 429:
        cls = OperationalError
        message = f"rate limited: {message}"
    elif status == 500:
        cls = InternalError
    elif status >= 500:
        cls = OperationalError
    else:
        cls = InterfaceError
    if attempts > 1:
        message = f"{message} (after {attempts} attempts)"
    return cls(message, status=status, code=code, details=details)
