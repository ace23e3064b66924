"""Interactive `paid-sql`: multi-line input ending in `;`, history, completion, \\ commands."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .._exceptions import Error
from . import describe_schema, describe_signals, report
from ._formats import text_columns

if TYPE_CHECKING:
    from . import Session

HELP = """\
  SQL ending in ;     run it (Ctrl-C cancels a running query)
  \\d                  list the views
  \\d VIEW             columns of a view, with types and comments
  \\signals [NAME]     JSON paths seen in fact_signal.data
  \\x [on|off|auto]    a block per record; auto (the default) when a table is too wide
  help, \\?            this help
  \\q, quit, exit      quit (also Ctrl-D)
"""


def history_path() -> Path:
    """Where history is kept across runs (PAID_SQL_HISTORY overrides)."""
    return Path(os.environ.get("PAID_SQL_HISTORY") or Path.home() / ".paid_sql_history")


@contextmanager
def elapsed_indicator(err: TextIO, after: float = 1.0) -> Iterator[None]:
    """Show elapsed seconds on standard error while a query runs longer than `after`."""
    done = threading.Event()

    def tick() -> None:
        started = time.monotonic()
        if done.wait(after):
            return
        while not done.wait(0.2):
            err.write(f"\r  running... {time.monotonic() - started:.1f} s")
            err.flush()
        err.write("\r" + " " * 30 + "\r")
        err.flush()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


class Completer:
    """Tab completion of view and column names from /schema, plus SQL keywords."""

    KEYWORDS = (
        "SELECT",
        "FROM",
        "WHERE",
        "GROUP BY",
        "ORDER BY",
        "LIMIT",
        "JOIN",
        "ON",
        "WITH",
        "AS",
        "AND",
        "OR",
        "count()",
        "sum(",
        "avg(",
        "toStartOfMonth(",
    )

    def __init__(self, words: list[str]) -> None:
        self.words = sorted(set(words)) + list(self.KEYWORDS)
        self.matches: list[str] = []

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            self.matches = [w for w in self.words if w.lower().startswith(text.lower())]
        return self.matches[state] if state < len(self.matches) else None


def repl(session: Session) -> int:
    """Read-eval-print loop until \\q, quit, exit or end of input; exits 0 like psql."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        readline = None  # type: ignore[assignment]
    views = session.connection.schema()
    if readline is not None:
        words = [v.name for v in views] + [c.name for v in views for c in v.columns]
        readline.set_completer(Completer(words).complete)
        readline.set_completer_delims(" \t\n,()=<>*+-/;.")
        readline.parse_and_bind("tab: complete")
        path = history_path()
        with suppress(OSError):
            readline.read_history_file(path)
    if session.err.isatty():
        session.waiting = lambda: elapsed_indicator(session.err)
    if session.fmt == "table":
        session.expanded = None  # a block per record when a table is wider than the terminal
    session.err.write("paid-sql: end queries with ;  \\d lists views  help for help  \\q quits\n")
    buffer: list[str] = []
    try:
        while True:
            try:
                line = input("paid> " if not buffer else "  ... ")
            except EOFError:
                session.err.write("\n")
                break
            except KeyboardInterrupt:
                session.err.write("\n")
                buffer = []
                continue
            stripped = line.strip()
            if stripped.startswith("\\"):  # a command, even in the middle of a statement
                if stripped.split()[0] in ("\\q", "\\quit"):
                    break
                command(session, stripped)
                continue
            word = stripped.rstrip(";").strip().lower()
            if not buffer and word in ("quit", "exit"):
                break
            if not buffer and word == "help":
                session.err.write(HELP)
                continue
            buffer.append(line)
            if not stripped.endswith(";"):
                continue
            sql = "\n".join(buffer).strip().rstrip(";").strip()
            buffer = []
            if not sql:
                continue
            try:
                session.run(sql)
            except KeyboardInterrupt:
                session.err.write("cancelled\n")
            except Error as exc:
                report(session.err, exc)
    finally:
        if readline is not None:
            with suppress(OSError):
                readline.write_history_file(history_path())
    return 0


EXPANDED = {"on": True, "off": False, "auto": None}


def command(session: Session, text: str) -> None:
    """Backslash commands."""
    parts = text.split()
    name, args = parts[0], parts[1:]
    try:
        if name == "\\d" and not args:
            views = session.connection.schema()
            rows = [[v.name, v.comment] for v in views]
            session.print_rows(text_columns("view", "comment"), rows)
        elif name == "\\d":
            columns, rows = describe_schema(session.connection)
            rows = [r[1:] for r in rows if r[0] == args[0]]
            if not rows:
                session.err.write(f"no view named {args[0]!r}\n")
                return
            session.print_rows(columns[1:], rows)
        elif name == "\\signals":
            columns, rows = describe_signals(session.connection, args[0] if args else None)
            if not rows:
                what = f"signal named {args[0]!r}" if args else "signal payloads"
                session.err.write(f"no {what} in fact_signal; \\signals lists them all\n")
                return
            session.print_rows(columns, rows)
        elif name == "\\x":
            if args and args[0] not in EXPANDED:
                session.err.write("usage: \\x [on|off|auto]\n")
                return
            session.expanded = EXPANDED[args[0]] if args else session.expanded is not True
            state = next(k for k, v in EXPANDED.items() if v is session.expanded)
            session.err.write(f"expanded display is {state}\n")
        elif name in ("\\?", "\\h", "\\help"):
            session.err.write(HELP)
        else:
            session.err.write(f"unknown command {name}; \\? lists the commands\n")
    except Error as exc:
        report(session.err, exc)
    session.out.flush()
