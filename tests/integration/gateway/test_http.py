"""ClickHouse's HTTP interface as the gateway speaks it, request by request (plain httpx).

What a ClickHouse server does is the reference: routes and `Ok.`, credentials, parameters and
headers, format selection, response headers, error codes and bodies, truncation, and the
compression of answers (decoded by clickhouse-driver's block reader, not by our code).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import socket
from decimal import Decimal

import chdb
import httpx
import pyarrow.ipc
import pyarrow.parquet
import pytest
import zstandard
from clickhouse_driver.compression.lz4 import Compressor
from clickhouse_driver.streams.compressed import (
    CompressedBlockInputStream,
    CompressedBlockOutputStream,
)

from tests.servers import Served

TEN_ROWS = "SELECT number AS n FROM (SELECT toUInt64(arrayJoin(range(10))) AS number) ORDER BY n"


def ask(http: httpx.Client, sql: str, **params: str) -> httpx.Response:
    return http.post("/", content=sql.encode(), params=params)


@pytest.mark.parametrize("path", ["/ping", "/"])
def test_ping_and_root_answer_ok(gateway_url: str, path: str) -> None:
    response = httpx.get(gateway_url + path)
    assert (response.status_code, response.text) == (200, "Ok.\n")


def test_query_in_body_in_parameter_and_by_get(http: httpx.Client) -> None:
    by_body = http.post(
        "/", content=b"SELECT signal_name FROM fact_signal ORDER BY signal_name LIMIT 1"
    )
    by_param = http.post(
        "/", params={"query": "SELECT signal_name FROM fact_signal ORDER BY signal_name LIMIT 1"}
    )
    by_get = http.get(
        "/", params={"query": "SELECT signal_name FROM fact_signal ORDER BY signal_name LIMIT 1"}
    )
    assert by_body.status_code == 200, by_body.text
    assert (
        by_body.text == by_param.text == by_get.text == "call\n"
    )  # the first signal name in order
    split = http.post("/", params={"query": "SELECT signal_name FROM fact_signal"},
                      content=b"ORDER BY signal_name LIMIT 1")  # fmt: skip
    assert split.text == "call\n"


@pytest.mark.parametrize(
    "login",
    [
        {"auth": ("anyone", "KEY")},
        {"headers": {"X-ClickHouse-User": "anyone", "X-ClickHouse-Key": "KEY"}},
        {"params": {"user": "anyone", "password": "KEY"}},
        {"headers": {"Authorization": "Bearer KEY"}},
    ],
    ids=["basic", "x-clickhouse-headers", "parameters", "bearer"],
)
def test_every_way_of_passing_the_key(gateway_url: str, key: str, login: dict[str, object]) -> None:
    spelled = json.loads(json.dumps(login).replace("KEY", key))
    if "auth" in spelled:
        spelled["auth"] = tuple(spelled["auth"])
    params = {"query": "SELECT count() FROM dim_organization", **spelled.pop("params", {})}
    response = httpx.get(gateway_url, params=params, **spelled)
    assert (response.status_code, response.text) == (200, "1\n")


def test_missing_or_wrong_key_is_authentication_failed(gateway_url: str) -> None:
    missing = httpx.get(gateway_url, params={"query": "SELECT 1"})
    wrong = httpx.get(gateway_url, params={"query": "SELECT 1"}, auth=("default", "nope"))
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["x-clickhouse-exception-code"] == "516"
        assert response.text.startswith("Code: 516. DB::Exception: ")
        assert "(AUTHENTICATION_FAILED)" in response.text
    assert "API key as the password" in missing.text


def test_database_parameter_and_header(http: httpx.Client) -> None:
    assert ask(http, "SELECT currentDatabase()").text == "paid\n"
    header = http.post("/", content=b"SHOW TABLES", headers={"X-ClickHouse-Database": "paid"})
    assert "fact_signal\n" in header.text
    unknown = ask(http, "SELECT 1", database="nosuch")
    assert unknown.headers["x-clickhouse-exception-code"] == "81"


def test_ids_and_unknown_settings_are_accepted(http: httpx.Client) -> None:
    response = ask(http, "SELECT 1", query_id="my-query-1", session_id="s1",
                   max_threads="4", some_future_setting="x", wait_end_of_query="1")  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["x-clickhouse-query-id"] == "my-query-1"
    assert response.headers["x-clickhouse-timezone"] == "UTC"
    assert response.headers["x-clickhouse-format"] == "TabSeparated"
    summary = json.loads(response.headers["x-clickhouse-summary"])
    assert summary["result_rows"] == "1"
    assert int(summary["elapsed_ns"]) > 0


def test_max_result_rows_with_break_and_with_throw(http: httpx.Client) -> None:
    cut = ask(http, TEN_ROWS, max_result_rows="3", result_overflow_mode="break")
    assert cut.text == "0\n1\n2\n"
    thrown = ask(http, TEN_ROWS, max_result_rows="3")
    assert thrown.headers["x-clickhouse-exception-code"] == "396"


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ({"sql": " FORMAT JSONEachRow"}, "JSONEachRow"),
        ({"params": {"default_format": "CSVWithNames"}}, "CSVWithNames"),
        ({"headers": {"X-ClickHouse-Format": "JSONCompactEachRow"}}, "JSONCompactEachRow"),
        ({"sql": " format tsvwithnames", "params": {"default_format": "JSON"}}, "TSVWithNames"),
        ({}, "TabSeparated"),
    ],
)
def test_format_choice_order(http: httpx.Client, how: dict[str, object], expected: str) -> None:
    sql = "SELECT count() AS n FROM dim_organization" + str(how.get("sql", ""))
    response = http.post("/", content=sql.encode(), params=how.get("params", {}),  # type: ignore[arg-type]
                         headers=how.get("headers", {}))  # type: ignore[arg-type]  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["x-clickhouse-format"] == expected


def test_text_formats_are_clickhouse_own(http: httpx.Client) -> None:
    sql = "SELECT toUInt64(18446744073709551615) AS big, 'a\\tb' AS s, NULL AS z"
    assert ask(http, sql + " FORMAT TabSeparatedWithNamesAndTypes").text == (
        "big\ts\tz\nUInt64\tString\tNullable(Nothing)\n18446744073709551615\ta\\tb\t\\N\n"
    )
    assert (
        ask(http, sql + " FORMAT CSVWithNames").text
        == '"big","s","z"\n18446744073709551615,"a\tb",\\N\n'
    )
    each = ask(http, sql + " FORMAT JSONEachRow")
    assert (
        each.text == '{"big":18446744073709551615,"s":"a\\tb","z":null}\n'
    )  # ClickHouse 26's default
    quoted = ask(http, sql + " FORMAT JSONEachRow", output_format_json_quote_64bit_integers="1")
    assert quoted.text == '{"big":"18446744073709551615","s":"a\\tb","z":null}\n'
    document = ask(http, sql + " FORMAT JSON").json()
    assert document["meta"][0] == {"name": "big", "type": "UInt64"}
    assert document["data"] == [{"big": 18446744073709551615, "s": "a\tb", "z": None}]


def test_unknown_format_is_refused(http: httpx.Client) -> None:
    for fmt in ("NoSuchFormat", "Template", "CapnProto"):
        response = ask(http, f"SELECT 1 FORMAT {fmt}")
        assert response.headers["x-clickhouse-exception-code"] == "73", fmt


@pytest.mark.parametrize(
    ("sql", "code", "status"),
    [
        ("SELECT * FROM nosuch_table", "60", 404),
        ("SELECT * FROM paid.nosuch_table", "60", 404),
        ("SELECT nosuch_column FROM fact_cost", "47", 404),
        ("SELEC 1", "62", 400),
        ("", "62", 400),
    ],
)
def test_errors_carry_clickhouse_codes(
    http: httpx.Client, sql: str, code: str, status: int
) -> None:
    response = ask(http, sql)
    assert response.status_code == status, response.text
    assert response.headers["x-clickhouse-exception-code"] == code
    assert response.text.startswith(f"Code: {code}. DB::Exception: ")


def test_the_api_code_and_details_are_in_the_message(http: httpx.Client) -> None:
    response = ask(http, "SELECT * FROM nosuch_table")
    assert "[UNKNOWN_TABLE]" in response.text
    assert "fact_signal" in response.text


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO fact_signal (signal_name) VALUES ('x')",
        "SET max_threads = 1",
        "CREATE TABLE t (a UInt8) ENGINE = Memory",
        "DROP TABLE paid.fact_signal",
        "ALTER TABLE fact_signal DELETE WHERE 1",
        "TRUNCATE TABLE fact_signal",
        "SYSTEM FLUSH LOGS",
        "KILL QUERY WHERE user = 'x'",
    ],
)
def test_writes_and_server_statements_are_refused(http: httpx.Client, sql: str) -> None:
    response = ask(http, sql)
    assert response.status_code == 403, response.text
    assert response.headers["x-clickhouse-exception-code"] in ("164", "497")


def test_mixing_the_catalog_with_views_is_refused(http: httpx.Client) -> None:
    response = ask(http, "SELECT name, (SELECT count() FROM fact_signal) FROM system.tables")
    assert response.headers["x-clickhouse-exception-code"] == "48"
    assert "separate queries" in response.text


def test_qualified_backticked_names_are_forwarded_unqualified(http: httpx.Client) -> None:
    qualified = ask(http, "SELECT `paid`.`fact_cost`.`vendor` AS v, count() AS n FROM `paid`.`fact_cost` "
                          "GROUP BY `paid`.`fact_cost`.`vendor` ORDER BY v")  # fmt: skip
    plain = ask(http, "SELECT vendor AS v, count() AS n FROM fact_cost GROUP BY vendor ORDER BY v")
    assert qualified.status_code == 200, qualified.text
    assert qualified.text == plain.text
    assert plain.text.count("\n") >= 2


def test_truncation_is_an_error_by_default(http: httpx.Client) -> None:
    response = ask(http, "SELECT signal_id FROM fact_signal")
    assert response.status_code == 500
    assert response.headers["x-clickhouse-exception-code"] == "396"
    assert "aggregate" in response.text.lower()
    assert "10000 rows" in response.text


def test_truncation_can_pass_the_rows_with_a_flag(http: httpx.Client) -> None:
    response = ask(http, "SELECT signal_id FROM fact_signal", paid_on_truncation="pass")
    assert response.status_code == 200
    assert response.text.count("\n") == 10_000
    assert response.headers["x-paid-truncated"] == "1"
    assert json.loads(response.headers["x-clickhouse-summary"])["paid_truncated"] == "true"


def test_a_client_limit_under_the_cap_is_not_truncation(http: httpx.Client) -> None:
    response = ask(
        http,
        "SELECT signal_id FROM fact_signal",
        max_result_rows="2000",
        result_overflow_mode="break",
    )
    assert response.status_code == 200
    assert response.text.count("\n") == 2000


def test_compress_1_answers_clickhouse_blocks(http: httpx.Client) -> None:
    """Decoded (checksums verified) by clickhouse-driver's compressed block reader."""
    sql = "SELECT signal_id, signal_name FROM fact_signal ORDER BY signal_id LIMIT 5000 FORMAT RowBinaryWithNamesAndTypes"
    plain = ask(http, sql).content
    packed = ask(http, sql, compress="1").content
    assert packed != plain
    reader = CompressedBlockInputStream(io.BytesIO(packed), context=None)
    assert reader.fin.read(len(plain)) == plain


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress),
                                                   ("zstd", lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b))])  # fmt: skip
def test_http_compression(gateway_url: str, key: str, encoding: str, decode: object) -> None:
    sql = "SELECT signal_name FROM fact_signal LIMIT 1000"
    with httpx.Client(auth=("u", key)) as raw:  # no transparent decoding: check the bytes
        request = raw.build_request("POST", gateway_url, content=sql.encode(),
                                    params={"enable_http_compression": "1"},
                                    headers={"Accept-Encoding": encoding})  # fmt: skip
        response = raw.send(request, stream=True)
        body = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == encoding
    assert decode(body).count(b"\n") == 1000  # type: ignore[operator]


def test_request_body_may_be_gzipped(http: httpx.Client) -> None:
    response = http.post(
        "/", content=gzip.compress(b"SELECT 41 + 1"), headers={"Content-Encoding": "gzip"}
    )
    assert response.text == "42\n"


def test_the_key_is_never_logged(gateway: Served, http: httpx.Client, key: str) -> None:
    ask(http, "SELECT 1")
    ask(http, "SELECT * FROM nosuch")
    httpx.get(gateway.url, params={"query": "SELECT 1", "password": key})
    text = gateway.log.read_text()
    assert "answered" in text  # the debug log is on
    for form in (key, base64.b64encode(f"metabase:{key}".encode()).decode()):
        assert form not in text


def test_a_compressed_request_may_not_expand_past_the_cap(http: httpx.Client) -> None:
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))
    response = http.post("/", content=bomb, headers={"Content-Encoding": "gzip"})
    assert response.headers["x-clickhouse-exception-code"] == "271"


def test_request_body_in_clickhouse_blocks(http: httpx.Client) -> None:
    """decompress=1: the body as clickhouse-driver's compressed stream writes it."""
    packed = io.BytesIO()
    stream = CompressedBlockOutputStream(Compressor, 1 << 20, packed, context=None)
    stream.fout.write(b"SELECT 41 + 1")
    stream.finalize()
    assert http.post("/", content=packed.getvalue(), params={"decompress": "1"}).text == "42\n"
    tampered = bytearray(packed.getvalue())
    tampered[-1] ^= 1
    response = http.post("/", content=bytes(tampered), params={"decompress": "1"})
    assert response.headers["x-clickhouse-exception-code"] == "271"


def test_arrow_and_parquet_read_by_pyarrow(http: httpx.Client) -> None:
    """Binary columnar answers, read by pyarrow, hold what the text answer holds."""
    sql = "SELECT vendor, count() AS calls, sum(cost_amount) AS cents FROM fact_cost GROUP BY vendor ORDER BY vendor"
    text = [line.split("\t") for line in ask(http, sql).text.splitlines()]
    parquet = pyarrow.parquet.read_table(io.BytesIO(ask(http, sql + " FORMAT Parquet").content))
    arrow = pyarrow.ipc.open_file(io.BytesIO(ask(http, sql + " FORMAT Arrow").content)).read_all()
    for table in (parquet, arrow):
        assert table.column_names == ["vendor", "calls", "cents"]
        rows = [[str(v) for v in row.values()] for row in table.to_pylist()]
        assert rows == text


@pytest.mark.parametrize(
    ("sql", "first_line"),
    [
        (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'paid' ORDER BY table_name LIMIT 1",
            "dim_credits_currency",
        ),
        (
            "SELECT column_name, data_type FROM INFORMATION_SCHEMA.COLUMNS WHERE table_schema = 'paid' AND table_name = 'fact_cost' ORDER BY ordinal_position LIMIT 1",
            "id\tUUID",
        ),
        ("SHOW DATABASES", "INFORMATION_SCHEMA"),
        ("EXISTS TABLE paid.fact_cost", "1"),
        ("SELECT name FROM system.functions WHERE name = 'toStartOfMonth'", "toStartOfMonth"),
    ],
)
def test_metadata_other_tools_read(http: httpx.Client, sql: str, first_line: str) -> None:
    """information_schema, SHOW and EXISTS, as DBeaver, Grafana and others read them."""
    response = ask(http, sql)
    assert response.status_code == 200, response.text
    assert response.text.splitlines()[0] == first_line


def test_server_identity_is_the_bundled_clickhouse_under_a_neutral_name(http: httpx.Client) -> None:
    """clickhouse-go's first query over HTTP: version() and revision() of the one bundled
    build (chDB's own answer), the gateway's time zone, and a fixed name, never the host's."""
    response = ask(http, "SELECT displayName(), version(), revision(), timezone()")
    assert response.status_code == 200, response.text
    version, revision = bytes(chdb.query("SELECT version(), revision()", "TSV").bytes()).split()
    assert response.content.split(b"\t") == [b"paid-gateway", version, revision, b"UTC\n"]
    assert response.headers["x-clickhouse-timezone"] == "UTC"
    assert socket.gethostname().encode() not in response.content


@pytest.mark.parametrize(
    "sql",
    ["EXISTS TABLE paid.nosuch", "EXISTS paid.`fact cost`", "EXISTS VIEW paid.nosuch",
     "EXISTS nosuch", "EXISTS TEMPORARY TABLE nosuch"],
)  # fmt: skip
def test_exists_of_a_table_missing_from_the_catalog_answers_0(http: httpx.Client, sql: str) -> None:
    """As ClickHouse answers for a table missing from an existing database (chDB's answer)."""
    oracle = bytes(chdb.query(sql.replace("paid.", "system."), "TSVWithNamesAndTypes").bytes())
    response = ask(http, sql + " FORMAT TSVWithNamesAndTypes")
    assert response.status_code == 200, response.text
    assert response.content == oracle == b"result\nUInt8\n0\n"


@pytest.mark.parametrize(
    "sql", ["EXISTS TABLE system.processes", "EXISTS TABLE default.nosuch", "EXISTS other.nosuch"]
)
def test_exists_outside_the_gateways_database_stays_refused(http: httpx.Client, sql: str) -> None:
    """Only the gateway's own database is known whole; elsewhere the guard's refusal stands."""
    assert ask(http, sql).headers["x-clickhouse-exception-code"] == "60"


def test_decimals_as_the_service_sends_them() -> None:
    """In front of the service's form, the gateway encodes the Decimal that arrived: the double
    nearest the stored value, at the column's scale (a ClickHouse client sees no warning, so
    the README tells it to select toString(col) for every digit)."""
    from paid_dbapi.emulator import DEMO_BASE_URL, Emulator
    from paid_dbapi.gateway import Gateway, Upstream, serve

    emulator = Emulator()  # in-process, Decimals through a double as the service sends them
    upstream = Upstream(DEMO_BASE_URL, transport=emulator.transport(), max_retries=0)
    gateway = Gateway(upstream)
    sql = ("SELECT toDecimal128('1234567890123456789012345678.9012345678', 10) AS d, "
           "toString(toDecimal128('1234567890123456789012345678.9012345678', 10)) AS s")  # fmt: skip
    try:
        with serve(gateway) as url:
            answer = httpx.post(url, content=f"{sql} FORMAT TSV".encode(), timeout=60,
                                auth=("default", emulator.keys()["acme"]))  # fmt: skip
    finally:
        gateway.close()
        upstream.close()
    assert answer.status_code == 200, answer.text
    nearest = f"{Decimal(repr(float(Decimal('1234567890123456789012345678.9012345678')))):f}"
    assert answer.text == f"{nearest}\t1234567890123456789012345678.9012345678\n"
