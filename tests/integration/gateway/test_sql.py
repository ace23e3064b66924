"""Reading a client's SQL: the FORMAT clause, the route, and the qualifier removal, checked
against ClickHouse's own parser (the guard's reader in a key's catalog engine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paid_dbapi._engine.guard import GuardError, Node
from paid_dbapi.emulator._schema import VIEWS
from paid_dbapi.gateway._clickhouse_errors import ClickHouseError
from paid_dbapi.gateway._local import LocalEngine, parser
from paid_dbapi.gateway._sql import Parser, Route, plan, same


@pytest.fixture(scope="module")
def parse() -> Iterator[Parser]:
    engine = LocalEngine(label="test catalog")
    yield parser(engine)
    engine.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", ("SELECT 1", None)),
        ("SELECT 1 FORMAT JSON", ("SELECT 1", "JSON")),
        ("SELECT 1\n FORMAT Native;", ("SELECT 1", "Native")),
        ("SELECT 'FORMAT JSON'", ("SELECT 'FORMAT JSON'", None)),
        ("SELECT 1 -- FORMAT JSON", ("SELECT 1", None)),
        ("SELECT format FROM t", ("SELECT format FROM t", None)),
        ("SELECT 1;", ("SELECT 1", None)),
        ("SHOW TABLES FROM paid FORMAT JSON", ("SHOW TABLES FROM paid", "JSON")),
        ("SHOW TABLES FROM paid", ("SHOW TABLES FROM paid", None)),
    ],
)
def test_format_clause(parse: Parser, sql: str, expected: tuple[str, str | None]) -> None:
    planned = plan(sql, "paid", set(VIEWS), parse)
    assert (planned.sql, planned.format) == expected


@pytest.mark.parametrize(
    ("sql", "route"),
    [
        ("SELECT count() FROM fact_signal", Route.FORWARD),
        ("SELECT count() FROM `paid`.`fact_signal`", Route.FORWARD),
        ("SELECT 1", Route.FORWARD),
        ("WITH x AS (SELECT 1) SELECT * FROM x", Route.FORWARD),
        ("SELECT * FROM nosuch", Route.FORWARD),  # the API answers: unknown table
        ("SELECT version(), timezone()", Route.LOCAL),
        ("SELECT name FROM system.tables", Route.LOCAL),
        ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS", Route.LOCAL),
        ("SELECT * FROM paid.nosuch WHERE 1 <> 1 LIMIT 0", Route.LOCAL),  # answered: no such table
        ("SHOW TABLES", Route.LOCAL),
        ("DESCRIBE TABLE paid.fact_cost", Route.LOCAL),
        ("EXISTS TABLE fact_cost", Route.LOCAL),
        ("KILL QUERY WHERE query_id = 'q1'", Route.KILL),
    ],
)
def test_routes(parse: Parser, sql: str, route: Route) -> None:
    assert plan(sql, "paid", set(VIEWS), parse).route is route


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("SELECT * FROM fact_signal, system.tables", "NOT_IMPLEMENTED"),
        ("SELECT version() FROM fact_signal", "NOT_IMPLEMENTED"),
        ("INSERT INTO fact_signal VALUES (1)", "READONLY"),
        ("SET max_threads = 1", "READONLY"),
        ("KILL QUERY WHERE user = 'x'", "ACCESS_DENIED"),
        ("SELECT (", "SYNTAX_ERROR"),
    ],
)
def test_refusals(parse: Parser, sql: str, name: str) -> None:
    with pytest.raises((ClickHouseError, GuardError)) as caught:
        plan(sql, "paid", set(VIEWS), parse)
    error = caught.value
    assert (error.name if isinstance(error, ClickHouseError) else error.code) == name


def test_a_rewrite_clickhouse_reads_differently_is_refused(parse: Parser) -> None:
    """The check itself: a parser that sees something else after the cut refuses the query."""

    def lying(sql: str) -> tuple[str, Node]:
        canonical, root = parse(sql)
        if "paid" not in sql:
            for node in root.walk():
                node.text = node.text.replace("fact_cost", "fact_signal")
        return canonical, root

    with pytest.raises(ClickHouseError, match="qualifier"):
        plan("SELECT * FROM paid.fact_cost", "paid", set(VIEWS), lying)


_SPACE = st.sampled_from([" ", "  ", "\n", "\t", " /* paid.fact_cost */ ", " -- paid.x\n"])
_NAME = st.sampled_from(["paid", "`paid`", '"paid"'])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(VIEWS)), _NAME, _SPACE, _SPACE, _SPACE)
def test_qualifier_removal_agrees_with_clickhouse(
    parse: Parser, view: str, name: str, a: str, b: str, c: str
) -> None:
    sql = f"SELECT{a}count(){b}FROM{c}{name}{a}.{b}`{view}`{c}WHERE 1"
    planned = plan(sql, "paid", set(VIEWS), parse)
    assert planned.route is Route.FORWARD
    assert "paid" not in planned.sql.replace("/* paid.fact_cost */", "").replace("-- paid.x", "")
    # the oracle: ClickHouse's tree of the query written without the qualifier in the first place
    written_unqualified = f"SELECT{a}count(){b}FROM{c}`{view}`{c}WHERE 1"
    assert same(parse(planned.sql)[1], parse(written_unqualified)[1])
