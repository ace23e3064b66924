"""The engine worker on its own: lock-down, wall-clock kill, cancellation, process lifetime."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from paid_dbapi._engine.guard import GuardError
from paid_dbapi._engine.worker import Cancelled, EngineError, Limits, Worker
from paid_dbapi.emulator._demo_engine import VIEWS_POLICY

SETUP = [
    "CREATE DATABASE own",
    "CREATE TABLE own.fact_signal (n Int64) ENGINE = Memory",
    "INSERT INTO own.fact_signal SELECT number FROM numbers(1000)",
]
LIMITS = Limits(row_limit=100, timeout=1.0, memory_limit=500_000_000)


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker(SETUP, limits=LIMITS, database="own")
    w.start()
    yield w
    w.close()


def engine_error(worker: Worker, sql: str) -> EngineError:
    with pytest.raises(EngineError) as info:
        worker.query(sql)
    return info.value


def test_rows_names_types_and_row_cap(worker: Worker) -> None:
    r = worker.query("SELECT n, toString(n) AS s FROM fact_signal ORDER BY n")
    assert (r.names, r.types) == (["n", "s"], ["Int64", "String"])
    assert r.row_texts[:2] == ['["0", "0"]', '["1", "1"]']
    assert (len(r.row_texts), r.truncated) == (100, True)
    assert worker.query_bytes("SELECT 1 AS a, 'x' AS b", "CSVWithNames") == b'"a","b"\n1,"x"\n'


@pytest.mark.parametrize(
    "sql",
    [
        "SET readonly = 0",
        "SET session_timezone = 'Asia/Tokyo'",
        "SET max_execution_time = 0",
        "SELECT 1 SETTINGS max_execution_time = 0",
        "CREATE TEMPORARY TABLE t (x Int8)",
        "CREATE TABLE own.t (x Int8) ENGINE = Memory",
        "INSERT INTO own.fact_signal VALUES (1)",
        "DROP TABLE own.fact_signal",
        "SELECT * FROM file('/etc/hostname', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')",
        "INSERT INTO FUNCTION file('written.txt', 'LineAsString') SELECT 'x'",
        "SELECT * FROM executable('id', 'LineAsString', 'x String')",
    ],
)
def test_the_engine_is_read_only(worker: Worker, sql: str) -> None:
    assert engine_error(worker, sql).name == "READONLY"


def test_settings_stay_fixed(worker: Worker) -> None:
    r = worker.query(
        "SELECT getSetting('readonly'), getSetting('session_timezone'), "
        "getSetting('max_execution_time'), currentDatabase()"
    )
    assert r.row_texts == ['[1, "UTC", 1, "own"]']


def test_a_failed_query_leaves_nothing_behind(worker: Worker) -> None:
    assert engine_error(worker, "SELECT throwIf(n = 500) FROM fact_signal").name
    assert worker.query("SELECT 7 AS x").row_texts == ["[7]"]


def test_policy_errors_arrive_intact(worker: Worker) -> None:
    with pytest.raises(GuardError) as info:
        worker.query("SELECT * FROM system.tables", policy=VIEWS_POLICY)
    assert info.value.code == "QUALIFIED_NAME"
    assert info.value.message
    assert worker.query("SELECT count() FROM fact_signal", policy=VIEWS_POLICY).row_texts == [
        '["1000"]'
    ]


def test_result_size_cap() -> None:
    small = Worker(limits=Limits(row_limit=10, timeout=5, memory_limit=10**9, result_bytes=1000))
    try:
        assert small.query("SELECT repeat('x', 900)").row_texts
        error = engine_error(small, "SELECT repeat('x', 2000)")
    finally:
        small.close()
    assert error.name == "RESULT_TOO_LARGE"


def test_wall_clock_kill_replaces_the_process() -> None:
    # ClickHouse's own limit is switched off: only the wall clock outside it can stop the query
    unlimited = Worker(SETUP, limits=LIMITS, database="own", settings={"max_execution_time": "0"})
    try:
        unlimited.start()
        before = unlimited.pid
        started = time.monotonic()
        error = engine_error(unlimited, "SELECT sleep(3)")
        elapsed = time.monotonic() - started
        assert error.name == "TIMEOUT_EXCEEDED"
        assert 1.0 <= elapsed < 2.5
        assert unlimited.pid is None
        assert unlimited.query("SELECT count() FROM fact_signal").row_texts == ['["1000"]']
        assert unlimited.pid not in (None, before)
    finally:
        unlimited.close()


def test_cancel_stops_the_query_at_once(worker: Worker) -> None:
    worker.start()
    for cancel in (threading.Event(), None):
        trigger = cancel.set if cancel is not None else worker.cancel
        timer = threading.Timer(0.2, trigger)
        timer.start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            worker.query("SELECT sleep(3)", cancel=cancel)
        assert time.monotonic() - started < 1.5  # not the 3 s the query asked for
        timer.join()
        assert worker.query("SELECT 1").row_texts == ["[1]"]


def test_workers_do_not_outlive_their_parent() -> None:
    script = textwrap.dedent(
        """
        from paid_dbapi._engine.worker import Limits, Worker
        w = Worker(limits=Limits(row_limit=1, timeout=30, memory_limit=10**9))
        w.start()
        print(w.pid, flush=True)
        w.query("SELECT sleep(3)")
        """
    )
    command = [sys.executable, "-c", script]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited already
        return stat.read().split(") ", 1)[1][0] != "Z"


def _landlock_abi() -> int:
    """The kernel's Landlock ABI version, asked directly (0 when there is none)."""
    if sys.platform != "linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    return max(0, int(libc.syscall(444, None, ctypes.c_size_t(0), 1)))


def test_files_are_out_of_reach_below_the_engine(worker: Worker, tmp_path: Path) -> None:
    """readonly=1 does not stop the file() function or INTO OUTFILE; the kernel does."""
    abi = _landlock_abi()
    assert worker.confined == abi
    if not abi:
        return
    target = tmp_path / "written.txt"
    for sql in ("SELECT file('/etc/hostname')", f"SELECT 1 INTO OUTFILE '{target}'"):
        assert "Permission denied" in engine_error(worker, sql).message
    assert not target.exists()


def test_no_tcp_connection_leaves_a_worker() -> None:
    """Even with table functions allowed (readonly=2), url() cannot reach a listener."""
    if _landlock_abi() < 4:
        assert _landlock_abi() < 4  # TCP rules need Landlock ABI 4 (Linux 6.7)
        return
    hits = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.1)
        port = listener.getsockname()[1]
        loose = Worker(limits=LIMITS, readonly=2)
        try:
            with pytest.raises(EngineError):
                loose.query(f"SELECT * FROM url('http://127.0.0.1:{port}/x', 'LineAsString')")
        finally:
            loose.close()
        with contextlib.suppress(TimeoutError):
            hits.append(listener.accept())
    assert hits == []


def test_a_forked_copy_of_the_parent_starts_its_own_worker(worker: Worker) -> None:
    worker.start()
    before = worker.pid
    pid = os.fork()
    if pid == 0:  # the copy: its query must not go to, nor its exit stop, the parent's worker
        code = 0
        try:
            code = (
                0 if worker.query("SELECT 1").row_texts == ["[1]"] and worker.pid != before else 3
            )
        except BaseException:
            code = 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert worker.pid == before
    assert worker.query("SELECT 2").row_texts == ["[2]"]


# -- a replaced worker loads its snapshot instead of running its setup again -----------------

#: Rows that differ on every run of the setup: only a reload can bring back the same ones.
RANDOM_SETUP = [
    "CREATE DATABASE own",
    "CREATE TABLE own.t (id UUID, n Int64, j JSON, d Decimal(38, 10), s LowCardinality(String)) "
    "ENGINE = Memory",
    "INSERT INTO own.t SELECT generateUUIDv4(), number, toJSONString(map('k', number)), "
    "toDecimal128(number, 10) / 7, toString(rand() % 3) FROM numbers(5000)",
]


def test_a_killed_worker_comes_back_with_the_same_rows_without_running_setup() -> None:
    w = Worker(RANDOM_SETUP, limits=LIMITS, database="own", snapshot=True)
    try:
        sql = "SELECT * FROM t ORDER BY n"
        first = w.query_bytes(sql, "TSV")
        pid = w.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        again = w.query_bytes(sql, "TSV")
        elapsed = time.monotonic() - started
        assert w.pid not in (None, pid)
        assert again == first  # generateUUIDv4() and rand() would differ if setup ran again
        assert elapsed < 5
        types = w.query_bytes("SELECT toTypeName(d), toTypeName(j), toTypeName(s) FROM t LIMIT 1",
                              "TSV")  # fmt: skip
        assert types == b"Decimal(38, 10)\tJSON\tLowCardinality(String)\n"
    finally:
        w.close()


def test_the_snapshot_is_read_only_and_private_to_its_worker() -> None:
    mine = Worker(RANDOM_SETUP, limits=LIMITS, database="own", snapshot=True)
    other = Worker(RANDOM_SETUP, limits=LIMITS, database="own", snapshot=True, readonly=2)
    try:
        mine.start()
        other.start()
        assert mine._snapshot is not None
        assert other._snapshot is not None
        theirs = Path(other._snapshot.path)
        files = sorted(theirs.iterdir())
        assert [f.name for f in files] == ["0.native.zst"]
        assert oct(files[0].stat().st_mode & 0o777) == "0o444"
        assert oct(theirs.stat().st_mode & 0o777) == "0o555"
        # a restarted worker reads its own snapshot; trusted SQL, no guard
        other.close()
        assert other.query("SELECT count() FROM t").row_texts == ['["5000"]']
        own = Path(mine._snapshot.path) / "0.native.zst"
        for sql in (
            f"SELECT count() FROM file('{files[0]}', Native)",  # another worker's data
            f"INSERT INTO FUNCTION file('{own}', Native) SELECT * FROM t",
        ):
            assert engine_error(mine, sql).name != "UNKNOWN"
        if other.confined:  # the kernel, not only readonly, keeps the files unwritten
            for sql in (
                f"INSERT INTO FUNCTION file('{theirs / 'x.native'}', Native) SELECT 1",
                f"SELECT count() FROM file('{own}', Native)",
            ):
                with pytest.raises(EngineError):
                    other.query(sql)
        # the guard never lets a client name a file at all
        with pytest.raises(GuardError) as info:
            mine.query(f"SELECT * FROM file('{own}', Native)", policy=VIEWS_POLICY)
        assert info.value.code == "FORBIDDEN_TABLE_FUNCTION"
    finally:
        mine.close()
        other.close()
