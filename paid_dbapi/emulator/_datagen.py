"""Deterministic demo data, generated inside ClickHouse with INSERT ... SELECT over numbers().

Every organization gets its own database holding the 15 views. Randomness comes from
`cityHash64(seed, org, ...)`, so a seed always yields the same rows (dates move with today).
Amounts are consistent: order lines -> usage -> invoice lines -> invoices -> payments. Money is
integer cents; credit amounts are Decimal counts of credits (grants, fractional spends, expiries).
Signal payloads carry the keys the vendor's examples filter and group on (`call.call_status`,
`call.call_length_sec`, `account_tier`, `opportunity_stage`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: (name, display name, plan tier, signals per unit of scale, customers)
ORGANIZATIONS = (
    ("acme", "Acme AI", "enterprise", 120_000, 240),
    ("globex", "Globex Automation", "growth", 60_000, 120),
    ("initech", "Initech Agents", "starter", 30_000, 60),
)
DAYS = 90


@dataclass(frozen=True)
class OrgSpec:
    """What to generate for one organization."""

    name: str
    display: str
    tier: str
    signals: int
    customers: int


def org_specs(scale: float) -> list[OrgSpec]:
    """The demo organizations at a scale (1 = about 210,000 signals in all)."""
    return [
        OrgSpec(n, d, t, max(100, int(s * scale)), max(20, int(c * min(scale, 4) ** 0.5)))
        for n, d, t, s, c in ORGANIZATIONS
    ]


def _uuid(kind: str, expr: str) -> str:
    return f"reinterpretAsUUID(MD5(concat('{{seed}}/{{org}}/{kind}/', toString({expr}))))"


def _h(expr: str) -> str:
    return f"cityHash64({{seed}}, '{{org}}', {expr})"


def _pick(values: list[str], expr: str) -> str:
    arr = "[" + ", ".join(f"'{v}'" for v in values) + "]"
    return f"arrayElement({arr}, 1 + ({expr}) % {len(values)})"


PRODUCTS = [
    ("Support Agent", "agent", "Answers customer support chats."),
    ("Sales SDR Agent", "agent", "Writes and sends outbound sales e-mails."),
    ("Document Analyst", "agent", "Summarizes and extracts data from documents."),
    ("Ticket Resolver", "agent", "Triages and resolves helpdesk tickets."),
    ("Voice Concierge", "agent", "Handles inbound phone calls."),
    ("Starter Credit Pack", "credit_bundle", "10,000 Agent Credits, prepaid."),
    ("Scale Credit Pack", "credit_bundle", "100,000 Agent Credits, prepaid."),
    ("Premium Token Pack", "credit_bundle", "5,000 Premium Tokens, prepaid."),
]
SIGNAL_NAMES = ["chat_reply", "chat_reply", "chat_reply", "email_sent", "email_sent",
                "document_summarized", "ticket_resolved", "call"]  # fmt: skip
# Payload values of the examples' keys; repeats weigh a value (a list of 20 is in steps of 5%).
#: `call.call_status`: most calls connect; the rest ring out, reach voicemail, fail or are busy
CALL_STATUSES = ["completed"] * 12 + ["no_answer"] * 3 + ["voicemail"] * 3 + ["failed", "busy"]
#: `account_tier`: the end customer's tier in the organization's own system (one per customer)
ACCOUNT_TIERS = ["free"] * 7 + ["starter"] * 6 + ["growth"] * 4 + ["enterprise"] * 3
#: `opportunity_stage`: the sales stage of the deal an e-mail or a call works on
OPPORTUNITY_STAGES = (["prospecting"] * 6 + ["qualification"] * 5 + ["proposal"] * 3
                      + ["negotiation", "negotiation", "closed_won", "closed_won", "closed_lost", "closed_lost"])  # fmt: skip
# vendor, model, input and output price in thousandths of a cent per million tokens
MODELS = [
    ("openai", "gpt-4o", 250_000_017, 1_000_000_033),
    ("openai", "gpt-4o-mini", 15_000_011, 60_000_007),
    ("cohere", "command-r-plus", 300_000_019, 1_500_000_029),
    ("google", "gemini-2.5-flash", 80_000_003, 400_000_013),
    ("google", "gemini-2.5-pro", 125_000_009, 1_000_000_021),
    ("mistral", "mistral-large", 200_000_031, 600_000_001),
]
COUNTRIES = ["US", "US", "US", "GB", "DE", "FR", "CA", "JP", "BR", "IN"]
US_STATES = ["CA", "NY", "TX", "WA", "MA", "IL"]
CITIES = ["Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Franklin"]
NAME_A = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Proseware",
          "Adatum", "Woodgrove", "Lucerne", "Coho", "Humongous"]  # fmt: skip
NAME_B = ["Labs", "Health", "Logistics", "Retail", "Bank", "Studios", "Systems", "Foods"]


def statements(
    spec: OrgSpec, database: str, org_id: str, seed: int, as_of: dt.datetime
) -> list[str]:
    """INSERT statements filling one organization's database as of `as_of` (UTC): a fixed
    instant, so a worker started again later generates the very same rows."""
    now = f"toDateTime64('{as_of:%Y-%m-%d %H:%M:%S}', 3, 'UTC')"
    today = f"toDate({now})"
    products = ", ".join(f"('{n}', '{k}', '{d}')" for n, k, d in PRODUCTS)
    models = ", ".join(f"('{v}', '{m}', {i}, {o})" for v, m, i, o in MODELS)
    sql = [
        f"""INSERT INTO {{db}}.dim_organization SELECT toUUID('{org_id}'), '{spec.display}',
            '{spec.tier}', 'USD', {now} - toIntervalDay(720)""",
        f"""INSERT INTO {{db}}.dim_credits_currency SELECT {_uuid("cc", "number")},
            ['Agent Credits', 'Premium Tokens'][number + 1], ['AC', 'PT'][number + 1],
            [toDecimal64('0.500000', 6), toDecimal64('1.250000', 6)][number + 1],
            {now} - toIntervalDay(700) FROM numbers(2)""",
        f"""INSERT INTO {{db}}.dim_product SELECT {_uuid("product", "number")}, p.1, p.2, p.3,
            if(p.2 = 'credit_bundle', {_uuid("cc", "if(number = 7, 1, 0)")}, NULL),
            {now} - toIntervalDay(600 - number * 30)
            FROM numbers(8) ARRAY JOIN [arrayElement([{products}], number + 1)] AS p""",
        f"""INSERT INTO {{db}}.dim_plan SELECT {_uuid("plan", "number")},
            concat(g, ' ', if(number % 2 = 0, 'Monthly', 'Annual')), g,
            if(number % 2 = 0, 'monthly', 'annual'),
            [4900, 4400, 19900, 17900, 99900, 89900][number + 1],
            [1000, 1000, 10000, 10000, 100000, 100000][number + 1],
            number < 4, number >= 2, {now} - toIntervalDay(650)
            FROM numbers(6) ARRAY JOIN [['Starter', 'Growth', 'Enterprise'][intDiv(number, 2) + 1]] AS g""",
        f"""INSERT INTO {{db}}.dim_customer SELECT {_uuid("customer", "number")} AS id,
            concat({_pick(NAME_A, _h("number, 'a'"))}, ' ', {_pick(NAME_B, _h("number, 'b'"))}) AS nm,
            concat(nm, if(number % 3 = 0, ' Inc.', ' LLC')),
            concat('billing@', lower(replaceAll(nm, ' ', '')), toString(number), '.example'),
            concat('ext-', lower(hex({_h("number, 'x'")} % 1000000))),
            concat('CUS-', leftPad(toString(number + 1), 6, '0')),
            if(number >= 10 AND {_h("number, 'p'")} % 5 = 0, {_uuid("customer", f"{_h('number')} % 10")}, NULL),
            if({_h("number, 'r'")} % 7 = 0, NULL, toInt64(({_h("number, 'r'")} % 5000 + 50) * 100000000)),
            multiIf({_h("number, 's'")} % 9 = 0, 'churned', {_h("number, 's'")} % 9 = 1, 'trial', 'active') AS st,
            if(st = 'churned', {today} - toIntervalDay({_h("number, 'c'")} % 60), NULL),
            {_pick(COUNTRIES, _h("number, 'k'"))} AS ctry,
            if(ctry = 'US', {_pick(US_STATES, _h("number, 'st'"))}, NULL),
            {_pick(CITIES, _h("number, 'ci'"))},
            {now} - toIntervalDay(100 + {_h("number, 'd'")} % 300)
            FROM numbers({spec.customers})""",
        f"""INSERT INTO {{db}}.fact_signal SELECT {_uuid("signal", "number")},
            {_pick(SIGNAL_NAMES, _h("number, 'n'"))} AS sn,
            {_uuid("customer", "ci")},
            multiIf(sn = 'chat_reply', {_uuid("product", "0")}, sn = 'email_sent', {_uuid("product", "1")},
                    sn = 'document_summarized', {_uuid("product", "2")}, sn = 'call', {_uuid("product", "4")},
                    {_uuid("product", "3")}),
            {_uuid("trace", "number")},
            multiIf(
              sn = 'chat_reply', concat('{{"country":"', {_pick(COUNTRIES, _h("number, 'k'"))},
                '","tokens":', toString(200 + {_h("number, 't'")} % 4000), ',"model":"',
                {_pick([m for _, m, _, _ in MODELS], _h("number, 'm'"))}, '","resolved":',
                if({_h("number, 'ok'")} % 4 = 0, 'false', 'true'), ',"account_tier":"', tier, '"}}'),
              sn = 'email_sent', concat('{{"country":"', {_pick(COUNTRIES, _h("number, 'k'"))},
                '","recipients":', toString(1 + {_h("number, 'r'")} % 50),
                ',"campaign":{{"id":"cmp-', toString({_h("number, 'cp'")} % 12), '","channel":"',
                {_pick(["outbound", "nurture", "renewal"], _h("number, 'ch'"))}, '"}},"account_tier":"', tier,
                '","opportunity_stage":"', stage, '"}}'),
              sn = 'call', concat('{{"call_status":"', call_status, '","call_length_sec":',
                toString(multiIf(call_status = 'completed', 20 + {_h("number, 'cl'")} % 300 + {_h("number, 'cl2'")} % 300,
                                 call_status = 'voicemail', 8 + {_h("number, 'cl'")} % 40, 0)),
                ',"account_tier":"', tier, '","opportunity_stage":"', stage, '"}}'),
              sn = 'document_summarized', concat('{{"pages":', toString(1 + {_h("number, 'pg'")} % 80),
                ',"language":"', {_pick(["en", "de", "fr", "ja"], _h("number, 'l'"))},
                '","score":', toString(round(({_h("number, 'sc'")} % 1000) / 1000, 3)),
                ',"account_tier":"', tier, '"}}'),
              concat('{{"priority":"', {_pick(["low", "normal", "high", "urgent"], _h("number, 'pr'"))},
                '","minutes_saved":', toString(round(({_h("number, 'ms'")} % 9000) / 100, 2)),
                ',"tags":["', {_pick(["billing", "login", "bug", "refund"], _h("number, 'tg'"))}, '"],"account_tier":"', tier, '"}}')),
            {now} - toIntervalMillisecond(toUInt64((1 - sqrt({_h("number, 'ts'")} / 18446744073709551615.0))
              * {DAYS} * 86400000))
            FROM (SELECT number,
                  toUInt64(pow({_h("number, 'u'")} / 18446744073709551615.0, 2) * {spec.customers}) AS ci,
                  {_pick(ACCOUNT_TIERS, _h("ci, 'tier'"))} AS tier,
                  {_pick(OPPORTUNITY_STAGES, _h("number, 'os'"))} AS stage,
                  {_pick(CALL_STATUSES, _h("number, 'cs'"))} AS call_status FROM numbers({spec.signals}))""",
        f"""INSERT INTO {{db}}.fact_cost SELECT {_uuid("cost", "concat(toString(signal_id), toString(k))")},
            trace_id, m.1, m.2, toUInt32(200 + cityHash64(signal_id, k, 'i') % 6000) AS it,
            toUInt32(50 + cityHash64(signal_id, k, 'o') % 1500) AS ot,
            toDecimal128(it * m.3 + ot * m.4, 10) / toDecimal128(1000000000000, 0),
            toUInt32(150 + cityHash64(signal_id, k, 'l') % 4000), customer_id, product_id,
            created_at - toIntervalMillisecond(100 + cityHash64(signal_id, k, 'd') % 5000)
            FROM {{db}}.fact_signal
            ARRAY JOIN range(multiIf(cityHash64(signal_id) % 10 = 9, 0, cityHash64(signal_id) % 10 = 0, 2, 1)) AS k
            ARRAY JOIN [arrayElement([{models}], 1 + cityHash64(signal_id, k, 'v') % {len(MODELS)})] AS m""",
        f"""INSERT INTO {{db}}.fact_delivered_value SELECT {_uuid("value", "signal_id")}, signal_id,
            customer_id, product_id,
            multiIf(signal_name = 'email_sent', 'pipeline_generated',
                    signal_name = 'ticket_resolved', 'cost_avoided', 'time_saved'),
            toInt64(50 + cityHash64(signal_id, 'va') % 5000), created_at + toIntervalSecond(30)
            FROM {{db}}.fact_signal WHERE cityHash64(signal_id, 'dv') % 3 = 0""",
        f"""INSERT INTO {{db}}.fact_order_line SELECT
            {_uuid("order_line", "concat(toString(id), '/', toString(k))")},
            {_uuid("order", "id")}, {_uuid("product", "(" + _h("toString(id), k") + ") % 8")},
            toUInt32(1 + {_h("toString(id), k, 'q'")} % 20) AS q,
            toInt64([2900, 4900, 9900, 19900][1 + {_h("toString(id), k, 'p'")} % 4]) AS up,
            q * up, created_at
            FROM {{db}}.dim_customer ARRAY JOIN range(1 + {_h("toString(id), 'nl'")} % 3) AS k""",
        f"""INSERT INTO {{db}}.fact_usage_summary SELECT
            {_uuid("usage", "concat(toString(ol.id), '/', toString(m))")}, ol.id, c.id, ol.product_id,
            addMonths(toStartOfMonth(toDate(c.created_at)), m) AS ps, toLastDayOfMonth(ps),
            toUInt64(ol.quantity * 1000 * (0.6 + (cityHash64(ol.id, m) % 1000) / 1000 * (0.6 + m / 12))) AS used,
            toUInt64(ol.quantity * 1000) AS incl, greatest(used, incl) - incl AS over,
            toInt64(over * 3)
            FROM {{db}}.fact_order_line AS ol
            INNER JOIN {{db}}.dim_customer AS c ON ol.order_id = {_uuid("order", "c.id")}
            ARRAY JOIN range(toUInt64(least(12, dateDiff('month', toDate(c.created_at), {today}) + 1))) AS m
            WHERE ps <= {today} AND (c.churn_date IS NULL OR ps <= c.churn_date)""",
        f"""INSERT INTO {{db}}.fact_invoice_line SELECT
            {_uuid("invoice_line", "u.id")},
            {_uuid("invoice", "concat(toString(ol.order_id), '/', toString(u.period_start))")},
            ol.id, ol.product_id, concat('Subscription and usage ', toString(u.period_start)),
            ol.total_amount + u.overage_amount,
            toDateTime64(u.period_end, 3, 'UTC') + toIntervalHour(23)
            FROM {{db}}.fact_usage_summary AS u INNER JOIN {{db}}.fact_order_line AS ol
            ON u.order_line_id = ol.id""",
        f"""INSERT INTO {{db}}.fact_invoice SELECT invoice_id, any(customer_id), order_id,
            concat('INV-', upper(substring(hex(MD5(toString(invoice_id))), 1, 8))),
            multiIf(period_start = toStartOfMonth({today}), 'draft',
                    cityHash64(invoice_id) % 23 = 0, 'void',
                    cityHash64(invoice_id) % 5 = 0 OR period_start >= addMonths(toStartOfMonth({today}), -1),
                    'posted', 'paid') AS st,
            toLastDayOfMonth(period_start) AS issued, issued + toIntervalDay(30) AS due,
            sum(line_amount) AS net, intDiv(net * 8, 100) AS vat, net + vat,
            if(st = 'paid', net + vat, 0) AS paid, if(st IN ('posted', 'paid'), net + vat - paid, 0) AS owed,
            owed > 0 AND due < {today}, toDateTime64(issued, 3, 'UTC') + toIntervalHour(23)
            FROM (SELECT l.invoice_id AS invoice_id, l.amount AS line_amount, ol.order_id AS order_id,
                         c.id AS customer_id, toStartOfMonth(toDate(l.created_at)) AS period_start
                  FROM {{db}}.fact_invoice_line AS l
                  INNER JOIN {{db}}.fact_order_line AS ol ON l.order_line_id = ol.id
                  INNER JOIN {{db}}.dim_customer AS c ON ol.order_id = {_uuid("order", "c.id")})
            GROUP BY invoice_id, order_id, period_start""",
        f"""INSERT INTO {{db}}.fact_order SELECT {_uuid("order", "c.id")} AS oid, c.id,
            {_uuid("plan", _h("toString(c.id), 'plan'") + " % 6")},
            if(c.status = 'churned', 'ended', 'active'), toDate(c.created_at), c.churn_date,
            ifNull(ol.monthly, 0) * 12, ifNull(inv.billed, 0), c.created_at
            FROM {{db}}.dim_customer AS c
            LEFT JOIN (SELECT order_id, sum(total_amount) AS monthly FROM {{db}}.fact_order_line
                       GROUP BY order_id) AS ol ON ol.order_id = {_uuid("order", "c.id")}
            LEFT JOIN (SELECT order_id, sum(total_excl_tax) AS billed FROM {{db}}.fact_invoice
                       WHERE status != 'void' GROUP BY order_id) AS inv
            ON inv.order_id = {_uuid("order", "c.id")}""",
        f"""INSERT INTO {{db}}.fact_payment SELECT {_uuid("payment", "concat(toString(id), toString(k))")},
            id, customer_id,
            if(n = 1, amount_paid, if(k = 0, intDiv(amount_paid, 2), amount_paid - intDiv(amount_paid, 2))),
            {_pick(["card", "bank_transfer", "direct_debit"], "cityHash64(id, 'pm')")},
            toDateTime64(issue_date + toIntervalDay(3 + cityHash64(id, k) % 25), 3, 'UTC')
              + toIntervalSecond(cityHash64(id, k, 's') % 86400)
            FROM {{db}}.fact_invoice
            ARRAY JOIN [if(cityHash64(id, 'split') % 4 = 0, 2, 1)] AS n
            ARRAY JOIN range(n) AS k
            WHERE amount_paid > 0""",
        f"""INSERT INTO {{db}}.fact_credit_transaction
            SELECT {_uuid("credit", "concat(toString(ol.id), '/', toString(m))")}, c.id,
                   p.credits_currency_id, 'grant', toDecimal128(ol.quantity * 10000, 10),
                   NULL, c.created_at + toIntervalDay(30 * m)
            FROM {{db}}.fact_order_line AS ol
            INNER JOIN {{db}}.dim_product AS p ON ol.product_id = p.id
            INNER JOIN {{db}}.dim_customer AS c ON ol.order_id = {_uuid("order", "c.id")}
            ARRAY JOIN range(toUInt64(least(12, dateDiff('day', c.created_at, {now}) / 30 + 1))) AS m
            WHERE p.kind = 'credit_bundle'
            UNION ALL
            SELECT {_uuid("credit", "signal_id")}, customer_id,
                   {_uuid("cc", "cityHash64(signal_id, 'cur') % 2")},
                   'spend', -toDecimal128(1 + cityHash64(signal_id, 'amt') % 4000, 10) / 100, signal_id, created_at
            FROM {{db}}.fact_signal WHERE cityHash64(signal_id, 'cr') % 4 = 0
            UNION ALL
            SELECT {_uuid("credit", "concat('x', toString(id))")}, id,
                   {_uuid("cc", "0")}, 'expire', -toDecimal128(10000 + cityHash64(id, 'e') % 90000, 10) / 100, NULL,
                   {now} - toIntervalDay(cityHash64(id, 'ed') % 80)
            FROM {{db}}.dim_customer WHERE cityHash64(id, 'ex') % 4 = 0""",
    ]
    names = {"{db}": f"`{database}`", "{seed}": str(seed), "{org}": spec.name}
    out = []
    for text in sql:
        for key, value in names.items():
            text = text.replace(key, value)
        out.append(text)
    return out
