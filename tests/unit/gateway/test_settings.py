"""A request's settings become literals, never SQL text (over HTTP against the real gateway:
tests/integration/gateway/test_settings.py)."""

from __future__ import annotations

from paid_dbapi.gateway._settings import read


def test_values_become_literals_never_sql() -> None:
    checked = read({"format_csv_delimiter": "'", "date_time_output_format": "iso",
                    "output_format_json_quote_64bit_integers": "true", "query_id": "x'y"})  # fmt: skip
    assert checked.formats == {"format_csv_delimiter": "'\\''", "date_time_output_format": "'iso'",
                               "output_format_json_quote_64bit_integers": "1"}  # fmt: skip
