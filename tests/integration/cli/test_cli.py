"""paid-sql as a user meets it: a subprocess, and an interactive session on a pseudo-terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pexpect
import pytest

from tests.servers import PAID_SQL, paid_sql


def url_args(base_url: str, key: str) -> list[str]:
    """`--url` arguments for an emulator served on loopback at `base_url`."""
    hostport = base_url.split("//", 1)[1].split("/", 1)[0]
    return ["--url", f"paid+http://token:{key}@{hostport}"]


@pytest.fixture
def served(server_url: str, org_keys: dict[str, str]) -> list[str]:
    """`--url` arguments for the session's emulator: no data generation per run."""
    return url_args(server_url, org_keys["acme"])


QUERY = ("SELECT toUInt64(18446744073709551615) AS big, toDecimal128('12345.6789', 10) AS d, "
         "toDateTime64('2026-11-01 08:15:00.123', 3, 'Asia/Tokyo') AS ts, CAST(NULL, 'Nullable(String)') AS n, '' AS e")  # fmt: skip


def test_piped_default_is_tsv_with_footer() -> None:
    r = paid_sql("--demo", QUERY)
    assert r.returncode == 0, r.stderr
    header, row = r.stdout.splitlines()
    assert header.split("\t") == ["big", "d", "ts", "n", "e"]
    assert row.split("\t") == ["18446744073709551615", "12345.6789000000",
                               "2026-11-01 08:15:00.123+09:00", "\\N", ""]  # fmt: skip
    assert "(1 row," in r.stderr
    assert "server" in r.stderr
    assert "generating" not in r.stderr  # no status line when standard error is not a terminal


def test_a_decimal_the_service_may_have_rounded_gets_a_note_not_a_traceback() -> None:
    r = paid_sql(
        "--demo", "SELECT toDecimal128('1234567890123456789012345678.9012345678', 10) AS d"
    )
    assert r.returncode == 0, r.stderr
    nearest = f"{Decimal(repr(float(Decimal('1234567890123456789012345678.9012345678')))):.10f}"
    assert r.stdout.splitlines() == ["d", nearest]  # the double the service sends, at the scale
    assert "note: Decimal values in d have 16 or more significant digits" in r.stderr
    assert "select toString(d) for every digit" in r.stderr
    assert "PrecisionWarning" not in r.stderr
    assert "Traceback" not in r.stderr


def test_json_is_machine_exact(served: list[str]) -> None:
    r = paid_sql(*served, "--format", "json", QUERY)
    (obj,) = json.loads(r.stdout)
    assert obj == {"big": "18446744073709551615", "d": "12345.6789000000",
                   "ts": "2026-11-01 08:15:00.123+09:00", "n": None, "e": ""}  # fmt: skip
    lines = paid_sql(
        *served, "--format", "jsonl", "-q", "SELECT toInt64(1) AS a, 2 AS b"
    ).stdout.splitlines()
    assert [json.loads(x) for x in lines] == [{"a": "1", "b": 2}]


def test_csv_markdown_and_table(served: list[str]) -> None:
    rows = list(csv.reader(io.StringIO(paid_sql(*served, "--format", "csv", QUERY).stdout)))
    assert rows[1][3:] == ["\\N", ""]
    md = paid_sql(*served, "--format", "markdown", "-q", "SELECT 'a|b' AS x, NULL AS y").stdout
    assert md.splitlines() == ["| x | y |", "|---|---|", "| a\\|b | NULL |"]
    table = paid_sql(*served, "--format", "table", "-q", "SELECT 1 AS one").stdout
    assert table.splitlines() == [" one", "-----", "   1"]


def test_query_from_file_and_stdin(tmp_path: Path, served: list[str]) -> None:
    f = tmp_path / "q.sql"
    f.write_text("SELECT name FROM dim_organization")
    assert paid_sql(*served, "-q", "-f", str(f)).stdout.splitlines() == ["name", "Acme AI"]
    assert paid_sql(
        "--url", "paid+demo://?org=globex", "-q", stdin="SELECT name FROM dim_organization"
    ).stdout.splitlines() == ["name", "Globex Automation"]


def test_truncation_exit_codes(served: list[str]) -> None:
    r = paid_sql(*served, "-q", "SELECT signal_id FROM fact_signal")
    assert r.returncode == 3
    assert "truncated at 10000 rows" in r.stderr
    assert len(r.stdout.splitlines()) == 10_001
    r = paid_sql(*served, "--on-truncation", "error", "SELECT signal_id FROM fact_signal")
    assert r.returncode == 1
    assert r.stdout == ""
    assert "error [TRUNCATED]" in r.stderr


def test_all_pages_past_the_cap(served: list[str]) -> None:
    r = paid_sql(*served, "--all", "--key", "created_at,signal_id", "--page-size", "4000",
            "SELECT created_at, signal_id FROM fact_signal WHERE created_at >= now() - INTERVAL 10 DAY")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()[1:]
    assert len(lines) > 10_000
    assert len(set(lines)) == len(lines)
    assert lines == sorted(lines)
    assert "pages" in r.stderr


def test_errors_are_one_line_without_traceback(served: list[str]) -> None:
    r = paid_sql(*served, "SELECT * FROM system.tables")
    assert r.returncode == 1
    assert r.stderr.startswith("error [QUALIFIED_NAME]: ")
    assert "Traceback" not in r.stderr
    r = paid_sql("SELECT 1", env={"PAID_API_KEY": ""})
    assert r.returncode == 1
    assert r.stderr == ("error [NO_API_KEY]: no API key: use --demo for demo data, or give your key as "
                        "--url paid://token:KEY@ or in PAID_API_KEY\n")  # fmt: skip


@pytest.mark.parametrize(
    "sql", ["SELECT 1 +, 2 FROM dim_customer", "SELECT id\nFROM dim_customer WHERE (id = 1 2)"]
)
def test_the_caret_stands_under_the_reported_column(served: list[str], sql: str) -> None:
    r = paid_sql(*served, sql)
    assert r.returncode == 1
    found = re.search(r"at line (\d+), column (\d+)", r.stderr)
    assert found, r.stderr
    line, column = int(found.group(1)), int(found.group(2))
    lines = r.stderr.splitlines()
    caret = next(i for i, text in enumerate(lines) if text.strip() == "^")
    echoed, marker = lines[caret - 1], lines[caret]
    wanted = sql.split("\n")[line - 1]
    start = echoed.index(wanted)  # the echo's own indent
    assert marker.index("^") == start + column - 1
    assert echoed[marker.index("^")] == wanted[column - 1]


def test_schema_and_signals(served: list[str]) -> None:
    schema = paid_sql(*served, "--schema", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(schema)))
    assert rows[0] == ["view", "column", "type", "comment"]
    assert rows[[r[:2] for r in rows].index(["fact_cost", "cost_amount"])][:3] == [
        "fact_cost",
        "cost_amount",
        "Decimal(38, 10)",
    ]
    signals = paid_sql(*served, "--signals", "email_sent").stdout.splitlines()
    assert "email_sent\tcampaign.channel\tString" in signals


def spawn(args: list[str], tmp_path: Path, **kwargs: Any) -> pexpect.spawn:
    """An interactive paid-sql on a pseudo-terminal."""
    env = {**os.environ, "PAID_SQL_HISTORY": str(tmp_path / "history"), "TERM": "dumb"}
    return pexpect.spawn(PAID_SQL, args, env=env, encoding="utf-8", timeout=30, **kwargs)


def test_interactive_session(tmp_path: Path) -> None:
    child = spawn(["--demo"], tmp_path, dimensions=(40, 200))
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


def test_interactive_ctrl_c_and_the_elapsed_time_indicator(
    tmp_path: Path, org_keys: dict[str, str]
) -> None:
    from paid_dbapi.emulator import Emulator

    with Emulator(latency=1.5).serve() as url:
        child = spawn(url_args(url, org_keys["acme"]), tmp_path)
        try:
            child.expect_exact("paid> ")  # the schema for completion took one slow request
            child.sendline("SELECT 42 AS answer;")
            child.expect_exact("running...")  # the elapsed-time indicator after a second
            child.expect_exact("answer")
            # the indicator was wiped before the result's first line was printed
            assert re.search(r"running\.\.\. [\d.]+ s\r +\r $", child.before), repr(child.before)
            child.expect_exact("paid> ")
            child.sendline("SELECT 1;")
            child.expect_exact("running...")
            child.sendintr()
            child.expect_exact("cancelled")
            child.expect_exact("paid> ")
            child.sendline("\\q")
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert child.exitstatus == 0


def test_interactive_commands_as_in_psql(served: list[str], tmp_path: Path) -> None:
    child = spawn(served, tmp_path)
    try:
        child.expect_exact("paid> ")
        child.sendline("help")
        child.expect_exact("\\x [on|off|auto]")
        child.expect_exact("paid> ")
        child.sendline("SELECT name")
        child.expect_exact("  ... ")
        child.sendline("\\d")  # a command in the middle of a statement runs, the statement waits
        child.expect_exact("fact_usage_summary")
        child.expect_exact("  ... ")
        child.sendline("FROM dim_organization;")
        child.expect_exact("Acme AI")
        child.expect_exact("paid> ")
        child.sendline("\\signals nosuch")
        child.expect_exact("no signal named 'nosuch' in fact_signal")
        child.expect_exact("paid> ")
        child.sendline("SELECT * FROM nope;")
        child.expect_exact("error [")
        child.expect_exact("paid> ")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0  # as in psql, an earlier error does not change it


@pytest.mark.parametrize("word", ["quit", "exit", "EXIT;"])
def test_quit_and_exit_typed_alone(served: list[str], tmp_path: Path, word: str) -> None:
    child = spawn(served, tmp_path)
    try:
        child.expect_exact("paid> ")
        child.sendline(word)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_a_result_wider_than_the_terminal_is_shown_one_record_per_block(
    served: list[str], tmp_path: Path
) -> None:
    child = spawn(served, tmp_path, dimensions=(24, 70))
    wide = "SELECT name, 'a rather long text that fills more than the whole line of the terminal' AS description, 1 AS n FROM dim_organization;"
    try:
        child.expect_exact("paid> ")
        child.sendline(wide)
        child.expect_exact("-[ RECORD 1 ]")
        child.expect(r"name +\| Acme AI")
        child.expect(r"n +\| 1")
        child.expect_exact("paid> ")
        child.sendline("\\x off")
        child.expect_exact("expanded display is off")
        child.expect_exact("paid> ")
        child.sendline(wide)
        child.expect(r"name +\| description +\| n")
        child.expect_exact("paid> ")
        child.sendline("\\x")
        child.expect_exact("expanded display is on")
        child.expect_exact("paid> ")
        child.sendline("SELECT 1 AS one;")  # narrow, yet expanded when asked
        child.expect_exact("-[ RECORD 1 ]")
        child.expect_exact("paid> ")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.close()


def test_demo_shows_a_status_line_on_a_terminal() -> None:
    child = pexpect.spawn(PAID_SQL, ["--demo", "SELECT 1 AS one"], encoding="utf-8", timeout=30)
    try:
        child.expect_exact("generating demo data (acme, scale 1)...")
        child.expect_exact(" one")
        assert child.before.startswith("\r\x1b[K")  # the status line was wiped first
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_datetimes_and_decimals_print_at_the_columns_precision_and_scale(
    served: list[str],
) -> None:
    """Each value beside ClickHouse's own toString of it, the oracle for the digits."""
    datetimes = [f"toDateTime64('2026-11-01 08:15:00.{f}', {p})" for p, f in
                 [(0, "0"), (1, "5"), (2, "05"), (3, "100"), (3, "873"), (4, "0001"), (6, "000000"), (6, "123456")]]  # fmt: skip
    datetimes.append("toDateTime('2026-11-01 08:15:00')")
    decimals = ["toDecimal32('1.5', 4)", "toDecimal64('-0.1', 9)", "toDecimal128('0', 10)",
                "toDecimal256('12345.5', 10)", "toDecimal64('7', 0)",
                "CAST('12.30' AS Nullable(Decimal(10, 3)))"]  # fmt: skip
    columns = ", ".join(
        f"{e} AS v{i}, toString(v{i}) AS s{i}" for i, e in enumerate(datetimes + decimals)
    )
    for fmt in ("tsv", "csv", "json"):
        r = paid_sql(
            *served,
            "-q",
            "--format",
            fmt,
            f"SELECT {columns}",
        )
        assert r.returncode == 0, r.stderr
        if fmt == "json":
            (obj,) = json.loads(r.stdout)
            values = list(obj.values())
        else:
            values = next(
                csv.reader(
                    io.StringIO(r.stdout.splitlines()[1]), delimiter="\t" if fmt == "tsv" else ","
                )
            )
        pairs = list(zip(values[::2], values[1::2], strict=True))
        for shown, oracle in pairs[: len(datetimes)]:
            assert shown == oracle
        scales = [4, 9, 10, 10, 0, 3]
        for (shown, oracle), scale in zip(pairs[len(datetimes) :], scales, strict=True):
            assert Decimal(shown) == Decimal(oracle)
            assert len(shown.partition(".")[2]) == scale, shown


def test_ctrl_c_stops_a_one_shot_demo_query_at_once() -> None:
    """Without the session's prompt, too: the demo worker is stopped, not waited for."""
    child = pexpect.spawn(PAID_SQL, ["--demo", "SELECT count() FROM fact_signal AS a, fact_signal AS b, fact_signal AS c"],
                          encoding="utf-8", timeout=30)  # fmt: skip
    try:
        child.expect_exact("generating demo data")
        child.expect_exact("\r\x1b[K")  # the data is ready: the query is now running
        time.sleep(0.5)
        started = time.monotonic()
        child.sendintr()
        child.expect_exact("cancelled")
        child.expect(pexpect.EOF)
        assert time.monotonic() - started < 2.0
    finally:
        child.close()
    assert child.exitstatus == 130
