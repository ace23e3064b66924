"""Interactive `paid-sql`: multi-line input ending in `;`, history, completion, \\ commands."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..exceptions import Error
from . import describe_schema, describe_signals, report
from .formats import write

if TYPE_CHECKING:
    from . import Session

HELP = """\
  SQL ending in ;     run it
  \\d                  list the views
  \\d VIEW             columns of a view, with types and comments
  \\signals [NAME]     JSON paths seen in fact_signal.data
  \\q                  quit (also Ctrl-D)
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
    """Read-eval-print loop until \\q or end of input."""
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
    session.err.write("paid-sql: end queries with ;  \\d lists views  \\? for help  \\q quits\n")
    buffer: list[str] = []
    status = 0
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
            if not buffer and stripped.startswith("\\"):
                if stripped in ("\\q", "\\quit"):
                    break
                command(session, stripped)
                continue
            buffer.append(line)
            if not stripped.endswith(";"):
                continue
            sql = "\n".join(buffer).strip().rstrip(";").strip()
            buffer = []
            if not sql:
                continue
            try:
                with elapsed_indicator(session.err):
                    status = session.run(sql)
            except KeyboardInterrupt:
                session.err.write("cancelled\n")
            except Error as exc:
                report(session.err, exc)
                status = 1
    finally:
        if readline is not None:
            with suppress(OSError):
                readline.write_history_file(history_path())
    return status


def command(session: Session, text: str) -> None:
    """Backslash commands."""
    parts = text.split()
    name, args = parts[0], parts[1:]
    try:
        if name == "\\d" and not args:
            views = session.connection.schema()
            write(
                session.fmt,
                session.out,
                ["view", "comment"],
                ["String", "String"],
                [[v.name, v.comment] for v in views],
            )
        elif name == "\\d":
            names, types, rows = describe_schema(session.connection)
            rows = [r[1:] for r in rows if r[0] == args[0]]
            if not rows:
                session.err.write(f"no view named {args[0]!r}\n")
                return
            write(session.fmt, session.out, names[1:], types[1:], rows)
        elif name == "\\signals":
            names, types, rows = describe_signals(session.connection, args[0] if args else None)
            write(session.fmt, session.out, names, types, rows)
        elif name in ("\\?", "\\h", "\\help"):
            session.err.write(HELP)
        else:
            session.err.write(f"unknown command {name}; \\? lists the commands\n")
    except Error as exc:
        report(session.err, exc)
    session.out.flush()
