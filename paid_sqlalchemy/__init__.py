"""paid_sqlalchemy: a read-only SQLAlchemy dialect for the Paid Analytics API.

URLs: `paid://token:<API_KEY>@`, `paid+http://token:<KEY>@127.0.0.1:8080`, `paid+demo://`.
"""

from __future__ import annotations

from ._dialect import PaidDemoDialect, PaidDialect, PaidHTTPDialect
from ._sqlglot_dialect import PaidClickHouse

__all__ = ["PaidClickHouse", "PaidDemoDialect", "PaidDialect", "PaidHTTPDialect"]
