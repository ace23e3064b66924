"""The real clickhouse-jdbc (JDBC v2), as Metabase and DBeaver drive it, against `paid-gateway`.

tests/jvm is a Maven project (built by scripts/build-clients.sh into tests/jvm/target/<version>/,
or the folder named by PAID_JDBC_HARNESS): its main class runs Metabase's connection test,
sync and questions and DBeaver's browse, cancel and errors, and prints one JSON line per
reading. The JVM starts once per driver version; every value it read is compared with what
paid_dbapi reads for the same query from the same emulator (the independent reading).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

import paid_dbapi
from paid_dbapi.emulator._data import demo_keys
from tests.servers import ROOT, Served

VERSIONS = ("0.9.8", "0.10.0")
JVM_DIR = ROOT / "tests" / "jvm"
#: The JVM runs in a zone that is not UTC, as a desktop's would: getTimestamp depends on it.
JVM_ZONE = "Asia/Tokyo"


def harness_dir(version: str) -> Path:
    base = os.environ.get("PAID_JDBC_HARNESS")
    folder = Path(base) / version if base else JVM_DIR / "target" / version
    assert (folder / "harness.jar").is_file(), f"{folder}: run scripts/build-clients.sh first"
    return folder


@pytest.fixture(scope="module", params=VERSIONS)
def readings(
    request: pytest.FixtureRequest, gateway: Served, timing_out_gateway: str, key: str
) -> dict[str, Any]:
    """Every reading of one harness run (one JVM) with driver `version`, by case name."""
    folder = harness_dir(request.param)
    java = shutil.which("java")
    assert java, "java (17 or newer) is required"
    classpath = (
        f"{folder / 'harness.jar'}{os.pathsep}{(folder / 'classpath.txt').read_text().strip()}"
    )
    with other_key_querying(gateway.url) as answers:  # another organization, all along
        done = subprocess.run(
            [java, f"-Duser.timezone={JVM_ZONE}", "-cp", classpath, "io.paid.harness.Harness",
             gateway.url, timing_out_gateway],
            capture_output=True, text=True, timeout=300, env={**os.environ, "PAID_KEY": key},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert key not in done.stdout + done.stderr  # no reading, message or log line shows the key
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    found = {line.pop("case"): line for line in lines}
    assert found["driver"]["version"].startswith(f"clickhouse-jdbc {request.param} ")
    found["other_key"] = {"answers": answers}
    return found


#: What another organization asks while Metabase syncs and queries under the first key.
OTHER_SQL = "SELECT count(), toString(sum(cost_amount)) FROM paid.fact_cost FORMAT TSV"


@contextlib.contextmanager
def other_key_querying(url: str) -> Iterator[list[tuple[int, str]]]:
    """Key B asks OTHER_SQL over and over, while the block runs key A's harness."""
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def ask() -> None:
        with httpx.Client(base_url=url, auth=("b", demo_keys(42)["globex"]), timeout=60) as http:
            while not done.is_set():
                answer = http.post("/", content=OTHER_SQL.encode())
                answers.append((answer.status_code, answer.text))
                done.wait(0.2)

    thread = threading.Thread(target=ask)
    thread.start()
    try:
        yield answers
    finally:
        done.set()
        thread.join(timeout=60)


def instant(value: dt.datetime) -> str:
    """java.time.Instant.toString() of an aware datetime."""
    value = value.astimezone(dt.timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond % 1000 == 0 and value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    elif value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def plain(value: Any) -> Any:
    """A paid_dbapi value as the harness renders Metabase's reading of it (exact strings)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return instant(value)
    if isinstance(value, (dt.date, int, UUID, str)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, list):  # Metabase shows arrays as Arrays.deepToString
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(type(value))


def independent(
    emulator_url: str, key: str, sql: str
) -> tuple[list[str], list[str], list[list[Any]]]:
    """(names, types, rows rendered) read by paid_dbapi straight from the emulator."""
    unqualified = sql.replace("`paid`.", "").replace("paid.", "")
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(unqualified)
        rows = [[plain(v) for v in row] for row in cur.fetchall()]
        return [d[0] for d in cur.description], [d[1] for d in cur.description], rows


@pytest.fixture(scope="module")
def schema(emulator_url: str, key: str) -> list[paid_dbapi.ViewInfo]:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        return conn.schema()


def test_metabase_connection_test(readings: dict[str, Any]) -> None:
    found = readings["mb.connection_test"]
    assert found["valid"] is True
    assert (found["select_1"], found["timezone"], found["cloud"]) == ([["1"]], [["UTC"]], [["0"]])
    version, major, minor = found["version"][0]
    assert version.startswith(f"{major}.{minor}.")
    assert int(major) >= 24
    assert found["product"] == f"ClickHouse {version}"


def test_metabase_sync_lists_tables_and_columns(
    readings: dict[str, Any], schema: list[paid_dbapi.ViewInfo]
) -> None:
    tables = readings["mb.tables"]["rows"]
    assert [(t["TABLE_SCHEM"], t["TABLE_NAME"], t["REMARKS"]) for t in tables] == sorted(
        ("paid", v.name, v.comment) for v in schema
    )
    columns = readings["mb.columns"]
    expected = [(v.name, c.name, c.type, c.comment, "YES" if c.type.startswith("Nullable(") else "NO")
                for v in sorted(schema, key=lambda v: v.name) for c in v.columns]  # fmt: skip
    got = [
        (c["TABLE_NAME"], c["COLUMN_NAME"], c["TYPE_NAME"], c["REMARKS"], c["IS_NULLABLE"])
        for c in columns["rows"]
    ]
    assert got == expected
    assert columns["primary_keys"] == []  # views have no keys


@pytest.mark.parametrize("index", range(4))
def test_metabase_sync_queries(
    readings: dict[str, Any], emulator_url: str, key: str, index: int
) -> None:
    found = readings[f"mb.sync.{index}"]
    names, types, rows = independent(emulator_url, key, found["sql"])
    assert (found["names"], found["types"]) == (names, types)
    assert sorted(found["rows"], key=json.dumps) == sorted(rows, key=json.dumps)
    assert rows  # every sync query reads something


def test_metabase_native_question_every_getter(
    readings: dict[str, Any], emulator_url: str, key: str
) -> None:
    found = readings["mb.native"]
    names, types, rows = independent(emulator_url, key, found["sql"])
    assert (found["names"], found["types"]) == (names, types)
    if readings["driver"]["version"].startswith("clickhouse-jdbc 0.9."):
        # a driver bug of 0.9.x: getBigDecimal on an Int64 (JDBC BIGINT, which Metabase reads
        # with getBigDecimal) goes through a double; 0.10.0 reads it exactly
        for row in rows:
            row[8] = format(Decimal(repr(float(row[8]))), "f")
    assert found["rows"] == rows  # exact UInt64 and Int64 extremes, Decimal(38, 10), instants
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(found["sql"])
        raw = cur.fetchall()
    zone = dt.timezone(dt.timedelta(hours=9))  # JVM_ZONE has no daylight saving
    for getters, row in zip(found["getters"], raw, strict=True):
        vendor, calls, cents, tokens, last_call, first_day, models, big, small, _counts = row
        assert getters["getString"] == vendor
        assert getters["getLong"] == [str(calls), str(tokens), str(small)]
        assert getters["getBigDecimal"] == [format(cents, "f"), str(big)]
        assert getters["getDate"] == first_day.isoformat()
        assert getters["getArray"] == models
        # the driver's java.sql.Timestamp (getTimestamp, getObject) holds the column zone's wall
        # clock in the JVM's zone, as clickhouse-jdbc does against ClickHouse itself; Metabase
        # reads getObject(ZonedDateTime) instead, which is exact (the rows above)
        wall_clock = last_call.astimezone(dt.timezone.utc).replace(tzinfo=zone)
        assert getters["getTimestamp"] == instant(wall_clock)
        assert getters["getObject"] == [
            str(big),
            format(cents, "f"),
            instant(wall_clock),
            {"calls": str(calls)},
        ]


def test_metabase_question_with_its_settings(
    readings: dict[str, Any], emulator_url: str, key: str
) -> None:
    full = readings["mb.question"]
    names, types, rows = independent(emulator_url, key, full["sql"])
    assert (full["names"], full["types"], full["rows"]) == (names, types, rows)
    assert len(rows) > 3
    capped = readings["mb.question.capped"]  # max_result_rows=3, result_overflow_mode=break
    assert capped["rows"] == rows[:3]
    error = readings["mb.question.throws"]["error"]  # result_overflow_mode=throw
    assert error["code"] == 396
    assert "Limit for result exceeded, max rows: 3" in error["message"]


def test_metabase_report_time_zone_stays_in_the_client(readings: dict[str, Any]) -> None:
    """Metabase sets the report time zone as the driver option session_timezone
    (`QuerySettings.setOption`); clickhouse-jdbc keeps it in the client and sends no such
    setting, so ClickHouse itself would answer in its own zone, as the gateway does. Metabase
    brings the zone into its SQL instead (`toTimeZone(col, zone)`, as in the questions above).
    A session_timezone that does reach the gateway is checked in test_settings."""
    assert readings["mb.session_timezone"]["rows"] == [["UTC", "2026-01-15 03:00:00.000"]]


def test_another_key_is_answered_alike_during_a_metabase_sync(
    readings: dict[str, Any], emulator_url: str
) -> None:
    """Key B's answers while the real driver syncs, queries, times out and cancels under key A
    are all B's own, and all the same: nothing of A's session reaches B's answers."""
    with paid_dbapi.connect(demo_keys(42)["globex"], base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(OTHER_SQL.replace("paid.", "").removesuffix(" FORMAT TSV"))
        count, total = cur.fetchone() or ()
    answers = readings["other_key"]["answers"]
    assert len(answers) >= 3
    assert set(answers) == {(200, f"{count}\t{total}\n")}


def test_dbeaver_browse(readings: dict[str, Any], schema: list[paid_dbapi.ViewInfo]) -> None:
    assert readings["dbeaver.catalogs"]["rows"] == []  # no catalogs: databases are schemas
    schemas = [r["TABLE_SCHEM"] for r in readings["dbeaver.schemas"]["rows"]]
    assert "paid" in schemas
    tables = readings["dbeaver.tables"]["rows"]
    assert [t["TABLE_NAME"] for t in tables] == sorted(v.name for v in schema)
    view = next(v for v in schema if v.name == "fact_cost")
    columns = readings["dbeaver.columns"]["rows"]
    assert [(c["COLUMN_NAME"], c["TYPE_NAME"], c["REMARKS"]) for c in columns] == [
        (c.name, c.type, c.comment) for c in view.columns
    ]
    cost = next(c for c in columns if c["COLUMN_NAME"] == "cost_amount")
    assert (cost["COLUMN_SIZE"], cost["DECIMAL_DIGITS"]) == ("38", "10")
    assert readings["dbeaver.keys"] == {"primary": [], "imported": [], "indexes": []}


def test_dbeaver_set_max_rows(readings: dict[str, Any], emulator_url: str, key: str) -> None:
    found = readings["dbeaver.max_rows"]
    unqualified = found["sql"].replace("paid.", "")
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(unqualified)
        count = len(cur.fetchall())
    assert len(found["rows"]) == min(200, count)
    # a table above the API's row cap: with jdbc_use_max_result_rows the driver asks for 200
    assert readings["dbeaver.max_rows.server"]["count"] == 200


def test_dbeaver_cancel_sends_kill_query(readings: dict[str, Any]) -> None:
    found = readings["cancel"]
    assert found["error"]["code"] == 394
    assert "QUERY_WAS_CANCELLED" in found["error"]["message"]
    assert found["elapsed_ms"] < 1000  # answered when cancelled, not after the upstream's 1 s


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("error.wrong_key", 516, "API key"),
        ("error.unknown_table", 60, "nosuch_table"),
        ("error.syntax", 62, "syntax error"),
        ("error.timeout", 159, "timed out"),
        ("error.row_cap", 396, "at most 10000 rows"),
    ],
)
def test_errors_reach_jdbc_with_clickhouse_codes(
    readings: dict[str, Any], case: str, code: int, words: str
) -> None:
    error = readings[case]["error"]
    assert error["exception"] == "java.sql.SQLException"
    assert error["code"] == code  # SQLException.getErrorCode()
    assert error["message"].startswith(f"Code: {code}. DB::Exception: ")  # Metabase parses this
    assert words in error["message"]
