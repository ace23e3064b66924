"""Connection limits of the HTTP servers: how long a client may take, how many connections
it may hold; their defaults and their command-line options.

The gateway and the emulator share them; `connections` enforces them.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerLimits:
    """How long a client may take and how many connections it may hold (seconds, counts)."""

    header_timeout: float = 10.0
    """From connect (or the first byte of a next request) to the end of its headers; also
    bounds the TLS handshake."""
    keep_alive_timeout: float = 10.0
    """Idle time allowed between two requests on one connection."""
    body_timeout: float = 30.0
    """From the end of the headers to the end of the body; then 408 and close."""
    max_connections: int = 1000
    """Open connections in all; beyond, a new one gets 503 and is closed."""
    max_per_address: int = 100
    """Open connections from one client address; beyond, 503 and close."""
    max_header_bytes: int = 16 * 1024
    """Request line and headers; beyond, 400 (h11's own default)."""
    shutdown_timeout: float = 5.0
    """On stop, requests still running after this are cancelled."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"{name} must be positive, not {value}")


DEFAULT_LIMITS = ServerLimits()
RESERVED_DESCRIPTORS = 128  # files, pipes and upstream sockets of the server itself


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The limits as options of a `serve` command (see `from_arguments`)."""
    group = parser.add_argument_group("connection limits")
    default = DEFAULT_LIMITS
    options: list[tuple[str, str, type, str]] = [
        ("header_timeout", "SECONDS", float, "seconds to receive a request's headers"),
        ("keep_alive_timeout", "SECONDS", float, "seconds an idle connection stays open"),
        ("body_timeout", "SECONDS", float, "seconds to receive a request body (then 408)"),
        ("max_connections", "N", int, "open connections in all (503 beyond)"),
        ("max_per_address", "N", int, "open connections per client address (503 beyond)"),
    ]
    for name, metavar, kind, text in options:
        value = getattr(default, name)
        group.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            default=value,
            metavar=metavar,
            help=f"{text} (default {value:g})",
        )


def from_arguments(args: argparse.Namespace) -> ServerLimits:
    """The limits given by the options of `add_arguments` (ValueError if one is not positive)."""
    return ServerLimits(
        header_timeout=args.header_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        body_timeout=args.body_timeout,
        max_connections=args.max_connections,
        max_per_address=args.max_per_address,
    )


def fit_descriptors(limits: ServerLimits) -> ServerLimits:
    """`limits` with `max_connections` lowered, with a warning, to leave this process
    `RESERVED_DESCRIPTORS` file descriptors of its own below the soft limit."""
    try:
        import resource
    except ImportError:  # Windows: no descriptor limit to read
        return limits
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    room = soft - RESERVED_DESCRIPTORS
    if soft == resource.RLIM_INFINITY or limits.max_connections <= room:
        return limits
    fitted = max(room, 1)
    logger.warning("max_connections lowered from %d to %d: the file descriptor limit is %d",
                   limits.max_connections, fitted, soft)  # fmt: skip
    return dataclasses.replace(limits, max_connections=fitted)
