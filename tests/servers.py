"""Our own programs (`paid-emulator`, `paid-gateway`, `paid-sql`) started as real processes,
as a user starts them: the console scripts of this environment."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: The repository's root: the README, the harness folders and the packages are found from it.
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PAID_SQL = str(BIN / "paid-sql")


@dataclass(frozen=True)
class Served:
    """A running server: its URL, and the file its standard error goes to."""

    url: str
    log: Path


def start(command: list[str], pattern: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `command`, wait for the URL it announces on standard error (captured in `log`)."""
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stderr=sink, stdin=subprocess.DEVNULL)
    for _ in range(600):
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start:\n{log.read_text(errors='replace')}")


def paid_sql(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `paid-sql ARGS` to its end, as a shell would (text in, text out, one minute)."""
    return subprocess.run(
        [PAID_SQL, *args], input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
