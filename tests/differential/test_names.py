"""Names inside types (Tuple fields, Enum members) read as ClickHouse itself names them.

ClickHouse prints such names escaped in the type text (`Tuple(\\`a\\tb\\` Int8)`). The oracle is
ClickHouse's own reading: the field names of its Arrow struct, and `toString` of each Enum
member. The driver reads the printed type text; both must name every field and member alike.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import paid_dbapi
from paid_dbapi._literals import quote_identifier, quote_string
from paid_dbapi._types import parse_type
from tests.differential import examples
from tests.differential.oracle import Oracle

#: Characters that ClickHouse escapes or that the type text quotes, and some beyond ASCII.
SPECIAL = "\t\n\r\b\f\v\a\x01\x1b'\"`\\ ,()=é€😀"
#: ClickHouse reserves the element name `null` (a Nullable tuple's null map is named so).
NAMES = st.text(st.sampled_from(SPECIAL) | st.characters(codec="utf-8", exclude_characters="\0"),
                min_size=1, max_size=8).filter(lambda name: name != "null")  # fmt: skip


@pytest.fixture(scope="module")
def cursor() -> Iterator[paid_dbapi.Cursor]:
    with paid_dbapi.connect(demo=True) as conn:
        yield conn.cursor()


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(names=st.lists(NAMES, min_size=1, max_size=3, unique=True))
@example(names=["a\tb", "c'd\\e", "é\x01"])
def test_tuple_field_names(oracle: Oracle, cursor: paid_dbapi.Cursor, names: list[str]) -> None:
    fields = ", ".join(f"{quote_identifier(n)} Int8" for n in names)
    value = (
        f"CAST(tuple({', '.join(map(str, range(len(names))))}), {quote_string(f'Tuple({fields})')})"
    )
    type_text, struct = oracle.row(f"SELECT toTypeName({value}) AS type, {value} AS t")
    assert list(struct) == names  # ClickHouse kept the names we meant
    assert parse_type(type_text).field_names == tuple(names)
    (row,) = cursor.execute(f"SELECT {value} AS t").fetchall()
    assert row[0] == dict(zip(names, range(len(names)), strict=True))
    arrow = cursor.execute(f"SELECT {value} AS t").fetch_arrow_table()
    assert [f.name for f in arrow.schema.field("t").type] == names


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(names=st.lists(NAMES, min_size=1, max_size=3, unique=True))
@example(names=["x\ty", "q'z", "ü"])
def test_enum_member_names(oracle: Oracle, names: list[str]) -> None:
    members = ", ".join(f"{quote_string(n)} = {i}" for i, n in enumerate(names, 1))
    enum = quote_string(f"Enum8({members})")
    values = ", ".join(f"toString(CAST({i}, {enum}))" for i in range(1, len(names) + 1))
    type_text, *read = oracle.row(f"SELECT toTypeName(CAST(1, {enum})), {values}")
    assert read == names
    assert parse_type(type_text).params == tuple(names)
