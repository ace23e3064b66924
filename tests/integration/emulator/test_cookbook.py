"""The project's example queries (emulator/cookbook.py), answered by the demo data through the HTTP API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator._cookbook import COOKBOOK
from tests.conftest import client_for, query


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


def rows(acme: httpx.Client, sql: str) -> list[list[Any]]:
    r = query(acme, sql)
    assert r.status_code == 200, r.text
    return list(r.json()["rows"])


def test_call_signals_have_statuses_and_lengths(acme: httpx.Client) -> None:
    found = rows(
        acme,
        """SELECT data.call_status::String AS status, count(), min(data.call_length_sec::Int64),
        max(data.call_length_sec::Int64) FROM fact_signal WHERE signal_name = 'call' GROUP BY status""",
    )
    by_status = {status: (int(n), lo, hi) for status, n, lo, hi in found}
    assert set(by_status) == {"completed", "no_answer", "voicemail", "failed", "busy"}
    total = sum(n for n, _, _ in by_status.values())
    assert 0.5 < by_status["completed"][0] / total < 0.7  # most calls connect
    _, lo, hi = by_status["completed"]
    assert 20 <= int(lo) < 60  # 20 s to about 10 min
    assert 560 < int(hi) <= 618
    _, lo, hi = by_status["voicemail"]
    assert 8 <= int(lo) < 15
    assert 40 < int(hi) <= 47
    for status in ("no_answer", "failed", "busy"):  # nobody talked
        assert by_status[status][1:] == ("0", "0")
    [[calls, agents]] = rows(
        acme,
        """SELECT count(), groupUniqArray(p.name) FROM fact_signal AS s
        JOIN dim_product AS p ON s.product_id = p.id WHERE s.signal_name = 'call'""",
    )
    assert agents == ["Voice Concierge"]
    assert int(calls) == total


def test_account_tier_is_one_per_customer_on_every_signal(acme: httpx.Client) -> None:
    [[missing, customers, pairs, tiers]] = rows(
        acme,
        """SELECT countIf(data.account_tier::String = ''),
        uniqExact(customer_id), uniqExact(customer_id, data.account_tier::String),
        groupUniqArray(data.account_tier::String) FROM fact_signal""",
    )
    assert missing == "0"
    assert pairs == customers
    assert sorted(tiers) == ["enterprise", "free", "growth", "starter"]


def test_opportunity_stage_on_sales_signals_only(acme: httpx.Client) -> None:
    found = rows(
        acme,
        """SELECT signal_name, groupUniqArray(data.opportunity_stage::String) FROM fact_signal
        GROUP BY signal_name ORDER BY signal_name""",
    )
    stages = {
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "closed_won",
        "closed_lost",
    }
    for name, seen in found:
        assert set(seen) == (stages if name in ("call", "email_sent") else {""}), name


def test_metadata_reports_the_types_clickhouse_observes(acme: httpx.Client) -> None:
    """/signals/metadata against ClickHouse's own dynamicType of each path of a `call`."""
    body = acme.get("/signals/metadata", params={"signalName": "call"}).json()
    [call] = body["signals"]
    reported = {p["path"]: p["types"] for p in call["paths"]}
    assert set(reported) == {"call_status", "call_length_sec", "account_tier", "opportunity_stage"}
    since = body["meta"]["fromDate"].replace("T", " ").rstrip("Z")
    for path, types in reported.items():
        [[observed]] = rows(
            acme,
            f"SELECT groupUniqArray(dynamicType(data.{path})) FROM fact_signal "
            f"WHERE signal_name = 'call' AND created_at >= '{since}'",
        )
        assert types == sorted(observed), path
    assert reported["call_length_sec"] == ["Int64"]
    assert reported["call_status"] == ["String"]


def test_credit_amounts_are_decimal_counts_of_credits(acme: httpx.Client) -> None:
    r = query(
        acme,
        """SELECT kind, toTypeName(any(amount)), toString(min(amount)), toString(max(amount)),
        countIf(amount != round(amount)) FROM fact_credit_transaction GROUP BY kind ORDER BY kind""",
    )
    found = {kind: rest for kind, *rest in r.json()["rows"]}
    assert {kind: t for kind, (t, *_) in found.items()} == dict.fromkeys(
        ("expire", "grant", "spend"), "Decimal(38, 10)"
    )
    assert found["grant"][1:3] == ["10000", "200000"]  # whole credits per bundle, never cents
    assert found["grant"][3] == "0"
    assert found["spend"][1:3] == ["-40", "-0.01"]
    assert int(found["spend"][3]) > 0  # fractional spends
    schema = {
        c["name"]: c["type"]
        for v in acme.get("/schema").json()["views"]
        if v["name"] == "fact_credit_transaction"
        for c in v["columns"]
    }
    assert schema["amount"] == "Decimal(38, 10)"


def test_dialect_and_driver_read_credit_amounts_as_decimal_credits() -> None:
    """Reflection gives Numeric(38, 10), and a spend reads back as the Decimal of the credits
    ClickHouse itself prints with toString (no division by 100 anywhere)."""
    engine = sa.create_engine("paid+demo://")
    try:
        columns = {
            c["name"]: c["type"] for c in sa.inspect(engine).get_columns("fact_credit_transaction")
        }
        amount = columns["amount"]
        assert isinstance(amount, sa.Numeric)
        assert (amount.precision, amount.scale) == (38, 10)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT amount, toString(amount) FROM fact_credit_transaction "
                    "WHERE kind = 'spend' ORDER BY id LIMIT 50"
                )
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == 50
    for value, text in rows:
        assert isinstance(value, Decimal)
        assert value == Decimal(text)
        assert value.as_tuple().exponent == -10


def test_demo_payloads_and_credits_are_deterministic_for_a_seed() -> None:
    """Two emulators of one seed generate the same signals and credits (each in its own worker
    process); another seed generates other ones."""
    sql = ("SELECT count(), sum(cityHash64(signal_id, signal_name, toString(data), created_at)), "
           "(SELECT sum(cityHash64(id, kind, toString(amount), created_at)) FROM fact_credit_transaction) "
           "FROM fact_signal")  # fmt: skip
    answers = []
    for seed in (42, 42, 7):
        emulator = Emulator(scale=0.05, seed=seed)
        try:
            with client_for(emulator, emulator.keys()["initech"]) as c:
                answers.append(rows(c, sql))
        finally:
            emulator.close()
    assert answers[0] == answers[1]
    assert answers[0] != answers[2]
    assert answers[0][0][0] == "1500"  # 30,000 signals at scale 1
