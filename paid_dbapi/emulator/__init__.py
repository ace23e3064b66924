"""A local emulator of the Paid Analytics API on embedded ClickHouse (chDB), with demo data.

`Emulator()` answers the three endpoints in-process (`.transport()`) or over loopback HTTP
(`.serve()`). Each organization's queries run in its own worker process, which generates
that organization's data when it is first used (or at `.start()`).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

import httpx

from .._engine.server_limits import DEFAULT_LIMITS, ServerLimits
from .._engine.serving import listen, serve_in_thread
from .._engine.worker import Limits
from ._app import PREFIX, App, Transport
from ._data import Dataset, demo_keys, load

DEMO_BASE_URL = f"http://localhost{PREFIX}"
DEFAULT_ROW_LIMIT = 10_000
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_LIMIT = 2 * 1024**3
DEFAULT_RESULT_BYTES = 64 * 1024**2


class Emulator:
    """The Analytics API over demo data, with the service's limits and optional fault knobs."""

    def __init__(
        self,
        *,
        scale: float = 1,
        seed: int = 42,
        row_limit: int = DEFAULT_ROW_LIMIT,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        result_bytes: int = DEFAULT_RESULT_BYTES,
        rate_limit: float | None = None,
        latency: float = 0.0,
        fail_rate: float = 0.0,
        exact_decimals: bool = False,
    ) -> None:
        """`exact_decimals=True` sends every Decimal digit; by default Decimals go through a
        double and are printed as JavaScript does, as the service sends them
        (`emulator.decimals`)."""
        self.dataset: Dataset = load(scale, seed)
        self.app = App(
            self.dataset,
            Limits(row_limit, timeout, memory_limit, result_bytes),
            rate_limit=rate_limit,
            latency=latency,
            fail_rate=fail_rate,
            exact_decimals=exact_decimals,
        )

    def keys(self) -> dict[str, str]:
        """Organization name -> API key (the first is the default demo organization)."""
        return {org.name: org.api_key for org in self.dataset.organizations}

    def start(
        self, orgs: Iterable[str] | None = None, status: Callable[[str], None] | None = None
    ) -> None:
        """Start the workers of `orgs` (default: all) now, generating their data in parallel;
        `status` receives a progress line, then "" when the data is ready (see `tty_status`)."""
        wanted = set(self.keys()) if orgs is None else set(orgs)
        chosen = [org for org in self.dataset.organizations if org.name in wanted]
        self.app.engine.start(chosen, status)

    def close(self) -> None:
        """Stop the worker processes now (a later query starts them again)."""
        self.app.engine.close()

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport; use with base URL `DEMO_BASE_URL`."""
        return Transport(self.app)

    @contextlib.contextmanager
    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        sock: socket.socket | None = None,
        limits: ServerLimits = DEFAULT_LIMITS,
    ) -> Iterator[str]:
        """Serve over HTTP in a background thread (on `sock` if given, from `listen`) under the
        connection `limits`; yields the base URL."""
        sock = sock or listen(host, port)
        with serve_in_thread(self.app, sock, name="the emulator", limits=limits) as address:
            yield f"http://{address}{PREFIX}"


def tty_status(stream: TextIO | None = None) -> Callable[[str], None] | None:
    """A `status` callback that keeps one line up to date on `stream` (standard error by
    default), or None when `stream` is not a terminal."""
    out = stream or sys.stderr
    if not out.isatty():
        return None

    def show(line: str) -> None:
        out.write(f"\r\x1b[K{line}")
        out.flush()

    return show


_default: Emulator | None = None
_default_lock = threading.Lock()


def default_emulator() -> Emulator:
    """The process-wide emulator with default settings (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Emulator()
        return _default


def demo_transport(org: str | None = None) -> tuple[httpx.BaseTransport, str]:
    """(in-process transport, API key of `org` or of the first demo organization)."""
    emulator = default_emulator()
    keys = emulator.keys()
    name = org or next(iter(keys))
    if name not in keys:
        raise KeyError(f"{name!r} (demo organizations: {', '.join(keys)})")
    return emulator.transport(), keys[name]


__all__ = [
    "DEMO_BASE_URL",
    "Emulator",
    "ServerLimits",
    "default_emulator",
    "demo_keys",
    "demo_transport",
    "listen",
    "tty_status",
]
