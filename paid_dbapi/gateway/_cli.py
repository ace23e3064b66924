"""`paid-gateway serve`: the Analytics API on a ClickHouse HTTP port (8123) for BI tools."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time

from .. import __version__
from .._client import PRODUCTION_URL, is_loopback
from .._engine.server_limits import add_arguments, from_arguments
from .._exceptions import InterfaceError
from ._app import GATEWAY_TRUNCATION_MODES, Gateway
from ._server import BindError, check_bind, serve
from ._upstream import Upstream

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="paid-gateway",
        description="Serve the Paid Analytics API over ClickHouse's HTTP interface, so Metabase, "
        "Grafana, DBeaver and any ClickHouse client can connect (user: any, password: API key).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve until Ctrl-C")
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--upstream",
        default=None,
        metavar="URL",
        help="the API base URL (default: PAID_API_URL, else production)",
    )
    source.add_argument(
        "--demo", action="store_true", help="serve the bundled emulator's demo data, no account"
    )
    run.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=8123, help="port (default 8123; 0 = any free)")
    run.add_argument(
        "--database",
        default="paid",
        metavar="NAME",
        help="database name clients see (default paid)",
    )
    run.add_argument("--tls-cert", metavar="FILE", help="certificate file: serve HTTPS")
    run.add_argument("--tls-key", metavar="FILE", help="private key file of --tls-cert")
    run.add_argument(
        "--insecure-bind",
        action="store_true",
        help="allow a non-loopback address without TLS (API keys then cross the network in clear)",
    )
    run.add_argument(
        "--on-truncation",
        choices=GATEWAY_TRUNCATION_MODES,
        default="error",
        help="a result cut at the API's row cap: ClickHouse error 396 (default), or pass the "
        "rows flagged in X-ClickHouse-Summary",
    )
    run.add_argument(
        "--log-level",
        choices=("debug", "info", "warning"),
        default="warning",
        help="log detail on standard error (default warning; keys are never logged)",
    )
    run.add_argument(
        "--catalog-ttl",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="seconds the schema is cached (default 60)",
    )
    add_arguments(run)
    return parser


def demo_upstream() -> Upstream:
    """The bundled emulator in this process (its data lives in its worker processes)."""
    from ..emulator import DEMO_BASE_URL, Emulator, tty_status

    emulator = Emulator()
    emulator.start(status=tty_status())
    for name, key in emulator.keys().items():
        sys.stderr.write(f"paid-gateway: demo organization {name}: password {key}\n")
    return Upstream(DEMO_BASE_URL, transport=emulator.transport())


def main(argv: list[str] | None = None) -> int:
    """Entry point of `paid-gateway`."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="paid-gateway: %(levelname)s %(name)s: %(message)s",
    )
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.stderr.write("paid-gateway: --tls-cert and --tls-key go together\n")
        return 2
    with contextlib.ExitStack() as stack:
        try:
            # refuse a public address before starting anything
            check_bind(args.host, tls=bool(args.tls_cert), allow_insecure=args.insecure_bind)
            limits = from_arguments(args)
            if args.demo:
                upstream = demo_upstream()
            else:
                base_url = args.upstream or os.environ.get("PAID_API_URL") or PRODUCTION_URL
                upstream = Upstream(base_url)
            stack.callback(upstream.close)
            gateway = Gateway(
                upstream,
                database=args.database,
                on_truncation=args.on_truncation,
                catalog_ttl=args.catalog_ttl,
            )
            stack.callback(gateway.close)
            url = stack.enter_context(
                serve(
                    gateway, args.host, args.port, tls_cert=args.tls_cert, tls_key=args.tls_key,
                    allow_insecure=args.insecure_bind, limits=limits,
                )
            )  # fmt: skip
        except (BindError, InterfaceError, ValueError, OSError) as exc:
            sys.stderr.write(f"paid-gateway: {exc}\n")
            return 2
        if args.insecure_bind and not args.tls_cert and not is_loopback(args.host):
            sys.stderr.write(
                "paid-gateway: WARNING: serving without TLS on a non-loopback address: every "
                "client's API key crosses the network in clear text\n"
            )
        sys.stderr.write(
            f"paid-gateway: serving {url} (database {args.database}) -> {upstream.base_url}\n"
            "  connect any ClickHouse client: any user name, your Paid API key as password\n"
        )
        sys.stderr.flush()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.stderr.write("paid-gateway: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
