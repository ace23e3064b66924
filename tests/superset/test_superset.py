"""Superset end to end: add the database by URI, browse it, SQL Lab, a monthly time-grain chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
import sqlglot

from paid_sqlalchemy._sqlglot_dialect import PaidClickHouse
from paid_sqlalchemy.superset import PaidEngineSpec


@pytest.fixture(scope="module")
def database_id(
    client: Any, auth: dict[str, str], server_url: str, org_keys: dict[str, str]
) -> int:
    hostport = server_url.split("//", 1)[1].split("/", 1)[0]
    uri = f"paid+http://token:{org_keys['acme']}@{hostport}"
    r = client.post("/api/v1/database/test_connection/", json={"sqlalchemy_uri": uri}, headers=auth)
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/database/", headers=auth,
                    json={"database_name": "Paid demo", "sqlalchemy_uri": uri, "expose_in_sqllab": True})  # fmt: skip
    assert r.status_code == 201, r.text
    assert org_keys["acme"] not in r.text  # the key is masked in what Superset returns
    return int(r.json["id"])


def test_engine_spec_is_found_by_entry_point(client: Any) -> None:
    from superset.db_engine_specs import get_engine_spec

    assert get_engine_spec("paid") is PaidEngineSpec


def test_browse_schemas_tables_columns(client: Any, auth: dict[str, str], database_id: int) -> None:
    r = client.get(f"/api/v1/database/{database_id}/schemas/", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json["result"] == ["analytics"]
    r = client.get(
        f"/api/v1/database/{database_id}/tables/?q=(schema_name:analytics)", headers=auth
    )
    names = {t["value"] for t in r.json["result"]}
    assert len(names) == 15
    assert "fact_signal" in names
    r = client.get(
        f"/api/v1/database/{database_id}/table_metadata/?name=fact_cost&schema=analytics",
        headers=auth,
    )
    assert r.status_code == 200, r.text
    columns = {c["name"]: c for c in r.json["columns"]}
    assert columns["cost_amount"]["type"].startswith("NUMERIC")
    assert columns["created_at"]["type"].startswith("DATETIME")


def test_sql_lab(client: Any, auth: dict[str, str], database_id: int) -> None:
    sql = ("SELECT toStartOfMonth(created_at) AS month, signal_name, count() AS n FROM fact_signal "
           "WHERE signal_name LIKE 'chat%' GROUP BY month, signal_name ORDER BY month")  # fmt: skip
    r = client.post("/api/v1/sqllab/execute/", headers=auth,
                    json={"database_id": database_id, "sql": sql, "runAsync": False, "schema": "analytics"})  # fmt: skip
    assert r.status_code == 200, r.text
    data = r.json["data"]
    assert len(data) >= 3
    assert all(row["signal_name"] == "chat_reply" and row["n"] > 0 for row in data)
    assert dt.date.fromisoformat(str(data[0]["month"])[:10]).day == 1


def test_sql_lab_rejects_dml(client: Any, auth: dict[str, str], database_id: int) -> None:
    r = client.post("/api/v1/sqllab/execute/", headers=auth,
                    json={"database_id": database_id, "sql": "DROP TABLE fact_signal", "runAsync": False})  # fmt: skip
    assert r.status_code >= 400


def test_monthly_time_grain_chart(client: Any, auth: dict[str, str], database_id: int) -> None:
    r = client.post("/api/v1/dataset/", headers=auth,
                    json={"database": database_id, "schema": "analytics", "table_name": "fact_signal"})  # fmt: skip
    assert r.status_code == 201, r.text
    dataset_id = r.json["id"]
    query = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{
            "columns": [{"timeGrain": "P1M", "columnType": "BASE_AXIS", "sqlExpression": "created_at",
                         "label": "created_at", "expressionType": "SQL"}],
            "metrics": ["count"], "orderby": [], "row_limit": 100, "time_range": "No filter",
        }],
        "result_format": "json", "result_type": "full",
    }  # fmt: skip
    r = client.post("/api/v1/chart/data", json=query, headers=auth)
    assert r.status_code == 200, r.text
    result = r.json["result"][0]
    assert "toStartOfMonth" in result["query"]
    rows = result["data"]
    assert 3 <= len(rows) <= 5
    assert sum(row["count"] for row in rows) == 120_000


@pytest.mark.parametrize("grain", sorted(g for g in PaidEngineSpec._time_grain_expressions if g))
def test_every_time_grain_runs(grain: str) -> None:
    expr = PaidEngineSpec._time_grain_expressions[grain].format(col="created_at")
    with sa.create_engine("paid+demo://").connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT {expr} AS t, count() FROM fact_signal GROUP BY t ORDER BY t LIMIT 5")
        ).all()
    assert rows
    assert all(isinstance(r[0], (dt.date, dt.datetime)) for r in rows)


@pytest.mark.parametrize(
    ("target", "expected"),
    [("Date", "toDate('2026-11-03')"), ("Nullable(Date32)", "toDate32('2026-11-03')"),
     ("DateTime", "toDateTime('2026-11-03 04:05:06')"),
     ("LowCardinality(Nullable(DateTime('UTC')))", "toDateTime('2026-11-03 04:05:06', 'UTC')"),
     ("DateTime64(3, 'UTC')", "toDateTime64('2026-11-03 04:05:06.000007', 3, 'UTC')"),
     ("String", None), ("not a type(", None)],
)  # fmt: skip
def test_convert_dttm(target: str, expected: str | None) -> None:
    literal = PaidEngineSpec.convert_dttm(target, dt.datetime(2026, 11, 3, 4, 5, 6, 7))
    assert literal == expected
    if literal:
        with sa.create_engine("paid+demo://").connect() as conn:
            assert conn.execute(sa.text(f"SELECT {literal}")).scalar() is not None


def test_temporal_column_types() -> None:
    for text in [
        "Date",
        "Nullable(Date32)",
        "DateTime64(3, 'UTC')",
        "LowCardinality(Nullable(DateTime))",
    ]:
        spec = PaidEngineSpec.get_column_spec(text)
        assert spec is not None
        assert spec.is_dttm, text
    assert not PaidEngineSpec.get_column_spec("String").is_dttm


@pytest.mark.parametrize("sql", [
    "SELECT toStartOfMonth(created_at) AS m, count() FROM fact_signal GROUP BY m",
    "SELECT dateDiff('day', min(created_at), max(created_at)) FROM fact_signal",
    "SELECT toMonday(created_at) AS w FROM fact_signal LIMIT 1",
])  # fmt: skip
def test_sqlglot_round_trip_keeps_meaning(sql: str) -> None:
    regenerated = sqlglot.transpile(sql, read=PaidClickHouse, write=PaidClickHouse)[0]
    assert regenerated == sql
    with sa.create_engine("paid+demo://").connect() as conn:
        assert conn.execute(sa.text(regenerated)).all() == conn.execute(sa.text(sql)).all()


def test_uri_placeholder_and_read_only_flags() -> None:
    assert PaidEngineSpec.engine == "paid"
    assert PaidEngineSpec.sqlalchemy_uri_placeholder.startswith("paid://")
    assert PaidEngineSpec.supports_file_upload is False
