"""A sqlglot ClickHouse dialect that keeps ClickHouse's date functions as written.

Tools such as Superset parse and regenerate SQL with sqlglot. Its ClickHouse dialect turns
`toStartOfMonth(x)` into `dateTrunc('MONTH', x)` (a DateTime instead of a Date) and
`dateDiff('day', a, b)` into `DATE_DIFF(DAY, a, b)`; this dialect leaves them untouched.
"""

from __future__ import annotations

from sqlglot.dialects.clickhouse import ClickHouse

#: ClickHouse functions whose sqlglot round trip would change the query's meaning or text.
KEPT_AS_WRITTEN = ("TOSTARTOF", "TOMONDAY", "DATEDIFF", "DATE_DIFF", "TIMESTAMP_DIFF", "DATETRUNC")


class PaidClickHouse(ClickHouse):
    """ClickHouse, with the functions in KEPT_AS_WRITTEN parsed as plain function calls."""

    class Parser(ClickHouse.Parser):  # type: ignore[valid-type,misc]
        FUNCTIONS = {  # noqa: RUF012 - sqlglot's attribute
            name: builder
            for name, builder in ClickHouse.Parser.FUNCTIONS.items()
            if not name.startswith(KEPT_AS_WRITTEN)
        }
