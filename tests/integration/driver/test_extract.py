"""Keyset extracts past the row cap, against an emulator whose cap is a few hundred rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

import paid_dbapi
from paid_dbapi._extract import Extract
from paid_dbapi.emulator import Emulator
from tests.conftest import connect_to

#: One instant for the whole module: with `now()` a signal crossing a window's edge between
#: the ground truth and the extract would differ between them.
NOW = f"toDateTime('{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S}', 'UTC')"
WINDOW = f"SELECT customer_id, signal_id, created_at FROM fact_signal WHERE created_at >= {NOW} - INTERVAL 15 DAY"


@pytest.fixture(scope="module")
def capped(emulator: Emulator) -> Iterator[paid_dbapi.Connection]:
    with connect_to(Emulator(row_limit=300), "initech") as conn:
        yield conn


def expected(conn: paid_dbapi.Connection) -> list[tuple[object, ...]]:
    """Ground truth from the uncapped emulator."""
    with paid_dbapi.connect(demo=True, demo_org="initech") as full:
        sql = f"SELECT * FROM ({WINDOW}) ORDER BY customer_id, signal_id"
        rows = full.cursor().execute(sql).fetchall()
    assert 1_000 < len(rows) < 10_000
    return rows


@pytest.mark.parametrize("page_size", [300, 97])
def test_every_row_once_in_order_despite_ties(
    capped: paid_dbapi.Connection, page_size: int
) -> None:
    truth = expected(capped)
    customers = [r[0] for r in truth]
    assert len(set(customers)) < len(customers) / 10  # heavy ties on the first key column
    extract = Extract(capped, WINDOW, ["customer_id", "signal_id"], page_size=page_size)
    rows = list(extract)
    assert rows == truth
    assert extract.pages >= len(truth) // min(page_size, 300)
    assert extract.description is not None
    assert [d[0] for d in extract.description] == ["customer_id", "signal_id", "created_at"]


def test_tiny_pages(capped: paid_dbapi.Connection) -> None:
    sql = (
        f"SELECT customer_id, signal_id FROM fact_signal WHERE created_at >= {NOW} - INTERVAL 1 DAY"
    )
    rows = list(Extract(capped, sql, ["customer_id", "signal_id"], page_size=3))
    with paid_dbapi.connect(demo=True, demo_org="initech") as full:
        truth = (
            full.cursor()
            .execute(f"SELECT * FROM ({sql}) ORDER BY customer_id, signal_id")
            .fetchall()
        )
    assert rows == truth


def test_parameters_and_empty_result(capped: paid_dbapi.Connection) -> None:
    sql = "SELECT signal_id FROM fact_signal WHERE signal_name = %(name)s"
    assert list(Extract(capped, sql, ["signal_id"], params={"name": "no_such_signal"})) == []
    some = list(
        Extract(
            capped,
            sql + f" AND created_at >= {NOW} - INTERVAL 2 DAY",
            ["signal_id"],
            params={"name": "email_sent"},
        )
    )
    assert some
    assert len(set(some)) == len(some)


def test_refuses_a_key_that_is_not_unique(capped: paid_dbapi.Connection) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match="not unique"):
        list(Extract(capped, WINDOW, ["customer_id"]))


def test_refuses_a_key_not_unique_across_a_page_boundary(capped: paid_dbapi.Connection) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match="not unique"):
        list(
            Extract(
                capped,
                "SELECT signal_name, signal_id FROM fact_signal",
                ["signal_name"],
                page_size=2,
            )
        )


@pytest.mark.parametrize(
    ("sql", "key", "message"),
    [
        ("SELECT state, id FROM dim_customer", ["state"], "may be NULL"),
        (
            "SELECT id FROM dim_customer",
            ["name", "id"],
            r"^\[KEY_NOT_SELECTED\] the key column\(s\) name must be in the query's SELECT list \(it selects id\)$",
        ),
        (
            "SELECT id FROM dim_customer WHERE (",
            ["id"],
            r"^cannot page this query: it does not parse at line 1, column 35, near '\('$",
        ),
        ("SELECT id FROM dim_customer LIMIT 5", ["id"], "LIMIT"),
        ("SELECT id FROM dim_customer ORDER BY id", ["id"], "ORDER BY"),
        ("SELECT 1; SELECT 2", ["id"], "one SELECT"),
        ("SELECT id FROM dim_customer", [], "key column"),
    ],
)
def test_refusals(capped: paid_dbapi.Connection, sql: str, key: list[str], message: str) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError, match=message):
        list(Extract(capped, sql, key))


def test_an_error_in_the_query_shows_the_query_not_the_wrapper(
    capped: paid_dbapi.Connection,
) -> None:
    with pytest.raises(paid_dbapi.ProgrammingError) as info:
        list(Extract(capped, "SELECT id, nosuch FROM dim_customer", ["id"]))
    assert "nosuch" in str(info.value)
    assert "extract_source" not in str(info.value)
    assert info.value.__suppress_context__
