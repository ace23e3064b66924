"""Reading a client's SQL: the FORMAT clause, the route, and the qualifier removal, checked
against ClickHouse's own parser (EXPLAIN AST in the gateway's engine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paid_dbapi.emulator.schema import VIEWS
from paid_dbapi.gateway.errors import ClickHouseError
from paid_dbapi.gateway.local import LocalEngine
from paid_dbapi.gateway.sql import Route, plan, remove_qualifier, split_format


@pytest.fixture(scope="module")
def local() -> Iterator[LocalEngine]:
    engine = LocalEngine()
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", ("SELECT 1", None)),
        ("SELECT 1 FORMAT JSON", ("SELECT 1", "JSON")),
        ("SELECT 1\n FORMAT Native;;", ("SELECT 1", "Native")),
        ("SELECT 'FORMAT JSON'", ("SELECT 'FORMAT JSON'", None)),
        ("SELECT 1 -- FORMAT JSON", ("SELECT 1", None)),
        ("SELECT format FROM t", ("SELECT format FROM t", None)),
        ("SELECT 1;", ("SELECT 1", None)),
    ],
)
def test_split_format(sql: str, expected: tuple[str, str | None]) -> None:
    assert split_format(sql) == expected


def test_remove_qualifier_only_before_views() -> None:
    views = set(VIEWS)
    assert remove_qualifier("SELECT `paid`.`fact_cost`.vendor FROM `paid`.`fact_cost`", "paid", views) == (
        "SELECT `fact_cost`.vendor FROM `fact_cost`"
    )
    for untouched in ("SELECT * FROM paid.nosuch", "SELECT * FROM other.fact_cost",
                      "SELECT x.paid.fact_cost FROM t AS x", "SELECT 'paid.fact_cost'",
                      "SELECT * FROM PAID.fact_cost"):  # fmt: skip
        assert remove_qualifier(untouched, "paid", views) == untouched


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
def test_routes(local: LocalEngine, sql: str, route: Route) -> None:
    assert plan(sql, "paid", set(VIEWS), local.explain_ast).route is route


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
def test_refusals(local: LocalEngine, sql: str, name: str) -> None:
    with pytest.raises(ClickHouseError) as caught:
        plan(sql, "paid", set(VIEWS), local.explain_ast)
    assert caught.value.name == name


def test_a_rewrite_clickhouse_reads_differently_is_refused(local: LocalEngine) -> None:
    """The check itself: a parser that sees something else after the cut refuses the query."""
    def lying(sql: str) -> str:
        ast = local.explain_ast(sql)
        return ast if "paid" in sql else ast.replace("fact_cost", "fact_signal")

    with pytest.raises(ClickHouseError, match="qualifier"):
        plan("SELECT * FROM paid.fact_cost", "paid", set(VIEWS), lying)


_SPACE = st.sampled_from([" ", "  ", "\n", "\t", " /* paid.fact_cost */ ", " -- paid.x\n"])
_NAME = st.sampled_from(["paid", "`paid`", '"paid"'])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(VIEWS)), _NAME, _SPACE, _SPACE, _SPACE)
def test_qualifier_removal_agrees_with_clickhouse(
    local: LocalEngine, view: str, name: str, a: str, b: str, c: str
) -> None:
    sql = f"SELECT{a}count(){b}FROM{c}{name}{a}.{b}`{view}`{c}WHERE 1"
    planned = plan(sql, "paid", set(VIEWS), local.explain_ast)
    assert planned.route is Route.FORWARD
    assert "paid" not in planned.sql.replace("/* paid.fact_cost */", "").replace("-- paid.x", "")
    # the oracle: ClickHouse's tree of the query written without the qualifier in the first place
    written_unqualified = f"SELECT{a}count(){b}FROM{c}`{view}`{c}WHERE 1"
    assert local.explain_ast(planned.sql) == local.explain_ast(written_unqualified)
