"""`paid-emulator`: serve the local Analytics API over HTTP, or print the demo API keys."""

from __future__ import annotations

import argparse
import errno
import sys
import time

from .. import __version__
from .._engine.server_limits import add_arguments, from_arguments
from . import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_RESULT_BYTES,
    DEFAULT_ROW_LIMIT,
    DEFAULT_TIMEOUT,
    Emulator,
    listen,
    tty_status,
)
from ._app import MAX_BODY_BYTES
from ._data import demo_keys


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="paid-emulator",
        description="A local emulator of the Paid Analytics API over demo data.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser(
        "keys", help="print '<organization> <api key>' per demo organization"
    )
    keys.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    serve = commands.add_parser(
        "serve",
        help="serve the API over HTTP",
        description="Serve the Analytics API over HTTP. Each organization's queries run in "
        f"its own locked-down engine process. Request bodies are capped at {MAX_BODY_BYTES} "
        "bytes (413 beyond).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    serve.add_argument(
        "--scale", type=float, default=1, help="data scale, 1 = ~210k signals (default 1)"
    )
    serve.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    serve.add_argument(
        "--row-limit",
        type=int,
        default=DEFAULT_ROW_LIMIT,
        help=f"row cap per result (default {DEFAULT_ROW_LIMIT})",
    )
    serve.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per query, then 408 (default {DEFAULT_TIMEOUT:g})",
    )
    serve.add_argument(
        "--memory-limit",
        type=int,
        default=DEFAULT_MEMORY_LIMIT,
        help=f"bytes per query (default {DEFAULT_MEMORY_LIMIT})",
    )
    serve.add_argument(
        "--result-limit",
        type=int,
        default=DEFAULT_RESULT_BYTES,
        help=f"bytes per encoded result (default {DEFAULT_RESULT_BYTES})",
    )
    serve.add_argument(
        "--rate-limit", type=float, default=None, help="fault knob: requests/s per key (429 beyond)"
    )
    serve.add_argument(
        "--latency", type=float, default=0.0, help="fault knob: seconds added per request"
    )
    serve.add_argument(
        "--fail-rate", type=float, default=0.0, help="fault knob: share of requests answered 503"
    )
    serve.add_argument(
        "--exact-decimals",
        action="store_true",
        help="send every Decimal digit (the service, and the default, send Decimals through a "
        "double, printed as JavaScript does)",
    )
    add_arguments(serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `paid-emulator`."""
    args = build_parser().parse_args(argv)
    if args.command == "keys":
        for name, key in demo_keys(args.seed).items():
            sys.stdout.write(f"{name} {key}\n")
        return 0
    try:
        limits = from_arguments(args)
    except ValueError as exc:
        sys.stderr.write(f"paid-emulator: {exc}\n")
        return 2
    try:
        sock = listen(args.host, args.port)  # before any data is generated
    except OSError as exc:
        sys.stderr.write(f"paid-emulator: {_bind_problem(exc, args.host, args.port)}\n")
        return 1
    started = time.perf_counter()
    emulator = Emulator(
        scale=args.scale, seed=args.seed, row_limit=args.row_limit, timeout=args.timeout,
        memory_limit=args.memory_limit, result_bytes=args.result_limit,
        rate_limit=args.rate_limit, latency=args.latency, fail_rate=args.fail_rate,
        exact_decimals=args.exact_decimals,
    )  # fmt: skip
    try:
        emulator.start(status=tty_status(sys.stderr))
        with emulator.serve(sock=sock, limits=limits) as url:
            ready = time.perf_counter() - started
            address = url.split("//", 1)[1].split("/", 1)[0]
            sys.stderr.write(
                f"paid-emulator: data ready in {ready:.1f}s; serving {url}\n"
                f"  connect with: paid+http://token:<key>@{address}\n"
            )
            for name, key in emulator.keys().items():
                sys.stderr.write(f"  {name} {key}\n")
            sys.stderr.flush()
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        emulator.close()  # queries in flight end now, not at their time limit
        sys.stderr.write("\npaid-emulator: stopped\n")
    return 0


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use; stop the other server or choose "
            "another port with --port (--port 0 picks a free one)"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on port {port}; use a port above 1023 with --port"
    return f"cannot listen on {host}:{port} ({exc.strerror}); check --host and --port"


if __name__ == "__main__":
    sys.exit(main())
