"""A request's settings: malformed values are ClickHouse's errors (never a 500), and no value
ever becomes SQL text; checked over HTTP against the real gateway (see conftest)."""

from __future__ import annotations

import httpx
import pytest

from paid_dbapi.gateway._clickhouse_errors import ClickHouseError
from paid_dbapi.gateway._settings import read

SQL = "SELECT 1 AS n, 'x' AS s FORMAT CSV"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("format_csv_delimiter", ";;"),
        ("format_csv_delimiter", "x" * 10_000),
        ("format_csv_delimiter", ""),
        ("format_csv_delimiter", "\u00e9"),
        ("output_format_json_quote_64bit_integers", "1, max_threads = 1000"),
        ("output_format_json_quote_64bit_integers", "2"),
        ("date_time_output_format", "iso'), (SELECT 1"),
        ("output_format_pretty_max_rows", "-1"),
        ("output_format_pretty_max_rows", "1e3"),
        ("output_format_pretty_max_rows", "99999999999999999999"),
        ("max_result_rows", "ten"),
        ("result_overflow_mode", "drop"),
        ("paid_on_truncation", "maybe"),
        ("log_comment", "a\nb"),
        ("max_threads", "4; DROP TABLE x"),
    ],
)
def test_malformed_values_are_bad_arguments(http: httpx.Client, name: str, value: str) -> None:
    answer = http.post("/", params={name: value}, content=SQL.encode())
    assert answer.status_code == 400, answer.text
    assert answer.headers["x-clickhouse-exception-code"] == "36"
    assert f"for setting {name}" in answer.text
    with pytest.raises(ClickHouseError) as caught:
        read({name: value})
    assert caught.value.name == "BAD_ARGUMENTS"


def test_good_values_shape_the_output_as_clickhouse_does(http: httpx.Client) -> None:
    assert (
        http.post("/", params={"format_csv_delimiter": "|"}, content=SQL.encode()).text == '1|"x"\n'
    )
    assert (
        http.post("/", params={"format_csv_delimiter": "'"}, content=SQL.encode()).text
        == '1\'"x"\n'
    )
    assert http.post("/", params={"max_result_rows": " 5 "}, content=SQL.encode()).text == '1,"x"\n'


def test_session_timezone_is_honoured_only_as_the_apis_own_zone(http: httpx.Client) -> None:
    """ClickHouse would run the query in that zone; the API runs every query in UTC and takes no
    settings, so another zone is refused (48) rather than silently answered in UTC."""
    sql = b"SELECT timezone() FORMAT TSV"
    for zone in ("UTC", "", " UTC "):
        answer = http.post("/", params={"session_timezone": zone}, content=sql)
        assert answer.status_code == 200, answer.text
        assert answer.text == "UTC\n"
    answer = http.post("/", params={"session_timezone": "Asia/Kolkata"}, content=sql)
    assert answer.headers["x-clickhouse-exception-code"] == "48"
    assert answer.text.startswith("Code: 48. DB::Exception: session_timezone 'Asia/Kolkata'")
    assert "toTimeZone(column, 'Asia/Kolkata')" in answer.text
