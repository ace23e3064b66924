"""The HTTP client: one keep-alive httpx.Client, auth, the plain-HTTP rule, retries.

Retries cover what a retry can fix (429, 502/503/504, proxy bodies that are not JSON,
connection failures) with exponential backoff and full jitter, bounded by `max_retries`
and by a total time budget. The API key is only ever placed in the Authorization header.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import random
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import _routes as routes
from ._error_mapping import error_body, error_from_response, excerpt
from ._exceptions import Error, InterfaceError, OperationalError
from ._types import JSONNumber

logger = logging.getLogger(__name__)

PRODUCTION_URL = routes.production_url()
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


#: Reasons OpenSSL gives when the server's first bytes are not TLS (a plain-HTTP server).
NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST",
                             "PACKET_LENGTH_TOO_LONG", "UNKNOWN_PROTOCOL"})  # fmt: skip
#: Stripped from both ends of a key (a newline from a file, a space from a paste).
KEY_WHITESPACE = " \t\r\n\f\v"


def is_loopback(host: str) -> bool:
    """True for the name `localhost` and loopback IP literals (127.0.0.0/8, ::1) only.

    No other name is trusted: `*.localhost` or a name in /etc/hosts may resolve anywhere.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_key(api_key: object) -> str:
    """The key as it will be sent: surrounding whitespace stripped, then visible ASCII only.

    It travels in an HTTP header, where a control character could split the header and a
    non-ASCII one cannot be encoded; the error names what is wrong and where, never the key.
    """
    if not isinstance(api_key, str):
        raise InterfaceError(f"the API key must be a str, not {type(api_key).__name__}")
    key = api_key.strip(KEY_WHITESPACE)
    for position, char in enumerate(key, 1):
        if not "!" <= char <= "~":
            what = (
                "a space" if char == " "
                else "a control character" if char < " " or char == "\x7f"
                else "a non-ASCII character"
            )  # fmt: skip
            raise InterfaceError(
                f"the API key contains {what} at position {position}: a key is printable "
                "ASCII without spaces; check how it was copied or read",
                code="BAD_API_KEY",
            )
    return key


def check_base_url(base_url: str) -> str:
    """Validate the base URL: https anywhere, plain http only to a loopback host."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InterfaceError(f"base_url must be an http(s) URL, got {excerpt(base_url)!r}")
    if parts.username or parts.password:
        raise InterfaceError("base_url must not carry credentials; pass api_key instead")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InterfaceError(
            f"refusing plain HTTP to {parts.hostname}: the API key would travel unencrypted; "
            "use https:// (plain http is allowed only for loopback hosts)"
        )
    return base_url.rstrip("/")


def parse_json(body: bytes) -> Any:
    """Parse a JSON body keeping every number exact (non-integers stay as their text)."""
    return json.loads(body, parse_float=JSONNumber)


class Client:
    """Authenticated JSON requests against one base URL, with retries."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout,
        max_retries: int,
        retry_budget: float,
        transport: httpx.BaseTransport | None = None,
        fallback: bool = True,
    ) -> None:
        self.base_url = check_base_url(base_url)
        # the other route set, tried once if this one answers 404 (then settled either way)
        self._alternate = routes.alternate(self.base_url) if fallback else None
        api_key = check_api_key(api_key)
        self._api_key = api_key
        self.max_retries = max_retries
        self.retry_budget = retry_budget
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": "paid-dbapi",
            },
            timeout=timeout,
            transport=transport,
            # Proxies come from the environment only for HTTPS, where the key stays inside
            # the TLS tunnel; plain HTTP (loopback only) never reaches a proxy in clear.
            trust_env=self.base_url.startswith("https://"),
        )

    def __repr__(self) -> str:
        return f"<Client {self.base_url}>"

    def close(self) -> None:
        self._http.close()

    def _scrub(self, exc: Error) -> Error:
        """Remove the key from a message should a server ever echo it."""
        if self._api_key:
            for attr in ("message", "details"):
                value = getattr(exc, attr)
                if isinstance(value, str) and self._api_key in value:
                    setattr(exc, attr, value.replace(self._api_key, "***"))
            exc.args = (exc.message,)
        return exc

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        parse: Callable[[bytes], Any] = parse_json,
    ) -> Any:
        """Send one logical request (retrying what is retryable); return the body as `parse`
        reads it (ValueError from `parse` means the body is not JSON)."""
        budget = _Budget(self.retry_budget)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, path, json=json_body, params=params)
                body = response.read()
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout):
                    failure: Error = OperationalError(f"could not connect: {type(exc).__name__}")
                else:
                    raise OperationalError(
                        f"no answer from {self.base_url}{path} within the read timeout"
                    ) from None
            except httpx.TransportError as exc:
                tls = _tls_error(exc)
                if tls is not None:  # retrying cannot fix a handshake
                    raise self._tls_failure(tls) from None
                failure = OperationalError(f"connection failed: {type(exc).__name__}: {exc}")
            else:
                status = response.status_code
                if status != 404:
                    self._alternate = None  # this route set is live: keep it
                if 200 <= status < 300:
                    try:
                        return parse(body)
                    except ValueError:
                        failure = OperationalError(
                            f"HTTP {status} with a body that is not JSON: {excerpt(body)}",
                            status=status,
                        )
                else:
                    if status == 404:
                        if self._switch_routes():
                            continue
                        raise self._scrub(self._not_found(error_from_response(status, body)))
                    failure = error_from_response(status, body)
                    retryable = status in RETRY_STATUSES or (
                        status >= 500 and error_body(body) is None
                    )
                    if not retryable:
                        raise self._scrub(error_from_response(status, body, attempt)) from None
                    delay = self._delay(attempt, response.headers.get("Retry-After"))
                    if self._may_retry(attempt, delay, budget, failure):
                        continue
                    raise self._scrub(error_from_response(status, body, attempt)) from None
            delay = self._delay(attempt, None)
            if self._may_retry(attempt, delay, budget, failure):
                continue
            if attempt > 1:
                failure.message = f"{failure.message} (after {attempt} attempts)"
                failure.args = (failure.message,)
            raise self._scrub(failure) from None

    @property
    def routes_settled(self) -> bool:
        """True once an answer (or an explicit choice) fixed the route set."""
        return self._alternate is None

    def _switch_routes(self) -> bool:
        """Move to the other route set once, after a 404 on this one; False if not possible."""
        if self._alternate is None:
            return False
        logger.info("%s answered 404; trying %s", self.base_url, self._alternate)
        self.base_url, self._alternate = self._alternate, None
        self._http.base_url = httpx.URL(self.base_url)
        return True

    def _not_found(self, exc: Error) -> Error:
        """A 404 explained: the base URL serves no Analytics endpoint here."""
        exc.message = (
            f"{exc.message}: no Analytics API endpoint at {self.base_url}; check base_url "
            f"(the service's routes end in {routes.STABLE} or {routes.EXPERIMENTAL}), or pass "
            "routes='stable' or routes='experimental'"
        )
        exc.args = (exc.message,)
        return exc

    def _tls_failure(self, error: ssl.SSLError) -> OperationalError:
        """A failed TLS handshake, explained; a plain-HTTP loopback server gets its URL."""
        parts = urlsplit(self.base_url)
        reason = getattr(error, "verify_message", None) or error.reason or error
        message = f"TLS handshake with {parts.netloc} failed ({reason})"
        if error.reason in NOT_TLS_REASONS:
            message += ": the server does not speak HTTPS on this port"
            if parts.hostname and is_loopback(parts.hostname):
                plain = parts._replace(scheme="http").geturl()
                message += (
                    f"; for a local plain-HTTP server such as paid-emulator use "
                    f"paid+http://token:KEY@{parts.netloc} (base_url={plain!r})"
                )
        return OperationalError(message)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)))
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        return delay

    def _may_retry(self, attempt: int, delay: float, budget: _Budget, failure: Error) -> bool:
        if attempt > self.max_retries or not budget.allows(delay):
            return False
        logger.info(
            "retrying in %.2fs (attempt %d of %d): %s",
            delay, attempt + 1, self.max_retries + 1, self._scrub(failure).message,
        )  # fmt: skip
        time.sleep(delay)
        budget.spent += delay
        return True


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind a transport error, if the failure was the TLS layer's."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class _Budget:
    """The total time one logical request may spend on retries (wall clock and waits)."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.spent = 0.0

    def allows(self, delay: float) -> bool:
        return self.spent + delay <= self.seconds and time.monotonic() + delay <= self.deadline
