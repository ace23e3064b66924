"""Primary and foreign keys of the views, from the join keys the data model documents.

The service has no constraints to reflect; tools that draw joins need them, so they are
derived here and kept only where both ends exist in the live schema.
"""

from __future__ import annotations

from paid_dbapi._metadata import ViewInfo

#: (table, column, referred table, referred column); "fact_*" means every fact view.
JOIN_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("fact_*", "customer_id", "dim_customer", "id"),
    ("fact_*", "product_id", "dim_product", "id"),
    ("fact_signal", "trace_id", "fact_cost", "trace_id"),
    ("fact_delivered_value", "signal_id", "fact_signal", "signal_id"),
    ("fact_order", "plan_id", "dim_plan", "id"),
    ("fact_order_line", "order_id", "fact_order", "id"),
    ("fact_invoice_line", "order_line_id", "fact_order_line", "id"),
    ("fact_invoice_line", "invoice_id", "fact_invoice", "id"),
    ("fact_payment", "invoice_id", "fact_invoice", "id"),
    ("fact_usage_summary", "order_line_id", "fact_order_line", "id"),
    ("fact_credit_transaction", "credits_currency_id", "dim_credits_currency", "id"),
    ("dim_product", "credits_currency_id", "dim_credits_currency", "id"),
    ("dim_customer", "parent_customer_id", "dim_customer", "id"),
)
#: Views whose key is not called `id`.
PRIMARY_KEYS = {"fact_signal": "signal_id"}


def _columns(views: dict[str, ViewInfo], name: str) -> set[str]:
    view = views.get(name)
    return {c.name for c in view.columns} if view else set()


def primary_key(views: dict[str, ViewInfo], table: str) -> list[str]:
    """The key column of a view, if the live schema has it."""
    column = PRIMARY_KEYS.get(table, "id")
    return [column] if column in _columns(views, table) else []


def foreign_keys(views: dict[str, ViewInfo], table: str) -> list[tuple[str, str, str]]:
    """(column, referred table, referred column) for one view, both ends live."""
    found = []
    for source, column, target, target_column in JOIN_KEYS:
        matches = table == source or (source == "fact_*" and table.startswith("fact_"))
        if (
            matches
            and column in _columns(views, table)
            and target_column in _columns(views, target)
            and (table, column) != (target, target_column)
        ):
            found.append((column, target, target_column))
    return found
