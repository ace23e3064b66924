"""Every runnable block of the README runs against the demo data, so the README cannot rot."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess

import pytest

from tests.servers import BIN, ROOT

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, flags=re.M | re.S)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


@pytest.mark.parametrize("code", blocks("python"), ids=lambda c: c.splitlines()[0][:40])
def test_python_block(code: str) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    if "print(" in code:
        assert out.getvalue().strip()


COMMANDS = [
    line[2:] for body in blocks("console") for line in body.splitlines() if line.startswith("$ ")
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[:50])
def test_console_command(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] in ("paid-sql", "paid-emulator", "paid-gateway")
    r = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


def test_the_two_commands_on_top() -> None:
    main_job, tests = blocks("bash")[:2]
    steps = [s.strip() for s in main_job.strip().split("&&")]
    assert steps[:2] == ["python3 -m venv .venv", '.venv/bin/pip install -q ".[emulator]"']
    argv = shlex.split(steps[2])
    assert argv[0] == ".venv/bin/paid-sql"
    r = subprocess.run(
        [str(BIN / "paid-sql"), *argv[1:]], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert "chat_reply" in r.stdout
    assert tests.strip() == "./scripts/test.sh"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci


def test_readme_has_runnable_blocks() -> None:
    assert len(blocks("python")) >= 6
    assert len(blocks("console")) >= 2
    assert {lang for lang, _ in BLOCKS} <= {"python", "console", "bash", "text"}
