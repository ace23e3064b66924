"""The browser suite can fail: with a dialect that lists no tables, its SQL Lab step does.

A check of the dialect on the test's side proves nothing about what Superset shows, so the
first three steps of `test_browser.py` run again, in a pytest of their own whose every process
(Superset's web server too) loads `no_tables/sitecustomize.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("test_log_in", "test_connect_paid_through_the_form", "test_sql_lab")


def test_sql_lab_step_fails_when_the_dialect_lists_no_tables(tmp_path: Path) -> None:
    broken = Path(__file__).with_name("no_tables")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(broken), os.environ.get("PYTHONPATH")))),
    }
    report = tmp_path / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--basetemp={tmp_path / 'base'}",
         f"--junitxml={report}", *(f"tests/superset/test_browser.py::{name}" for name in STEPS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:]
    cases = {case.get("name"): case for case in ET.parse(report).getroot().iter("testcase")}
    assert sorted(cases) == sorted(STEPS)
    for name in STEPS[:2]:  # logging in and connecting do not list tables
        assert list(cases[name]) == [], run.stdout[-3000:]
    (failure,) = cases["test_sql_lab"].findall("failure")
    assert "to_have_count" in failure.get("message", "") + (failure.text or "")
    assert "treeitem" in (failure.text or "")
