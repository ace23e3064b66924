"""The PEP 249 cursor: each `execute` is one POST /query, fully decoded before it returns."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import wire
from .exceptions import (
    DataError,
    InterfaceError,
    NotSupportedError,
    TruncatedResultWarning,
    warn_at_caller,
)
from .literals import bind_parameters
from .types import ColumnDecoder, column_decoder, parse_type

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from .connection import Connection

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
        self._result = _Result([], [], [])
        self._pos = 0
        self._arrow: tuple[int, pyarrow.Table] | None = None  # (position, remaining rows)
        #: The column types of the last result: a body with the same ones is read in one pass.
        self._types: tuple[str, ...] = ()
        self._closed = False

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
        self._result = _Result([], [], [])
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
        self.elapsed_ms = None
        self._result = _Result([], [], [])
        self._pos = 0
        self._arrow = None

    def execute(
        self, operation: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Cursor:
        """Bind `parameters` client-side and run the query (one request)."""
        self._check_open()
        self._reset()
        sql = bind_parameters(operation, parameters)
        expect = self._types
        body = self.connection._client.request(
            "POST",
            "/query",
            json_body={"query": sql},
            parse=lambda content: wire.parse_body(content, expect),
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
            columns, raw_rows, planned, meta = wire.read(body)
            meta = meta or {}
            if not isinstance(raw_rows, list):
                raise TypeError("rows is not a list")
        except (KeyError, TypeError, AttributeError) as exc:
            raise InterfaceError(f"unexpected /query answer shape: {exc}") from None
        truncated = bool(meta.get("truncated", False))
        naive_tz = self.connection.naive_timezone
        decoders = [
            (i, decoder)
            for i, (_, type_text) in enumerate(columns)
            if (decoder := planned[i] if i in planned else column_decoder(type_text, naive_tz))
            is not None
        ]
        result = _decode(columns, raw_rows, decoders)
        self.truncated = truncated
        if truncated:
            mode = self.on_truncation
            if mode == "error":
                raise DataError(
                    f"the result exceeded the server's row cap and was cut at {len(raw_rows)} "
                    "rows; narrow the query or page it (paid_dbapi.extract)",
                    code="TRUNCATED",
                )
            if mode == "warn":
                warn_at_caller(
                    f"result truncated at {len(raw_rows)} rows by the server's row cap; "
                    "rows were dropped (cursor.truncated is True)",
                    TruncatedResultWarning,
                )
        self.description = tuple(describe(name, type_text) for name, type_text in columns)
        self._types = tuple(type_text for _, type_text in columns)
        self._result = result
        self.rowcount = len(raw_rows)
        elapsed = meta.get("elapsedMs")
        self.elapsed_ms = float(elapsed) if elapsed is not None else None
        logger.debug("query returned %d rows in %s ms", self.rowcount, self.elapsed_ms)

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
        from . import arrow

        if self._arrow is None or self._arrow[0] != self._pos:
            result = self._result.since(self._pos)
            table = arrow.to_table(
                result.columns, result.values, result.raw, self.connection.naive_timezone
            )
            self._arrow = (self._pos, table)
        return self._arrow[1]

    def fetch_df(self) -> pandas.DataFrame:
        """All remaining rows as a pandas DataFrame, by way of `fetch_arrow_table` (extras
        `arrow` and `pandas`): exact Decimals, nullable integers and booleans stay nullable."""
        _require("pandas", "pandas")
        from .frames import to_pandas

        return to_pandas(self.fetch_arrow_table())

    def fetch_polars(self) -> polars.DataFrame:
        """All remaining rows as a polars DataFrame, by way of `fetch_arrow_table` (extras
        `arrow` and `polars`)."""
        _require("polars", "polars")
        from .frames import to_polars

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
    """One decoded result, column by column: the values as the server sent them (`raw`) and
    as Python objects (`values`); rows are only built when asked for, unless they come as is."""

    def __init__(
        self,
        columns: list[tuple[str, str]],
        raw: list[Sequence[Any]],
        values: list[Sequence[Any]],
        rows: list[Row] | None = None,
    ) -> None:
        self.columns = columns
        self.raw = raw
        self.values = values
        self._rows = rows

    def rows(self) -> list[Row]:
        if self._rows is None:
            # the columns are equally long by construction
            self._rows = list(zip(*self.values, strict=False)) if self.values else []
        return self._rows

    def since(self, start: int) -> _Result:
        """The result from row `start` on."""
        if start == 0:
            return self
        return _Result(
            self.columns, [c[start:] for c in self.raw], [c[start:] for c in self.values]
        )


def _decode(
    columns: list[tuple[str, str]],
    raw_rows: list[Any],
    decoders: list[tuple[int, ColumnDecoder]],
) -> _Result:
    """Decode column by column: each column's converter runs over all its values at once."""
    if not raw_rows:
        return _Result(columns, [() for _ in columns], [() for _ in columns])
    try:
        raw_columns: list[Sequence[Any]] = list(zip(*raw_rows, strict=True))
    except (ValueError, TypeError):  # rows of unequal lengths, or not rows at all
        raw_columns = []
    if len(raw_columns) != len(columns):
        bad = next(r for r in raw_rows if not isinstance(r, list | tuple) or len(r) != len(columns))
        got = len(bad) if isinstance(bad, list | tuple) else "no list of"
        raise InterfaceError(f"a row has {got} values for {len(columns)} columns")
    values = list(raw_columns)
    for i, decode in decoders:
        name = columns[i][0]
        try:
            values[i] = decode(raw_columns[i])
        except DataError as exc:  # a value beyond what its Python type can hold
            raise DataError(f"column {name!r}: {exc}") from None
        except (ValueError, TypeError, ArithmeticError, AttributeError) as exc:
            raise InterfaceError(f"cannot decode a value of column {name!r}: {exc}") from None
    as_is = not decoders and type(raw_rows[0]) is tuple  # rows from the typed pass
    return _Result(columns, raw_columns, values, raw_rows if as_is else None)


def _require(module: str, extra: str) -> None:
    """Fail before touching the result when an optional dependency is missing, naming the
    extra that installs it."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(f"{module} is needed for this: pip install 'paid-dbapi[{extra}]'")
