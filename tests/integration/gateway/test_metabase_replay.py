"""What the real clickhouse-jdbc run (test_jdbc.py) does not cover of Metabase's path.

The JVM harness runs Metabase's connection test, probes, sync and questions with the real
driver. This replay of its wire requests (clickhouse-java 0.9.8's client-v2: POST with the SQL
as body, `query_id` and `compress=1`, `X-ClickHouse-Format: RowBinaryWithNamesAndTypes`,
`X-ClickHouse-Database`, Basic auth) keeps two things: answers decoded by readers nobody here
wrote and that the driver does not expose (clickhouse-driver's LZ4 block reader, which verifies
each CityHash128 checksum, then chDB reading RowBinaryWithNamesAndTypes back), on Metabase's
`WHERE 1 <> 1 LIMIT 0` column probe; and the status and code Metabase's
`impl-table-known-to-not-exist?` reads for a missing table (404, `Code: 60.` or `81.`).
"""

from __future__ import annotations

import base64
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import chdb
import httpx
import pytest
from clickhouse_driver.streams.compressed import CompressedBlockInputStream

import paid_dbapi


class JdbcV2:
    """What clickhouse-java v0.9.8's client-v2 puts on the wire for one JDBC query."""

    def __init__(self, url: str, password: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.password = password

    def close(self) -> None:
        self.http.close()

    def send(self, sql: str) -> httpx.Response:
        return self.http.post(
            "/",
            params={"query_id": str(uuid.uuid4()), "compress": "1"},
            content=sql.encode(),
            headers={
                "Content-Type": "text/plain",
                "X-ClickHouse-Format": "RowBinaryWithNamesAndTypes",
                "X-ClickHouse-Database": "paid",
                "Authorization": "Basic "
                + base64.b64encode(f"metabase:{self.password}".encode()).decode(),
                "User-Agent": "metabase/v0.57.0 clickhouse-java-v2/0.9.8",
            },
        )

    def query(self, sql: str) -> tuple[list[str], list[str], list[list[Any]]]:
        """Send, check, decompress (clickhouse-driver) and decode (chDB) one answer."""
        response = self.send(sql)
        assert response.status_code == 200, response.text
        assert response.headers["x-clickhouse-format"] == "RowBinaryWithNamesAndTypes"
        return decode(decompress(response.content))


def decompress(packed: bytes) -> bytes:
    """ClickHouse compressed blocks -> bytes, block by block by clickhouse-driver's reader,
    which verifies each block's CityHash128 checksum."""
    raw = io.BytesIO(packed)
    reader = CompressedBlockInputStream(raw, context=None)
    out = bytearray()
    while raw.tell() < len(packed):
        out += reader.read_block()
    return bytes(out)


def decode(rowbinary: bytes) -> tuple[list[str], list[str], list[list[Any]]]:
    """RowBinaryWithNamesAndTypes read back by ClickHouse itself (chDB)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answer.bin"
        path.write_bytes(rowbinary)
        text = bytes(chdb.query(
            f"SELECT * FROM file('{path}', RowBinaryWithNamesAndTypes) "
            "SETTINGS output_format_json_quote_64bit_integers = 1",
            "JSONCompactEachRowWithNamesAndTypes",
        ).bytes()).decode()  # fmt: skip
    lines = [json.loads(line) for line in text.splitlines()]
    if not lines:  # zero columns cannot happen; zero rows still carry names and types
        raise AssertionError("no header")
    return lines[0], lines[1], lines[2:]


@pytest.fixture(scope="module")
def jdbc(gateway_url: str, key: str) -> Iterator[JdbcV2]:
    with closing(JdbcV2(gateway_url, key)) as client:
        yield client


@pytest.fixture(scope="module")
def schema(emulator_url: str, key: str) -> list[paid_dbapi.ViewInfo]:
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        return conn.schema()


def test_fallback_metadata_query_is_forwarded(
    jdbc: JdbcV2, schema: list[paid_dbapi.ViewInfo]
) -> None:
    names, types, rows = jdbc.query("SELECT * FROM `paid`.`fact_cost` WHERE 1 <> 1 LIMIT 0")
    view = next(v for v in schema if v.name == "fact_cost")
    assert (names, types, rows) == (
        [c.name for c in view.columns],
        [c.type for c in view.columns],
        [],
    )


def test_a_missing_table_reads_as_missing_to_metabase(jdbc: JdbcV2) -> None:
    """Metabase's impl-table-known-to-not-exist? checks the message starts with Code: 60 or 81."""
    for sql in (
        "SELECT * FROM `paid`.`nosuch` WHERE 1 <> 1 LIMIT 0",
        "SELECT * FROM `nosuch` LIMIT 0",
    ):
        response = jdbc.send(sql)
        assert response.status_code == 404
        assert response.text.startswith(("Code: 60.", "Code: 81.")), response.text
