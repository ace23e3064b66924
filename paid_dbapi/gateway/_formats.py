"""Output formats: which ones the gateway writes, and ClickHouse itself writing them.

Rows from the API are re-encoded by ClickHouse's own encoders: the rows' JSON text, as the API
sent it, goes in as a query parameter with the column structure, and comes out in the format
the client asked for. Every value is then encoded exactly as a ClickHouse server would.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._literals import quote_identifier, quote_string
from ._catalog import structure
from ._clickhouse_errors import ClickHouseError
from ._local import LocalEngine
from ._upstream import Answer

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
    encoder: LocalEngine,
    answer: Answer,
    fmt: str,
    *,
    limit: int | None = None,
    settings: Mapping[str, str] | None = None,
    column: int | None = None,
) -> bytes:
    """The API's rows in `fmt`, written by ClickHouse from the rows' JSON text as sent.

    `settings`: checked format settings, `name -> SQL literal` (see `settings.read`);
    `column`: only the column at that position (every column when None)."""
    rows = b"\n".join(answer.rows).decode("utf-8")
    chosen = "*" if column is None else quote_identifier(answer.columns[column][0])
    sql = (
        f"SELECT {chosen} FROM format(JSONCompactEachRow, "
        f"{quote_string(structure(answer.columns))}, {_literal(rows)})"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if settings:
        sql += " SETTINGS " + ", ".join(f"{k} = {v}" for k, v in settings.items())
    return encoder.query(sql, fmt)
