"""A replay of Metabase's ClickHouse driver, request by request, as its JDBC client sends them.

Sources (read, not copied): Metabase `modules/drivers/clickhouse` (clickhouse.clj: connection
spec, `SELECT timezone() AS tz`, codes 60/81 as "table missing"; clickhouse_version.clj: the
version, `cloud_mode` and `system.clusters` probes; clickhouse_introspection.clj: getTables on
database `paid`; clickhouse_qp.clj: `toStartOfMonth`, `now64(9)`, `parseDateTimeBestEffort`,
backticked database-qualified names), and clickhouse-java v0.9.8 (client-v2
HttpAPIClientHelper.java: POST with the SQL as body, `query_id` and `compress=1` parameters,
headers `X-ClickHouse-Format: RowBinaryWithNamesAndTypes`, `X-ClickHouse-Database`, Basic
auth; Client.java's start-up query; jdbc-v2 ConnectionImpl.java's `server_version` query and
DatabaseMetaDataImpl.java's getTables/getColumns/getPrimaryKeys SQL, prepared parameters
substituted as the driver does). Answers are decoded by code nobody here wrote:
clickhouse-driver's LZ4 block reader (which verifies each CityHash128 checksum), then chDB
reading the RowBinaryWithNamesAndTypes bytes back.
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

#: Engine names from DatabaseMetaDataImpl.ENGINE_TO_TABLE_TYPE (v0.9.8) for Metabase's types.
_ENGINES = {
    "LOG TABLE": ["Log", "StripeLog", "TinyLog"],
    "MEMORY TABLE": ["Buffer", "Memory", "Set"],
    "VIEW": ["View", "LiveView", "WindowView"],
    "MATERIALIZED VIEW": ["MaterializedView"],
    "DICTIONARY": ["Dictionary"],
    "REMOTE TABLE": ["Distributed", "JDBC", "Kafka", "MySQL", "ODBC", "PostgreSQL", "S3", "URL"],
    "TABLE": ["MergeTree", "ReplacingMergeTree", "SummingMergeTree", "Null", "File"],
}
_ALL_MAPPED = [e for kind, names in _ENGINES.items() if kind != "TABLE" for e in names]


def get_tables_sql(schema: str) -> str:
    """DatabaseMetaDataImpl.getTables(null, schema, "%", Metabase's allowed-table-types)."""
    engines = [e for kind in ("VIEW", "MEMORY TABLE", "LOG TABLE", "REMOTE TABLE", "DICTIONARY",
                              "MATERIALIZED VIEW") for e in _ENGINES[kind]]  # fmt: skip
    engine_filter = (
        " AND ( (t.engine IN ('" + "','".join(engines) + "')) OR (t.engine NOT IN ('"
        + "','".join(_ALL_MAPPED) + "') AND NOT t.engine LIKE 'System%' AND NOT t.engine LIKE "
        "'Async%' AND t.is_temporary = 0)) AND (t.is_temporary = 0)"
    )
    return (
        "SELECT '' AS TABLE_CAT, t.database AS TABLE_SCHEM, t.name AS TABLE_NAME, "
        "if(t.is_temporary = 1, concat('Temporary', t.engine), t.engine) AS TABLE_TYPE, "
        "t.comment AS REMARKS, CAST(null as Nullable(String)) AS TYPE_CAT, d.engine AS TYPE_SCHEM, "
        "CAST(null as Nullable(String)) AS TYPE_NAME, CAST(null as Nullable(String)) AS "
        "SELF_REFERENCING_COL_NAME, CAST(null as Nullable(String)) AS REF_GENERATION FROM "
        "system.tables t JOIN system.databases d ON system.tables.database = system.databases.name"
        f" WHERE t.database LIKE '{schema}' AND t.name LIKE '%'" + engine_filter
    )


def get_columns_sql(schema: str, table: str) -> str:
    """DatabaseMetaDataImpl.getColumns(null, schema, table, null) (type sizes abridged)."""
    return (
        "SELECT '' AS TABLE_CAT, database AS TABLE_SCHEM, table AS TABLE_NAME, name AS COLUMN_NAME, "
        "toInt32(1111) AS DATA_TYPE, type AS TYPE_NAME, toInt32(multiIf(character_octet_length IS "
        "NOT NULL, character_octet_length, system.columns.type == 'Int8', 1, system.columns.type == "
        "'UInt64', 8, system.columns.type == 'UUID', 16, numeric_precision IS NOT NULL, "
        "numeric_precision, 0)) AS COLUMN_SIZE, toInt32(0) AS BUFFER_LENGTH, toInt32(IF "
        "(numeric_scale == 0, NULL, numeric_scale)) as DECIMAL_DIGITS,  "
        "toInt32(numeric_precision_radix) AS NUM_PREC_RADIX, toInt32(position(type, 'Nullable(') >= "
        "1 ?1 : 0) as NULLABLE, system.columns.comment AS REMARKS, system.columns.default_expression "
        "AS COLUMN_DEF, toInt32(0) AS SQL_DATA_TYPE, toInt32(0) AS SQL_DATETIME_SUB, "
        "character_octet_length::Nullable(Int32) AS CHAR_OCTET_LENGTH, "
        "toInt32(system.columns.position) AS ORDINAL_POSITION, position(upper(type), 'NULLABLE') >= "
        "1 ? 'YES' : 'NO' AS IS_NULLABLE,CAST(NULL as Nullable(String)) AS SCOPE_CATALOG, CAST(NULL "
        "as Nullable(String)) AS SCOPE_SCHEMA, CAST(NULL as Nullable(String)) AS SCOPE_TABLE, "
        "CAST(NULL as Nullable(Int16)) AS SOURCE_DATA_TYPE, 'NO' as IS_AUTOINCREMENT, 'NO' as "
        f"IS_GENERATEDCOLUMN  FROM system.columns WHERE database LIKE '{schema}' AND table LIKE "
        f"'{table}' AND name LIKE '%' ORDER BY TABLE_SCHEM, TABLE_NAME, ORDINAL_POSITION"
    )


def get_primary_keys_sql(schema: str, table: str) -> str:
    """DatabaseMetaDataImpl.getPrimaryKeys(null, schema, table)."""
    return (
        "SELECT NULL::Nullable(String) AS TABLE_CAT, system.tables.database AS TABLE_SCHEM, "
        "system.tables.name AS TABLE_NAME, trim(c.1) AS COLUMN_NAME, CAST(c.2 AS Int16) AS KEY_SEQ, "
        "'PRIMARY' AS PK_NAME FROM system.tables ARRAY JOIN arrayZip(splitByChar(',', primary_key), "
        "arrayEnumerate(splitByChar(',', primary_key))) as c WHERE system.tables.primary_key <> '' "
        f"AND system.tables.database ILIKE '{schema}' AND system.tables.name ILIKE '{table}' "
        "ORDER BY COLUMN_NAME"
    )


GUI_QUESTION = (  # "Signals by month, created in the last 90 days and since 2000-01-01"
    "SELECT toStartOfMonth(`paid`.`fact_signal`.`created_at`) AS `created_at`, COUNT(*) AS `count` "
    "FROM `paid`.`fact_signal` WHERE (`paid`.`fact_signal`.`created_at` >= "
    "toStartOfDay(now64(9) + INTERVAL -90 day)) AND (`paid`.`fact_signal`.`created_at` < "
    "toStartOfDay(now64(9) + INTERVAL 1 day)) AND (`paid`.`fact_signal`.`created_at` >= "
    "parseDateTimeBestEffort('2000-01-01 00:00:00.000', 'UTC')) "
    "GROUP BY toStartOfMonth(`paid`.`fact_signal`.`created_at`) "
    "ORDER BY toStartOfMonth(`paid`.`fact_signal`.`created_at`) ASC LIMIT 1048575"
)


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
                "Authorization": "Basic " + base64.b64encode(f"metabase:{self.password}".encode()).decode(),
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


def test_connection_test(jdbc: JdbcV2) -> None:
    names, _, rows = jdbc.query("SELECT currentUser() AS user, timezone() AS timezone, version() AS version LIMIT 1")
    assert names == ["user", "timezone", "version"]
    assert rows[0][1] == "UTC"
    assert jdbc.query("SELECT version() as server_version")[2][0][0] == rows[0][2]
    assert jdbc.query("SELECT 1")[2] == [[1]]
    assert jdbc.query("SELECT timezone() AS tz")[2] == [["UTC"]]


def test_database_probes(jdbc: JdbcV2) -> None:
    version = jdbc.query(
        "WITH s AS (SELECT version() AS ver, splitByChar('.', ver) AS verSplit) "
        "SELECT s.ver, toInt32(verSplit[1]), toInt32(verSplit[2]) FROM s"
    )[2][0]
    assert version[1] >= 24  # Metabase's driver gates features on 23.8 and 24.4
    assert jdbc.query("SELECT value='1' FROM system.settings WHERE name='cloud_mode'")[2] == [[0]]  # not cloud
    assert jdbc.query("SELECT count() = 0 FROM system.clusters WHERE is_local = 0")[2] == [[1]]  # single node


def test_schema_sync_lists_the_views(jdbc: JdbcV2, schema: list[paid_dbapi.ViewInfo]) -> None:
    names, _, rows = jdbc.query(get_tables_sql("paid"))
    assert names[:5] == ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS"]
    listed = {(r[1], r[2], r[4]) for r in rows}
    assert listed == {("paid", v.name, v.comment) for v in schema}


def test_schema_sync_describes_columns(jdbc: JdbcV2, schema: list[paid_dbapi.ViewInfo]) -> None:
    _, _, rows = jdbc.query(get_columns_sql("paid", "fact_cost"))
    view = next(v for v in schema if v.name == "fact_cost")
    assert [(r[3], r[5], r[11]) for r in rows] == [(c.name, c.type, c.comment) for c in view.columns]
    assert jdbc.query(get_primary_keys_sql("paid", "fact_cost"))[2] == []  # views have none


def test_fallback_metadata_query_is_forwarded(jdbc: JdbcV2, schema: list[paid_dbapi.ViewInfo]) -> None:
    names, types, rows = jdbc.query("SELECT * FROM `paid`.`fact_cost` WHERE 1 <> 1 LIMIT 0")
    view = next(v for v in schema if v.name == "fact_cost")
    assert (names, types, rows) == ([c.name for c in view.columns], [c.type for c in view.columns], [])


def test_a_missing_table_reads_as_missing_to_metabase(jdbc: JdbcV2) -> None:
    """Metabase's impl-table-known-to-not-exist? checks the message starts with Code: 60 or 81."""
    for sql in ("SELECT * FROM `paid`.`nosuch` WHERE 1 <> 1 LIMIT 0", "SELECT * FROM `nosuch` LIMIT 0"):
        response = jdbc.send(sql)
        assert response.status_code == 404
        assert response.text.startswith(("Code: 60.", "Code: 81.")), response.text


def test_gui_question(jdbc: JdbcV2, emulator_url: str, key: str) -> None:
    names, types, rows = jdbc.query(GUI_QUESTION)
    assert names == ["created_at", "count"]
    assert types == ["Date", "UInt64"]
    with paid_dbapi.connect(key, base_url=emulator_url) as conn:
        cur = conn.cursor()
        cur.execute(
            "SELECT toStartOfMonth(created_at) AS m, count() FROM fact_signal "
            "WHERE created_at >= toStartOfDay(now64(9) - INTERVAL 90 DAY) GROUP BY m ORDER BY m"
        )
        expected = [[m.isoformat(), str(n)] for m, n in cur.fetchall()]
    assert rows == expected


def test_a_bad_password_reads_as_authentication_failed(gateway_url: str) -> None:
    """Metabase's humanize-connection-error-message matches AUTHENTICATION_FAILED."""
    with closing(JdbcV2(gateway_url, "not-a-key")) as wrong:
        response = wrong.send("SELECT 1")
    assert response.status_code == 401
    assert "AUTHENTICATION_FAILED" in response.text
