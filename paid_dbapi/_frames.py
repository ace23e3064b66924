"""DataFrames (pandas, polars) from the driver's Arrow tables, keeping every exact value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A DataFrame with numpy dtypes where they are exact and nullable ones for nullable
    integer and boolean columns (never a float detour); Decimals as `decimal.Decimal`, maps as
    dicts, time stamps in the column's unit and zone."""
    import pandas as pd

    nullable = {
        pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(),
    }  # fmt: skip
    # pandas 3 infers its `str` dtype for text: give it to every string column, even empty ones
    text = pd.Series(["text"]).dtype
    strings = {pa.large_string(): text} if isinstance(text, pd.StringDtype) else {}
    columns = {}  # by position: SQL allows two columns of the same name
    for i, (field, column) in enumerate(zip(table.schema, table.columns, strict=True)):
        mapping = {**nullable, **strings} if field.nullable else strings
        try:
            columns[i] = column.to_pandas(types_mapper=mapping.get, maps_as_pydicts="strict")
        except pa.ArrowNotImplementedError:  # e.g. lists of UUIDs: Python objects instead
            columns[i] = pd.Series(column.to_pylist(), dtype=object)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    frame.columns = pd.Index(table.column_names)
    return frame


def to_polars(table: pa.Table) -> pl.DataFrame:
    """A polars DataFrame; Decimals wider than polars' 38 digits become their exact text."""
    import polars as pl

    for i, field in enumerate(table.schema):
        if pa.types.is_decimal256(field.type):
            table = table.set_column(
                i, field.with_type(pa.large_string()), table[i].cast(pa.large_string())
            )
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # from_arrow of a table is always a DataFrame
        raise TypeError(f"expected a polars DataFrame, got {type(frame).__name__}")
    return frame
