"""Hostile queries: each gets a clean 4xx with the right code and leaks nothing."""

from __future__ import annotations

import socket

import httpx
import pytest

from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator.cookbook import COOKBOOK
from paid_dbapi.emulator.data import internal_names
from paid_dbapi.emulator.guard import VIEWS_POLICY, GuardError, vet
from tests.emulator.conftest import query

TABLE_FUNCTIONS = ["file('/etc/passwd', 'LineAsString')", "url('http://127.0.0.1:1/x', CSV)",
                   "s3('http://x/y.csv')", "remote('127.0.0.1', system.one)",
                   "cluster('default', system.one)", "mysql('h:3306', 'd', 't', 'u', 'p')",
                   "postgresql('h:5432', 'd', 't', 'u', 'p')", "executable('id', 'TSV', 'x String')",
                   "input('x String')", "merge('.*', '.*')", "view(SELECT 1)", "numbers(10)",
                   "numbers_mt(10)", "zeros(10)", "generateRandom('a Int8')", "values('x Int8', 1)",
                   "hdfs('hdfs://x/y', 'TSV')", "jdbc('x', 'y')", "odbc('x', 'y')", "sqlite('/tmp/x.db', 't')",
                   "system.numbers", "mongodb('h', 'd', 'c', 'u', 'p', 'x String')",
                   "azureBlobStorage('x')", "iceberg('x')", "deltaLake('x')", "fileCluster('c', '/etc/*')",
                   "urlCluster('c', 'http://x')", "redis('h', 'k', 'k String')", "format(CSV, '1')",
                   "null('x Int8')", "loop(fact_signal)", "mergeTreeIndex(currentDatabase(), fact_signal)"]  # fmt: skip
FUNCTIONS = ["file('/etc/passwd')", "dictGet('d', 'a', 1)", "dictGetString('d', 'a', toUInt64(1))",
             "dictHas('d', 1)", "joinGet('t', 'c', 1)", "getSetting('readonly')", "hostName()",
             "fqdn()", "currentDatabase()", "currentUser()", "getMacro('x')", "filesystemAvailable()",
             "uptime()", "sleep(3)", "sleepEachRow(1)", "throwIf(1)", "hasColumnInTable('system', 'one', 'dummy')",
             "getServerPort('tcp_port')", "serverUUID()", "tcpPort()", "shardNum()", "queryID()",
             "initialQueryID()", "getOSKernelVersion()", "buildId()", "currentProfiles()", "currentRoles()",
             "evalMLMethod(1)", "catboostEvaluate('/x', 1)", "getClientHTTPHeader('x')", "structureToCapnProtoSchema('a Int8')",
             "FILE('/etc/hostname')", "dIcTgEt('d', 'a', 1)", "transactionID()", "zookeeperSessionUptime()",
             "globalVariable('x')", "blockNumber()", "rowNumberInAllBlocks()", "runningConcurrency(1, 2)",
             "identity(file('/etc/hostname'))"]  # fmt: skip
OTHER_ORG = "(SELECT id FROM globex.dim_organization)"

HOSTILE: list[tuple[str, str]] = (
    [(f"SELECT * FROM {f}", "FORBIDDEN_TABLE_FUNCTION") for f in TABLE_FUNCTIONS if not f.startswith("system.")]
    + [(f"SELECT * FROM fact_signal AS s JOIN {f} AS x ON 1 = 1", "FORBIDDEN_TABLE_FUNCTION") for f in TABLE_FUNCTIONS[:4]]
    + [(f"SELECT {f}", "FORBIDDEN_FUNCTION") for f in FUNCTIONS]
    + [(f"SELECT count() FROM fact_signal WHERE signal_name = toString({f})", "FORBIDDEN_FUNCTION") for f in FUNCTIONS[:5]]
    + [
        ("SELECT * FROM system.tables", "QUALIFIED_NAME"),
        ("SELECT * FROM system.numbers", "QUALIFIED_NAME"),
        ("SELECT * FROM information_schema.tables", "QUALIFIED_NAME"),
        ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS", "QUALIFIED_NAME"),
        ("SELECT * FROM default.fact_signal", "QUALIFIED_NAME"),
        ("SELECT * FROM analytics.fact_signal", "QUALIFIED_NAME"),
        ("SELECT * FROM `globex`.`fact_signal`", "QUALIFIED_NAME"),
        ('SELECT * FROM "globex"."fact_signal"', "QUALIFIED_NAME"),
        ("SELECT * FROM globex . fact_signal", "QUALIFIED_NAME"),
        ("SELECT * FROM fact_signal WHERE customer_id IN (SELECT id FROM globex.dim_customer)", "QUALIFIED_NAME"),
        (f"SELECT {OTHER_ORG}", "QUALIFIED_NAME"),
        (f"SELECT * FROM fact_signal WHERE 1 = {OTHER_ORG}", "QUALIFIED_NAME"),
        ("SELECT * FROM fact_signal UNION ALL SELECT * FROM globex.fact_signal", "QUALIFIED_NAME"),
        ("WITH x AS (SELECT * FROM globex.fact_signal) SELECT * FROM x", "QUALIFIED_NAME"),
        ("WITH fact_signal AS (SELECT * FROM globex.fact_signal) SELECT * FROM fact_signal", "QUALIFIED_NAME"),
        ("SELECT * FROM (SELECT * FROM system.one)", "QUALIFIED_NAME"),
        ("SELECT * FROM fact_signal AS s LEFT JOIN system.users AS u ON 1 = 1", "QUALIFIED_NAME"),
        ("SELECT * FROM fact_signal /* comment */ JOIN system.one ON 1=1", "QUALIFIED_NAME"),
        ("SELECT * FROM fact_signal -- x\n JOIN system.one ON 1=1", "QUALIFIED_NAME"),
        ("SELECT * FROM tables", "UNKNOWN_TABLE"),
        ("SELECT * FROM one", "UNKNOWN_TABLE"),
        ("SELECT * FROM fact_signaI", "UNKNOWN_TABLE"),
        ("SELECT * FROM fact_s\u0456gnal", "SYNTAX_ERROR"),  # Cyrillic i
        ("SELECT * FROM \uff46act_signal", "SYNTAX_ERROR"),  # full-width f
        ("SELECT * FROM FACT_SIGNAL", "UNKNOWN_TABLE"),
        ("SELECT * FROM `fact_signal `", "UNKNOWN_TABLE"),
        ("SELECT * FROM paid_org_x_acme", "UNKNOWN_TABLE"),
        ("SELECT * FROM fact_signal; SELECT * FROM globex.fact_signal", "MULTIPLE_STATEMENTS"),
        ("SELECT 1; SELECT 2", "MULTIPLE_STATEMENTS"),
        ("SELECT 1;;SELECT 2", "MULTIPLE_STATEMENTS"),
        ("SELECT 1; DROP TABLE fact_signal", "MULTIPLE_STATEMENTS"),
        ("DROP TABLE fact_signal", "NOT_A_SELECT"),
        ("DROP DATABASE default", "NOT_A_SELECT"),
        ("INSERT INTO fact_signal SELECT * FROM fact_signal", "NOT_A_SELECT"),
        ("ALTER TABLE fact_signal DELETE WHERE 1", "NOT_A_SELECT"),
        ("TRUNCATE TABLE fact_signal", "NOT_A_SELECT"),
        ("CREATE TABLE x (a Int8) ENGINE = Memory", "NOT_A_SELECT"),
        ("CREATE VIEW v AS SELECT * FROM fact_signal", "NOT_A_SELECT"),
        ("SET readonly = 0", "NOT_A_SELECT"),
        ("USE globex", "NOT_A_SELECT"),
        ("SHOW TABLES", "NOT_A_SELECT"),
        ("SHOW DATABASES", "NOT_A_SELECT"),
        ("DESCRIBE TABLE fact_signal", "NOT_A_SELECT"),
        ("EXPLAIN SELECT 1", "NOT_A_SELECT"),
        ("SYSTEM SHUTDOWN", "NOT_A_SELECT"),
        ("KILL QUERY WHERE 1", "NOT_A_SELECT"),
        ("SELECT * FROM dictionary('d')", "FORBIDDEN_TABLE_FUNCTION"),
        ("OPTIMIZE TABLE fact_signal", "NOT_A_SELECT"),
        ("GRANT ALL ON *.* TO default", "NOT_A_SELECT"),
        ("ATTACH TABLE x", "NOT_A_SELECT"),
        ("SELECT 1 SETTINGS readonly = 0", "FORBIDDEN_CLAUSE"),
        ("SELECT * FROM fact_signal SETTINGS max_result_rows = 0", "FORBIDDEN_CLAUSE"),
        ("SELECT 1 FORMAT TabSeparated", "FORBIDDEN_CLAUSE"),
        ("SELECT * FROM fact_signal INTO OUTFILE '/tmp/x'", "FORBIDDEN_CLAUSE"),
        ("SELEC 1", "SYNTAX_ERROR"),
        ("SELECT (((1", "SYNTAX_ERROR"),
        ("SELECT 'unterminated", "SYNTAX_ERROR"),
        ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "SYNTAX_ERROR"),
        ("SELECT 1 " + "x" * 100_001, "BAD_REQUEST"),
    ]
)  # fmt: skip


def test_there_are_enough_hostile_queries() -> None:
    assert len(HOSTILE) >= 100


@pytest.mark.parametrize(("sql", "code"), HOSTILE, ids=[f"{i:03d}" for i in range(len(HOSTILE))])
def test_hostile_query(acme: httpx.Client, org_keys: dict[str, str], sql: str, code: str) -> None:
    r = query(acme, sql)
    assert 400 <= r.status_code < 500
    body = r.json()
    assert body["code"] == code, body
    text = r.text
    for secret in internal_names():
        assert secret not in text
    for org in ("globex", "initech"):
        assert org_keys[org] not in text
    assert "root:x:" not in text
    assert socket.gethostname() not in text or socket.gethostname() in sql


def test_server_healthy_after_hostile_queries(acme: httpx.Client) -> None:
    for sql, _ in HOSTILE[:40]:
        query(acme, sql)
    r = query(acme, "SELECT name FROM dim_organization")
    assert r.json()["rows"] == [["Acme AI"]]


@pytest.mark.parametrize(
    "sql",
    [
        "WITH fact_signal AS (SELECT 1 AS x) SELECT * FROM fact_signal",
        "SELECT * FROM fact_signal WHERE customer_id IN (SELECT id FROM dim_customer) LIMIT 1",
        "SELECT (SELECT count() FROM dim_customer) AS n",
        "SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 2",
        "SELECT toStartOfMonth(created_at) AS m, countIf(signal_name = 'chat_reply') FROM fact_signal GROUP BY m",
        "SELECT k FROM fact_signal ARRAY JOIN range(2) AS k LIMIT 1",
        "SELECT row_number() OVER (ORDER BY created_at) FROM fact_signal LIMIT 3",
        "select count() from fact_signal where data.country::String = 'US'",
    ],
)
def test_legitimate_queries_pass(acme: httpx.Client, sql: str) -> None:
    r = query(acme, sql)
    assert r.status_code == 200, r.text


def test_cte_shadowing_cannot_reach_other_orgs(emulator: Emulator, acme: httpx.Client) -> None:
    r = query(
        acme, "WITH dim_organization AS (SELECT 'x' AS name) SELECT name FROM dim_organization"
    )
    assert r.json()["rows"] == [["x"]]
    r = query(acme, "SELECT name FROM dim_organization")
    assert r.json()["rows"] == [["Acme AI"]]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT * FROM file('/etc/hostname', 'LineAsString')", "FORBIDDEN_TABLE_FUNCTION"),
        (
            "SELECT * FROM fact_signal AS s JOIN numbers(3) AS n ON 1 = 1",
            "FORBIDDEN_TABLE_FUNCTION",
        ),
        ("SELECT * FROM system.one", "QUALIFIED_NAME"),
        ("SELECT 1 WHERE 1 IN (SELECT 1 FROM other_db.fact_signal)", "QUALIFIED_NAME"),
        ("SELECT file('/etc/hostname')", "FORBIDDEN_FUNCTION"),
        ("SELECT dictGetString('d', 'a', toUInt64(1))", "FORBIDDEN_FUNCTION"),
        ("SELECT getSetting('readonly')", "FORBIDDEN_FUNCTION"),
    ],
)
def test_vet_refuses_on_its_own(emulator: Emulator, sql: str, code: str) -> None:
    """vet() alone refuses, without the HTTP layer around it."""
    with pytest.raises(GuardError) as info:
        vet(sql, VIEWS_POLICY, emulator.app.engine.text)
    assert info.value.code == code


def test_vet_passes_the_cookbook(emulator: Emulator) -> None:
    for sql in COOKBOOK.values():
        assert vet(sql, VIEWS_POLICY, emulator.app.engine.text).startswith(("SELECT", "WITH"))
