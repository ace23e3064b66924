"""The unit tier's wall holds: no engine starts, in this process or in one it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import paid_dbapi
from tests.servers import BIN, ROOT
from tests.unit.conftest import REFUSAL


def test_chdb_cannot_be_imported_here() -> None:
    with pytest.raises(ImportError):
        import chdb  # noqa: F401


def test_a_program_started_from_here_cannot_import_chdb() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import chdb"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert REFUSAL in out.stderr


@pytest.mark.meets_the_wall
def test_the_demo_connection_cannot_run_a_query() -> None:
    with paid_dbapi.connect(demo=True) as conn, pytest.raises(paid_dbapi.Error):
        conn.cursor().execute("SELECT 1")


def test_paid_sql_cannot_run_a_query() -> None:
    out = subprocess.run(
        [str(BIN / "paid-sql"), "--demo", "SELECT 1"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0
    assert "1" not in out.stdout.split()


def test_a_test_that_asks_for_an_engine_fails_even_if_it_swallows_the_error(
    tmp_path: Path,
) -> None:
    """The second line: a test that would pass on the missing engine's error is failed."""
    test = tmp_path / "test_swallows.py"
    test.write_text(
        "import paid_dbapi\n\n\ndef test_swallows():\n"
        "    with paid_dbapi.connect(demo=True) as conn:\n"
        "        try:\n            conn.cursor().execute('SELECT 1')\n"
        "        except paid_dbapi.Error:\n            pass\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.unit.conftest", "-p",
         "no:cacheprovider", str(test)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout
    assert "asked for an engine worker" in out.stdout
    assert "1 error" in out.stdout  # failed in its teardown, after the test body passed
