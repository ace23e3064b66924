"""`paid-emulator` as users start it: a busy port, the version and defaults in its help, and
the status line only on a terminal."""

from __future__ import annotations

import io
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from paid_dbapi.emulator import tty_status
from tests.servers import BIN


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_busy_port_is_one_line_before_any_data(busy_port: int) -> None:
    started = time.monotonic()
    out = subprocess.run(
        [str(BIN / "paid-emulator"), "serve", "--port", str(busy_port), "--scale", "50"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert time.monotonic() - started < 5  # scale 50 would take a minute to generate
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1, out.stderr
    assert f"port {busy_port} on 127.0.0.1 is already in use" in out.stderr
    assert "--port" in out.stderr
    assert "Traceback" not in out.stderr


def test_version_and_defaults_in_help() -> None:
    from paid_dbapi import __version__

    def run(*args: str) -> str:
        out = subprocess.run([str(BIN / "paid-emulator"), *args], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return " ".join(out.stdout.split())

    assert run("--version") == f"paid-emulator {__version__}"
    usage = run("serve", "--help")
    for default in ("(default 1)", "(default 10000)", "(default 30)"):
        assert default in usage


def test_status_line_only_on_a_terminal() -> None:
    assert tty_status(io.StringIO()) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    show = tty_status(out)
    assert show is not None
    show("generating demo data...")
    show("")
    assert out.getvalue() == "\r\x1b[Kgenerating demo data...\r\x1b[K"
