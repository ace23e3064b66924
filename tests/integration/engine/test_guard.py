"""The guard: hostile queries get a clean 4xx with the right code and leak nothing; valid
ClickHouse passes; ClickHouse's own parse is judged; messages point at the problem."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paid_dbapi._engine.guard import (
    ALLOWED_FUNCTIONS,
    BARE_FUNCTIONS,
    GuardError,
    Policy,
    function_allowed,
    vet,
)
from paid_dbapi._engine.worker import EngineError
from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator._cookbook import COOKBOOK
from paid_dbapi.emulator._data import internal_names
from paid_dbapi.emulator._demo_engine import VIEWS_POLICY
from tests.conftest import query

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
        "SELECT CAST(now() AS Time64(3)), CAST(NULL AS Nullable(BFloat16))",
        "SELECT CAST('{\"a\": 1}' AS JSON(max_dynamic_paths = 8)) AS j",
        "SELECT sumIf(1, signal_name = 'x'), uniqStateIf(signal_id, 1) FROM fact_signal",
        "SELECT countMerge(c) FROM (SELECT countState() AS c FROM fact_signal)",
        "SELECT arrayMap(x -> upper(x), ['a']), quantile(0.5)(1), now, today",
        "SELECT signal_name, row_number() OVER (PARTITION BY signal_name ORDER BY created_at) "
        "FROM fact_signal LIMIT 3",
        "WITH c AS (SELECT id FROM dim_customer) SELECT count() FROM fact_signal "
        "WHERE customer_id IN c",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT * FROM r",
        "WITH x AS (SELECT DISTINCT signal_name FROM fact_signal), y AS (SELECT 1 UNION ALL "
        "SELECT 2) SELECT * FROM x, y",
        "SELECT 'a\nb' AS `odd \"name\"`, '\\x80', splitByChar('\n', 'a\nb')",
        "SELECT COLUMNS('^signal') EXCEPT (signal_id) FROM fact_signal LIMIT 1",
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


@pytest.fixture(scope="module")
def run(emulator: Emulator) -> Callable[[str], str]:
    """Trusted SQL in the emulator's own engine session, as the guard's callers pass it."""
    return emulator.app.engine.text


def refused(sql: str, run: Callable[[str], str], policy: Policy = VIEWS_POLICY) -> GuardError:
    with pytest.raises(GuardError) as info:
        vet(sql, policy, run)
    return info.value


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT \u2018 -- \u2019 AS a; SELECT * FROM globex.fact_signal", "MULTIPLE_STATEMENTS"),
        ("SELECT \u201c -- \u201d AS a; SET readonly = 0", "MULTIPLE_STATEMENTS"),
        ("SELECT * APPLY(file) FROM (SELECT '/etc/passwd' AS p)", "FORBIDDEN_FUNCTION"),
        ("SELECT * APPLY(x -> file(x)) FROM (SELECT '/etc/passwd' AS p)", "FORBIDDEN_FUNCTION"),
        ("SELECT count() FROM fact_signal WHERE signal_id IN globex.fact_signal", "QUALIFIED_NAME"),
        ("SELECT count() FROM fact_signal WHERE signal_id IN nosuch", "UNKNOWN_TABLE"),
        ("(SELECT 1) SETTINGS max_execution_time = 45", "FORBIDDEN_CLAUSE"),
        ("(SELECT 1) FORMAT JSON", "FORBIDDEN_CLAUSE"),
        ("SELECT * FROM (SELECT 1 SETTINGS max_threads = 1)", "FORBIDDEN_CLAUSE"),
        ("SELECT version()", "FORBIDDEN_FUNCTION"),
        ("SELECT currentSchemas(true)", "FORBIDDEN_FUNCTION"),
        ("SELECT current_database", "FORBIDDEN_FUNCTION"),
        ("SELECT count() FROM fact_signal WHERE signal_name = currentUser", "FORBIDDEN_FUNCTION"),
        ("SELECT arrayMap(x -> hostName(), [1])", "FORBIDDEN_FUNCTION"),
        ("SELECT fileIf('/etc/passwd', 1)", "FORBIDDEN_FUNCTION"),
        ("SELECT dictGetOrNull('d', 'a', 1)", "FORBIDDEN_FUNCTION"),
        ("SELECT `sum(` (1)", "FORBIDDEN_FUNCTION"),
        ("SELECT {p:String}", "BAD_REQUEST"),
        ("WITH x AS (SELECT 1) SELECT * FROM y", "UNKNOWN_TABLE"),
        ('SELECT 1 AS `x"];\n    n1[label="Literal 1"];`', "BAD_REQUEST"),
    ],
)
def test_vet_refuses(run: Callable[[str], str], sql: str, code: str) -> None:
    assert refused(sql, run).code == code


APPLY_REFUSED = [
    "SELECT * APPLY(FILE) APPLY(toString) FROM (SELECT '/etc/passwd' AS p)",
    "SELECT * APPLY(toString) APPLY(getSetting) FROM (SELECT 'readonly' AS p)",
    "SELECT * APPLY(x -> arrayMap(y -> hostName(), [x])) FROM fact_signal",
    "SELECT * APPLY(quantile(currentUser)) FROM fact_signal",
    "SELECT * APPLY(x -> concat(x, current_database)) FROM dim_customer",
    "SELECT * APPLY(dictGetOrNull) FROM fact_signal",
    "SELECT ((SELECT * APPLY(file) FROM (SELECT '/etc/passwd' AS p)))",
    "SELECT * APPLY(x -> (SELECT count() FROM globex.fact_signal)) FROM fact_signal",
    "SELECT * APPLY(x -> (SELECT count() FROM fact_signal)) FROM fact_signal",
    "SELECT * APPLY(x -> x IN globex.fact_signal) FROM fact_signal",
    "SELECT * APPLY(x -> x IN (SELECT 1 SETTINGS readonly = 0)) FROM fact_signal",
    "SELECT * APPLY(x -> concat(x AS `a\n    JOIN TREE`, file(x))) FROM (SELECT 'p' AS p)",
    "SELECT * APPLY(`a, function_name: sum\n` -> file(x)) FROM (SELECT 'p' AS p)",
]  # fmt: skip


@pytest.mark.parametrize("sql", APPLY_REFUSED)
def test_apply_is_judged_like_a_direct_call(run: Callable[[str], str], sql: str) -> None:
    """What APPLY applies, also in lambdas, parameters and subqueries, is judged; it may hold no
    subquery or IN; names holding newlines and lines of ClickHouse's dump hide nothing."""
    assert refused(sql, run).code == "FORBIDDEN_FUNCTION"


#: Every place a subquery or an IN call can stand, outside APPLY.
SHAPES = [
    "WITH c AS (SELECT 1 AS a) SELECT a FROM c", "WITH (SELECT 1) AS x SELECT x",
    "WITH c AS (SELECT 1 AS a), e AS (SELECT * FROM c) SELECT * FROM e",
    "SELECT signal_name FROM fact_signal ORDER BY (SELECT 1)",
    "SELECT signal_name FROM fact_signal LIMIT (SELECT 1) BY signal_name",
    "SELECT signal_name FROM fact_signal LIMIT 1 OFFSET (SELECT 1)",
    "SELECT signal_name, z FROM fact_signal ARRAY JOIN (SELECT [1]) AS z",
    "SELECT x.signal_name FROM fact_signal AS x JOIN fact_signal AS y ON x.signal_id = (SELECT 1)",
    "SELECT signal_name FROM fact_signal GROUP BY signal_name HAVING count() > (SELECT 1)",
    "SELECT signal_name FROM fact_signal QUALIFY count() OVER () > (SELECT 1)",
    "SELECT count() OVER (PARTITION BY (SELECT 1)) FROM fact_signal",
    "SELECT created_at FROM fact_signal ORDER BY created_at WITH FILL FROM (SELECT now())",
    "SELECT * EXCEPT (signal_id) REPLACE ((SELECT 'x') AS signal_name) FROM fact_signal",
    "SELECT exists(SELECT 1) AS e", "SELECT (SELECT 1) AS x, x + 1 AS y",
    "SELECT 1 AS a UNION DISTINCT SELECT 2 EXCEPT SELECT 3", "(SELECT 1 AS a) UNION ALL ((SELECT 2))",
    "SELECT * FROM (SELECT 1 AS a) AS x, (SELECT 2 AS b) AS y",
    "SELECT arrayMap(x -> (SELECT x), [1]) AS a", "SELECT [(SELECT 1), (SELECT 2)] AS a",
    "SELECT CASE (SELECT 1) WHEN 1 THEN (SELECT 2) END AS a",
    "SELECT signal_name FROM fact_signal WHERE signal_id > ALL (SELECT 1)",
    "SELECT signal_name FROM fact_signal WHERE signal_name = ANY (SELECT 'x')",
    "SELECT signal_name FROM fact_signal WHERE signal_name GLOBAL NOT IN (SELECT 'x')",
    "SELECT signal_name FROM fact_signal WHERE signal_name IN ('a', 'b')",
    "SELECT signal_name FROM fact_signal WHERE signal_name NOT IN fact_signal",
    "SELECT x.signal_name FROM fact_signal AS x JOIN (SELECT 'a' AS signal_name) AS y USING (signal_name)",
]  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES)
def test_no_subquery_or_in_hides_inside_apply_whatever_the_query(
    run: Callable[[str], str], shape: str
) -> None:
    """The judge counts queries and IN calls of the graph against the query tree: in every
    shape, APPLY of an allowed function passes, and a subquery or IN inside APPLY does not."""
    vet(f"SELECT * APPLY(toString) FROM ({shape})", VIEWS_POLICY, run)
    for inside in ("(SELECT count() FROM fact_signal)", "x IN fact_signal", "x IN (1)"):
        sql = f"SELECT * APPLY(x -> {inside}) FROM ({shape})"
        assert refused(sql, run).code == "FORBIDDEN_FUNCTION", sql


@pytest.mark.parametrize(
    ("applied", "explicit"),
    [
        ("SELECT COLUMNS('^cost_amount$') APPLY(sum) FROM fact_cost", "SELECT sum(cost_amount) FROM fact_cost"),
        ("SELECT * EXCEPT (id) APPLY(uniqExact) FROM (SELECT id, name, parent_customer_id "
         "FROM dim_customer)", "SELECT uniqExact(name), uniqExact(parent_customer_id) FROM dim_customer"),
        ("SELECT COLUMNS('_at$') APPLY(x -> toStartOfMonth(x)) APPLY(max) FROM fact_signal",
         "SELECT max(toStartOfMonth(COLUMNS('_at$'))) FROM fact_signal"),
        ("SELECT COLUMNS('^cost_amount$') APPLY(quantileExact(0.9)) FROM fact_cost",
         "SELECT quantileExact(0.9)(cost_amount) FROM fact_cost"),
        ("SELECT COLUMNS('^cost_amount$') APPLY(x -> sumIf(x, x > 0.01)) FROM fact_cost",
         "SELECT sumIf(cost_amount, cost_amount > 0.01) FROM fact_cost"),
        ("SELECT * REPLACE (upper(name) AS name) APPLY(toString) APPLY(reverse) FROM "
         "(SELECT id, name FROM dim_customer) ORDER BY 1, 2",
         "SELECT reverse(toString(id)), reverse(upper(name)) FROM dim_customer ORDER BY 1, 2"),
        ("SELECT * APPLY(x -> arrayMap(y -> y * 2, [x])) FROM (SELECT 1 AS a, 2 AS b)",
         "SELECT [2], [4]"),
        ("WITH c AS (SELECT signal_name FROM fact_signal) SELECT * APPLY(uniqExact) FROM c",
         "SELECT uniqExact(signal_name) FROM fact_signal"),
        ("SELECT * APPLY(sumState) APPLY(toTypeName) FROM (SELECT 1 AS a)",
         "SELECT 'AggregateFunction(sum, UInt8)'"),
        ("SELECT count() FROM fact_signal WHERE signal_name IN (SELECT * APPLY(lower) "
         "FROM (SELECT signal_name FROM fact_signal))",
         "SELECT count() FROM fact_signal"),
    ],
)  # fmt: skip
def test_apply_of_allowed_functions_passes(
    run: Callable[[str], str], applied: str, explicit: str
) -> None:
    """APPLY, EXCEPT and REPLACE of allowed functions answer what ClickHouse answers for the
    explicit form."""
    assert run(vet(applied, VIEWS_POLICY, run)) == run(explicit)


def test_apply_over_every_cookbook_query_answers_the_same(run: Callable[[str], str]) -> None:
    """Every query shape of the cookbook (CTEs, joins, IN subqueries, unions) passes under
    APPLY, and ClickHouse answers it with the same rows as the query alone."""
    for sql in COOKBOOK.values():
        applied = run(vet(f"SELECT * APPLY(toString) FROM ({sql})", VIEWS_POLICY, run))
        assert sorted(applied.splitlines()) == sorted(run(sql).splitlines()), sql


def test_vet_returns_the_canonical_single_statement(run: Callable[[str], str]) -> None:
    """Quotes, Unicode quote lookalikes and nested comments come back as ClickHouse read them."""
    assert vet("SELECT \u2018text\u2019 AS q", VIEWS_POLICY, run) == "SELECT 'text' AS q"
    assert vet(
        "SELECT '\u2018a\u2019 \u201cb\u201d' AS `\u2018q\u2019`, 'it''s' AS \"a\"\"b\", "
        "1 /* a /* nested */ comment */ AS n", VIEWS_POLICY, run,
    ) == "SELECT '\u2018a\u2019 \u201cb\u201d' AS `\u2018q\u2019`, 'it\\'s' AS `a\"b`, 1 AS n"  # fmt: skip
    assert vet("select 1 -- comment\n", VIEWS_POLICY, run) == "SELECT 1"
    assert vet("SELECT 'a\nb' /* x; y */", VIEWS_POLICY, run) == "SELECT 'a\\nb'"
    assert vet("SELECT '\\x80'", VIEWS_POLICY, run) == "SELECT '\\x80'"


CATALOG = Policy(
    frozenset({"fact_signal"}),
    qualified=frozenset({("system", "one")}),
    functions=frozenset({"version", "currentDatabase"}),
    statements=frozenset({"SHOW", "DESCRIBE", "EXISTS"}),
)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT version(), currentDatabase(), dummy FROM system.one",
        "SELECT 1 WHERE 0 IN system.one",
        "SHOW TABLES",
        "SHOW DATABASES",
        "DESCRIBE TABLE fact_signal",
        "DESCRIBE (SELECT 1)",
        "EXISTS TABLE system.one",
        "EXISTS fact_signal",
        "EXISTS VIEW fact_signal",
        "EXISTS DATABASE system",
        "SHOW CREATE TABLE system.one",
        "SHOW CREATE VIEW fact_signal",
        "SHOW CREATE DATABASE system",
    ],
)
def test_policy_fields_allow_the_metadata_path(run: Callable[[str], str], sql: str) -> None:
    assert vet(sql, CATALOG, run)
    assert refused(sql, run).code in ("NOT_A_SELECT", "QUALIFIED_NAME", "FORBIDDEN_FUNCTION")


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SHOW TABLES INTO OUTFILE 'x'", "FORBIDDEN_CLAUSE"),
        ("SHOW TABLES SETTINGS readonly = 0", "FORBIDDEN_CLAUSE"),
        ("DESCRIBE fact_signal INTO OUTFILE 'x'", "FORBIDDEN_CLAUSE"),
        ("DESCRIBE file('/etc/passwd')", "FORBIDDEN_TABLE_FUNCTION"),
        ("EXISTS fact_signal FORMAT JSON", "FORBIDDEN_CLAUSE"),
        ("EXISTS TABLE system.tables", "QUALIFIED_NAME"),
        ("SHOW CREATE TABLE system.tables", "QUALIFIED_NAME"),
        ("SHOW CREATE TABLE fact_signal INTO OUTFILE 'x'", "FORBIDDEN_CLAUSE"),
        ("SHOW CREATE DATABASE globex", "UNKNOWN_DATABASE"),
        ("EXISTS DATABASE globex", "UNKNOWN_DATABASE"),
        ("SHOW CREATE DICTIONARY d", "NOT_A_SELECT"),
        ("EXISTS DICTIONARY system.d", "NOT_A_SELECT"),
        ("SELECT * FROM system.tables", "QUALIFIED_NAME"),
        ("SELECT hostName()", "FORBIDDEN_FUNCTION"),
    ],
)
def test_policy_fields_allow_nothing_more(run: Callable[[str], str], sql: str, code: str) -> None:
    assert refused(sql, run, CATALOG).code == code


def test_allowlist_matches_clickhouses_functions(run: Callable[[str], str]) -> None:
    """Every allowed name is a ClickHouse function, and a name that differs only in case is an
    alias of the same function, so lower-casing never lets a different function through."""
    rows = [line.split("\t") for line in run(
        "SELECT name, alias_to FROM system.functions").splitlines()]  # fmt: skip
    target = {name.lower(): (alias or name).lower() for name, alias in rows}
    lowered = {name.lower() for name in ALLOWED_FUNCTIONS}
    parsed_away = {"lambda", "exists", "grouping", "untuple", "dateadd", "datesub", "date_add",
                   "date_sub", "timestampadd", "timestampsub", "timestamp_add", "timestamp_sub"}  # fmt: skip
    assert lowered - set(target) == parsed_away
    for name, alias in rows:
        if function_allowed(name):
            assert function_allowed(alias or name), f"{name} is an alias of {alias}"
        elif name.lower() in lowered:
            pytest.fail(f"{name} is refused but differs from an allowed name only in case")


def test_bare_names_that_call_functions_are_known(run: Callable[[str], str]) -> None:
    """ClickHouse calls some functions when a bare name resolves to no column; the guard must
    know every one that is not allowed."""
    names = run("SELECT name FROM system.functions WHERE name REGEXP '^[A-Za-z_][A-Za-z0-9_]*$'")
    callable_bare = set()
    for name in names.split():
        if function_allowed(name):
            continue
        try:
            run(f"SELECT `{name}` FROM (SELECT 1 AS one)")
        except Exception:  # no column and not callable bare
            continue
        callable_bare.add(name.lower())
    assert callable_bare
    assert callable_bare <= BARE_FUNCTIONS


@pytest.mark.parametrize(
    ("sql", "message", "caret"),
    [
        ("SELEC * FORM fact_signal", "syntax error at line 1, column 1 near 'SELEC'", "^"),
        ("SELECT signal_name\nFROM fact_signal\nWHER 1", "line 3, column 6", "     ^"),
        ("SELECT 1 /* unterminated", "line 1, column 10: multiline comment is not closed", ""),
    ],
)
def test_syntax_errors_point_at_the_word(
    acme: httpx.Client, sql: str, message: str, caret: str
) -> None:
    body = query(acme, sql).json()
    assert body["code"] == "SYNTAX_ERROR"
    assert message in body["error"]
    assert f"\n{caret}" in body["details"] if caret else True
    for internal in ("Expected one of", "token", "In scope", "formatQuery", "sqlglot", "<class",
                     "ParallelWithClause", "DB::"):  # fmt: skip
        assert internal not in body["error"] + body["details"]


def test_a_misspelt_first_keyword_suggests_the_right_one(acme: httpx.Client) -> None:
    body = query(acme, "SELEC * FORM fact_signal").json()
    assert body["details"] == "SELEC * FORM fact_signal\n^\ndid you mean SELECT?\n" + (
        "a query starts with SELECT or WITH"
    )


@pytest.mark.parametrize(
    ("sql", "message", "details"),
    [
        ("SELECT nosuch FROM fact_signal", "unknown column nosuch",
         "in: SELECT nosuch FROM fact_signal"),
        ("SELECT s.nosuch FROM fact_signal AS s",
         "unknown column s.nosuch: fact_signal has no column nosuch", "FROM fact_signal AS s"),
        ("SELECT signal_nam FROM fact_signal", "unknown column signal_nam",
         "maybe you meant signal_name"),
    ],
)  # fmt: skip
def test_unknown_columns_are_named(
    acme: httpx.Client, sql: str, message: str, details: str
) -> None:
    body = query(acme, sql).json()
    assert (body["code"], body["error"]) == ("UNKNOWN_COLUMN", message)
    assert details in body["details"]


def test_the_qualified_name_hint_names_the_view(acme: httpx.Client) -> None:
    body = query(acme, "SELECT count() FROM globex.fact_signal").json()
    assert body["code"] == "QUALIFIED_NAME"
    assert body["details"] == "write fact_signal instead of globex.fact_signal"


def test_the_session_must_not_guess_select(run: Callable[[str], str]) -> None:
    """With implicit_select, `SELEC * FORM t` would read as an expression, not a typo."""

    def implicit(sql: str) -> str:
        return run(sql).replace("false\t", "true\t", 1)

    with pytest.raises(RuntimeError, match="implicit_select"):
        vet("SELECT 'never vetted before'", VIEWS_POLICY, implicit)


def test_an_accepted_query_is_judged_once(run: Callable[[str], str]) -> None:
    calls: list[str] = []

    def counting(sql: str) -> str:
        calls.append(sql)
        return run(sql)

    sql = "SELECT count() FROM fact_signal WHERE signal_name = 'judged once'"
    first = vet(sql, VIEWS_POLICY, counting)
    assert len(calls) == 2  # formatQuerySingleLine, then EXPLAIN AST
    assert vet(sql, VIEWS_POLICY, counting) == first
    assert len(calls) == 2
    refused("SELECT version()", counting)
    refused("SELECT version()", counting)
    assert len(calls) == 6  # refusals are judged every time
    vet("WITH c AS (SELECT 1 AS a) SELECT * APPLY(toString) FROM c", VIEWS_POLICY, counting)
    assert len(calls) == 9  # APPLY and the CTE read one query tree


# Queries built from parts whose verdict is known, so the oracle is the generator, not a parser.
ALLOWED_CALLS = ["abs", "upper", "toString", "sumIf", "countState", "arrayMap", "coalesce"]
DENIED_CALLS = ["file", "url", "dictGet", "hostName", "version", "getSetting", "joinGet",
                "currentDatabase", "s3", "throwIf", "sleep", "fileIf"]  # fmt: skip
ALLOWED_TABLES = ["fact_signal", "dim_customer", "(SELECT 1 AS signal_name)"]
DENIED_TABLES = ["system.one", "globex.fact_signal", "file('x')", "numbers(3)", "secret"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> tuple[str, bool]:
    """(SQL expression, whether it holds something the guard must refuse)."""
    if depth == 0:
        return draw(st.sampled_from(["1", "'a'", "signal_name", "x"])), False
    kind = draw(st.sampled_from(["leaf", "call", "lambda", "subquery", "in"]))
    inner, bad = draw(expressions(depth - 1))
    if kind == "call":
        name = draw(st.sampled_from(ALLOWED_CALLS + DENIED_CALLS))
        return f"{name}({inner})", bad or name in DENIED_CALLS
    if kind == "lambda":
        return f"arrayMap(x -> {inner}, [1])", bad
    if kind in ("subquery", "in"):
        table = draw(st.sampled_from(ALLOWED_TABLES + DENIED_TABLES))
        denied = bad or table in DENIED_TABLES
        if kind == "in":
            return f"({inner}) IN {table}", denied
        return f"({inner}) IN (SELECT {inner} FROM {table})", denied
    return draw(expressions(0))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    expression=expressions(),
    table=st.sampled_from(ALLOWED_TABLES + DENIED_TABLES),
    settings_clause=st.booleans(),
    apply=st.sampled_from(["", "{f}", "x -> {f}(x)", "x -> arrayMap(y -> {f}(y), [x])"]),
    applied=st.sampled_from(ALLOWED_CALLS + DENIED_CALLS),
)
def test_the_verdict_follows_the_parts(
    run: Callable[[str], str],
    expression: tuple[str, bool],
    table: str,
    settings_clause: bool,
    apply: str,
    applied: str,
) -> None:
    text, bad = expression
    sql = f"SELECT {text} FROM {table}" + (" SETTINGS max_threads = 1" if settings_clause else "")
    bad = bad or table in DENIED_TABLES or settings_clause
    if apply:  # the same query under a column transformer
        sql = f"SELECT * APPLY({apply.format(f=applied)}) FROM ({sql})"
        bad = bad or applied in DENIED_CALLS
    if bad:
        assert refused(sql, run).code != "SYNTAX_ERROR", sql
    else:
        canonical = vet(sql, VIEWS_POLICY, run)
        assert vet(canonical, VIEWS_POLICY, run) == canonical


# -- virtual columns: asked of ClickHouse itself, on every kind of table it can build ----------

_VIRTUAL_PROBES = """
import json
from chdb import session
s = session.Session()
s.query("CREATE DATABASE d")
for ddl in ("m (a Int8) ENGINE = Memory", "t (a Int8) ENGINE = MergeTree ORDER BY a",
            "l (a Int8) ENGINE = Log", "f (a Int8) ENGINE = File(CSV)"):
    s.query(f"CREATE TABLE d.{ddl}")
s.query("CREATE VIEW d.v AS SELECT a FROM d.m")
names = set()
for table in ("d.m", "d.t", "d.l", "d.f", "d.v", "url('http://x/y.csv', CSV, 'a Int8')",
              "remote('127.0.0.1', d, t)"):
    out = s.query(f"DESCRIBE TABLE {table} SETTINGS describe_include_virtual_columns = 1", "JSON")
    names |= {row["name"] for row in json.loads(out.bytes())["data"] if row["is_virtual"]}
print(json.dumps(sorted(names)))
"""


@pytest.fixture(scope="module")
def virtual_columns() -> list[str]:
    """Every virtual column ClickHouse (chDB) lists on MergeTree, Memory, Log, File, URL,
    View and remote tables, asked in a process of its own."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _VIRTUAL_PROBES], capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    names: list[str] = json.loads(out.stdout)
    assert {"_database", "_table", "_part", "_partition_id", "_row_exists", "_block_number",
            "_part_offset", "_sample_factor", "_shard_num", "_file", "_path"} <= set(names)  # fmt: skip
    return names


def test_no_view_column_looks_virtual(virtual_columns: list[str]) -> None:
    from paid_dbapi.emulator._schema import VIEWS

    documented = {name for _, columns in VIEWS.values() for name, _, _ in columns}
    assert not documented & set(virtual_columns)
    assert not [name for name in documented if name.startswith("_")]


VIRTUAL_POSITIONS = [
    "SELECT {c} FROM fact_signal",
    "SELECT `{c}` FROM fact_signal",
    "SELECT s.{c} FROM fact_signal AS s",
    "SELECT fact_signal.{c} FROM fact_signal",
    "SELECT count() FROM fact_signal WHERE toString({c}) != ''",
    "SELECT x FROM (SELECT {c} AS x FROM fact_signal)",
    "WITH q AS (SELECT {c} AS x FROM dim_customer) SELECT x FROM q",
    "SELECT count() FROM fact_signal AS a JOIN fact_cost AS b ON toString(a.{c}) = toString(b.{c})",
    "SELECT count() FROM fact_signal AS a JOIN fact_cost AS b USING ({c})",
    "SELECT COLUMNS({c}, signal_id) FROM fact_signal",
    "SELECT * REPLACE (toString({c}) AS signal_name) FROM fact_signal",
    "SELECT * APPLY(x -> {c}) FROM fact_signal",
    "SELECT COLUMNS(signal_id) APPLY(x -> concat(toString(x), toString({c}))) FROM fact_signal",
    "SELECT {c}",
    "SELECT 1 FROM fact_signal GROUP BY {c}",
    "SELECT 1 FROM fact_signal ORDER BY {c}",
    "SELECT count() FROM fact_signal WHERE signal_id IN (SELECT signal_id FROM fact_signal WHERE toString({c}) = '')",
]  # fmt: skip


def verdict(sql: str, run: Callable[[str], str]) -> tuple[str, str]:
    """("accepted", canonical), ("guard", code and message) or ("engine", ClickHouse's error)."""
    try:
        return "accepted", vet(sql, VIEWS_POLICY, run)
    except GuardError as exc:
        return "guard", f"{exc.code}: {exc.message}"
    except EngineError as exc:
        return "engine", exc.name


def test_every_virtual_column_is_refused_everywhere(
    run: Callable[[str], str], virtual_columns: list[str]
) -> None:
    for column in virtual_columns:
        for position in VIRTUAL_POSITIONS:
            sql = position.format(c=column)
            kind, text = verdict(sql, run)
            # refused, or not even a column that ClickHouse resolves on these tables
            assert (kind, text) in (
                ("guard", f"UNKNOWN_COLUMN: {column} is not a column of the views"),
                ("engine", "UNKNOWN_IDENTIFIER"),
            ), (sql, kind, text)
    common = [verdict(position.format(c="_database"), run)[0] for position in VIRTUAL_POSITIONS]
    assert common == ["guard"] * len(VIRTUAL_POSITIONS)  # every table has _database


def test_virtual_columns_are_refused_over_http(acme: httpx.Client) -> None:
    for sql in ("SELECT _database FROM fact_signal", "SELECT _table FROM dim_customer LIMIT 1",
                "SELECT * APPLY(x -> _database) FROM dim_organization"):  # fmt: skip
        r = query(acme, sql)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "UNKNOWN_COLUMN"
        assert "paid_org" not in r.text


def test_matchers_never_expand_to_virtual_columns(acme: httpx.Client) -> None:
    from paid_dbapi.emulator._schema import VIEWS

    documented = [name for name, _, _ in VIEWS["dim_customer"][1]]
    for sql in ("SELECT * FROM dim_customer LIMIT 1", "SELECT COLUMNS('.*') FROM dim_customer LIMIT 1",
                "SELECT c.* FROM dim_customer AS c LIMIT 1",
                "SELECT * APPLY(toString) FROM dim_customer LIMIT 1"):  # fmt: skip
        r = query(acme, sql)
        assert r.status_code == 200, r.text
        assert [c["name"].removeprefix("toString(").removesuffix(")")
                for c in r.json()["columns"]] == documented  # fmt: skip
    r = query(acme, "SELECT COLUMNS('^_') FROM dim_customer")
    assert r.status_code == 400
    assert r.json()["code"] != "INTERNAL_ERROR"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 AS _x, _x + 1 AS _y",
        "SELECT _n FROM (SELECT count() AS _n FROM fact_signal)",
        "WITH _c AS (SELECT signal_name AS _s FROM fact_signal) SELECT _s FROM _c LIMIT 1",
        "WITH 'x' AS _database SELECT _database FROM fact_signal LIMIT 1",
        "SELECT arrayMap(_x -> _x * 2, [1, 2]) AS _doubled",
        "SELECT signal_name AS _table FROM fact_signal LIMIT 1",
        "SELECT data._private::String FROM fact_signal LIMIT 1",
        "SELECT * APPLY(_v -> toString(_v)) FROM (SELECT 1 AS _a)",
        "SELECT count() FROM (SELECT 1 AS _k) AS a JOIN (SELECT 1 AS _k) AS b USING (_k)",
    ],
)
def test_user_names_starting_with_underscore_pass(acme: httpx.Client, sql: str) -> None:
    r = query(acme, sql)
    assert r.status_code == 200, r.text


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    expression=expressions(),
    column=st.sampled_from(["_database", "_table", "signal_name", "_alias"]),
    place=st.sampled_from(["select", "where", "subquery", "cte", "apply"]),
)
def test_virtual_columns_are_refused_wherever_they_are_put(
    run: Callable[[str], str], expression: tuple[str, bool], column: str, place: str
) -> None:
    """A generated query, with one column reference placed somewhere: refused exactly when
    that reference reads a virtual column (`_alias` is always the user's own alias)."""
    text, bad = expression
    ref = f"toString({column})"
    base = "fact_signal"
    sql = (
        "WITH 'a' AS _alias, 1 AS x"
        + {
            "select": f" SELECT {text}, {ref} FROM {base}",
            "where": f" SELECT {text} FROM {base} WHERE {ref} != ''",
            "subquery": f" SELECT {text} FROM {base} WHERE signal_name IN (SELECT {ref} FROM {base})",
            "cte": f", q AS (SELECT {ref} AS r FROM {base}) SELECT {text} FROM {base}, q",
            "apply": f" SELECT {text}, COLUMNS(signal_name) APPLY(v -> concat(v, {ref})) FROM {base}",
        }[place]
    )
    virtual = column in ("_database", "_table")
    kind, text = verdict(sql, run)
    if kind == "guard":
        assert bad or (virtual and text.startswith("UNKNOWN_COLUMN")), (sql, text)
    elif kind == "engine":  # ClickHouse could not resolve it (a generated type error)
        assert text not in ("UNKNOWN_IDENTIFIER", "INTERNAL"), (sql, text)
    else:
        assert not bad, sql
        assert not virtual, sql
        assert vet(text, VIEWS_POLICY, run) == text


def test_there_are_enough_hostile_queries() -> None:
    assert len(HOSTILE) >= 100
