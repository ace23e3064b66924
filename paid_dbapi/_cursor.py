"""The PEP 249 cursor: each `execute` is one POST /query; its rows are decoded on first use,
into Python rows or straight into Arrow."""

from __future__ import annotations

import importlib.util
import itertools
import logging
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from . import _wire as wire
from ._exceptions import (
    DataError,
    InterfaceError,
    NotSupportedError,
    OperationalError,
    PrecisionWarning,
    TruncatedResultWarning,
    warn_at_caller,
)
from ._literals import bind_parameters
from ._precision import imprecise_columns, imprecise_in
from ._types import ColumnDecoder, column_decoder, parse_type

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from ._connection import Connection

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]
Description = tuple[str, str, None, int | None, int | None, int | None, bool]


def describe(name: str, type_text: str) -> Description:
    """A PEP 249 description 7-tuple; the type code is the ClickHouse type string as sent."""
    try:
        t = parse_type(type_text)
    except ValueError:
        return (name, type_text, None, None, None, None, False)
    return (name, type_text, None, t.length, t.precision, t.scale, t.nullable)


class Cursor:
    """Runs queries on its connection and holds one decoded result at a time."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.arraysize = 1
        self.description: tuple[Description, ...] | None = None
        self.rowcount = -1
        #: True when the server cut the last result at its row cap (rows were dropped).
        self.truncated = False
        #: Server-side execution time of the last query, in milliseconds.
        self.elapsed_ms: float | None = None
        #: Truncation handling for this cursor: "warn", "error" or "ignore" (default: the
        #: connection's `on_truncation`).
        self.on_truncation: str = connection.on_truncation
        # the names of the last result's possibly rounded Decimal columns; None until
        # asked for when `on_precision` is "ignore" (nothing to say at execute then)
        self._imprecise: tuple[str, ...] | None = ()
        #: Handling of such a result: "warn", "error" or "ignore" (default: the connection's
        #: `on_precision`).
        self.on_precision: str = connection.on_precision
        self._result = _Result.empty()
        self._pos = 0
        self._arrow: tuple[int, pyarrow.Table] | None = None  # (position, remaining rows)
        self._closed = False

    @property
    def precision_lost(self) -> bool:
        """True when a Decimal column of the last result holds a value of 16 or more
        significant digits at its scale, which the service's double may have rounded."""
        return bool(self.imprecise_columns)

    @property
    def imprecise_columns(self) -> tuple[str, ...]:
        """The names of those columns."""
        if self._imprecise is None:
            self._imprecise = self._result.imprecise()
        return self._imprecise

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"rowcount={self.rowcount}"
        return f"<paid_dbapi.Cursor {state}>"

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the result; further use raises InterfaceError."""
        self._closed = True
        self.imprecise_columns  # noqa: B018 (settled while the result is still here)
        self._result = _Result.empty()
        self._arrow = None

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("cursor is closed")
        if self.connection.closed:
            raise InterfaceError("connection is closed")

    def _reset(self) -> None:
        self.description = None
        self.rowcount = -1
        self.truncated = False
        self._imprecise = ()
        self.elapsed_ms = None
        self._result = _Result.empty()
        self._pos = 0
        self._arrow = None

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        """Bind `parameters` client-side and run the query (one request)."""
        self._check_open()
        self._reset()
        sql = bind_parameters(operation, parameters)
        body = self.connection._client.request(
            "POST", "/query", json_body={"query": sql}, parse=wire.parse_body
        )
        self._load(body)
        return self

    def executemany(
        self, operation: str, seq_of_parameters: Sequence[Sequence[Any] | Mapping[str, Any]]
    ) -> None:
        """Run the query once per parameter set; the cursor holds the last result."""
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)

    def _load(self, body: Any) -> None:
        try:
            columns, rows, meta = wire.read(body)
            meta = meta or {}
            if not isinstance(rows, list | msgspec.Raw | wire.Unread):
                raise TypeError("rows is not a list")
        except (KeyError, TypeError, AttributeError) as exc:
            raise InterfaceError(f"unexpected /query answer shape: {exc}") from None
        truncated = bool(meta.get("truncated", False))
        count = meta.get("rowCount")
        if type(count) is not int or count < 0:
            count = None
        result = _Result(columns, rows, self.connection.naive_timezone, count)
        if count is None:  # no count sent: decode now to know it
            count = len(result.python().rows())
        self.truncated = truncated
        if truncated:
            mode = self.on_truncation
            if mode == "error":
                raise DataError(
                    f"the result exceeded the server's row cap and was cut at {count} "
                    "rows; narrow the query or page it (paid_dbapi._extract)",
                    code="TRUNCATED",
                )
            if mode == "warn":
                warn_at_caller(
                    f"result truncated at {count} rows by the server's row cap; "
                    "rows were dropped (cursor.truncated is True)",
                    TruncatedResultWarning,
                )
        self._check_precision(result)
        self.description = tuple(describe(name, type_text) for name, type_text in columns)
        self._result = result
        self.rowcount = count
        elapsed = meta.get("elapsedMs")
        self.elapsed_ms = float(elapsed) if elapsed is not None else None
        logger.debug("query returned %d rows in %s ms", self.rowcount, self.elapsed_ms)

    def _check_precision(self, result: _Result) -> None:
        """Flag, and by `on_precision` warn or fail on, Decimal columns whose values may have
        been rounded by the service's double (see `paid_dbapi._precision`). With "ignore" the
        flags are settled when first read, from the values decoded by then if any."""
        if self.on_precision == "ignore":
            self._imprecise = None  # read from the result, which execute keeps, when asked
            return
        names = result.imprecise()
        self._imprecise = names
        if not names:
            return
        listed = ", ".join(repr(name) for name in names)
        remedy = ", ".join(f"toString({name})" for name in names)
        message = (
            f"Decimal column{'s' if len(names) > 1 else ''} {listed} "
            f"hold{'' if len(names) > 1 else 's'} values of 16 or more significant digits, "
            "which the service sends through a double and may have rounded; "
            f"select {remedy} for every digit"
        )
        if self.on_precision == "error":
            raise DataError(message, code="PRECISION")
        warn_at_caller(f"{message} (cursor.precision_lost is True)", PrecisionWarning)

    def _check_result(self) -> None:
        self._check_open()
        if self.description is None:
            raise InterfaceError("no result: call execute() first")

    def _all_rows(self) -> list[Row]:
        """The decoded rows, built from the columns on first use."""
        self._check_result()
        return self._result.rows()

    def fetchone(self) -> Row | None:
        """The next row, or None when the result is exhausted."""
        rows = self._all_rows()
        if self._pos >= len(rows):
            return None
        row = rows[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Row]:
        """Up to `size` (default `arraysize`) next rows."""
        all_rows = self._all_rows()
        n = self.arraysize if size is None else size
        rows = all_rows[self._pos : self._pos + n]
        self._pos += len(rows)
        return rows

    def fetchall(self) -> list[Row]:
        """All remaining rows."""
        all_rows = self._all_rows()
        rows = all_rows[self._pos :]
        self._pos = len(all_rows)
        return rows

    def fetch_arrow_table(self) -> pyarrow.Table:
        """All remaining rows as a `pyarrow.Table` typed after ClickHouse (extra `arrow`).

        Built from the decoded columns, never from row tuples: Decimals stay `decimal128/256`,
        64-bit integers stay 64-bit, time stamps keep the column's unit and zone.
        """
        table = self._remaining_table()
        self._pos = self.rowcount
        return table

    def _remaining_table(self) -> pyarrow.Table:
        """The rows from the current position as Arrow, built once per position."""
        self._check_result()
        _require("pyarrow", "arrow")
        if self._arrow is None or self._arrow[0] != self._pos:
            self._arrow = (self._pos, self._result.table(self._pos))
        return self._arrow[1]

    def fetch_df(self) -> pandas.DataFrame:
        """All remaining rows as a pandas DataFrame, by way of `fetch_arrow_table` (extras
        `arrow` and `pandas`): exact Decimals, nullable integers and booleans stay nullable."""
        _require("pandas", "pandas")
        from ._frames import to_pandas

        return to_pandas(self.fetch_arrow_table())

    def fetch_polars(self) -> polars.DataFrame:
        """All remaining rows as a polars DataFrame, by way of `fetch_arrow_table` (extras
        `arrow` and `polars`)."""
        _require("polars", "polars")
        from ._frames import to_polars

        return to_polars(self.fetch_arrow_table())

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The remaining rows through the Arrow PyCapsule stream interface. Exporting does not
        move the cursor: readers such as DuckDB export once for the schema and again to scan."""
        return self._remaining_table().__arrow_c_stream__(requested_schema)

    def __iter__(self) -> Iterator[Row]:
        while (row := self.fetchone()) is not None:
            yield row

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored (PEP 249)."""

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """Accepted and ignored (PEP 249)."""

    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> None:
        """Stored procedures do not exist on this service."""
        raise NotSupportedError("the Analytics API has no stored procedures")


class _Result:
    """One result: the rows as the server sent them, decoded on first use, column by column,
    into Python values (for rows) or only as far as Arrow needs (for a table)."""

    def __init__(
        self,
        columns: list[tuple[str, str]],
        rows: Any,
        naive_timezone: str | None,
        count: int | None = None,
    ) -> None:
        self.columns = columns
        self._rows = rows  # as `wire.read` left them: raw JSON, or a plain-parsed list
        self._naive_timezone = naive_timezone
        self._count = count  # the server's row count, checked against the rows when decoded
        self._python: _Columns | None = None

    @classmethod
    def empty(cls) -> _Result:
        return cls([], [], None)

    def python(self) -> _Columns:
        """The result as Python values (decoded once)."""
        if self._python is None:
            types = [t for _, t in self.columns]
            decoded = self._decode(naive_timezone=self._naive_timezone, structs=True)
            rows = decoded.rows
            if rows and isinstance(rows[0], msgspec.Struct):
                self._python = self._finished(rows, decoded.planned)
                return self._python
            raw = self._transpose(rows)
            values = list(raw)
            decoders = self._decoders(decoded.planned)
            for i, decode in decoders:
                values[i] = self._decode_column(i, decode, raw[i])
            as_is = not decoders and rows and type(rows[0]) is tuple  # typed rows, all final
            sent = {i: raw[i] for i, _ in decoders}
            self._python = _Columns(len(types), rows if as_is else None, values, sent)
        return self._python

    def _finished(self, rows: list[Any], planned: wire.Planned) -> _Columns:
        """Typed struct rows with their unfinished columns decoded in place, as tuples."""
        self._check_count(rows)
        sent: dict[int, Sequence[Any]] = {}
        for i, decode in self._decoders(planned):
            name = wire.field(i)
            sent[i] = list(map(operator.attrgetter(name), rows))
            done = self._decode_column(i, decode, sent[i])
            any(map(setattr, rows, itertools.repeat(name), done))  # setattr gives None
        return _Columns(len(self.columns), list(map(msgspec.structs.astuple, rows)), None, sent)

    def rows(self) -> list[Row]:
        return self.python().rows()

    def imprecise(self) -> tuple[str, ...]:
        """The names of the Decimal columns that may hold a value the service's double
        rounded: read from the Python values if decoded already, else by a pass that reads
        only those columns."""
        if self._python is not None:
            return tuple(imprecise_in(self.columns, self._python.raw))
        return tuple(imprecise_columns(self.columns, self._rows))

    def table(self, start: int) -> pyarrow.Table:
        """The rows from `start` on as Arrow; before any Python values exist, straight from
        the server's text where Arrow casts it exactly."""
        from . import _arrow as arrow

        naive_tz = self._naive_timezone
        if self._python is not None or start:
            python = self.python()
            since = [c[start:] for c in python.values]
            raw = [c[start:] for c in python.raw]
            return arrow.to_table(self.columns, since.__getitem__, raw, naive_tz)
        decoded = self._decode(wire_text=True, structs=True)
        raw = self._columns_of(decoded.rows)
        decoders = dict(self._decoders(decoded.planned))

        def values(i: int) -> Sequence[Any]:
            decode = decoders.get(i)
            return raw[i] if decode is None else self._decode_column(i, decode, raw[i])

        return arrow.to_table(self.columns, values, raw, naive_tz, decoded.text)

    def _decode(self, **plan: Any) -> wire.Decoded:
        """The rows decoded by `wire.decode_rows` with these options."""
        try:
            return wire.decode_rows(self._rows, [t for _, t in self.columns], **plan)
        except msgspec.DecodeError as exc:  # a body read from its ends, found not to be JSON
            raise OperationalError(f"the /query answer is not JSON: {exc}") from None

    def _decoders(self, planned: wire.Planned) -> list[tuple[int, ColumnDecoder]]:
        """The columns that still need decoding, with their decoder."""
        tz = self._naive_timezone
        return [
            (i, decoder)
            for i, (_, type_text) in enumerate(self.columns)
            if (decoder := planned[i] if i in planned else column_decoder(type_text, tz))
            is not None
        ]

    def _columns_of(self, rows: Any) -> list[Sequence[Any]]:
        """The rows' values column by column: read off struct rows (of the right width by
        their type), else transposed."""
        if not rows or not isinstance(rows[0], msgspec.Struct):
            return self._transpose(rows)
        self._check_count(rows)
        fields = map(wire.field, range(len(self.columns)))
        return [list(map(operator.attrgetter(f), rows)) for f in fields]

    def _check_count(self, rows: Any) -> None:
        """Rows are a list, as many as the meta said."""
        if not isinstance(rows, list):
            raise InterfaceError("unexpected /query answer shape: rows is not a list")
        if self._count is not None and self._count != len(rows):
            raise InterfaceError(f"the answer has {len(rows)} rows, its meta says {self._count}")

    def _transpose(self, rows: Any) -> list[Sequence[Any]]:
        """The rows' values column by column, after checking the rows' shape and count."""
        columns = self.columns
        self._check_count(rows)
        if not rows:
            return [() for _ in columns]
        try:
            raw: list[Sequence[Any]] = list(zip(*rows, strict=True))
        except (ValueError, TypeError):  # rows of unequal lengths, or not rows at all
            raw = []
        if len(raw) != len(columns):
            bad = next(r for r in rows if not isinstance(r, list | tuple) or len(r) != len(columns))
            got = len(bad) if isinstance(bad, list | tuple) else "no list of"
            raise InterfaceError(f"a row has {got} values for {len(columns)} columns")
        return raw

    def _decode_column(self, i: int, decode: ColumnDecoder, column: Sequence[Any]) -> list[Any]:
        if not column:
            return []
        name = self.columns[i][0]
        try:
            return decode(column)
        except DataError as exc:  # a value beyond what its Python type can hold
            raise DataError(f"column {name!r}: {exc}") from None
        except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
            raise InterfaceError(f"cannot decode a value of column {name!r}: {exc}") from None


class _Columns:
    """A decoded result: rows of Python objects and the same values column by column, each
    built from the other when first asked for, and the values as the server sent them of the
    columns that were decoded (`sent`); any other column was sent as it is."""

    def __init__(
        self,
        width: int,
        rows: list[Row] | None,
        values: list[Sequence[Any]] | None,
        sent: dict[int, Sequence[Any]],
    ) -> None:
        self._width = width
        self._rows = rows
        self._values = values
        self.sent = sent

    def rows(self) -> list[Row]:
        if self._rows is None:
            # the columns are equally long by construction
            self._rows = list(zip(*self.values, strict=False)) if self.values else []
        return self._rows

    @property
    def values(self) -> list[Sequence[Any]]:
        """The Python values, column by column."""
        if self._values is None:
            rows = self.rows()  # of one width, as decoded
            self._values = (
                list(zip(*rows, strict=True)) if rows else [() for _ in range(self._width)]
            )
        return self._values

    @property
    def raw(self) -> list[Sequence[Any]]:
        """The values as the server sent them, column by column."""
        return [self.sent.get(i, column) for i, column in enumerate(self.values)]


def _require(module: str, extra: str) -> None:
    """Fail before touching the result when an optional dependency is missing, naming the
    extra that installs it."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{module} is needed for this: pip install 'paid-dbapi[{extra}]'")
