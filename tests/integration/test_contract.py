"""The wire contract shared by the emulator and the gateway: bodies, error codes, scrubbing."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from paid_dbapi._contract import (
    ErrorBody,
    QueryAnswer,
    SchemaAnswer,
    SignalsAnswer,
    scrub,
)
from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator._data import internal_names
from paid_dbapi.gateway._upstream import split_answer
from tests.conftest import client_for, query

# -- bodies ------------------------------------------------------------------------------


@pytest.fixture
def globex(emulator: Emulator, org_keys: dict[str, str]) -> Any:
    with client_for(emulator, org_keys["globex"]) as client:
        yield client


def test_the_emulators_answers_are_the_contracts_bodies(globex: Any) -> None:
    """Each endpoint's answer, read with the contract's Structs, holds exactly what a plain
    JSON reader sees (no field missed, none invented)."""
    response = query(globex, "SELECT toUInt64(1) AS n, 'é' AS s, [1, 2] AS a")
    answer = msgspec.json.decode(response.content, type=QueryAnswer)
    plain = json.loads(response.content)
    assert [msgspec.to_builtins(c) for c in answer.columns] == plain["columns"]
    assert [json.loads(bytes(row)) for row in answer.rows] == plain["rows"] == [["1", "é", [1, 2]]]
    assert msgspec.to_builtins(answer.meta) == plain["meta"]
    assert answer.meta.rowCount == 1
    assert answer.meta.truncated is False
    assert set(plain) == {"columns", "rows", "meta"}

    schema = globex.get("/schema")
    assert msgspec.to_builtins(msgspec.json.decode(schema.content, type=SchemaAnswer)) == (
        schema.json()
    )
    assert len(schema.json()["views"]) == 15
    signals = globex.get("/signals/metadata", params={"fromDate": "2000-01-01T00:00:00Z"})
    decoded = msgspec.json.decode(signals.content, type=SignalsAnswer)
    assert msgspec.to_builtins(decoded) == signals.json()
    assert decoded.signals
    assert decoded.meta.fromDate == "2000-01-01T00:00:00Z"

    refused = query(globex, "SELECT * FROM nowhere")
    error = msgspec.json.decode(refused.content, type=ErrorBody)
    assert (refused.status_code, error.code) == (400, "UNKNOWN_TABLE")
    assert msgspec.to_builtins(error) == refused.json()


def test_the_gateway_reads_the_emulators_query_answer(globex: Any) -> None:
    response = query(globex, "SELECT toInt64(-1) AS n, toDecimal64(1.5, 2) AS d")
    answer = split_answer(response.content)
    assert answer.columns == [("n", "Int64"), ("d", "Decimal(18, 2)")]
    assert answer.rows == [b'["-1",1.5]']
    assert answer.truncated is False
    assert answer.elapsed_ms is not None


def test_the_emulators_internal_names_are_scrubbed(emulator: Emulator) -> None:
    database = emulator.dataset.organizations[1].database
    assert database in internal_names()
    text = scrub(f"Table {database}.fact_signal does not exist", internal_names())
    assert text == "Table fact_signal does not exist"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "the request body is not valid JSON"),
        (b'{"query": "SELECT \xff"}', "the request body is not valid JSON"),
        (b"[]", 'the body must be {"query": "<SQL>"}'),
        (b'{"query": null}', 'the body must be {"query": "<SQL>"}'),
        (b'{"sql": "SELECT 1"}', 'the body must be {"query": "<SQL>"}'),
    ],
)
def test_a_malformed_query_body_is_bad_request(globex: Any, body: bytes, message: str) -> None:
    response = globex.post("/query", content=body)
    assert response.status_code == 400
    assert response.json() == {"error": message, "code": "BAD_REQUEST", "details": ""}
