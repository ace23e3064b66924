"""Arrow refuses what it cannot hold by naming the column (typed frames on every path:
tests/integration/frames)."""

from __future__ import annotations

import httpx
import pytest

import paid_dbapi
from paid_dbapi import DataError


def test_a_value_arrow_cannot_hold_is_a_data_error_naming_the_column() -> None:
    """An Int64 past 64 bits (a Python int holds it, Arrow's int64 cannot)."""
    body = b'{"columns": [{"name": "big", "type": "Int64"}], "rows": [["9223372036854775808"]]}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with paid_dbapi.connect("key", base_url="https://odd.invalid", transport=transport) as conn:
        cur = conn.cursor()
        assert cur.execute("SELECT 1").fetchall() == [(9223372036854775808,)]
        with pytest.raises(DataError, match=r"column 'big' cannot be held by Arrow as Int64"):
            cur.execute("SELECT 1").fetch_arrow_table()
