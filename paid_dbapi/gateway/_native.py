"""ClickHouse's Native format as written for a client's `client_protocol_version`.

ClickHouse's HTTP interface writes Native for the protocol revision a client names in the
`client_protocol_version` parameter; chDB, which has no such parameter, writes it as that
interface does without one (revision 0). The revisions differ, for the columns the gateway
writes, in three places only: from revision 1 each block starts with its BlockInfo; from 54337
a top-level DateTime keeps its time zone in its type name; from 54454 each column's type is
followed by a custom-serialization flag, 0 here because every column the gateway writes is
dense (a server writes a column's custom kinds only for sparse or replicated columns, which
neither the rows of the API nor the catalog produce). The column data is the same, so this
module walks chDB's revision-0 blocks by column type to find each column's data and writes the
blocks again for the client's revision.

A column whose encoding could depend on the revision in other ways, or that the walk does not
know, is refused with NOT_IMPLEMENTED rather than written in a guessed layout: JSON, Object,
Dynamic, Variant and AggregateFunction columns; LowCardinality below revision 54405 (ClickHouse
then removes it); and every revision from 54492 on, where String columns carry a size stream.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from .._families import byte_width
from .._types import ClickHouseType, parse_type
from ._clickhouse_errors import ClickHouseError

#: First revisions (ClickHouse's ProtocolDefines.h) with each difference the gateway writes.
WITH_BLOCK_INFO = 1
WITH_TIME_ZONE_IN_DATETIME = 54337
WITH_LOW_CARDINALITY = 54405
WITH_CUSTOM_SERIALIZATION = 54454
#: From this revision Dynamic and JSON columns are written in their second serialization.
WITH_V2_DYNAMIC_AND_JSON = 54473
#: From this revision String columns are written with a separate size stream (not written here).
WITH_STRING_SIZE_STREAM = 54492
#: The highest revision the gateway writes.
MAX_REVISION = WITH_STRING_SIZE_STREAM - 1

#: BlockInfo as ClickHouse writes it for a result block: field 1 is_overflows = false,
#: field 2 bucket_num = -1, then the end mark.
BLOCK_INFO = b"\x01\x00\x02\xff\xff\xff\xff\x00"

#: Geometry types: names ClickHouse gives to tuples and arrays of points.
_GEOMETRY = {
    "Point": "Tuple(Float64, Float64)",
    "Ring": "Array(Tuple(Float64, Float64))",
    "LineString": "Array(Tuple(Float64, Float64))",
    "MultiLineString": "Array(Array(Tuple(Float64, Float64)))",
    "Polygon": "Array(Array(Tuple(Float64, Float64)))",
    "MultiPolygon": "Array(Array(Array(Tuple(Float64, Float64))))",
}
#: LowCardinality index types (the low byte of a granule's flags) and their widths.
_INDEX_WIDTHS = (1, 2, 4, 8)
_LC_GLOBAL_DICTIONARY = 1 << 8
_LC_ADDITIONAL_KEYS = 1 << 9
_LC_KNOWN_FLAGS = 0xFF | _LC_GLOBAL_DICTIONARY | _LC_ADDITIONAL_KEYS | 1 << 10
_UINT64 = struct.Struct("<Q")
#: Types whose data is not walked: it is taken from the engine's Native of the column alone.
SEMI_STRUCTURED = frozenset({"JSON", "Object", "Dynamic", "Variant", "Geometry"})


class _Malformed(Exception):
    """The engine's Native output does not read as its types say (a bug, never client input)."""


def _refuse(what: str) -> ClickHouseError:
    return ClickHouseError(
        "NOT_IMPLEMENTED",
        f"the gateway cannot write {what} in Native for this client_protocol_version; "
        "cast the column (toString) or ask for another format such as RowBinaryWithNamesAndTypes",
    )


class _Reader:
    """Bounds-checked reads over one Native body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise _Malformed(f"{size} bytes wanted at {self.pos} of {len(self.data)}")
        chunk, self.pos = self.data[self.pos : end], end
        return chunk

    def skip(self, size: int) -> None:
        self.take(size)

    def varint(self) -> int:
        value = shift = 0
        while True:
            if shift > 63:
                raise _Malformed("varint longer than 64 bits")
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def uint64(self) -> int:
        value: int = _UINT64.unpack(self.take(8))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.varint())

    def last_offset(self, rows: int) -> int:
        """Skip `rows` array offsets (UInt64, cumulative) and return the last (0 if none)."""
        if rows == 0:
            return 0
        self.skip(8 * (rows - 1))
        return self.uint64()


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _string(value: bytes) -> bytes:
    return _varint(len(value)) + value


def _resolved(t: ClickHouseType) -> ClickHouseType:
    """`t` with the names that only stand for other types (geometry, Nested) spelled out."""
    if t.name in _GEOMETRY:
        return parse_type(_GEOMETRY[t.name])
    if t.name == "Nested":  # an array of tuples of its fields
        return ClickHouseType(t.text, "Array", (ClickHouseType(t.text, "Tuple", t.args),))
    return t


def check(t: ClickHouseType, revision: int) -> bool:
    """Refuse a column type whose Native encoding at `revision` this module does not write;
    True when the type holds JSON, Object, Dynamic or Variant (its data is not walked)."""
    t = _resolved(t)
    if t.name == "LowCardinality" and revision < WITH_LOW_CARDINALITY:
        raise _refuse(f"a {t.text} column (below revision {WITH_LOW_CARDINALITY})")
    if t.name in SEMI_STRUCTURED:
        if revision >= WITH_V2_DYNAMIC_AND_JSON:
            raise _refuse(f"a {t.text} column (from revision {WITH_V2_DYNAMIC_AND_JSON})")
        return True
    if t.name in ("Nullable", "Array", "Tuple", "Map", "LowCardinality", "SimpleAggregateFunction"):
        if not t.args:
            raise _refuse(f"a {t.text} column")
        return any([check(arg, revision) for arg in t.args])
    if t.name == "String" or byte_width(t) is not None:
        return False
    raise _refuse(f"a {t.text} column")


def _prefix(t: ClickHouseType, reader: _Reader) -> None:
    """Skip the state prefix of a column of `t` (LowCardinality's key version, depth first)."""
    t = _resolved(t)
    if t.name == "LowCardinality":
        version = reader.uint64()
        if version != 1:
            raise _Malformed(f"LowCardinality key version {version}")
        return
    if t.name in ("Nullable", "Array", "Tuple", "Map"):
        for arg in t.args:
            _prefix(arg, reader)
    elif t.name == "SimpleAggregateFunction":
        _prefix(t.args[-1], reader)


def _data(t: ClickHouseType, rows: int, reader: _Reader) -> None:
    """Skip the data of `rows` values of `t` (after the prefixes)."""
    t = _resolved(t)
    name = t.name
    width = byte_width(t)
    if width is not None:
        reader.skip(width * rows)
    elif name == "String":
        for _ in range(rows):
            reader.skip(reader.varint())
    elif name == "Nullable":
        reader.skip(rows)  # the null map
        _data(t.args[0], rows, reader)
    elif name == "Array":
        _data(t.args[0], reader.last_offset(rows), reader)
    elif name == "Map":
        elements = reader.last_offset(rows)
        _data(t.args[0], elements, reader)
        _data(t.args[1], elements, reader)
    elif name == "Tuple":
        for arg in t.args:
            _data(arg, rows, reader)
    elif name == "SimpleAggregateFunction":
        _data(t.args[-1], rows, reader)
    elif name == "LowCardinality":
        _low_cardinality(t.args[0], rows, reader)
    else:  # `check` refuses these before any walk
        raise _Malformed(f"no walk for {t.text}")


def _low_cardinality(inner: ClickHouseType, rows: int, reader: _Reader) -> None:
    """Skip LowCardinality granules: flags, the keys added to the dictionary, the indexes."""
    keys = inner.args[0] if inner.name == "Nullable" else inner  # the dictionary holds no NULL
    while rows > 0:
        flags = reader.uint64()
        if flags & ~_LC_KNOWN_FLAGS or flags & _LC_GLOBAL_DICTIONARY or flags & 0xFF > 3:
            raise _Malformed(f"LowCardinality flags {flags:#x}")
        if flags & _LC_ADDITIONAL_KEYS:
            _data(keys, reader.uint64(), reader)
        indexes = reader.uint64()
        if indexes == 0 or indexes > rows:
            raise _Malformed(f"{indexes} LowCardinality indexes for {rows} rows")
        reader.skip(_INDEX_WIDTHS[flags & 0xFF] * indexes)
        rows -= indexes


def for_revision(
    body: bytes,
    revision: int,
    exact_types: Callable[[], Sequence[str]],
    alone: Callable[[int], bytes] | None = None,
    rows: int | None = None,
) -> bytes:
    """Native `body` as chDB wrote it (revision 0), written again for `revision`.

    `exact_types()` gives the result's column types as ClickHouse names them (revision 0
    drops a top-level DateTime's zone from its name); it is asked only when one is needed.
    A JSON, Object, Dynamic or Variant column (written alike below revision 54473) is not
    walked: `alone(i)` gives the engine's Native of column `i` by itself, and when the body is
    one block of all `rows` rows that column's data is exactly that one's (checked byte for
    byte). Raises ClickHouseError: NOT_IMPLEMENTED for what is not written (see the module)."""
    if revision == 0:
        return body
    if revision > MAX_REVISION:
        raise ClickHouseError(
            "NOT_IMPLEMENTED",
            f"the gateway writes Native for client_protocol_version up to {MAX_REVISION}, not "
            f"{revision}: from {WITH_STRING_SIZE_STREAM} on, String columns carry a size stream",
        )
    reader, out = _Reader(body), bytearray()
    known: list[str] | None = None
    try:
        while reader.pos < len(body):
            columns, block_rows = reader.varint(), reader.varint()
            out += BLOCK_INFO + _varint(columns) + _varint(block_rows)
            for i in range(columns):
                name, type_name = reader.string(), reader.string().decode()
                t = parse_type(type_name)
                whole = check(t, revision)
                if type_name == "DateTime" and revision >= WITH_TIME_ZONE_IN_DATETIME:
                    known = list(exact_types()) if known is None else known
                    if i >= len(known) or parse_type(known[i]).name != "DateTime":
                        raise _Malformed(f"column {i} is DateTime, not {known[i : i + 1]}")
                    type_name = known[i]
                out += _string(name) + _string(type_name.encode())
                if revision >= WITH_CUSTOM_SERIALIZATION:
                    out.append(0)  # no custom serialization: the column is dense
                start = reader.pos
                if whole:
                    if alone is None or rows is None or block_rows != rows:
                        raise _refuse(f"a {t.text} column of a result of several blocks")
                    data = _alone_data(alone(i), name, block_rows)
                    reader.skip(len(data))
                    if body[start : reader.pos] != data:
                        raise _Malformed(f"column {i} differs from its encoding alone")
                elif block_rows:
                    _prefix(t, reader)
                    _data(t, block_rows, reader)
                out += body[start : reader.pos]
    except (_Malformed, ValueError) as exc:
        raise ClickHouseError(
            "LOGICAL_ERROR", f"the gateway could not write Native for revision {revision}: {exc}"
        ) from None
    return bytes(out)


def _alone_data(body: bytes, name: bytes, rows: int) -> bytes:
    """The column data of a one-column, one-block Native body of `rows` rows."""
    reader = _Reader(body)
    if (reader.varint(), reader.varint(), reader.string()) != (1, rows, name):
        raise _Malformed("the column alone is not one block of the same rows")
    reader.string()
    return body[reader.pos :]


def header_types(body: bytes) -> list[str]:
    """The column types in the header of a RowBinaryWithNamesAndTypes body."""
    reader = _Reader(body)
    try:
        count = reader.varint()
        for _ in range(count):
            reader.string()
        return [reader.string().decode() for _ in range(count)]
    except _Malformed as exc:
        raise ClickHouseError("LOGICAL_ERROR", f"unreadable result header: {exc}") from None
