"""paid-sql as a user meets it: a subprocess, and an interactive session on a pseudo-terminal."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

PAID_SQL = str(Path(sys.executable).with_name("paid-sql"))


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PAID_SQL, *args], input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


QUERY = ("SELECT toUInt64(18446744073709551615) AS big, toDecimal128('1234567890123456789012345678.9012345678', 10) AS d, "
         "toDateTime64('2026-11-01 08:15:00.123', 3, 'Asia/Tokyo') AS ts, CAST(NULL, 'Nullable(String)') AS n, '' AS e")  # fmt: skip


def test_piped_default_is_tsv_with_footer() -> None:
    r = run("--demo", QUERY)
    assert r.returncode == 0, r.stderr
    header, row = r.stdout.splitlines()
    assert header.split("\t") == ["big", "d", "ts", "n", "e"]
    assert row.split("\t") == ["18446744073709551615", "1234567890123456789012345678.9012345678",
                               "2026-11-01 08:15:00.123000+09:00", "\\N", ""]  # fmt: skip
    assert "(1 row," in r.stderr
    assert "server" in r.stderr


def test_json_is_machine_exact() -> None:
    r = run("--demo", "--format", "json", QUERY)
    (obj,) = json.loads(r.stdout)
    assert obj == {"big": "18446744073709551615", "d": "1234567890123456789012345678.9012345678",
                   "ts": "2026-11-01 08:15:00.123000+09:00", "n": None, "e": ""}  # fmt: skip
    lines = run(
        "--demo", "--format", "jsonl", "-q", "SELECT toInt64(1) AS a, 2 AS b"
    ).stdout.splitlines()
    assert [json.loads(x) for x in lines] == [{"a": "1", "b": 2}]


def test_csv_markdown_and_table() -> None:
    rows = list(csv.reader(io.StringIO(run("--demo", "--format", "csv", QUERY).stdout)))
    assert rows[1][3:] == ["\\N", ""]
    md = run("--demo", "--format", "markdown", "-q", "SELECT 'a|b' AS x, NULL AS y").stdout
    assert md.splitlines() == ["| x | y |", "|---|---|", "| a\\|b | NULL |"]
    table = run("--demo", "--format", "table", "-q", "SELECT 1 AS one").stdout
    assert table.splitlines() == [" one", "-----", "   1"]


def test_query_from_file_and_stdin(tmp_path: Path) -> None:
    f = tmp_path / "q.sql"
    f.write_text("SELECT name FROM dim_organization")
    assert run("--demo", "-q", "-f", str(f)).stdout.splitlines() == ["name", "Acme AI"]
    assert run(
        "--url", "paid+demo://?org=globex", "-q", stdin="SELECT name FROM dim_organization"
    ).stdout.splitlines() == ["name", "Globex Automation"]


def test_truncation_exit_codes() -> None:
    r = run("--demo", "-q", "SELECT signal_id FROM fact_signal")
    assert r.returncode == 3
    assert "truncated at 10000 rows" in r.stderr
    assert len(r.stdout.splitlines()) == 10_001
    r = run("--demo", "--on-truncation", "error", "SELECT signal_id FROM fact_signal")
    assert r.returncode == 1
    assert r.stdout == ""
    assert "error [TRUNCATED]" in r.stderr


def test_all_pages_past_the_cap() -> None:
    r = run("--demo", "--all", "--key", "created_at,signal_id", "--page-size", "4000",
            "SELECT created_at, signal_id FROM fact_signal WHERE created_at >= now() - INTERVAL 10 DAY")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()[1:]
    assert len(lines) > 10_000
    assert len(set(lines)) == len(lines)
    assert lines == sorted(lines)
    assert "pages" in r.stderr


def test_errors_are_one_line_without_traceback() -> None:
    r = run("--demo", "SELECT * FROM system.tables")
    assert r.returncode == 1
    assert r.stderr.startswith("error [QUALIFIED_NAME]: ")
    assert "Traceback" not in r.stderr
    r = run("SELECT 1", env={"PAID_API_KEY": ""})
    assert r.returncode == 1
    assert r.stderr == ("error [NO_API_KEY]: no API key: use --demo for demo data, or give your key as "
                        "--url paid://token:KEY@ or in PAID_API_KEY\n")  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [["--format", "xml", "SELECT 1"], ["--demo", "--url", "paid://", "SELECT 1"], ["--demo", "--all", "SELECT 1"],
     ["--demo", "-f", "/nonexistent/q.sql"]],
)  # fmt: skip
def test_usage_errors_exit_2(args: list[str]) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_bad_url_option_names_option_not_key() -> None:
    r = run("--url", "paid://token:SECRETKEY@h?timeout=x", "SELECT 1")
    assert r.returncode == 1
    assert "'timeout'" in r.stderr
    assert "SECRETKEY" not in r.stderr


def test_schema_and_signals() -> None:
    schema = run("--demo", "--schema", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(schema)))
    assert rows[0] == ["view", "column", "type", "comment"]
    assert rows[[r[:2] for r in rows].index(["fact_cost", "cost_amount"])][:3] == [
        "fact_cost",
        "cost_amount",
        "Decimal(38, 10)",
    ]
    signals = run("--demo", "--signals", "email_sent").stdout.splitlines()
    assert "email_sent\tcampaign.channel\tString" in signals


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout == f"paid-sql {importlib.metadata.version('paid-dbapi')}\n"


def test_help_explains_exact_json() -> None:
    out = run("--help").stdout
    assert "Decimals are JSON strings" in out
    assert "paid+demo://" in out


def test_interactive_session(tmp_path: Path) -> None:
    env = {**os.environ, "PAID_SQL_HISTORY": str(tmp_path / "history"), "TERM": "dumb"}
    child = pexpect.spawn(
        PAID_SQL, ["--demo"], env=env, encoding="utf-8", timeout=60, dimensions=(40, 200)
    )
    try:
        child.expect_exact("paid> ")
        child.send("SELECT count() FROM dim_cust\t")
        child.expect_exact("dim_customer")
        child.sendline(";")
        child.expect(r"\d+")
        child.expect_exact("paid> ")
        child.sendline("SELECT name")
        child.expect_exact("  ... ")
        child.sendline("FROM dim_organization;")
        child.expect_exact("Acme AI")
        child.expect_exact("paid> ")
        child.sendline("\\d")
        child.expect_exact("fact_usage_summary")
        child.expect_exact("paid> ")
        child.sendline("\\d fact_cost")
        child.expect_exact("Decimal(38, 10)")
        child.expect_exact("paid> ")
        child.sendline("\\signals chat_reply")
        child.expect_exact("tokens")
        child.expect_exact("paid> ")
        child.sendline("SELECT * FROM nope;")
        child.expect_exact("error [UNKNOWN_TABLE]")
        child.expect_exact("paid> ")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "dim_organization" in (tmp_path / "history").read_text()


def test_interactive_ctrl_c_cancels_a_slow_query(tmp_path: Path, org_keys: dict[str, str]) -> None:
    from paid_dbapi.emulator import Emulator

    env = {**os.environ, "PAID_SQL_HISTORY": str(tmp_path / "history"), "TERM": "dumb"}
    with Emulator(latency=4.0).serve() as url:
        hostport = url.split("//", 1)[1].split("/", 1)[0]
        argv = ["--url", f"paid+http://token:{org_keys['acme']}@{hostport}"]
        child = pexpect.spawn(PAID_SQL, argv, env=env, encoding="utf-8", timeout=60)
        try:
            child.expect_exact("paid> ")  # the schema for completion took one slow request
            child.sendline("SELECT 1;")
            child.expect_exact("running...")  # the elapsed-time indicator after a second
            child.sendintr()
            child.expect_exact("cancelled")
            child.expect_exact("paid> ")
            child.sendline("\\q")
            child.expect(pexpect.EOF)
        finally:
            child.close()
