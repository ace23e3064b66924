"""The wire contract's tables: the message scrubber, engine errors to API codes, API codes to
ClickHouse names, and the README's error table."""

from __future__ import annotations

import re

from paid_dbapi._contract import (
    ERRORS,
    clickhouse_name,
    engine_code,
    scrub,
)
from tests.servers import ROOT

README = ROOT / "README.md"


# -- scrubbing ---------------------------------------------------------------------------


def test_scrub_removes_what_a_caller_must_not_see() -> None:
    text = scrub(
        "Table `paid_org_x`.fact_signal, paid_org_x.dim_customer and paid_org_x "
        "(123e4567-e89b-12d3-a456-426614174000) at 0x7f3a9c0012f0 "
        "in /var/lib/clickhouse/store/abc (version 26.9.2.1)",
        ["paid_org_x"],
    )
    assert text == ("Table fact_signal, dim_customer and  (<uuid>) at <address> in <path>")


def test_scrub_leaves_plain_text_alone_and_cuts_at_the_limit() -> None:
    plain = "unknown column x: fact_cost has no column x; maybe you meant x_id"
    assert scrub(plain) == plain
    assert scrub("/a" + "b" * 5000) == "/a" + "b" * 998  # one path segment is no path
    assert len(scrub("x" * 5000, limit=2000)) == 2000
    assert scrub("0x12345 /tmp is short") == "0x12345 /tmp is short"  # no address, no path


# -- error codes -------------------------------------------------------------------------


def test_engine_errors_map_to_the_apis_codes() -> None:
    """What the emulator answers for each engine error name (the old ENGINE_ERRORS)."""
    expected = {
        "TIMEOUT_EXCEEDED": (408, "QUERY_TIMEOUT"),
        "MEMORY_LIMIT_EXCEEDED": (400, "MEMORY_LIMIT"),
        "UNKNOWN_TABLE": (400, "UNKNOWN_TABLE"),
        "UNKNOWN_IDENTIFIER": (400, "UNKNOWN_COLUMN"),
        "SYNTAX_ERROR": (400, "SYNTAX_ERROR"),
        "UNKNOWN_DATABASE": (400, "QUALIFIED_NAME"),
        "READONLY": (400, "NOT_A_SELECT"),
        "ACCESS_DENIED": (400, "FORBIDDEN_FUNCTION"),
        "UNKNOWN_FUNCTION": (400, "QUERY_ERROR"),
        "RESULT_TOO_LARGE": (400, "RESULT_TOO_LARGE"),
        "INTERNAL": (500, "INTERNAL_ERROR"),
        "TYPE_MISMATCH": (400, "QUERY_ERROR"),  # any other name
        "": (400, "QUERY_ERROR"),
    }
    assert {name: engine_code(name) for name in expected} == expected


def test_api_codes_map_to_clickhouse_names() -> None:
    """What the gateway answers a ClickHouse client for each API (or guard) code; codes
    without a fixed name are mapped by HTTP status."""
    expected = {
        "UNKNOWN_TABLE": "UNKNOWN_TABLE",
        "QUALIFIED_NAME": "UNKNOWN_TABLE",
        "UNKNOWN_COLUMN": "UNKNOWN_IDENTIFIER",
        "SYNTAX_ERROR": "SYNTAX_ERROR",
        "NOT_A_SELECT": "READONLY",
        "MULTIPLE_STATEMENTS": "SYNTAX_ERROR",
        "FORBIDDEN_CLAUSE": "ACCESS_DENIED",
        "FORBIDDEN_FUNCTION": "ACCESS_DENIED",
        "FORBIDDEN_TABLE_FUNCTION": "ACCESS_DENIED",
        "QUERY_TIMEOUT": "TIMEOUT_EXCEEDED",
        "MEMORY_LIMIT": "MEMORY_LIMIT_EXCEEDED",
        "RATE_LIMITED": "TOO_MANY_SIMULTANEOUS_QUERIES",
        "TOO_MANY_QUERIES": "TOO_MANY_SIMULTANEOUS_QUERIES",
        "UNAUTHENTICATED": "AUTHENTICATION_FAILED",
        "INVALID_API_KEY": "AUTHENTICATION_FAILED",
        "BAD_REQUEST": "BAD_ARGUMENTS",
        "TRUNCATED": "TOO_MANY_ROWS_OR_BYTES",
    }
    assert {code: clickhouse_name(code) for code in ERRORS if clickhouse_name(code)} == expected
    for code in ("QUERY_ERROR", "RESULT_TOO_LARGE", "INTERNAL_ERROR", "UNKNOWN_DATABASE", None):
        assert clickhouse_name(code) is None


def test_the_documented_error_table_is_the_contracts() -> None:
    """Each status and code of the README's table of the emulator's errors is in `ERRORS`."""
    section = README.read_text(encoding="utf-8").split("Error bodies are", 1)[1]
    rows = re.findall(r"^\| (\d{3}) \| `([A-Z_]+)` \|(.*)$", section.split("\n## ", 1)[0], re.M)
    documented = {code: int(status) for status, code, _ in rows}
    for status, code in re.findall(r"\((\d{3}) `([A-Z_]+)` for", section):
        documented[code] = int(status)
    assert len(documented) >= 20
    assert {code: ERRORS[code].status for code in documented} == documented


# -- bodies ------------------------------------------------------------------------------
