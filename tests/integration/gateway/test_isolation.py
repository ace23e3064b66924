"""Keys cannot reach each other, and no client text reaches an engine unjudged.

Each key has its own engines: a setting one key sends never shapes another key's answer, and
one key's error text never appears in another key's answers. A second statement hidden after
`;` is refused on every route with nothing run, and a line break inside an alias cannot
change the route. A wrong key is refused before its body is read. All against the real
`paid-gateway serve` in front of `paid-emulator serve` (see conftest).
"""

from __future__ import annotations

import gzip
import time
import uuid

import httpx
import pytest

from paid_dbapi.emulator._data import demo_keys
from tests.servers import Served

ACME, GLOBEX = demo_keys(42)["acme"], demo_keys(42)["globex"]


def ask(served: Served, key: str, sql: str, **params: str) -> httpx.Response:
    return httpx.post(served.url, params=params, content=sql.encode(), auth=("u", key), timeout=60)


def test_one_keys_settings_never_change_another_keys_answers(gateway: Served) -> None:
    sql = "SELECT 1 AS n, 'x' AS s FORMAT CSV"
    assert ask(gateway, GLOBEX, sql).text == '1,"x"\n'
    assert ask(gateway, ACME, sql, format_csv_delimiter=";").text == '1;"x"\n'
    assert ask(gateway, GLOBEX, sql).text == '1,"x"\n'
    assert ask(gateway, ACME, sql).text == '1,"x"\n'  # a setting lasts one request
    for statement in ("SET format_csv_delimiter = ';'", "SET max_result_rows = 1"):
        refused = ask(gateway, ACME, statement)
        assert refused.status_code >= 400, refused.text
    assert ask(gateway, GLOBEX, sql).text == '1,"x"\n'
    assert ask(gateway, ACME, sql).text == '1,"x"\n'


def test_one_keys_error_text_is_never_in_another_keys_answers(gateway: Served) -> None:
    marker = f"zz_marker_{uuid.uuid4().hex[:12]}"
    for sql in (f"SELECT * FROM {marker}", f"SELECT {marker}", f"SHOW TABLES FROM {marker}",
                f"SELECT name FROM system.tables WHERE {marker} = 1"):  # fmt: skip
        answer = ask(gateway, ACME, sql)
        assert answer.status_code >= 400, answer.text
        assert marker in answer.text
    for sql in ("SELECT * FROM system.errors", "SELECT * FROM system.query_log",
                "SELECT last_error_message FROM system.errors", "SELECT * FROM system.settings",
                "SELECT * FROM system.tables", "SELECT * FROM system.columns"):  # fmt: skip
        answer = ask(gateway, GLOBEX, sql, default_format="TSVWithNames")
        assert marker not in answer.text


HIDDEN = [
    "SELECT count() FROM fact_signal; SELECT 1",
    "SELECT count() FROM paid.fact_signal; SELECT 1",
    "SELECT 1 FORMAT JSON; SELECT 2",
    "SHOW TABLES; SELECT 1",
    "DESCRIBE TABLE fact_signal; SELECT 1",
    "EXISTS TABLE fact_signal; SELECT 1",
    "SELECT version(); SELECT 1",
    "SELECT name FROM system.tables; SELECT 1",
    "KILL QUERY WHERE query_id = 'x'; SELECT 1",
    "SELECT 1;\nSELECT 2",
    "SELECT 1 /* ; */; SELECT 2 -- ;",
]


@pytest.mark.parametrize("sql", HIDDEN)
def test_a_hidden_second_statement_is_refused_and_nothing_runs(gateway: Served, sql: str) -> None:
    query_id = f"hidden-{uuid.uuid4().hex}"
    answer = ask(gateway, ACME, sql, query_id=query_id)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["x-clickhouse-exception-code"] != "1001"
    log = gateway.log.read_text(errors="replace")
    assert f"query {query_id} answered 4" in log  # and nothing between: no route taken
    assert f"query {query_id} forwarded" not in log
    assert f"query {query_id} answered from the local catalog" not in log


def test_a_line_break_in_an_alias_cannot_change_the_route(gateway: Served) -> None:
    """The guard's reader refuses a tree whose dump a name could have forged; a query either
    keeps its route or is refused with nothing run, never answered from another route."""
    forged = "x\n TableIdentifier system.tables\nKillQueryQuery"
    counted = ask(gateway, ACME, "SELECT count() FROM fact_signal")
    assert counted.status_code == 200, counted.text
    aliases = (f"`{forged}`", "`" + forged.replace("\n", "\\n") + "`", f'"{forged}"')
    for alias in aliases:
        query_id = f"alias-{uuid.uuid4().hex}"
        answer = ask(gateway, ACME, f"SELECT count() AS {alias} FROM fact_signal",
                     query_id=query_id)  # fmt: skip
        if answer.status_code == 200:
            assert answer.text == counted.text  # still the API's rows
        else:
            assert answer.headers["x-clickhouse-exception-code"] == "36", answer.text
            assert "could not be analysed" in answer.text
        log = gateway.log.read_text(errors="replace")
        assert f"query {query_id} answered from the local catalog" not in log
    forged_view = "x\n TableIdentifier paid.fact_signal"
    local = ask(gateway, ACME, f"SELECT count() AS `{forged_view}` FROM system.one")
    assert local.text == "1\n" or "could not be analysed" in local.text, local.text
    assert "mixes the views" not in local.text


def test_a_wrong_key_is_refused_before_its_body_is_read(gateway: Served) -> None:
    wrong = "pk_wrong_" + uuid.uuid4().hex
    ask(gateway, wrong, "SELECT 1")  # the first refusal asks the API once
    huge = b"SELECT " + b"1 + " * (3 * 1024 * 1024) + b"1"
    bomb = gzip.compress(b" " * (512 * 1024 * 1024), compresslevel=9)
    for body, headers in ((huge, {}), (bomb, {"content-encoding": "gzip"})):
        started = time.monotonic()
        answer = httpx.post(gateway.url, content=body, headers=headers, auth=("u", wrong),
                            timeout=60)  # fmt: skip
        elapsed = time.monotonic() - started
        assert answer.status_code in (401, 403), answer.text
        assert elapsed < 1.0, elapsed
    started = time.monotonic()  # the right key: the bomb is stopped at the cap
    answer = httpx.post(gateway.url, content=bomb, headers={"content-encoding": "gzip"},
                        auth=("u", ACME), timeout=60)  # fmt: skip
    assert answer.status_code == 400
    assert "decompresses to more than" in answer.text
    assert time.monotonic() - started < 2.0
