"""A request's settings: ClickHouse's URL parameters, read against the gateway's allowlist.

Every parameter is either part of ClickHouse's HTTP protocol (query, credentials, ids,
compression), a setting the gateway applies (output format settings, `max_result_rows`,
`result_overflow_mode`, `paid_on_truncation`, `client_protocol_version` for Native,
`session_timezone` when it is the server's own zone, refused otherwise), or a
resource setting a client may send and that changes no result (accepted and left to the
gateway's own limits). Each value is checked against its type in Python; only format settings
reach an engine, as literals written by `paid_dbapi._literals`. A value a known setting cannot
take is ClickHouse's BAD_ARGUMENTS; no value is ever SQL text. Other names (settings drivers
send by habit, or ones the gateway has no use for) are ignored: they reach no engine.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .._literals import render_literal
from ._clickhouse_errors import ClickHouseError

logger = logging.getLogger(__name__)

_BOOLEANS = {"0": 0, "1": 1, "false": 0, "true": 1}
_MAX_UINT = 2**63 - 1
_TEXT = re.compile(r"[\x20-\x7e]{0,256}")

Reader = Callable[[str, str], int | str]

#: The time zone every engine and the Analytics API run in (timezone() answers it).
SERVER_TIMEZONE = "UTC"


def _bool(name: str, value: str) -> int:
    found = _BOOLEANS.get(value.strip().lower())
    if found is None:
        raise _bad(name, value, "expected 0, 1, true or false")
    return found


def _uint(name: str, value: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > _MAX_UINT:
        raise _bad(name, value, "expected an unsigned integer")
    return int(text)


def _char(name: str, value: str) -> str:
    if len(value) != 1 or not value.isascii():
        raise _bad(name, value, "a setting's value string has to be exactly one character long")
    return value


def _text(name: str, value: str) -> str:
    if not _TEXT.fullmatch(value):
        raise _bad(name, value, "expected at most 256 printable ASCII characters")
    return value


def _one_of(*choices: str) -> Reader:
    def read(name: str, value: str) -> str:
        if value not in choices:
            raise _bad(name, value, "expected one of " + ", ".join(choices))
        return value

    return read


def _session_timezone(name: str, value: str) -> str:
    """The server's own zone (or empty: the default) is honoured; another zone cannot be.

    ClickHouse would answer timezone() with it and read zone-less date-times in it, on the
    server; the Analytics API takes no settings (and refuses SETTINGS clauses), so a query
    over the views would still run in UTC. Refused rather than ignored."""
    if value.strip() in ("", SERVER_TIMEZONE):
        return value.strip()
    shown = value[:64] + ("..." if len(value) > 64 else "")
    raise ClickHouseError(
        "NOT_IMPLEMENTED",
        f"session_timezone {shown!r} cannot be honoured: the Paid Analytics API runs every "
        f"query in {SERVER_TIMEZONE} and takes no settings. Leave the report time zone empty "
        f"or set it to {SERVER_TIMEZONE}, and convert in SQL, e.g. toTimeZone(column, {shown!r})",
    )


def _bad(name: str, value: str, why: str) -> ClickHouseError:
    shown = value[:40] + ("..." if len(value) > 40 else "")
    return ClickHouseError("BAD_ARGUMENTS", f"Invalid value {shown!r} for setting {name}: {why}")


_FORMAT_BOOLEANS = """
    output_format_json_quote_64bit_integers output_format_json_quote_64bit_floats
    output_format_json_quote_denormals output_format_json_quote_decimals
    output_format_json_named_tuples_as_objects output_format_json_escape_forward_slashes
    output_format_json_validate_utf8 output_format_json_array_of_rows
    output_format_write_statistics output_format_decimal_trailing_zeros
    output_format_arrow_string_as_string output_format_arrow_low_cardinality_as_dictionary
    output_format_arrow_fixed_string_as_fixed_byte_array output_format_parquet_string_as_string
    output_format_native_encode_types_in_binary_format
    output_format_binary_encode_types_in_binary_format output_format_csv_crlf_end_of_line
    output_format_tsv_crlf_end_of_line output_format_pretty_row_numbers
    output_format_native_write_json_as_string output_format_json_pretty_print"""
#: Output format settings a client may pass, each with its reader; they only shape the output.
FORMAT_SETTINGS: dict[str, Reader] = {
    **dict.fromkeys(_FORMAT_BOOLEANS.split(), _bool),
    "date_time_output_format": _one_of("simple", "iso", "unix_timestamp"),
    "output_format_arrow_compression_method": _one_of("lz4_frame", "zstd", "none"),
    "output_format_parquet_compression_method": _one_of(
        "snappy", "lz4", "brotli", "zstd", "gzip", "none"
    ),
    "format_csv_delimiter": _char,
    "output_format_pretty_max_rows": _uint,
    "output_format_pretty_color": _one_of("0", "1", "auto"),
}
#: Settings the gateway applies itself.
APPLIED: dict[str, Reader] = {
    "max_result_rows": _uint,
    "result_overflow_mode": _one_of("throw", "break"),
    "paid_on_truncation": _one_of("error", "pass"),
    "enable_http_compression": _bool,
    "compress": _bool,
    "decompress": _bool,
    "client_protocol_version": _uint,  # the revision Native is written for (see `native`)
    "session_timezone": _session_timezone,
}
#: Resource and logging settings clients send that change no result: checked, then left to
#: the gateway's own limits (the API fixes time, memory and threads).
ACCEPTED: dict[str, Reader] = {
    "max_threads": _uint,
    "max_execution_time": _uint,
    "max_memory_usage": _uint,
    "max_block_size": _uint,
    "readonly": _one_of("0", "1", "2"),
    "log_queries": _bool,
    "log_comment": _text,
    "extremes": _one_of("0"),
    "wait_end_of_query": _bool,
    "send_progress_in_http_headers": _bool,
    "http_headers_progress_interval_ms": _uint,
    "cancel_http_readonly_queries_on_client_close": _bool,
    "date_time_input_format": _one_of("basic", "best_effort", "best_effort_us"),
    "buffer_size": _uint,
    "session_timeout": _uint,
    "session_check": _bool,
}
#: Parameters of ClickHouse's HTTP protocol itself, read elsewhere or meaningless here.
PROTOCOL = frozenset(
    {"query", "query_id", "database", "default_format", "user", "password", "session_id",
     "quota_key", "role"}
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """A request's checked settings."""

    #: Format settings as `name -> SQL literal`, for the encoder's SETTINGS clause.
    formats: dict[str, str] = field(default_factory=dict)
    max_result_rows: int = 0
    overflow_break: bool = False
    truncation: str | None = None
    http_compression: bool = True
    compress: bool = False
    decompress: bool = False
    client_protocol_version: int = 0


def read(params: Mapping[str, str]) -> Settings:
    """Check every known parameter; raises ClickHouseError (BAD_ARGUMENTS)."""
    formats: dict[str, str] = {}
    applied: dict[str, int | str] = {}
    for name, value in params.items():
        if name in PROTOCOL or name.startswith("param_"):
            continue
        if name in FORMAT_SETTINGS:
            formats[name] = render_literal(FORMAT_SETTINGS[name](name, value))
        elif name in APPLIED:
            applied[name] = APPLIED[name](name, value)
        elif name in ACCEPTED:
            ACCEPTED[name](name, value)
        else:  # a setting of ClickHouse the gateway has no use for: it reaches no engine
            logger.debug("setting %.64r ignored", name)
    truncation = applied.get("paid_on_truncation")
    return Settings(
        formats=formats,
        max_result_rows=int(applied.get("max_result_rows", 0)),
        overflow_break=applied.get("result_overflow_mode") == "break",
        truncation=str(truncation) if truncation is not None else None,
        http_compression=bool(applied.get("enable_http_compression", 1)),
        compress=bool(applied.get("compress", 0)),
        decompress=bool(applied.get("decompress", 0)),
        client_protocol_version=int(applied.get("client_protocol_version", 0)),
    )
