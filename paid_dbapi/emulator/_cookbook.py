"""The project's own example queries: one per question the demo data must answer.

The questions are those the vendor's documentation lists (see the README's section on the
emulator's data); the SQL here is written by this project. The emulator's tests check that every
answer is non-empty, and bench/emulator.py times them.
"""

from __future__ import annotations

COOKBOOK: dict[str, str] = {
    "total signals, last 30 days": "SELECT count() FROM fact_signal WHERE created_at >= now() - INTERVAL 30 DAY",
    "signal volume by type": "SELECT signal_name, count() AS n FROM fact_signal GROUP BY signal_name ORDER BY n DESC",
    "daily signal time series": "SELECT toDate(created_at) AS day, count() FROM fact_signal GROUP BY day ORDER BY day",
    "signals by customer with names": """SELECT c.name, count() AS n FROM fact_signal AS s
        JOIN dim_customer AS c ON s.customer_id = c.id GROUP BY c.name ORDER BY n DESC LIMIT 10""",
    "payload field": """SELECT data.country::String AS country, count() AS n, avg(data.tokens::Int64) AS avg_tokens
        FROM fact_signal WHERE signal_name = 'chat_reply' GROUP BY country ORDER BY n DESC""",
    "calls by status": """SELECT data.call_status::String AS status, count() AS calls,
        avg(data.call_length_sec::Int64) AS avg_seconds FROM fact_signal WHERE signal_name = 'call'
        GROUP BY status ORDER BY calls DESC""",
    "completed call minutes by account tier": """SELECT data.account_tier::String AS tier, count() AS calls,
        sum(data.call_length_sec::Int64) / 60 AS minutes FROM fact_signal
        WHERE signal_name = 'call' AND data.call_status::String = 'completed' GROUP BY tier ORDER BY minutes DESC""",
    "signals by opportunity stage": """SELECT data.opportunity_stage::String AS stage, signal_name, count() AS n
        FROM fact_signal WHERE data.opportunity_stage::String != '' GROUP BY stage, signal_name ORDER BY stage, signal_name""",
    "AI spend by vendor": "SELECT vendor, sum(cost_amount) / 100 AS dollars FROM fact_cost GROUP BY vendor ORDER BY dollars DESC",
    "spend by model with tokens": """SELECT model, sum(input_tokens), sum(output_tokens), sum(cost_amount)
        FROM fact_cost GROUP BY model ORDER BY model""",
    "daily cost trend": "SELECT toDate(created_at) AS day, sum(cost_amount) FROM fact_cost GROUP BY day ORDER BY day",
    "cost by customer": """SELECT c.name, sum(f.cost_amount) AS cost FROM fact_cost AS f
        JOIN dim_customer AS c ON f.customer_id = c.id GROUP BY c.name ORDER BY cost DESC LIMIT 10""",
    "cost per signal": """SELECT s.signal_name, sum(c.cost_amount) / count(DISTINCT s.signal_id) AS cost_per_signal
        FROM fact_signal AS s JOIN fact_cost AS c ON s.trace_id = c.trace_id GROUP BY s.signal_name""",
    "monthly revenue from posted invoices": """SELECT toStartOfMonth(issue_date) AS month, sum(total_incl_tax) / 100
        FROM fact_invoice WHERE status IN ('posted', 'paid') GROUP BY month ORDER BY month""",
    "revenue by customer": """SELECT c.name, sum(i.total_incl_tax) AS revenue FROM fact_invoice AS i
        JOIN dim_customer AS c ON i.customer_id = c.id WHERE i.status != 'void' GROUP BY c.name ORDER BY revenue DESC""",
    "revenue by product": """SELECT p.name, sum(il.amount) AS revenue FROM fact_invoice_line AS il
        JOIN fact_order_line AS ol ON il.order_line_id = ol.id JOIN dim_product AS p ON ol.product_id = p.id
        GROUP BY p.name ORDER BY revenue DESC""",
    "outstanding and overdue invoices": """SELECT is_overdue, count(), sum(amount_due) FROM fact_invoice
        WHERE amount_due > 0 GROUP BY is_overdue ORDER BY is_overdue""",
    "payments and cash flow": """SELECT toStartOfMonth(paid_at) AS month, method, sum(amount) FROM fact_payment
        GROUP BY month, method ORDER BY month, method""",
    "billed usage": """SELECT period_start, sum(units_used), sum(included_units) FROM fact_usage_summary
        GROUP BY period_start ORDER BY period_start""",
    "signals driving billed revenue": """SELECT s.signal_name, count() AS signals, any(r.revenue) AS product_revenue
        FROM fact_signal AS s JOIN (SELECT ol.product_id AS product_id, sum(il.amount) AS revenue
            FROM fact_invoice_line AS il JOIN fact_order_line AS ol ON il.order_line_id = ol.id
            GROUP BY ol.product_id) AS r ON s.product_id = r.product_id GROUP BY s.signal_name""",
    "overage above allowance": """SELECT c.name, sum(u.overage_units) AS units, sum(u.overage_amount) AS billed
        FROM fact_usage_summary AS u JOIN dim_customer AS c ON u.customer_id = c.id
        WHERE u.overage_units > 0 GROUP BY c.name ORDER BY billed DESC""",
    "net credit flow by currency": """SELECT cc.name, sumIf(amount, kind = 'grant') AS granted,
        sumIf(amount, kind != 'grant') AS used, sum(amount) AS net FROM fact_credit_transaction AS t
        JOIN dim_credits_currency AS cc ON t.credits_currency_id = cc.id GROUP BY cc.name""",
    "top credit-spending signals": """SELECT s.signal_name, -sum(t.amount) AS credits FROM fact_credit_transaction AS t
        JOIN fact_signal AS s ON t.signal_id = s.signal_id WHERE t.kind = 'spend'
        GROUP BY s.signal_name ORDER BY credits DESC""",
    "value delivered by type": "SELECT value_type, sum(value_amount) FROM fact_delivered_value GROUP BY value_type",
    "value versus cost by customer": """SELECT c.name, v.value, k.cost, v.value / k.cost AS roi FROM dim_customer AS c
        JOIN (SELECT customer_id, sum(value_amount) AS value FROM fact_delivered_value GROUP BY customer_id) AS v
          ON v.customer_id = c.id
        JOIN (SELECT customer_id, sum(cost_amount) AS cost FROM fact_cost GROUP BY customer_id) AS k
          ON k.customer_id = c.id ORDER BY roi DESC LIMIT 10""",
    "keyset pagination": """SELECT created_at, signal_id FROM fact_signal
        WHERE (created_at, signal_id) > (toDateTime64('2000-01-01 00:00:00', 3, 'UTC'), toUUID('00000000-0000-0000-0000-000000000000'))
        ORDER BY created_at, signal_id LIMIT 1000""",
}
