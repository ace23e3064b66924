"""Generators and checks of the gateway's hostile corpus (tests/integration/gateway/test_corpus.py).

Each generator yields the requests of one class of attack from a seeded `random.Random`, so a
run is reproducible; the checks judge an answer from the outside, as any HTTP client sees it.
"""

from __future__ import annotations

import gzip
import io
import random
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import zstandard
from clickhouse_driver.compression.lz4 import Compressor
from clickhouse_driver.streams.compressed import CompressedBlockOutputStream

MACHINE_PATHS = (b"/work", b"/tmp", b"/root", b"site-packages")
_ERROR = re.compile(rb"Code: (\d+)\. DB::Exception: ")


@dataclass
class Attack:
    """One request of the corpus: what to send, and what the answer must be beyond the basics."""

    sql: str = ""
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: the request holds a second statement or a write: it must be refused
    refused: bool = False
    #: no valid credentials: it must be refused as AUTHENTICATION_FAILED (516)
    unauthenticated: bool = False
    label: str = ""

    def content(self) -> bytes:
        return self.body if self.body is not None else self.sql.encode("utf-8", "surrogatepass")


def problems(status: int, headers: dict[str, str], body: bytes, canaries: re.Pattern[bytes],
             attack: Attack) -> list[str]:  # fmt: skip
    """What is wrong with one answer: a 500, an error not spelled as ClickHouse's, a leak."""
    found: list[str] = []
    excerpt = body[:240]
    if status == 500:
        found.append(f"HTTP 500: {excerpt!r}")
    code = headers.get("x-clickhouse-exception-code")
    if status >= 400:
        matched = _ERROR.match(body)
        if code is None or not code.isdigit():
            found.append(f"HTTP {status} without X-ClickHouse-Exception-Code: {excerpt!r}")
        elif matched is None or matched.group(1).decode() != code:
            found.append(
                f"HTTP {status} code {code}, body not `Code: {code}. DB::Exception`: {excerpt!r}"
            )
    everything = body + "\n".join(f"{k}: {v}" for k, v in headers.items()).encode(
        "utf-8", "replace"
    )
    leak = canaries.search(everything)
    if leak:
        found.append(f"victim canary {leak.group(0)!r} in an answer (HTTP {status}): {excerpt!r}")
    for path in MACHINE_PATHS:
        for hit in re.finditer(re.escape(path), everything):
            at = hit.start()
            found.append(f"machine path {path!r} in an answer (HTTP {status}): "
                         f"{everything[max(0, at - 80):at + 80]!r}")  # fmt: skip
            break
    if attack.refused and status < 400 and code is None:
        found.append(f"a hidden statement or write was answered HTTP {status}: {excerpt!r}")
    # a body over the cap is refused by its length alone, before any key is checked: no work
    oversized = code == "36" and b"the request body exceeds" in body
    if attack.unauthenticated and not (status == 401 or code == "516" or oversized):
        found.append(f"no valid key, yet HTTP {status} code {code} (not 516): {excerpt!r}")
    return found


# -- class 1: statements hidden after `;` ---------------------------------------------------

ROUTES = [
    "SELECT name FROM system.tables WHERE database = 'paid'",
    "SELECT name, type FROM system.columns WHERE table = 'fact_cost'",
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'paid'",
    "SHOW TABLES",
    "SHOW DATABASES",
    "SHOW CREATE TABLE fact_cost",
    "DESCRIBE TABLE fact_cost",
    "DESC paid.fact_signal",
    "EXISTS TABLE paid.fact_cost",
    "EXISTS nosuch",
    "SELECT count() FROM fact_signal",
    "SELECT name FROM paid.dim_customer ORDER BY id LIMIT 1",
    "KILL QUERY WHERE query_id = 'corpus-none'",
    "SELECT version()",
    "SELECT currentDatabase()",
    "SELECT 1",
]

HIDDEN = [
    "SELECT throwIf(1, (SELECT toString(groupArray(last_error_message)) FROM system.errors))",
    "SELECT throwIf(1, getSetting('max_memory_usage')::String)",
    "SET max_result_rows = 1",
    "SET result_overflow_mode = 'break'",
    "SET readonly = 0",
    "SELECT * FROM system.errors",
    "SELECT name, value FROM system.settings WHERE changed",
    "DROP TABLE paid.fact_cost",
    "CREATE TABLE paid.corpus (a UInt8) ENGINE = Memory",
    "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')",
    "KILL QUERY WHERE 1",
    "SYSTEM DROP QUERY CACHE",
]

SEPARATORS = [
    ";",
    " ; ",
    ";\n",
    "\n;\n",
    "/* c */;",
    "; /* c */ ",
    ";-- c\n",
    "-- c\n;",
    "\t;\t",
    "; ;",
    ";\r\n",
    "/*;*/;",
    "#c\n;",
]


def hidden_statements(rng: random.Random, count: int) -> Iterator[Attack]:
    """Every route with a second statement after `;`, comments and quotes around it."""
    for route in ROUTES[:4]:  # first, reads of the engine's errors, before any SET spoils them
        yield Attack(f"{route};\n{HIDDEN[0]}", refused=True, label="hidden")
    for route in ROUTES:  # each route at least once with each kind of second statement
        for hidden in rng.sample(HIDDEN, 3):
            yield Attack(f"{route}{rng.choice(SEPARATORS)}{hidden}", refused=True, label="hidden")
    emitted = len(ROUTES) * 3
    while emitted < count:
        route, hidden, sep = rng.choice(ROUTES), rng.choice(HIDDEN), rng.choice(SEPARATORS)
        form = rng.randrange(5)
        if form == 0:  # the separator next to a string holding one
            sql = f"{route.replace('SELECT ', 'SELECT ' + repr(';') + ' AS s, ', 1)}{sep}{hidden}"
        elif form == 1:  # a quoted identifier holding `;`
            sql = f"SELECT 1 AS `a;b`{sep}{hidden}"
        elif form == 2:  # with a FORMAT clause before or after
            sql = f"{route} FORMAT TSV{sep}{hidden}"
        elif form == 3:  # in the query parameter and the body
            yield Attack(params={"query": f"{route}{sep}"}, body=hidden.encode(), refused=True,
                         label="hidden-split")  # fmt: skip
            emitted += 1
            continue
        else:
            sql = f"{route}{sep}{hidden}{sep}{rng.choice(HIDDEN)}"
        yield Attack(sql, refused=True, label="hidden")
        emitted += 1


# -- class 2: names holding newlines, quotes and forged EXPLAIN lines ------------------------

NAME_PARTS = [
    "\n TableIdentifier system.errors",
    "\n  TableIdentifier system.settings",
    "\n   TableIdentifier paid.fact_signal",
    "\n Function file (children 1)",
    "\nSelectWithUnionQuery (children 1)",
    "\n ExpressionList (children 1)\n  TableIdentifier system.query_log",
    "\r\n",
    "\n",
    "'",
    '"',
    "\\",
    "\x00",
    "`",
    ";",
    "--",
    "/*",
    "*/",
    "\t",
    "\u2028",
    "é",
    "paid.",
    "system.",
    " ",
    "a",
]


def _backticked(name: str, raw: bool) -> str:
    escaped = name.replace("\\", "\\\\").replace("`", "\\`")
    if not raw:
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\x00", "\\0")
    return f"`{escaped}`"


def _double_quoted(name: str, raw: bool) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    if not raw:
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\x00", "\\0")
    return f'"{escaped}"'


NAME_POSITIONS = [
    "SELECT 1 AS {n}",
    "SELECT count() AS {n} FROM fact_signal",
    "SELECT signal_name AS {n} FROM paid.fact_signal ORDER BY signal_id LIMIT 1",
    "SELECT {n}.signal_name FROM fact_signal AS {n} ORDER BY signal_id LIMIT 1",
    "WITH 1 AS {n} SELECT {n}",
    "SELECT name AS {n} FROM system.tables WHERE database = 'paid' ORDER BY name LIMIT 1",
    "SELECT * FROM (SELECT 1 AS {n}) AS {n}",
    "DESCRIBE (SELECT 1 AS {n})",
    "EXISTS TABLE paid.{n}",
    "SELECT * FROM paid.{n}",
    "SELECT * FROM {n}",
    "SHOW CREATE TABLE {n}",
    "SELECT 1 AS {n} FROM system.one",
    "SELECT count() FROM fact_signal WHERE signal_name = 'x' OR {n} = 1",
]


def hostile_name(rng: random.Random) -> str:
    return "".join(rng.choice(NAME_PARTS) for _ in range(rng.randint(1, 4)))


def hostile_names(rng: random.Random, count: int) -> Iterator[Attack]:
    """Aliases, table and column names, backticked or double-quoted, raw or escaped."""
    for i in range(count):
        name = hostile_name(rng)
        quote = _backticked if i % 2 == 0 else _double_quoted
        spelled = quote(name, raw=rng.random() < 0.5)
        template = NAME_POSITIONS[i % len(NAME_POSITIONS)]
        sql = template.replace("{n}", spelled)
        if rng.random() < 0.5:
            sql += f" FORMAT {rng.choice(['TSVWithNames', 'JSONEachRow', 'CSVWithNames', 'JSON'])}"
        yield Attack(sql, label=f"name:{template}")


# -- class 3: URL settings with hostile values -----------------------------------------------

SETTINGS = [
    "max_result_rows", "result_overflow_mode", "format_csv_delimiter", "output_format_json_quote_64bit_integers",
    "output_format_decimal_trailing_zeros", "output_format_csv_crlf_end_of_line", "date_time_output_format",
    "enable_http_compression", "readonly", "max_execution_time", "session_id", "session_timezone",
    "query_id", "database", "default_format", "max_block_size", "output_format_json_named_tuples_as_objects",
    "output_format_tsv_crlf_end_of_line", "http_zlib_compression_level", "max_result_bytes",
    "wait_end_of_query", "send_progress_in_http_headers", "format_tsv_null_representation",
    "output_format_pretty_max_rows", "decompress", "compress", "extremes", "limit", "offset",
]  # fmt: skip

VALUES = [
    "x" * 20_000, "'", '"', "\\", "'; SELECT 1", "1; SELECT * FROM system.errors", "\n", "a\nb",
    "\r\nX-Evil: 1", "\x00", "é" * 50, "🦆", "-1", "-9223372036854775809", "1e309",
    "18446744073709551616", "99999999999999999999999999999", "0", "", " ", "NaN", "inf",
    "break", "throw", "1'", "paid'; DROP TABLE x; --", "system", "../../etc", "${HOME}",
    "%00", "\ufeff1", "Asia/Tokyo", "UTC\n", "JSON", "Template", "CapnProto",
]  # fmt: skip

SETTING_QUERIES = [
    "SELECT signal_id, signal_name, created_at FROM fact_signal ORDER BY signal_id LIMIT 20",
    "SELECT name FROM system.tables WHERE database = 'paid' ORDER BY name",
    "DESCRIBE TABLE fact_cost",
    "SELECT count() FROM fact_cost",
    "SELECT 1",
    "EXISTS TABLE fact_cost",
]


def hostile_settings(rng: random.Random, count: int) -> Iterator[Attack]:
    """Every setting with every kind of value, alone or three at a time, on every route."""
    pairs = [(s, v) for s in SETTINGS for v in VALUES]
    rng.shuffle(pairs)
    for i in range(count):
        name, value = pairs[i % len(pairs)]
        params = {name: value}
        if i % 4 == 3:
            for _ in range(2):
                params[rng.choice(SETTINGS)] = rng.choice(VALUES)
        sql = SETTING_QUERIES[i % len(SETTING_QUERIES)]
        yield Attack(sql, params=params, label=f"setting:{name}")


# -- class 4: SET and sessions --------------------------------------------------------------

SET_STATEMENTS = [
    "SET max_result_rows = 1", "SET result_overflow_mode = 'break'", "SET readonly = 0",
    "SET format_csv_delimiter = ';'", "SET max_block_size = 1", "SET limit = 1", "SET offset = 3",
    "SET output_format_json_quote_64bit_integers = 0", "SET session_timezone = 'Asia/Tokyo'",
    "SET date_time_output_format = 'unix_timestamp'", "SET max_rows_to_read = 1",
    "SET max_memory_usage = 1", "SET additional_table_filters = {'fact_signal': 'signal_id < 0'}",
    "SET output_format_decimal_trailing_zeros = 1", "SET max_execution_time = 0.001",
    "SET allow_ddl = 1", "SET max_bytes_to_read = 1", "SET format_tsv_null_representation = 'X'",
    "SET output_format_tsv_crlf_end_of_line = 1", "SET max_result_bytes = 1",
]  # fmt: skip

SETTINGS_CLAUSES = [
    "SELECT count() FROM fact_signal SETTINGS max_result_rows = 1, result_overflow_mode = 'break'",
    "SELECT name FROM system.tables SETTINGS readonly = 0",
    "SELECT 1 SETTINGS max_memory_usage = 1",
    "DESCRIBE TABLE fact_cost SETTINGS describe_include_subcolumns = 1",
    "SELECT signal_id FROM fact_signal LIMIT 3 SETTINGS limit = 1",
]


def sessions(rng: random.Random, count: int, shared: str) -> Iterator[Attack]:
    """SET alone, in the victims' session name, in the attacker's own, then a query after it."""
    session_names = [shared, "corpus-attacker", "", "default", "1", shared + " "]
    for i in range(count):
        session = session_names[i % len(session_names)]
        params = {"session_id": session} if session else {}
        if i % 5 == 4:
            yield Attack(rng.choice(SETTINGS_CLAUSES), params=params, label="settings-clause")
        elif i % 2 == 0:
            yield Attack(rng.choice(SET_STATEMENTS), params=params, label="set")
        else:
            yield Attack(rng.choice(SETTING_QUERIES), params=params, label="after-set")


# -- class 5: server tables and table functions ---------------------------------------------

SERVER_TABLES = [
    "system.errors", "system.settings", "system.query_log", "system.processes", "system.parts",
    "system.databases", "system.tables", "system.columns", "system.users", "system.clusters",
    "system.text_log", "system.query_cache", "system.asynchronous_metrics", "system.disks",
    "system.user_directories", "system.macros", "system.build_options",
]  # fmt: skip

TABLE_FUNCTIONS = [
    "file('/etc/passwd', 'LineAsString')", "file('../../../../etc/hostname', 'LineAsString')",
    "url('http://127.0.0.1:1/', CSV, 'a String')", "s3('http://127.0.0.1:1/b/k', 'CSV')",
    "merge('system', '.*')", "remote('127.0.0.1', system.one)", "numbers(10)",
    "executable('id', 'TSV', 'a String')", "input('a String')", "view(SELECT * FROM system.errors)",
    "cluster('default', system.one)", "mysql('127.0.0.1:1', 'd', 't', 'u', 'p')",
]  # fmt: skip

READ_SHAPES = [
    "SELECT * FROM {t}",
    "SELECT * FROM {t} LIMIT 5 FORMAT JSONEachRow",
    "SELECT count() FROM fact_signal WHERE signal_name IN (SELECT toString(tuple(*)) FROM {t})",
    "SELECT signal_id FROM fact_signal, {t} LIMIT 1",
    "SELECT (SELECT toString(groupArray(tuple(*))) FROM {t}) AS x",
    "SELECT name FROM system.tables WHERE name IN (SELECT toString(tuple(*)) FROM {t})",
    "WITH (SELECT toString(groupArray(tuple(*))) FROM {t}) AS x SELECT x FROM system.one",
    "DESCRIBE (SELECT * FROM {t})",
    "DESCRIBE TABLE {t}",
    "EXISTS TABLE {t}",
    "SHOW CREATE TABLE {t}",
    "SELECT * FROM fact_signal WHERE signal_id IN (SELECT * FROM {t}) LIMIT 1",
    "SELECT throwIf(count() > 0, (SELECT toString(groupArray(tuple(*))) FROM {t})) FROM fact_signal",
    "SELECT * FROM (SELECT * FROM {t}) FORMAT Vertical",
]

EXTRA_READS = [
    "SHOW TABLES FROM system", "SHOW SETTINGS LIKE '%'", "SHOW PROCESSLIST", "SHOW USERS",
    "SELECT getSetting('max_memory_usage')", "SELECT getSetting('user_files_path')",
    "SELECT currentUser(), hostName(), serverUUID()", "SELECT * FROM fact_signal SETTINGS log_queries = 1",
    "SELECT _database, _table FROM fact_signal LIMIT 1", "SELECT _part FROM fact_cost LIMIT 1",
    "SELECT filesystemAvailable()", "SELECT * FROM generateRandom('a String') LIMIT 1",
]  # fmt: skip


def server_reads(rng: random.Random, count: int) -> Iterator[Attack]:
    """Every server table and table function in every position a route reads."""
    targets = SERVER_TABLES + TABLE_FUNCTIONS
    emitted = 0
    for extra in EXTRA_READS:
        yield Attack(extra, label="system")
        emitted += 1
    while emitted < count:
        shape = READ_SHAPES[emitted % len(READ_SHAPES)]
        yield Attack(shape.replace("{t}", rng.choice(targets)), label=f"system:{shape}")
        emitted += 1


# -- class 6: bodies and bombs --------------------------------------------------------------


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    return b"".join([*(packer.compress(chunk) for _ in range(size >> 20)), packer.flush()])


def zstd_bomb(size: int) -> bytes:
    packer = zstandard.ZstdCompressor(level=3).compressobj()
    chunk = b" " * (1 << 20)
    return b"".join([*(packer.compress(chunk) for _ in range(size >> 20)), packer.flush()])


def lz4_blocks(data: bytes) -> bytes:
    """ClickHouse's compressed blocks (`decompress=1`), as clickhouse-driver writes them."""
    packed = io.BytesIO()
    stream = CompressedBlockOutputStream(Compressor, 1 << 20, packed, context=None)
    stream.fout.write(data)
    stream.finalize()
    return packed.getvalue()


def bodies(rng: random.Random, key: str | None) -> Iterator[Attack]:
    """Compressed, oversized, bombed and truncated bodies; `key` None means a wrong key."""
    auth = key is None
    small = b"SELECT count() FROM fact_signal"
    big = b"SELECT '" + b"x" * (17 * 1024 * 1024) + b"'"
    noise = rng.randbytes(3 * 1024 * 1024)
    gzip_256m, zstd_1g, lz4_64m = (
        gzip_bomb(256 << 20),
        zstd_bomb(1 << 30),
        lz4_blocks(b" " * (64 << 20)),
    )
    cases: list[tuple[str, bytes, dict[str, str], dict[str, str]]] = [
        ("gzip", gzip.compress(small), {"Content-Encoding": "gzip"}, {}),
        ("zstd", zstandard.ZstdCompressor().compress(small), {"Content-Encoding": "zstd"}, {}),
        ("deflate", zlib.compress(small), {"Content-Encoding": "deflate"}, {}),
        ("lz4", lz4_blocks(small), {}, {"decompress": "1"}),
        ("lz4+compress", lz4_blocks(small), {}, {"decompress": "1", "compress": "1"}),
        ("gzip+lz4", gzip.compress(lz4_blocks(small)), {"Content-Encoding": "gzip"}, {"decompress": "1"}),
        ("plain 17 MiB", big, {}, {}),
        ("gzip 17 MiB", gzip.compress(big, 1), {"Content-Encoding": "gzip"}, {}),
        ("gzip noise 3 MiB", gzip.compress(noise, 1), {"Content-Encoding": "gzip"}, {}),
        ("gzip bomb 256 MiB", gzip_256m, {"Content-Encoding": "gzip"}, {}),
        ("zstd bomb 1 GiB", zstd_1g, {"Content-Encoding": "zstd"}, {}),
        ("lz4 bomb 64 MiB", lz4_64m, {}, {"decompress": "1"}),
        ("gzip of lz4 bomb", gzip.compress(lz4_64m), {"Content-Encoding": "gzip"}, {"decompress": "1"}),
        ("gzip truncated", gzip.compress(small)[:-9], {"Content-Encoding": "gzip"}, {}),
        ("zstd truncated", zstandard.ZstdCompressor().compress(small * 100)[:20], {"Content-Encoding": "zstd"}, {}),
        ("lz4 truncated", lz4_blocks(small)[:-5], {}, {"decompress": "1"}),
        ("lz4 header only", lz4_blocks(small)[:16], {}, {"decompress": "1"}),
        ("gzip bomb truncated", gzip_256m[: len(gzip_256m) // 2], {"Content-Encoding": "gzip"}, {}),
        ("empty gzip", b"", {"Content-Encoding": "gzip"}, {}),
        ("mislabelled", small, {"Content-Encoding": "gzip"}, {}),
        ("unknown encoding", small, {"Content-Encoding": "br"}, {}),
        ("two encodings", gzip.compress(gzip.compress(small)), {"Content-Encoding": "gzip, gzip"}, {}),
        ("garbage lz4", bytes(rng.randrange(256) for _ in range(4096)), {}, {"decompress": "1"}),
        ("invalid utf-8", b"SELECT '\xff\xfe\xc0\x80'", {}, {}),
        ("nul bytes", b"SELECT 1\x00; SELECT 2", {}, {}),
    ]  # fmt: skip
    for label, body, headers, params in cases:
        yield Attack(body=body, headers=headers, params=params, unauthenticated=auth, label=label)


# -- memory of a process and its children ---------------------------------------


def vm_hwm(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmHWM for {pid}")


def descendants(pid: int) -> list[int]:
    """The process's children, grandchildren and so on."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
