"""Superset engine spec for the Paid Analytics API (registered as `paid`; needs Superset).

Time grains use ClickHouse's `toStartOf...` functions, temporal literals follow the column's
ClickHouse type (parsed by the driver's own parser), and SQL Lab's sqlglot round trip uses
a ClickHouse dialect that keeps those functions as written.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import types
from superset.constants import TimeGrain  # type: ignore[import-not-found]
from superset.db_engine_specs.base import BaseEngineSpec  # type: ignore[import-not-found]
from superset.utils.core import GenericDataType  # type: ignore[import-not-found]

from paid_dbapi.types import parse_type

from .sqlglot_dialect import PaidClickHouse


def _type(pattern: str) -> re.Pattern[str]:
    """A ClickHouse type pattern that also matches inside LowCardinality/Nullable."""
    return re.compile(r"^(?:LowCardinality\()?(?:Nullable\()?" + pattern, re.I)


def _register_sqlglot_dialect() -> None:
    """Make SQL Lab parse `paid` databases with PaidClickHouse (config may override it)."""
    try:
        from superset.sql.parse import SQLGLOT_DIALECTS  # type: ignore[import-not-found]
    except ImportError:  # older Superset: use the SQLGLOT_DIALECTS_EXTENSIONS config line
        return
    SQLGLOT_DIALECTS.setdefault("paid", PaidClickHouse)


class PaidEngineSpec(BaseEngineSpec):  # type: ignore[misc]
    """The Paid Analytics API: read-only ClickHouse SQL over HTTPS."""

    engine = "paid"
    engine_name = "Paid Analytics"
    sqlalchemy_uri_placeholder = "paid://token:<API_KEY>@"
    default_driver = "https"
    # ClickHouse resolves a SELECT alias before a same-named column in WHERE/GROUP BY.
    allows_alias_to_source_column = False
    supports_file_upload = False
    disable_ssh_tunneling = True

    _time_grain_expressions = {  # noqa: RUF012 - Superset's attribute
        None: "{col}",
        TimeGrain.SECOND: "toStartOfInterval(toDateTime({col}), INTERVAL 1 SECOND)",
        TimeGrain.MINUTE: "toStartOfMinute(toDateTime({col}))",
        TimeGrain.FIVE_MINUTES: "toStartOfFiveMinutes(toDateTime({col}))",
        TimeGrain.TEN_MINUTES: "toStartOfTenMinutes(toDateTime({col}))",
        TimeGrain.FIFTEEN_MINUTES: "toStartOfFifteenMinutes(toDateTime({col}))",
        TimeGrain.THIRTY_MINUTES: "toStartOfInterval(toDateTime({col}), INTERVAL 30 MINUTE)",
        TimeGrain.HOUR: "toStartOfHour(toDateTime({col}))",
        TimeGrain.DAY: "toStartOfDay(toDateTime({col}))",
        TimeGrain.WEEK: "toStartOfWeek(toDateTime({col}), 1)",
        TimeGrain.MONTH: "toStartOfMonth(toDateTime({col}))",
        TimeGrain.QUARTER: "toStartOfQuarter(toDateTime({col}))",
        TimeGrain.YEAR: "toStartOfYear(toDateTime({col}))",
    }

    column_type_mappings = (
        (_type(r"Date(?:32)?\b"), types.Date(), GenericDataType.TEMPORAL),
        (_type(r"DateTime(?:32|64)?\b"), types.DateTime(), GenericDataType.TEMPORAL),
        (_type(r"U?Int(?:8|16|32|64|128|256)\b"), types.BigInteger(), GenericDataType.NUMERIC),
        (_type(r"(?:Float|BFloat|Decimal)"), types.Numeric(), GenericDataType.NUMERIC),
        (_type(r"Bool\b"), types.Boolean(), GenericDataType.BOOLEAN),
        (_type(r"(?:String|FixedString|Enum|UUID|IPv)"), types.String(), GenericDataType.STRING),
    )

    @staticmethod
    def _mutate_label(label: str) -> str:
        """Suffix every label so it can never equal a source column name.

        ClickHouse resolves a SELECT alias before a same-named column anywhere in the query,
        so `toStartOfMonth(created_at) AS created_at ... GROUP BY toStartOfMonth(created_at)`
        would group by the alias. Superset renames result columns back to the expected labels.
        """
        return f"{label}__"

    @classmethod
    def epoch_to_dttm(cls) -> str:
        return "toDateTime({col})"

    @classmethod
    def epoch_ms_to_dttm(cls) -> str:
        return "fromUnixTimestamp64Milli(toInt64({col}))"

    @classmethod
    def convert_dttm(
        cls, target_type: str, dttm: datetime, db_extra: dict[str, Any] | None = None
    ) -> str | None:
        """A literal of the column's own temporal type (Nullable/LowCardinality unwrapped)."""
        try:
            base = parse_type(target_type).base
        except ValueError:
            return None
        zone = f", '{base.timezone}'" if base.timezone else ""
        if base.name in ("Date", "Date32"):
            return f"to{base.name}('{dttm.date().isoformat()}')"
        if base.name in ("DateTime", "DateTime32"):
            return f"toDateTime('{dttm.strftime('%Y-%m-%d %H:%M:%S')}'{zone})"
        if base.name == "DateTime64":
            return (
                f"toDateTime64('{dttm.strftime('%Y-%m-%d %H:%M:%S.%f')}', {base.precision}{zone})"
            )
        return None


_register_sqlglot_dialect()
