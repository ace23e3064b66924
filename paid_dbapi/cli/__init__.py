"""`paid-sql`: run SQL against the Paid Analytics API from a terminal or a pipeline.

Exit status: 0 success, 1 query or connection error, 2 usage error, 3 result truncated
at the server's row cap, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TextIO

from .. import __version__, connect
from .._connection import Connection
from .._exceptions import NO_API_KEY, Error, InterfaceError
from .._extract import DEFAULT_PAGE_SIZE, Extract
from .._urls import connect_args_from_url
from ._formats import FORMATS, Column, text_columns, write

logger = logging.getLogger(__name__)

EXIT_ERROR, EXIT_USAGE, EXIT_TRUNCATED, EXIT_INTERRUPTED = 1, 2, 3, 130

EPILOG = """\
connection:
  --url paid://token:KEY@[host[:port]][/path]   HTTPS (default host: production)
  --url paid+http://token:KEY@127.0.0.1:8080     plain HTTP to a loopback server
  --url paid+demo://[?org=globex]                in-process emulator with demo data (= --demo)
  without --url/--demo: production, key from PAID_API_KEY (URL from PAID_API_URL if set)

output:
  table (default on a terminal) and markdown print NULL; csv and tsv (default when piped)
  print \\N for NULL and an empty field for an empty string. Decimals print at their column's
  scale, datetimes at their column's precision. json/jsonl are machine-exact: 64-bit and wider
  integers and Decimals are JSON strings (no JSON reader rounds them), floats are numbers.

exit status: 0 ok, 1 error, 2 usage, 3 result truncated at the row cap, 130 interrupted
"""


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="paid-sql",
        description="Run ClickHouse SQL against the Paid Analytics API.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="connection URL (see below)")
    where.add_argument("--demo", action="store_true", help="use the in-process demo emulator")
    parser.add_argument(
        "query", nargs="?", help="SQL to run (else -f FILE, standard input, or interactive)"
    )
    parser.add_argument("-f", "--file", help="read the SQL from FILE")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: table on a terminal, tsv when piped)",
    )
    parser.add_argument(
        "--on-truncation",
        choices=("warn", "error"),
        default="warn",
        help="a result cut at the row cap: warn (exit 3) or fail (exit 1); default: warn",
    )
    parser.add_argument(
        "--all", action="store_true", help="fetch past the row cap by keyset pagination on --key"
    )
    parser.add_argument(
        "--key", help="comma-separated unique key columns for --all, e.g. created_at,signal_id"
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=DEFAULT_PAGE_SIZE,
        help=f"rows per page with --all (default: {DEFAULT_PAGE_SIZE})",
    )
    parser.add_argument("--schema", action="store_true", help="print the views and their columns")
    parser.add_argument(
        "--signals",
        nargs="?",
        const="",
        metavar="NAME",
        help="print the JSON paths seen in fact_signal.data (optionally for one signal)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no footer on standard error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


class Session:
    """One connection, an output stream and the footer/error conventions of the CLI."""

    def __init__(
        self, connection: Connection, fmt: str, out: TextIO, err: TextIO, quiet: bool
    ) -> None:
        self.connection = connection
        self.fmt = fmt
        self.out = out
        self.err = err
        self.quiet = quiet
        self.on_truncation = "warn"
        connection.on_precision = "ignore"  # said in the session's own words (`precision_note`)
        #: Table layout: False (rows), True (a block per record, psql's \x) or None (blocks
        #: when the table is wider than the terminal).
        self.expanded: bool | None = False
        #: Wraps the wait for an answer (the interactive session's elapsed-time indicator).
        self.waiting: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext

    def footer(self, rows: int, started: float, server_ms: float | None, extra: str = "") -> None:
        if self.quiet:
            return
        server = f", server {server_ms:.1f} ms" if server_ms is not None else ""
        noun = "row" if rows == 1 else "rows"
        self.err.write(f"({rows} {noun}, {time.perf_counter() - started:.3f} s{server}{extra})\n")

    def run(self, sql: str) -> int:
        """Run one query and print it; returns the exit status."""
        started = time.perf_counter()
        cursor = self.connection.cursor()
        cursor.on_truncation = "ignore"
        with self.waiting():
            cursor.execute(sql)
        assert cursor.description is not None
        rows = cursor.fetchall()
        if cursor.truncated and self.on_truncation == "error":
            self.err.write(
                f"error [TRUNCATED]: the result exceeded the row cap ({len(rows)} rows); "
                "narrow the query or use --all --key COLUMNS\n"
            )
            return EXIT_ERROR
        self.print_rows(cursor.description, rows)
        self.footer(len(rows), started, cursor.elapsed_ms)
        self.precision_note(cursor.imprecise_columns)
        if cursor.truncated:
            self.err.write(
                f"warning: result truncated at {len(rows)} rows by the server's row cap; "
                "rows were dropped (use --all --key COLUMNS to fetch everything)\n"
            )
            return EXIT_TRUNCATED
        return 0

    def run_all(self, sql: str, key: Sequence[str], page_size: int) -> int:
        """Fetch every row by keyset pagination."""
        started = time.perf_counter()
        extract = Extract(self.connection, sql, key, page_size=page_size)
        rows = iter(extract)
        with self.waiting():
            first = next(rows, None)  # runs the first page, which sets the description
        assert extract.description is not None
        count = 0

        def counted() -> Iterable[Sequence[Any]]:
            nonlocal count
            for row in itertools.chain([] if first is None else [first], rows):
                count += 1
                yield row

        self.print_rows(extract.description, counted())
        self.footer(count, started, None, f", {extract.pages} pages")
        self.precision_note(sorted(extract.imprecise_columns))
        return 0

    def precision_note(self, columns: Sequence[str]) -> None:
        """Say which Decimal columns the service's double may have rounded, and the remedy."""
        if columns:
            remedy = ", ".join(f"toString({name})" for name in columns)
            self.err.write(
                f"note: Decimal values in {', '.join(columns)} have 16 or more significant "
                f"digits; the service sends Decimals through a double, so they may be rounded: "
                f"select {remedy} for every digit\n"
            )

    def print_rows(self, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> None:
        """Write a result in the session's format (and, for a table, its layout)."""
        width = shutil.get_terminal_size().columns if self.expanded is None else 0
        write(self.fmt, self.out, columns, rows, expanded=self.expanded, width=width)
        self.out.flush()


Listing = tuple[list[tuple[Any, ...]], list[list[Any]]]


def describe_schema(connection: Connection) -> Listing:
    """The schema as a result set: view, column, type, comment."""
    rows = [[v.name, c.name, c.type, c.comment] for v in connection.schema() for c in v.columns]
    return text_columns("view", "column", "type", "comment"), rows


def describe_signals(connection: Connection, name: str | None) -> Listing:
    """The signals metadata as a result set: signal, path, types."""
    rows = [
        [s.signal_name, p.path, ", ".join(p.types)]
        for s in connection.signals_metadata(name or None)
        for p in s.paths
    ]
    return text_columns("signal_name", "path", "types"), rows


def start_demo(org: str | None, err: TextIO) -> None:
    """Start the demo organization's emulator worker now, with a status line on a terminal
    while it generates the data (else the first query would wait in silence)."""
    try:
        from ..emulator import default_emulator, tty_status
    except ImportError:
        return  # connect() explains the missing extra
    emulator = default_emulator()
    known = emulator.keys()
    name = org or next(iter(known))
    if name in known:  # else connect() names the demo organizations
        emulator.start([name], tty_status(err))


def open_connection(args: argparse.Namespace, err: TextIO) -> Connection:
    """Connect as the arguments say (URL, demo, or production with PAID_API_KEY)."""
    kwargs: dict[str, Any] = (
        {"demo": True} if args.demo else connect_args_from_url(args.url) if args.url else {}
    )
    if kwargs.get("demo"):
        start_demo(kwargs.get("demo_org"), err)
    try:
        return connect(**kwargs)
    except InterfaceError as exc:
        if exc.code != NO_API_KEY:
            raise
        raise InterfaceError(
            "no API key: use --demo for demo data, or give your key as "
            "--url paid://token:KEY@ or in PAID_API_KEY",
            code=NO_API_KEY,
        ) from None


def read_query(args: argparse.Namespace, stdin: TextIO) -> str | None:
    if args.query is not None and args.file:
        raise UsageError("give the query either as an argument or with -f, not both")
    if args.query is not None:
        return str(args.query)
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as fh:
                return fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    if not stdin.isatty():
        return stdin.read()
    return None


class UsageError(Exception):
    """Wrong command-line usage (exit status 2)."""


def report(err: TextIO, exc: Error) -> None:
    """One line per error: `error [CODE]: message`, then the details, each line indented alike
    (a caret under the echoed query stays under the character it points at)."""
    code = f" [{exc.code}]" if exc.code else ""
    err.write(f"error{code}: {exc.message}\n")
    for line in (exc.details or "").splitlines():
        err.write(f"  {line}\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of `paid-sql`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    fmt = args.format or ("table" if out.isatty() else "tsv")
    try:
        if args.all and not args.key:
            raise UsageError("--all needs --key COLUMNS, e.g. --key created_at,signal_id")
        sql = None if (args.schema or args.signals is not None) else read_query(args, sys.stdin)
        with open_connection(args, err) as connection:
            session = Session(connection, fmt, out, err, args.quiet)
            session.on_truncation = args.on_truncation
            if args.schema:
                session.print_rows(*describe_schema(connection))
                return 0
            if args.signals is not None:
                session.print_rows(*describe_signals(connection, args.signals))
                return 0
            if sql is None:
                from ._interactive import repl

                return repl(session)
            if not sql.strip():
                raise UsageError("the query is empty")
            if args.all:
                return session.run_all(
                    sql, [k.strip() for k in args.key.split(",") if k.strip()], args.page_size
                )
            return session.run(sql)
    except UsageError as exc:
        parser.print_usage(err)
        err.write(f"paid-sql: error: {exc}\n")
        return EXIT_USAGE
    except Error as exc:
        report(err, exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write("cancelled\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
