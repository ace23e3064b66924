"""The driver's decoded values against ClickHouse's own, for generated types nested a few levels.

For each generated type and value, the oracle (chDB in a worker process, through Arrow) gives
the expected Python value and the driver reads the same SQL through the emulator. Both must
agree on type and value, Decimal exponent, and instant and zone for datetimes.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paid_dbapi
from tests.conftest import exact_connect
from tests.differential import examples
from tests.differential.generate import TYPES, BFloat16, Float32
from tests.differential.oracle import Oracle


@pytest.fixture(scope="module")
def cursor() -> Iterator[paid_dbapi.Cursor]:
    """The emulator sends every Decimal digit here; the service's double is tested in
    test_decimals."""
    with exact_connect() as conn:
        yield conn.cursor()


def _f32(value: float) -> bytes:
    return struct.pack("<f", value)


def _bf16(value: float) -> int:
    bits: int = struct.unpack("<I", struct.pack("<f", value))[0]
    return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest, ties to even


def _instant(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc)


def same(got: Any, want: Any) -> bool:
    """Same type and value; Decimals with the same exponent; datetimes the same instant in the
    same zone; containers element by element, dicts in order."""
    if isinstance(want, float):
        # The JSON wire writes negative zero as the integer -0: zeros compare equal.
        if type(got) is not float:
            return False
        if got == want or (math.isnan(got) and math.isnan(want)):
            return True
        if isinstance(want, Float32):
            return _f32(got) == _f32(want)
        return isinstance(want, BFloat16) and _bf16(got) == _bf16(want)
    if type(got) is not type(want):
        return False
    if isinstance(want, Decimal):
        return bool(got == want) and got.as_tuple().exponent == want.as_tuple().exponent
    if isinstance(want, dt.datetime):
        if want.tzinfo is None:
            return got.tzinfo is None and got == want
        if str(got.tzinfo) != str(want.tzinfo):
            return False
        if _instant(got) == _instant(want):
            return True
        # The documented ambiguity: in a repeated hour the wire's wall-clock text names two
        # instants, and the driver takes the first.
        return want.fold == 1 and _instant(got.replace(fold=1)) == _instant(want)
    if isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(map(same, got, want))
    if isinstance(want, dict):
        return len(got) == len(want) and all(
            same(gk, wk) and same(gv, wv)
            for (gk, gv), (wk, wv) in zip(got.items(), want.items(), strict=True)
        )
    return bool(got == want)


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_driver_agrees_with_clickhouse(
    oracle: Oracle, cursor: paid_dbapi.Cursor, data: st.DataObject
) -> None:
    gen = data.draw(TYPES, label="type")
    exprs = data.draw(st.lists(gen.values, min_size=1, max_size=3), label="values")
    sql = "SELECT " + ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
    want = [gen.expect(v) for v in oracle.row(sql)]
    cursor.execute(sql)
    got = cursor.fetchone()
    assert got is not None
    for g, w in zip(got, want, strict=True):
        assert same(g, w), (gen.text, sql, g, w)
