"""paid-sql as a user meets it before any query: usage errors, URL options, malformed keys,
the version and the help text (queries: tests/integration/cli)."""

from __future__ import annotations

import importlib.metadata

import pytest

from tests.servers import paid_sql


@pytest.mark.parametrize(
    "args",
    [["--format", "xml", "SELECT 1"], ["--demo", "--url", "paid://", "SELECT 1"], ["--demo", "--all", "SELECT 1"],
     ["--demo", "-f", "/nonexistent/q.sql"]],
)  # fmt: skip
def test_usage_errors_exit_2(args: list[str]) -> None:
    r = paid_sql(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_bad_url_option_names_option_not_key() -> None:
    r = paid_sql("--url", "paid://token:SECRETKEY@h?timeout=x", "SELECT 1")
    assert r.returncode == 1
    assert "'timeout'" in r.stderr
    assert "SECRETKEY" not in r.stderr


@pytest.mark.parametrize("bad", ["%0A", "%0D%0AX-Injected:%201", "%00", "%C3%A9", "%20"])
def test_a_malformed_key_in_the_url_is_refused_unseen(bad: str) -> None:
    r = paid_sql("--url", f"paid+http://token:SECRETKEY{bad}TAILPART@127.0.0.1:9", "SELECT 1")
    assert r.returncode == 1
    assert r.stderr.startswith("error [BAD_API_KEY]: the API key contains ")
    assert "SECRETKEY" not in r.stderr
    assert "TAILPART" not in r.stderr


def test_version() -> None:
    r = paid_sql("--version")
    assert r.returncode == 0
    assert r.stdout == f"paid-sql {importlib.metadata.version('paid-dbapi')}\n"


def test_help_explains_exact_json_and_shows_defaults() -> None:
    out = " ".join(paid_sql("--help").stdout.split())
    assert "Decimals are JSON strings" in out
    assert "paid+demo://" in out
    assert "\\N for NULL and an empty field for an empty string" in out
    assert "rows per page with --all (default: 10000)" in out
    assert "fail (exit 1); default: warn" in out
