"""Output formats: which ones the gateway writes, and ClickHouse itself writing them.

Rows from the API are re-encoded by ClickHouse's own encoders: the rows' JSON text, as the API
sent it, goes in as a query parameter with the column structure, and comes out in the format
the client asked for. Every value is then encoded exactly as a ClickHouse server would.
"""

from __future__ import annotations

from ..literals import quote_string
from .catalog import structure
from .errors import ClickHouseError
from .local import LocalEngine
from .upstream import Answer

_TSV = "text/tab-separated-values; charset=UTF-8"
_JSON = "application/json; charset=UTF-8"
_NDJSON = "application/x-ndjson; charset=UTF-8"
_BINARY = "application/octet-stream"
_TEXT = "text/plain; charset=UTF-8"

#: Output formats (ClickHouse's names) -> Content-Type. Formats that read schema or template
#: files (Template, CustomSeparated with files, CapnProto, Protobuf) are deliberately absent.
FORMATS: dict[str, str] = {
    **dict.fromkeys(
        ["TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "TabSeparatedWithNames",
         "TSVWithNames", "TabSeparatedWithNamesAndTypes", "TSVWithNamesAndTypes",
         "TabSeparatedRawWithNames", "TSVRawWithNames", "TabSeparatedRawWithNamesAndTypes",
         "TSVRawWithNamesAndTypes", "TSKV"],
        _TSV,
    ),
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
    "CSVWithNamesAndTypes": "text/csv; charset=UTF-8; header=present",
    **dict.fromkeys(
        ["JSON", "JSONCompact", "JSONStrings", "JSONCompactStrings", "JSONColumns",
         "JSONCompactColumns", "JSONColumnsWithMetadata", "JSONObjectEachRow"],
        _JSON,
    ),
    **dict.fromkeys(
        ["JSONEachRow", "JSONLines", "NDJSON", "JSONStringsEachRow", "JSONCompactEachRow",
         "JSONCompactEachRowWithNames", "JSONCompactEachRowWithNamesAndTypes",
         "JSONCompactStringsEachRow", "JSONCompactStringsEachRowWithNames",
         "JSONCompactStringsEachRowWithNamesAndTypes", "JSONEachRowWithProgress"],
        _NDJSON,
    ),
    **dict.fromkeys(
        ["RowBinary", "RowBinaryWithNames", "RowBinaryWithNamesAndTypes", "Native", "Arrow",
         "ArrowStream", "Parquet", "ORC", "Avro", "MsgPack", "BSONEachRow", "ODBCDriver2"],
        _BINARY,
    ),
    **dict.fromkeys(
        ["Pretty", "PrettyCompact", "PrettyCompactMonoBlock", "PrettySpace", "PrettyNoEscapes",
         "PrettyCompactNoEscapes", "PrettySpaceNoEscapes", "Vertical", "Markdown", "Values",
         "Null"],
        _TEXT,
    ),
    "XML": "application/xml; charset=UTF-8",
}  # fmt: skip
_BY_LOWER = {name.lower(): name for name in FORMATS}

_FORMAT_SETTINGS_TEXT = """
    output_format_json_quote_64bit_integers output_format_json_quote_64bit_floats
    output_format_json_quote_denormals output_format_json_quote_decimals
    output_format_json_named_tuples_as_objects output_format_json_escape_forward_slashes
    output_format_json_validate_utf8 output_format_json_array_of_rows
    output_format_write_statistics output_format_decimal_trailing_zeros date_time_output_format
    output_format_arrow_string_as_string output_format_arrow_low_cardinality_as_dictionary
    output_format_arrow_fixed_string_as_fixed_byte_array output_format_arrow_compression_method
    output_format_parquet_string_as_string output_format_parquet_compression_method
    output_format_native_encode_types_in_binary_format
    output_format_binary_encode_types_in_binary_format output_format_csv_crlf_end_of_line
    output_format_tsv_crlf_end_of_line format_csv_delimiter output_format_pretty_max_rows
    output_format_pretty_color output_format_pretty_row_numbers
    output_format_native_write_json_as_string output_format_json_pretty_print"""
#: Per-request format settings a client may pass; all only shape the output.
FORMAT_SETTINGS = frozenset(_FORMAT_SETTINGS_TEXT.split())


def canonical(name: str) -> str:
    """ClickHouse's spelling of an output format name; UNKNOWN_FORMAT if not offered."""
    found = _BY_LOWER.get(name.lower())
    if found is None:
        raise ClickHouseError("UNKNOWN_FORMAT", f"Unknown output format {name[:64]!r}")
    return found


def content_type(fmt: str) -> str:
    return FORMATS[fmt]


def _literal(text: str) -> str:
    """`text` as a ClickHouse string literal: a heredoc (read as is, nothing to escape) when it
    holds no `$` that could end one early, else an escaped string."""
    return f"$rows${text}$rows$" if "$" not in text else quote_string(text)


def encode(
    local: LocalEngine,
    answer: Answer,
    fmt: str,
    *,
    limit: int | None = None,
    settings: dict[str, str] | None = None,
) -> bytes:
    """The API's rows in `fmt`, written by ClickHouse from the rows' JSON text as sent."""
    rows = b"\n".join(answer.rows).decode("utf-8")
    sql = (
        f"SELECT * FROM format(JSONCompactEachRow, {quote_string(structure(answer.columns))}, "
        f"{_literal(rows)})"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    chosen = {k: v for k, v in (settings or {}).items() if k in FORMAT_SETTINGS}
    if chosen:
        sql += " SETTINGS " + ", ".join(f"{k} = {quote_string(v)}" for k, v in chosen.items())
    return local.query(sql, fmt)
