"""The published cookbook's questions, answered by the demo data through the HTTP API."""

from __future__ import annotations

import httpx
import pytest

from paid_dbapi.emulator.cookbook import COOKBOOK
from tests.emulator.conftest import query


@pytest.mark.parametrize("question", list(COOKBOOK))
def test_cookbook_question_has_an_answer(acme: httpx.Client, question: str) -> None:
    r = query(acme, COOKBOOK[question])
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert rows, question
    assert any(v not in (0, "0", None, "") for row in rows for v in row)


def series(acme: httpx.Client, sql: str) -> list[float]:
    return [float(row[1]) for row in query(acme, sql).json()["rows"]]


def test_trends_are_visible(acme: httpx.Client) -> None:
    daily = series(acme, COOKBOOK["daily signal time series"])[:-1]
    assert len(daily) >= 85
    assert sum(daily[-14:]) > 1.5 * sum(daily[:14])  # usage grows
    cost = series(acme, COOKBOOK["daily cost trend"])[:-1]
    assert sum(cost[-14:]) > 1.5 * sum(cost[:14])
    revenue = series(acme, COOKBOOK["monthly revenue from posted invoices"])
    assert revenue[-1] > revenue[0]


def test_invoice_amounts_add_up(acme: httpx.Client) -> None:
    r = query(acme, """SELECT countIf(i.total_excl_tax != l.total), countIf(i.total_incl_tax != i.total_excl_tax + i.tax),
        countIf(i.amount_paid != ifNull(p.paid, 0)) FROM fact_invoice AS i
        JOIN (SELECT invoice_id, sum(amount) AS total FROM fact_invoice_line GROUP BY invoice_id) AS l ON l.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM fact_payment GROUP BY invoice_id) AS p ON p.invoice_id = i.id""")  # fmt: skip
    assert r.json()["rows"] == [["0", "0", "0"]]


def test_churned_customers_and_hierarchy(acme: httpx.Client) -> None:
    r = query(acme, "SELECT countIf(status = 'churned' AND churn_date IS NOT NULL), "
                    "countIf(parent_customer_id IS NOT NULL) FROM dim_customer")  # fmt: skip
    churned, children = r.json()["rows"][0]
    assert int(churned) > 0
    assert int(children) > 0
