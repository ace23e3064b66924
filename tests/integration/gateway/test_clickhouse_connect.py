"""clickhouse-connect (the official Python client, unchanged) against `paid-gateway serve`.

Replayed from clickhouse-connect 1.12's own start-up (driver/_backend/orchestration.py:
`SELECT version(), timezone()`, `system.settings`, the Native protocol-version probe) and its
query paths: `query` (FORMAT Native), `query_df`, `query_arrow`, `raw_query`. Values are
checked against two references nobody here wrote: ClickHouse's own bytes for the same
expression (chDB in this process) and, value by value, what paid_dbapi returns.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Iterator
from typing import Any

import chdb
import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_driver.streams.compressed import CompressedBlockInputStream

import paid_dbapi

#: Expressions at the edges of each type the API may return.
MATRIX = {
    "uint8": "toUInt8(255)",
    "int32": "toInt32(-2147483648)",
    "uint64": "toUInt64('18446744073709551615')",
    "int64": "toInt64('-9223372036854775808')",
    "int128": "toInt128('-170141183460469231731687303715884105728')",
    "uint256": "toUInt256('115792089237316195423570985008687907853269984665640564039457584007913129639935')",
    "int256": "toInt256('-57896044618658097711785492504343953926634992332820282019728792003956564819968')",
    "float64_max": "toFloat64('1.7976931348623157e308')",
    "float64_min": "toFloat64('5e-324')",
    "float32": "toFloat32('3.4028235e38')",
    "float_inf": "toFloat64('-inf')",
    "decimal32": "toDecimal32('-0.0001', 4)",
    "decimal128": "toDecimal128('-99999999999999999999999999.999999999999', 12)",
    "decimal256": "toDecimal256('-1234567890123456789012345678901234567.890123456789012345678901234567890123456', 39)",
    "decimal_76_0": "toDecimal256('9999999999999999999999999999999999999999999999999999999999999999999999999999', 0)",
    "datetime64_9": "toDateTime64('2262-04-11 23:47:16.854775807', 9, 'UTC')",
    "datetime64_zone": "toDateTime64('1900-01-01 05:30:00.001', 3, 'Asia/Kolkata')",
    "datetime_max": "toDateTime('2106-02-07 06:28:15', 'UTC')",
    "datetime_naive": "toDateTime('2026-11-01 08:15:00')",
    "date_max": "toDate('2149-06-06')",
    "date32_min": "toDate32('1900-01-01')",
    "nullable_null": "CAST(NULL AS Nullable(Int32))",
    "nullable_value": "CAST('x' AS Nullable(String))",
    "low_cardinality": "toLowCardinality('chat_reply')",
    "lc_nullable": "CAST(NULL AS LowCardinality(Nullable(String)))",
    "string": "concat('tab\\there, newline', char(10), ', quote '', backslash \\\\, ✓ ', char(0))",
    "dollars": "'$rows$ $$ $'",  # rows holding `$` travel escaped, not as a heredoc
    "fixed_string": "toFixedString('ab', 4)",
    "uuid": "toUUID('6f1d2a9c-3b2e-4f7a-9a1b-2c3d4e5f6a7b')",
    "bool": "true",
    "enum": "CAST('b' AS Enum8('a' = -128, 'b' = 127))",
    "array": "CAST([NULL, 'a', ''] AS Array(Nullable(String)))",
    "nested_array": "[[toDecimal64('1.5', 6)], []]",
    "map": "map('k', toUInt64(1), 'é', toUInt64('18446744073709551615'))",
    "tuple": "CAST((1, 'x') AS Tuple(a Int8, b String))",
    "ipv4": "toIPv4('255.255.255.255')",
    "ipv6": "toIPv6('2001:db8::ff00:42:8329')",
}  # fmt: skip


@pytest.fixture(scope="module")
def client(port: int, key: str) -> Iterator[Client]:
    """Connected the way users connect: any user name, the API key as the password."""
    connected = clickhouse_connect.get_client(
        host="127.0.0.1", port=port, username="analyst", password=key, database="paid"
    )
    yield connected
    connected.close()


@pytest.fixture(scope="module")
def reference(emulator_url: str, key: str) -> Iterator[paid_dbapi.Connection]:
    """paid_dbapi on the same emulator; it serves every digit (--exact-decimals), so the
    driver's warning about Decimals through a double does not apply."""
    with paid_dbapi.connect(key, base_url=emulator_url, on_precision="ignore") as conn:
        yield conn


def clickhouse_bytes(sql: str) -> bytes:
    """ClickHouse's own RowBinaryWithNamesAndTypes for `sql` (chDB, UTC like the service)."""
    return bytes(
        chdb.query(f"{sql} SETTINGS session_timezone = 'UTC'", "RowBinaryWithNamesAndTypes").bytes()
    )


@pytest.mark.parametrize("name", MATRIX)
def test_rowbinary_bytes_are_clickhouse_own(http: httpx.Client, name: str) -> None:
    sql = f"SELECT {MATRIX[name]} AS v"
    answer = http.post("/", content=f"{sql} FORMAT RowBinaryWithNamesAndTypes".encode())
    assert answer.content == clickhouse_bytes(sql), answer.text[:300]


def normalized(name: str, value: Any) -> Any:
    """Spellings that differ between the two clients, never values: clickhouse-connect gives
    FixedString as bytes, Float32 widened exactly (paid_dbapi reads the API's shortest text),
    and UTC date-times naive (paid_dbapi attaches the column's zone)."""
    if isinstance(value, bytes):
        return value.decode()
    if name == "float32":
        return struct.pack("<f", value)
    if isinstance(value, dt.datetime) and value.tzinfo == dt.timezone.utc:
        return value.replace(tzinfo=None)
    return value


@pytest.mark.parametrize("name", MATRIX)
def test_native_values_equal_paid_dbapi(
    client: Client, reference: paid_dbapi.Connection, name: str
) -> None:
    sql = f"SELECT {MATRIX[name]} AS v"
    cur = reference.cursor()
    cur.execute(sql)
    expected = cur.fetchall()[0][0]
    got = client.query(sql).result_rows[0][0]
    assert normalized(name, got) == normalized(name, expected)


def test_start_up_probes_are_answered(client: Client) -> None:
    assert client.server_version.count(".") >= 2
    assert str(client.server_tz) == "UTC"
    assert "max_threads" in client.server_settings
    # its probe reads Native as written for client_protocol_version 54405 (block info first),
    # so every Native answer after it is read at that revision
    assert client.protocol_version == 54405


def test_query_df_and_arrow(client: Client, reference: paid_dbapi.Connection) -> None:
    sql = "SELECT vendor, model, sum(cost_amount) AS cents, count() AS calls FROM fact_cost GROUP BY vendor, model ORDER BY vendor, model"
    cur = reference.cursor()
    cur.execute(sql)
    expected = cur.fetchall()
    frame = client.query_df(sql)
    assert list(frame.columns) == ["vendor", "model", "cents", "calls"]
    assert [tuple(r) for r in frame.itertuples(index=False)] == expected
    table = client.query_arrow(sql)
    assert table.num_rows == len(expected)
    assert table.column("calls").to_pylist() == [r[3] for r in expected]


def test_raw_query_with_and_without_compress(client: Client) -> None:
    sql = "SELECT signal_id, signal_name, created_at FROM fact_signal ORDER BY signal_id LIMIT 3000"
    plain = client.raw_query(sql, fmt="RowBinaryWithNamesAndTypes")
    packed = client.raw_query(sql, fmt="RowBinaryWithNamesAndTypes", settings={"compress": 1})
    assert packed != plain
    blocks = CompressedBlockInputStream(io.BytesIO(packed), context=None)
    assert blocks.fin.read(len(plain)) == plain


@pytest.mark.parametrize("method", ["zstd", "gzip", "lz4"])
def test_http_compressed_client(
    port: int, key: str, reference: paid_dbapi.Connection, method: str
) -> None:
    sql = "SELECT signal_name, count() FROM fact_signal GROUP BY 1 ORDER BY 1"
    with clickhouse_connect.get_client(host="127.0.0.1", port=port, username="u", password=key,
                                       compress=method) as zipped:  # fmt: skip
        reported = zipped.command("SELECT value FROM system.settings "
                                  "WHERE name = 'enable_http_compression'")  # fmt: skip
        rows = zipped.query(sql).result_rows
    assert [tuple(row) for row in rows] == reference.cursor().execute(sql).fetchall()
    assert len(rows) == 5  # the demo data's five signal names
    # what clickhouse-connect reads to decide whether to ask: the gateway honours
    # Accept-Encoding without the setting, as it reports
    assert str(reported) in ("1", "true")
    raw = httpx.post(f"http://127.0.0.1:{port}/", content=sql.encode(), auth=("u", key),
                     headers={"accept-encoding": method})  # fmt: skip
    assert raw.headers.get("content-encoding") == method


def test_show_tables_lists_the_views(client: Client, reference: paid_dbapi.Connection) -> None:
    names = [row[0] for row in client.query("SHOW TABLES").result_rows]
    assert names == sorted(view.name for view in reference.schema())
    assert len(names) == 15


def test_describe_table_has_types_and_comments(
    client: Client, reference: paid_dbapi.Connection
) -> None:
    described = [(r[0], r[1], r[4]) for r in client.query("DESCRIBE TABLE fact_cost").result_rows]
    view = next(v for v in reference.schema() if v.name == "fact_cost")
    assert described == [(c.name, c.type, c.comment or "") for c in view.columns]
    comment = client.query(
        "SELECT comment FROM system.tables WHERE database = 'paid' AND name = 'fact_cost'"
    )
    assert comment.result_rows == [(view.comment,)]


def test_json_payloads_arrive_as_the_api_sent_them(
    client: Client, reference: paid_dbapi.Connection
) -> None:
    """`JSON` columns: what paid_dbapi decodes (64-bit integers are strings in the API's JSON)."""
    sql = "SELECT signal_id, data FROM fact_signal ORDER BY signal_id LIMIT 50"
    cur = reference.cursor()
    cur.execute(sql)
    expected = [(str(signal_id), data) for signal_id, data in cur.fetchall()]
    got = [(str(signal_id), data) for signal_id, data in client.query(sql).result_rows]
    assert got == expected
