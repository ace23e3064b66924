"""`@clickhouse/client` (the official Node.js client, from npm) against `paid-gateway serve`.

scripts/test.sh installs it with `npm ci` into tests/node (package.json and
package-lock.json pin the version); node runs node/client.mjs: `ping()`, a `JSONEachRow`
query, a `JSONCompactEachRowWithNamesAndTypes` query and an error path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

import paid_dbapi
from tests.servers import ROOT

NODE_DIR = ROOT / "tests" / "node"


@pytest.fixture(scope="module")
def answers(gateway_url: str, key: str) -> Any:
    node = shutil.which("node")
    assert node, "node is required (scripts/test.sh installs @clickhouse/client with npm)"
    assert (NODE_DIR / "node_modules" / "@clickhouse" / "client").is_dir(), (
        "run npm ci in tests/node"
    )
    done = subprocess.run(
        [node, "client.mjs"], cwd=NODE_DIR, capture_output=True, text=True, timeout=60,
        env={**os.environ, "GATEWAY_URL": gateway_url, "GATEWAY_PASSWORD": key},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ping(answers: Any) -> None:
    assert answers["ping"] == {"success": True}


def test_json_each_row(answers: Any, emulator_url: str, key: str) -> None:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(
            "SELECT signal_name, count() AS n FROM fact_signal GROUP BY signal_name ORDER BY signal_name"
        )
        expected = [{"signal_name": name, "n": n} for name, n in cur.fetchall()]
    assert answers["jsonEachRow"] == expected


def test_json_compact_each_row_with_names_and_types(answers: Any) -> None:
    names, types, row = answers["compactWithNamesAndTypes"]
    assert names == ["big", "d", "t"]
    assert types == ["UInt64", "Decimal(38, 10)", "DateTime64(3, 'UTC')"]
    assert row == ["18446744073709551615", -1.25, "2026-11-01 08:15:00.123"]


def test_error_path(answers: Any) -> None:
    error = answers["error"]
    assert error["code"] == "60"
    assert error["type"] == "UNKNOWN_TABLE"
    assert "nosuch_table" in error["message"]
