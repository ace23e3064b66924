"""The unit tier's wall holds: no engine starts, in this process or in one it starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

import paid_dbapi
from tests.servers import BIN
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
