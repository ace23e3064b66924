"""The 15 views of the Analytics API: columns, ClickHouse types and documentation.

This is the DDL source; GET /schema reads the same comments back from the engine's system
tables, so the documented schema cannot drift from what queries see.
"""

from __future__ import annotations

TS = "DateTime64(3, 'UTC')"
LC = "LowCardinality(String)"
#: Credit amounts and balances: a Decimal count of credits (credits may be fractional), as the
#: vendor's definition types them; never integer cents.
CREDITS = "Decimal(38, 10)"

Column = tuple[str, str, str]

VIEWS: dict[str, tuple[str, list[Column]]] = {
    "dim_organization": ("The caller's own organization (one row).", [
        ("id", "UUID", "Organization id."),
        ("name", "String", "Organization display name."),
        ("plan_tier", LC, "Paid subscription tier of the organization: starter, growth or enterprise."),
        ("default_currency", LC, "ISO 4217 currency of amounts in cents."),
        ("created_at", TS, "When the organization was created."),
    ]),
    "dim_customer": ("A customer of the organization (the party billed for agent usage).", [
        ("id", "UUID", "Customer id (primary key)."),
        ("name", "String", "Customer display name."),
        ("legal_name", "String", "Registered legal name used on invoices."),
        ("email", "String", "Billing contact e-mail."),
        ("external_id", "String", "The customer's id in the organization's own system."),
        ("display_id", "String", "Human-readable customer number, e.g. CUS-000042."),
        ("parent_customer_id", "Nullable(UUID)", "Parent customer for hierarchy roll-ups; NULL for top-level customers."),
        ("annual_revenue", "Nullable(Int64)", "Customer's declared annual revenue in cents; NULL when unknown."),
        ("status", LC, "Lifecycle status: active, trial or churned."),
        ("churn_date", "Nullable(Date)", "Date the customer churned; NULL unless status is churned."),
        ("country", LC, "ISO 3166 country code."),
        ("state", "Nullable(String)", "State or region; NULL where the country has none on file."),
        ("city", "String", "City."),
        ("created_at", TS, "When the customer was created."),
    ]),
    "dim_credits_currency": ("A kind of credit the organization issues to its customers.", [
        ("id", "UUID", "Credits currency id (primary key)."),
        ("name", "String", "Credits currency name."),
        ("symbol", LC, "Short symbol shown next to balances."),
        ("cents_per_credit", "Decimal(18, 6)", "List price of one credit in cents."),
        ("created_at", TS, "When the currency was created."),
    ]),
    "dim_product": ("A product, also called an agent: an AI agent/service or a prepaid credit bundle.", [
        ("id", "UUID", "Product id (primary key)."),
        ("name", "String", "Product name."),
        ("kind", LC, "agent for an AI agent or service, credit_bundle for prepaid credits."),
        ("description", "String", "Product description."),
        ("credits_currency_id", "Nullable(UUID)", "Credits currency granted by a credit bundle; NULL for agents."),
        ("created_at", TS, "When the product was created."),
    ]),
    "dim_plan": ("A pricing configuration inside a plan group; plans chain by has_next_plan / has_prev_plan.", [
        ("id", "UUID", "Plan id (primary key)."),
        ("name", "String", "Plan name."),
        ("plan_group", LC, "Plan group the plan belongs to."),
        ("billing_period", LC, "monthly or annual."),
        ("price", "Int64", "Recurring platform fee per month in cents."),
        ("included_units", "UInt64", "Usage units included per month before overage applies."),
        ("has_next_plan", "Bool", "Whether a higher plan follows in the group."),
        ("has_prev_plan", "Bool", "Whether a lower plan precedes in the group."),
        ("created_at", TS, "When the plan was created."),
    ]),
    "fact_signal": ("One signal: a usage event reported by an agent.", [
        ("signal_id", "UUID", "Signal id (primary key)."),
        ("signal_name", LC, "Signal type, e.g. chat_reply or email_sent."),
        ("customer_id", "UUID", "Customer the signal is billed to (dim_customer.id)."),
        ("product_id", "UUID", "Agent that emitted the signal (dim_product.id)."),
        ("trace_id", "UUID", "Trace shared with the AI calls behind the signal (fact_cost.trace_id)."),
        ("data", "JSON", "Signal payload whose shape the organization defines; query paths as data.<path>::Type."),
        ("created_at", TS, "When the signal happened."),
    ]),
    "fact_cost": ("One AI/LLM call and its cost.", [
        ("id", "UUID", "Cost record id (primary key)."),
        ("trace_id", "UUID", "Trace of the call; joins fact_signal.trace_id."),
        ("vendor", LC, "Model vendor, e.g. openai or mistral."),
        ("model", LC, "Model name."),
        ("input_tokens", "UInt32", "Prompt tokens."),
        ("output_tokens", "UInt32", "Completion tokens."),
        ("cost_amount", "Decimal(38, 10)", "Cost of the call in cents, with fractional cents."),
        ("latency_ms", "UInt32", "Call latency in milliseconds."),
        ("customer_id", "UUID", "Customer the call served (dim_customer.id)."),
        ("product_id", "UUID", "Agent that made the call (dim_product.id)."),
        ("created_at", TS, "When the call was made."),
    ]),
    "fact_delivered_value": ("Business value delivered per signal, by value type.", [
        ("id", "UUID", "Delivered value record id (primary key)."),
        ("signal_id", "UUID", "Signal that delivered the value (fact_signal.signal_id)."),
        ("customer_id", "UUID", "Customer who received the value (dim_customer.id)."),
        ("product_id", "UUID", "Agent that delivered it (dim_product.id)."),
        ("value_type", LC, "Kind of value: time_saved, pipeline_generated or cost_avoided."),
        ("value_amount", "Int64", "Estimated value in cents."),
        ("created_at", TS, "When the value was recorded."),
    ]),
    "fact_order": ("A contract or subscription of a customer to a plan.", [
        ("id", "UUID", "Order id (primary key)."),
        ("customer_id", "UUID", "Ordering customer (dim_customer.id)."),
        ("plan_id", "UUID", "Plan of the order (dim_plan.id)."),
        ("status", LC, "active or ended."),
        ("start_date", "Date", "First day of the contract."),
        ("end_date", "Nullable(Date)", "Last day of the contract; NULL while it runs open-ended."),
        ("total_amount", "Int64", "Contract value for a 12-month term in cents."),
        ("total_billed_amount", "Int64", "Amount invoiced so far in cents, excluding tax."),
        ("created_at", TS, "When the order was created."),
    ]),
    "fact_order_line": ("A line of an order: one product at a monthly price.", [
        ("id", "UUID", "Order line id (primary key)."),
        ("order_id", "UUID", "Order of the line (fact_order.id)."),
        ("product_id", "UUID", "Product sold (dim_product.id)."),
        ("quantity", "UInt32", "Seats or bundles ordered."),
        ("unit_price", "Int64", "Monthly price per unit in cents."),
        ("total_amount", "Int64", "Monthly amount of the line in cents (quantity x unit_price)."),
        ("created_at", TS, "When the line was created."),
    ]),
    "fact_invoice": ("An invoice sent to a customer.", [
        ("id", "UUID", "Invoice id (primary key)."),
        ("customer_id", "UUID", "Invoiced customer (dim_customer.id)."),
        ("order_id", "UUID", "Order the invoice bills (fact_order.id)."),
        ("number", "String", "Invoice number."),
        ("status", LC, "draft, posted (sent, awaiting payment), paid or void."),
        ("issue_date", "Date", "Date of issue."),
        ("due_date", "Date", "Payment due date."),
        ("total_excl_tax", "Int64", "Total before tax in cents."),
        ("tax", "Int64", "Tax in cents."),
        ("total_incl_tax", "Int64", "Total including tax in cents."),
        ("amount_paid", "Int64", "Amount paid so far in cents."),
        ("amount_due", "Int64", "Amount still due in cents."),
        ("is_overdue", "Bool", "True when an amount is due after the due date."),
        ("created_at", TS, "When the invoice was created."),
    ]),
    "fact_invoice_line": ("A line of an invoice: one order line for one billing period.", [
        ("id", "UUID", "Invoice line id (primary key)."),
        ("invoice_id", "UUID", "Invoice of the line (fact_invoice.id)."),
        ("order_line_id", "UUID", "Order line billed (fact_order_line.id)."),
        ("product_id", "UUID", "Product billed (dim_product.id)."),
        ("description", "String", "Line text."),
        ("amount", "Int64", "Line amount in cents, excluding tax (recurring fee plus overage)."),
        ("created_at", TS, "When the line was created."),
    ]),
    "fact_payment": ("A payment received against an invoice.", [
        ("id", "UUID", "Payment id (primary key)."),
        ("invoice_id", "UUID", "Invoice paid (fact_invoice.id)."),
        ("customer_id", "UUID", "Paying customer (dim_customer.id)."),
        ("amount", "Int64", "Amount received in cents."),
        ("method", LC, "card, bank_transfer or direct_debit."),
        ("paid_at", TS, "When the payment was received."),
    ]),
    "fact_usage_summary": ("Billed usage per order line and monthly period, with the included allowance.", [
        ("id", "UUID", "Usage summary id (primary key)."),
        ("order_line_id", "UUID", "Order line the usage is billed on (fact_order_line.id)."),
        ("customer_id", "UUID", "Customer (dim_customer.id)."),
        ("product_id", "UUID", "Product (dim_product.id)."),
        ("period_start", "Date", "First day of the billing period."),
        ("period_end", "Date", "Last day of the billing period."),
        ("units_used", "UInt64", "Usage units consumed in the period."),
        ("included_units", "UInt64", "Units included in the period's fee."),
        ("overage_units", "UInt64", "Units above the allowance."),
        ("overage_amount", "Int64", "Overage billed in cents."),
    ]),
    "fact_credit_transaction": ("A credit grant, spend or expiry.", [
        ("id", "UUID", "Credit transaction id (primary key)."),
        ("customer_id", "UUID", "Customer whose balance changes (dim_customer.id)."),
        ("credits_currency_id", "UUID", "Credits currency (dim_credits_currency.id)."),
        ("kind", LC, "grant, spend or expire."),
        ("amount", CREDITS, "Credits added (positive) or removed (negative): a count of credits, never cents."),
        ("signal_id", "Nullable(UUID)", "Signal that spent the credits; NULL for grants and expiries."),
        ("created_at", TS, "When the transaction happened."),
    ]),
}  # fmt: skip


def create_table_sql(database: str, view: str) -> str:
    """DDL for one view inside an organization's database, comments included."""
    comment, columns = VIEWS[view]
    cols = ",\n  ".join(f"`{name}` {ctype} COMMENT {_q(doc)}" for name, ctype, doc in columns)
    return (
        f"CREATE TABLE `{database}`.`{view}` (\n  {cols}\n) ENGINE = Memory COMMENT {_q(comment)}"
    )


def _q(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
