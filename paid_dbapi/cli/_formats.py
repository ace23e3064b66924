"""Output formats of `paid-sql`: faithful text for people, exact text for machines.

Text formats print every integer digit, Decimals at their column's scale and datetimes at
their column's precision with their offset; NULL is printed as NULL (table, markdown) or \\N
(csv, tsv), never as an empty string.
JSON formats write 64-bit and wider integers and Decimals as strings,
so no JSON consumer loses a digit.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TextIO

from .._types import INT_SIZES, parse_type

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
NULL_TEXT = "NULL"
NULL_FIELD = "\\N"


#: A result column as PEP 249 describes it: (name, type, _, length, precision, scale, null_ok).
Column = Sequence[Any]


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


def _datetime_text(value: dt.datetime, digits: int) -> str:
    """A datetime with exactly `digits` fractional digits (Python holds at most 6)."""
    text = value.isoformat(sep=" ", timespec="seconds")
    if digits <= 0:
        return text
    fraction = f"{value.microsecond:06d}"[: min(digits, 6)]
    return f"{text[:19]}.{fraction}{text[19:]}"


def column_text(column: Column) -> Callable[[Any], str]:
    """How to print one column's values: DateTime64 at its precision (Python's datetime does
    not carry it). Decimals need nothing: the driver gives them their column's scale."""
    try:
        name = parse_type(str(column[1])).base.name
    except ValueError:
        return text_value
    precision = column[4]
    if name in ("DateTime", "DateTime64"):
        digits = precision if name == "DateTime64" and isinstance(precision, int) else 0
        return lambda v: _datetime_text(v, digits) if isinstance(v, dt.datetime) else text_value(v)
    return text_value


def text_columns(*names: str) -> list[tuple[Any, ...]]:
    """Descriptions of String columns, for results the CLI builds itself."""
    return [(name, "String", None, None, None, None, False) for name in names]


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


def _wide_int(column: Column) -> bool:
    try:
        return INT_SIZES.get(parse_type(str(column[1])).base.name, 0) >= 64
    except ValueError:
        return False


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _texts(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[list[str | None]]:
    """Each row as its cells' text in the column's display (None for NULL)."""
    shown = [column_text(c) for c in columns]
    for row in rows:
        yield [None if v is None else f(v) for v, f in zip(row, shown, strict=True)]


def write_table(
    out: TextIO,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    expanded: bool | None = False,
    width: int = 0,
) -> None:
    """An aligned table with a header rule, numbers right-aligned; or one block per record
    when `expanded`, or when `expanded` is None and the table would be wider than `width`."""
    names = [str(c[0]) for c in columns]
    cells = [
        [NULL_TEXT if t is None else t.replace("\n", "\\n") for t in row]
        for row in _texts(columns, rows)
    ]
    widths = [max([_width(n)] + [_width(r[i]) for r in cells]) for i, n in enumerate(names)]
    if expanded or (expanded is None and 0 < width < sum(widths) + 3 * len(widths)):
        _write_expanded(out, names, cells)
        return

    def line(values: Sequence[str], right: Sequence[bool]) -> str:
        parts = []
        for value, w, r in zip(values, widths, right, strict=True):
            pad = " " * (w - _width(value))
            parts.append(pad + value if r else value + pad)
        return " " + " | ".join(parts).rstrip() + "\n"

    right = [_is_number_type(str(c[1])) for c in columns]
    out.write(line(names, [False] * len(names)))
    out.write("-" + "-+-".join("-" * w for w in widths) + "-\n")
    for row in cells:
        out.write(line(row, right))


def _write_expanded(out: TextIO, names: Sequence[str], cells: Sequence[Sequence[str]]) -> None:
    """One block per record, a line per column (psql's \\x)."""
    label = max(_width(n) for n in names)
    for number, row in enumerate(cells, 1):
        title = f"-[ RECORD {number} ]"
        rule = max(_width(title), label + 3 + max(_width(v) for v in row))
        out.write(title + "-" * (rule - _width(title)) + "\n")
        for name, value in zip(names, row, strict=True):
            out.write(f"{name}{' ' * (label - _width(name))} | {value}".rstrip() + "\n")


def _is_number_type(text: str) -> bool:
    try:
        name = parse_type(text).base.name
    except ValueError:
        return False
    return name in INT_SIZES or name.startswith(("Float", "Decimal"))


def write_delimited(
    out: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], delimiter: str
) -> None:
    """CSV or TSV with a header; NULL is \\N, an empty string an empty field."""
    names = [str(c[0]) for c in columns]
    if delimiter == "\t":
        out.write("\t".join(_tsv_escape(n) for n in names) + "\n")
        for row in _texts(columns, rows):
            out.write("\t".join(NULL_FIELD if t is None else _tsv_escape(t) for t in row) + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in _texts(columns, rows):
        writer.writerow([NULL_FIELD if t is None else t for t in row])


def _tsv_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_json(
    out: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]], lines: bool
) -> None:
    """A JSON array of objects, or one object per line."""
    names = [str(c[0]) for c in columns]
    wide = [_wide_int(c) for c in columns]
    shown = [column_text(c) for c in columns]

    def value(v: Any, wide_int: bool, text: Callable[[Any], str]) -> Any:
        if isinstance(v, dt.datetime):  # at the column's precision
            return text(v)
        return json_value(v, wide_int)

    def record(row: Sequence[Any]) -> str:
        obj = {n: value(*x) for n, *x in zip(names, row, wide, shown, strict=True)}
        return json.dumps(obj, ensure_ascii=False)

    if lines:
        for row in rows:
            out.write(record(row) + "\n")
        return
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + "\n  " + record(row))
    out.write("\n]\n")


def write_markdown(out: TextIO, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> None:
    """A GitHub-flavoured Markdown table."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    out.write("| " + " | ".join(cell(str(c[0])) for c in columns) + " |\n")
    out.write("|" + "|".join("---:" if _is_number_type(str(c[1])) else "---" for c in columns))
    out.write("|\n")
    for row in _texts(columns, rows):
        out.write("| " + " | ".join(cell(NULL_TEXT if t is None else t) for t in row) + " |\n")


Writer = Callable[[TextIO, Sequence[Column], Iterable[Sequence[Any]]], None]

#: The writers of every format but the table, which takes layout options.
WRITERS: dict[str, Writer] = {
    "csv": lambda out, columns, rows: write_delimited(out, columns, rows, ","),
    "tsv": lambda out, columns, rows: write_delimited(out, columns, rows, "\t"),
    "json": lambda out, columns, rows: write_json(out, columns, rows, lines=False),
    "jsonl": lambda out, columns, rows: write_json(out, columns, rows, lines=True),
    "markdown": write_markdown,
}


def write(
    fmt: str,
    out: TextIO,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    expanded: bool | None = False,
    width: int = 0,
) -> None:
    """Write a result in one of FORMATS; `expanded` and `width` apply to the table format."""
    if fmt == "table":
        write_table(out, columns, rows, expanded, width)
    else:
        WRITERS[fmt](out, columns, rows)
