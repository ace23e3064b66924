"""A broken Paid dialect that lists no tables, for `test_browser_fails.py` only.

Python imports `sitecustomize` at start-up from its path, so putting this folder on PYTHONPATH
breaks the dialect in every process of a run, Superset's web server included.
"""

from typing import Any

from paid_sqlalchemy._dialect import PaidDialect


def _no_tables(
    self: PaidDialect, connection: Any, schema: str | None = None, **kw: Any
) -> list[str]:
    return []


PaidDialect.get_table_names = _no_tables  # type: ignore[method-assign]
