"""The qualifier removal in a client's SQL touches only names before views (the FORMAT clause
and the route, against ClickHouse's own parser: tests/integration/gateway)."""

from __future__ import annotations

from paid_dbapi.emulator._schema import VIEWS
from paid_dbapi.gateway._sql import remove_qualifier


def test_remove_qualifier_only_before_views() -> None:
    views = set(VIEWS)
    assert remove_qualifier(
        "SELECT `paid`.`fact_cost`.vendor FROM `paid`.`fact_cost`", "paid", views
    ) == ("SELECT `fact_cost`.vendor FROM `fact_cost`")
    for untouched in ("SELECT * FROM paid.nosuch", "SELECT * FROM other.fact_cost",
                      "SELECT x.paid.fact_cost FROM t AS x", "SELECT 'paid.fact_cost'",
                      "SELECT * FROM PAID.fact_cost"):  # fmt: skip
        assert remove_qualifier(untouched, "paid", views) == untouched
