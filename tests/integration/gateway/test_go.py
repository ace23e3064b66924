"""clickhouse-go v2 over HTTP, as Grafana's ClickHouse data source configures it, against the gateway.

tests/go is a Go module (built by scripts/build-clients.sh into tests/go/bin/harness, or the
file named by PAID_GO_HARNESS): ping, databases and tables, DESCRIBE, a time series grouped by
toStartOfInterval, a table query scanned into int64, uint64, decimal.Decimal, time.Time,
string, []string and maps, and errors. It runs once; values are compared with paid_dbapi.

clickhouse-go's HTTP connection starts with `SELECT displayName(), version(), revision(),
timezone()`, answered by the key's catalog engine (`paid-gateway`, the bundled ClickHouse's
version and revision, UTC), and sends `client_protocol_version` (54460) with every query: the
gateway writes Native for that revision (block info, custom-serialization flags), which the
client decodes with the revision the start-up query gave it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import paid_dbapi
from tests.servers import ROOT, Served

HARNESS = ROOT / "tests" / "go" / "bin" / "harness"


@pytest.fixture(scope="module")
def readings(gateway: Served, timing_out_gateway: str, key: str) -> dict[str, Any]:
    binary = Path(os.environ.get("PAID_GO_HARNESS", HARNESS))
    assert binary.is_file(), f"{binary}: run scripts/build-clients.sh first"
    addresses = [url.removeprefix("http://") for url in (gateway.url, timing_out_gateway)]
    done = subprocess.run([str(binary), *addresses], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PAID_KEY": key})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert key not in done.stdout + done.stderr
    return {line.pop("case"): line for line in map(json.loads, done.stdout.splitlines())}


def rows_of(emulator_url: str, key: str, sql: str) -> list[tuple[Any, ...]]:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(sql.replace("paid.", ""))
        return cur.fetchall()


def rfc3339(value: dt.datetime) -> str:
    """Go's time.RFC3339Nano of a UTC time (fraction trimmed of zeros)."""
    text = value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def test_a_wrong_key_is_authentication_failed(readings: dict[str, Any]) -> None:
    error = readings["error.wrong_key"]["error"]
    assert error["code"] == 516
    assert "API key" in error["message"]


def test_ping_and_catalog(readings: dict[str, Any], schema_names: list[str]) -> None:
    assert readings["ping"] == {"ok": True}
    assert "paid" in readings["databases"]["rows"]
    assert readings["tables"]["rows"] == schema_names


@pytest.fixture(scope="module")
def schema_names(emulator_url: str, key: str) -> list[str]:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        return sorted(v.name for v in conn.schema())


def test_describe(readings: dict[str, Any], emulator_url: str, key: str) -> None:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        view = next(v for v in conn.schema() if v.name == "fact_cost")
    assert readings["describe"]["rows"] == [[c.name, c.type, c.comment] for c in view.columns]


def test_time_series(readings: dict[str, Any], emulator_url: str, key: str) -> None:
    found = readings["timeseries"]
    expected = [
        [rfc3339(t), "UTC", str(n), str(c)] for t, n, c in rows_of(emulator_url, key, found["sql"])
    ]
    assert found["rows"] == expected


def test_table_scans(readings: dict[str, Any], emulator_url: str, key: str) -> None:
    found = readings["table"]
    expected = [
        {"vendor": vendor, "cents": format(cents.quantize(Decimal("1e-10")), "f"), "tokens": str(tokens),
         "big": str(big), "last_call": rfc3339(last), "zone": "UTC", "models": models,
         "counts": {"calls": str(counts["calls"])}}
        for vendor, cents, tokens, big, last, models, counts in rows_of(emulator_url, key, found["sql"])
    ]  # fmt: skip
    assert found["rows"] == expected


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("error.unknown_table", 60, "nosuch_table"),
        ("error.syntax", 62, "syntax error"),
        ("error.timeout", 159, "timed out"),
        ("error.row_cap", 396, "at most 10000 rows"),
    ],
)
def test_errors_reach_go_with_codes(
    readings: dict[str, Any], case: str, code: int, words: str
) -> None:
    error = readings[case]["error"]
    assert error["code"] == code  # a *clickhouse.Exception, as Grafana shows it
    assert words in error["message"]
