"""paid_sqlalchemy: a read-only SQLAlchemy dialect for the Paid Analytics API.

URLs: `paid://token:<API_KEY>@`, `paid+http://token:<KEY>@127.0.0.1:8080`, `paid+demo://`.
"""

from __future__ import annotations

from .dialect import PaidDemoDialect, PaidDialect, PaidHTTPDialect

__all__ = ["PaidDemoDialect", "PaidDialect", "PaidHTTPDialect"]
