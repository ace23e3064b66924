"""Hostile input through the gateway: nothing leaks, every refusal is a ClickHouse error, and
the gateway keeps answering.

Local-path attacks aim at the catalog's engine (files, URLs, server tables beyond the catalog,
settings); forwarding attacks aim at the qualifier removal and at the upstream; protocol
attacks aim at the HTTP layer. Generated inputs (hypothesis) cover classes of text.
"""

from __future__ import annotations

import chdb
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paid_dbapi._literals import quote_string

LOCAL_ATTACKS = [
    "SELECT * FROM file('/etc/passwd', 'CSV')",
    "SELECT * FROM system.tables, file('/etc/passwd', 'CSV')",
    "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')",
    "SELECT name FROM system.tables UNION ALL SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM system.users",
    "SELECT * FROM system.processes",
    "SELECT * FROM system.query_log",
    "SELECT * FROM system.numbers",
    "SELECT * FROM system.zookeeper WHERE path = '/'",
    "SELECT name FROM system.tables SETTINGS readonly = 0",
    "SELECT name FROM system.tables INTO OUTFILE '/tmp/gateway-owned'",
    "DESCRIBE file('/etc/passwd', 'CSV')",
    "DESCRIBE TABLE url('http://127.0.0.1:1/', CSV)",
    "EXISTS TABLE system.users",
    "SHOW CREATE TABLE system.users",
    "SELECT * FROM remote('127.0.0.1', system.one)",
    "SELECT dictGet('d', 'x', 1) FROM system.one",
    "SELECT * FROM system.tables; DROP DATABASE paid",
    "SELECT hostName() FROM system.one",
    "SELECT getSetting('readonly')",
    "SELECT name, getSetting('max_memory_usage') FROM system.tables",
    "SELECT name, getSetting('user_files_path') FROM system.databases",
    "SELECT currentSchemas(true), name FROM system.databases",
    "SELECT serverUUID(), name FROM system.databases",
    "SELECT * FROM system.tables WHERE name = (SELECT * FROM file('/etc/passwd', 'LineAsString'))",
    "WITH (SELECT * FROM file('/etc/passwd', 'LineAsString')) AS x SELECT version(), x",
    "SELECT version() FROM s3('http://127.0.0.1:1/x', 'CSV')",
    "CREATE TABLE paid.x (a UInt8) ENGINE = Memory",
    "INSERT INTO paid.fact_signal SELECT * FROM paid.fact_signal",
    "SET allow_ddl = 1",
    "SYSTEM SHUTDOWN",
    "KILL QUERY WHERE 1",
    "OPTIMIZE TABLE paid.fact_cost",
]

FORWARD_ATTACKS = [
    "SELECT * FROM other.fact_signal",
    "SELECT * FROM default.fact_signal",
    "SELECT * FROM `paid`.`fact_signal`, file('/etc/passwd', 'CSV')",
    "SELECT * FROM paid.fact_signal WHERE signal_name IN (SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String'))",
    "SELECT currentDatabase() FROM fact_signal LIMIT 1",
    "SELECT * FROM fact_signal SETTINGS max_execution_time = 1000",
    "SELECT * FROM fact_signal FORMAT Native; DROP TABLE fact_signal",
]


def still_up(http: httpx.Client) -> None:
    assert http.get("/ping").text == "Ok.\n"
    assert http.post("/", content=b"SELECT count() FROM dim_organization").text == "1\n"


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code >= 400, response.text[:300]
    assert response.text.startswith("Code: "), response.text[:300]
    assert response.headers["x-clickhouse-exception-code"].isdigit()
    assert "internal error" not in response.text
    for leak in ("root:", "/bin/", "demo_", "org_"):
        assert leak not in response.text


@pytest.mark.parametrize("sql", LOCAL_ATTACKS + FORWARD_ATTACKS)
def test_attacks_are_refused(http: httpx.Client, sql: str) -> None:
    assert_refused(http.post("/", content=sql.encode()))


def test_the_gateway_stays_up_after_the_attacks(http: httpx.Client) -> None:
    for sql in LOCAL_ATTACKS + FORWARD_ATTACKS:
        http.post("/", content=sql.encode())
    still_up(http)


def test_catalog_lists_only_the_views(http: httpx.Client) -> None:
    """The local engine holds the mirror and nothing else: no organization's database."""
    databases = http.post(
        "/", content=b"SELECT name FROM system.databases ORDER BY name"
    ).text.split()
    assert set(databases) <= {
        "INFORMATION_SCHEMA",
        "default",
        "information_schema",
        "paid",
        "system",
    }
    tables = http.post(
        "/",
        content=b"SELECT DISTINCT database FROM system.tables WHERE database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA')",
    ).text.split()
    assert tables == ["paid"]


def test_qualifier_removal_leaves_strings_and_comments_alone(http: httpx.Client) -> None:
    sql = (
        "SELECT 'paid.fact_signal' AS s, `paid`.`fact_signal`.`signal_name` AS n /* paid.fact_signal */ "
        "FROM `paid`.`fact_signal` -- paid.fact_cost\nORDER BY n LIMIT 1"
    )
    response = http.post("/", content=sql.encode())
    assert response.text == "paid.fact_signal\tcall\n", response.text


def test_query_id_cannot_inject_headers(http: httpx.Client) -> None:
    response = http.post("/", content=b"SELECT 1", params={"query_id": "a\r\nX-Evil: 1"})
    assert "x-evil" not in response.headers
    assert "\n" not in response.headers["x-clickhouse-query-id"]
    still_up(http)


def test_oversized_and_malformed_bodies(http: httpx.Client) -> None:
    assert_refused(http.post("/", content=b"SELECT '" + b"x" * (17 * 1024 * 1024) + b"'"))
    assert http.post("/", content=b"SELECT '\xff\xfe'").status_code == 200  # read as U+FFFD
    assert_refused(
        http.post("/", content=b"\x1f\x8b garbage", headers={"Content-Encoding": "gzip"})
    )
    assert_refused(http.post("/", content=b"SELECT 1", headers={"Content-Encoding": "br"}))
    assert_refused(http.post("/", content=b"SELECT 1", params={"max_result_rows": "many"}))
    still_up(http)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=80))
def test_any_text_gets_an_answer_or_a_clickhouse_error(http: httpx.Client, text: str) -> None:
    response = http.post("/", content=text.encode("utf-8", "surrogatepass"))
    if response.status_code != 200:
        assert_refused(response)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_string_arrives_as_clickhouse_encodes_it(http: httpx.Client, text: str) -> None:
    """Through the API's JSON and back: the gateway's bytes are ClickHouse's own (chDB)."""
    literal = quote_string(text)
    sql = f"SELECT {literal} AS s, concat({literal}, 'paid.fact_signal') AS t FROM fact_signal LIMIT 1"
    answer = http.post("/", content=f"{sql} FORMAT RowBinaryWithNamesAndTypes".encode())
    oracle = f"SELECT {literal} AS s, concat({literal}, 'paid.fact_signal') AS t"
    assert answer.content == bytes(chdb.query(oracle, "RowBinaryWithNamesAndTypes").bytes())
