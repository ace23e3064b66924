"""`paid-emulator`: serve the local Analytics API over HTTP, or print the demo API keys."""

from __future__ import annotations

import argparse
import sys
import time

from . import DEFAULT_MEMORY_LIMIT, DEFAULT_ROW_LIMIT, DEFAULT_TIMEOUT, Emulator
from .data import demo_keys


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="paid-emulator",
        description="A local emulator of the Paid Analytics API over demo data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser(
        "keys", help="print '<organization> <api key>' per demo organization"
    )
    keys.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    serve = commands.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    serve.add_argument("--scale", type=float, default=1, help="data scale, 1 = ~210k signals")
    serve.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    serve.add_argument(
        "--row-limit", type=int, default=DEFAULT_ROW_LIMIT, help="row cap per result"
    )
    serve.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per query")
    serve.add_argument(
        "--memory-limit", type=int, default=DEFAULT_MEMORY_LIMIT, help="bytes per query"
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `paid-emulator`."""
    args = build_parser().parse_args(argv)
    if args.command == "keys":
        for name, key in demo_keys(args.seed).items():
            sys.stdout.write(f"{name} {key}\n")
        return 0
    started = time.perf_counter()
    emulator = Emulator(
        scale=args.scale, seed=args.seed, row_limit=args.row_limit, timeout=args.timeout,
        memory_limit=args.memory_limit, rate_limit=args.rate_limit, latency=args.latency,
        fail_rate=args.fail_rate,
    )  # fmt: skip
    with emulator.serve(args.host, args.port) as url:
        sys.stderr.write(
            f"paid-emulator: data ready in {time.perf_counter() - started:.1f}s; serving {url}\n"
            f"  connect with: paid+http://token:<key>@{url.split('//', 1)[1].split('/', 1)[0]}\n"
        )
        for name, key in emulator.keys().items():
            sys.stderr.write(f"  {name} {key}\n")
        sys.stderr.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.stderr.write("paid-emulator: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
