"""Output formats of `paid-sql`: faithful text for people, exact text for machines.

Text formats print full Decimals, every integer digit and datetimes with their offset;
NULL is printed as NULL (table, markdown) or \\N (csv, tsv), never as an empty string.
JSON formats write 64-bit and wider integers and Decimals (at their column's scale) as strings,
so no JSON consumer loses a digit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

from ..types import INT_SIZES, parse_type

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
NULL_TEXT = "NULL"
NULL_FIELD = "\\N"


def text_value(value: Any) -> str:
    """A value as faithful human-readable text (NULL handled by the caller)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dict, list)):
        return json.dumps(json_value(value), ensure_ascii=False)
    if isinstance(value, tuple):
        return json.dumps([json_value(v) for v in value], ensure_ascii=False)
    return str(value)


def json_value(value: Any, exact_ints: bool = False) -> Any:
    """A value as JSON data; Decimals (and big integers when asked) become strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return str(value) if exact_ints or abs(value) > 2**53 else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _wide_ints(types: Sequence[str]) -> list[bool]:
    flags = []
    for text in types:
        try:
            flags.append(INT_SIZES.get(parse_type(text).base.name, 0) >= 64)
        except ValueError:
            flags.append(False)
    return flags


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_table(
    out: TextIO, names: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """An aligned table with a header rule; numbers right-aligned."""
    cells = [
        [NULL_TEXT if v is None else text_value(v).replace("\n", "\\n") for v in row]
        for row in rows
    ]
    widths = [max([_width(n)] + [_width(r[i]) for r in cells]) for i, n in enumerate(names)]

    def line(values: Sequence[str], right: Sequence[bool]) -> str:
        parts = []
        for value, width, r in zip(values, widths, right, strict=True):
            pad = " " * (width - _width(value))
            parts.append(pad + value if r else value + pad)
        return " " + " | ".join(parts).rstrip() + "\n"

    right = [_is_number_type(t) for t in types]
    out.write(line(names, [False] * len(names)))
    out.write("-" + "-+-".join("-" * w for w in widths) + "-\n")
    for row in cells:
        out.write(line(row, right))


def _is_number_type(text: str) -> bool:
    try:
        name = parse_type(text).base.name
    except ValueError:
        return False
    return name in INT_SIZES or name.startswith(("Float", "Decimal"))


def write_delimited(
    out: TextIO, names: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str
) -> None:
    """CSV or TSV with a header; NULL is \\N."""
    if delimiter == "\t":
        out.write("\t".join(_tsv_escape(n) for n in names) + "\n")
        for row in rows:
            out.write(
                "\t".join(NULL_FIELD if v is None else _tsv_escape(text_value(v)) for v in row)
                + "\n"
            )
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([NULL_FIELD if v is None else text_value(v) for v in row])


def _tsv_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_json(
    out: TextIO,
    names: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence[Any]],
    lines: bool,
) -> None:
    """A JSON array of objects, or one object per line."""
    wide = _wide_ints(types)

    def record(row: Sequence[Any]) -> str:
        obj = {n: json_value(v, w) for n, v, w in zip(names, row, wide, strict=True)}
        return json.dumps(obj, ensure_ascii=False)

    if lines:
        for row in rows:
            out.write(record(row) + "\n")
        return
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n  " + record(row))
    out.write("\n]\n")


def write_markdown(
    out: TextIO, names: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A GitHub-flavoured Markdown table."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    out.write("| " + " | ".join(cell(n) for n in names) + " |\n")
    out.write("|" + "|".join("---:" if _is_number_type(t) else "---" for t in types) + "|\n")
    for row in rows:
        out.write(
            "| " + " | ".join(cell(NULL_TEXT if v is None else text_value(v)) for v in row) + " |\n"
        )


Writer = Callable[[TextIO, Sequence[str], Sequence[str], Iterable[Sequence[Any]]], None]

WRITERS: dict[str, Writer] = {
    "table": write_table,
    "csv": lambda out, names, types, rows: write_delimited(out, names, rows, ","),
    "tsv": lambda out, names, types, rows: write_delimited(out, names, rows, "\t"),
    "json": lambda out, names, types, rows: write_json(out, names, types, rows, lines=False),
    "jsonl": lambda out, names, types, rows: write_json(out, names, types, rows, lines=True),
    "markdown": write_markdown,
}


def write(
    fmt: str, out: TextIO, names: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write a result in one of FORMATS."""
    WRITERS[fmt](out, names, types, rows)
