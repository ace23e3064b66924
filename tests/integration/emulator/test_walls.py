"""The emulator's walls: one engine process per organization, caps, concurrency, cancellation."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pexpect
import pytest

from paid_dbapi._engine.worker import EngineError
from paid_dbapi.emulator import Emulator
from paid_dbapi.emulator._app import MAX_BODY_BYTES
from paid_dbapi.emulator._data import Organization
from tests.conftest import client_for, query
from tests.servers import BIN

SLOW = (
    "SELECT count() FROM fact_signal AS a CROSS JOIN fact_signal AS b "
    "WHERE a.created_at < b.created_at"
)


def org(emulator: Emulator, name: str) -> Organization:
    return next(o for o in emulator.dataset.organizations if o.name == name)


def test_a_raw_engine_holds_only_its_own_organization(emulator: Emulator) -> None:
    """No guard: A's engine is handed text naming B's database and B's rows, and finds none."""
    acme, globex = org(emulator, "acme"), org(emulator, "globex")
    emulator.start(["acme", "globex"])
    engine = emulator.app.engine
    raw = engine.worker(acme)  # queries without a policy skip the guard entirely
    for sql in (
        f"SELECT count() FROM `{globex.database}`.fact_signal",
        f"SELECT count() FROM `{globex.database}`.dim_organization",
    ):
        with pytest.raises(EngineError) as info:
            raw.query(sql)
        assert info.value.name == "UNKNOWN_DATABASE"
    databases = engine.rows(acme, "SELECT groupArray(name) FROM system.databases")[0][0]
    assert acme.database in databases
    assert not [d for d in databases if d.startswith("paid_org_") and d != acme.database]
    tables = engine.rows(
        acme, "SELECT count() FROM system.tables WHERE database NOT IN ('system', "
        f"'INFORMATION_SCHEMA', 'information_schema', '{acme.database}')",
    )  # fmt: skip
    assert tables == [["0"]]
    # B's own rows exist, in B's engine only
    names = {"Acme AI": acme, "Globex Automation": globex}
    for name, owner in names.items():
        for other in names.values():
            found = engine.rows(
                other, f"SELECT count() FROM dim_organization WHERE name = '{name}'"
            )
            assert found == [["1" if other is owner else "0"]]


def test_the_parent_process_never_loads_chdb() -> None:
    script = (
        "import sys, paid_dbapi\n"
        "with paid_dbapi.connect(demo=True) as c:\n"
        "    cur = c.cursor(); cur.execute('SELECT count() FROM dim_organization')\n"
        "    assert cur.fetchall() == [(1,)]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('chdb', 'sqlglot')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_request_body_cap(emulator: Emulator, server_url: str, org_keys: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {org_keys['acme']}"}
    body = b'{"query": "SELECT 1' + b" " * MAX_BODY_BYTES + b'"}'
    with httpx.Client(base_url=server_url, headers=headers) as c:
        over = c.post("/query", content=body)
        assert c.post("/query", content=body[: MAX_BODY_BYTES - 20] + b'"}').status_code == 400
        assert query(c, "SELECT 1").status_code == 200  # the connection still works
    assert (over.status_code, over.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    with client_for(emulator, org_keys["acme"]) as c:  # the in-process transport caps too
        assert c.post("/query", content=body).status_code == 413


def test_result_size_cap(org_keys: dict[str, str]) -> None:
    with client_for(Emulator(result_bytes=200_000), org_keys["initech"]) as c:
        small = query(c, "SELECT repeat('x', 100000) AS s")
        big = query(c, "SELECT repeat('x', 300000) AS s")
    assert small.status_code == 200
    assert (big.status_code, big.json()["code"]) == (400, "RESULT_TOO_LARGE")
    assert "MiB" in big.json()["error"]


def test_no_organization_waits_for_another(org_keys: dict[str, str]) -> None:
    """While 8 queries of A run to their time limit, a trivial query of B answers at once."""
    emulator = Emulator(timeout=3)
    lines: list[str] = []
    emulator.start(["acme", "globex"], status=lines.append)  # in parallel
    assert lines == ["generating demo data (acme, globex, scale 1)...", ""]
    with emulator.serve() as url:

        def slow(_: int) -> int:
            with httpx.Client(base_url=url, timeout=30) as c:
                r = c.post("/query", json={"query": SLOW},
                           headers={"Authorization": f"Bearer {org_keys['acme']}"})  # fmt: skip
                return r.status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = pool.map(slow, range(8))
            time.sleep(0.5)
            with httpx.Client(base_url=url, timeout=30) as c:
                started = time.monotonic()
                r = c.post("/query", json={"query": "SELECT count() FROM dim_organization"},
                           headers={"Authorization": f"Bearer {org_keys['globex']}"})  # fmt: skip
                elapsed = time.monotonic() - started
            assert r.status_code == 200
            assert elapsed < 1.0
            assert list(statuses) == [408] * 8


def test_a_client_that_goes_away_stops_its_query(org_keys: dict[str, str]) -> None:
    emulator = Emulator(timeout=29)
    emulator.start(["initech"])
    worker = emulator.app.engine.worker(org(emulator, "initech"))
    before = worker.pid
    with emulator.serve() as url:
        headers = {"Authorization": f"Bearer {org_keys['initech']}"}
        with (
            httpx.Client(base_url=url, headers=headers, timeout=0.5) as c,
            pytest.raises(httpx.ReadTimeout),
        ):
            query(c, SLOW)
        deadline = time.monotonic() + 2
        while worker.pid is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert worker.pid is None  # the worker was stopped, not left computing for 29 s
        with httpx.Client(base_url=url, headers=headers) as c:
            assert query(c, "SELECT 1").status_code == 200
    assert worker.pid not in (None, before)


def test_ctrl_c_in_paid_sql_demo_stops_the_worker(tmp_path: Path) -> None:
    env = {**os.environ, "PAID_SQL_HISTORY": str(tmp_path / "history"), "TERM": "dumb"}
    child = pexpect.spawn(str(BIN / "paid-sql"), ["--demo"], env=env, encoding="utf-8", timeout=30)
    try:
        child.expect_exact("paid> ")
        (worker,) = _children(child.pid)
        child.sendline(SLOW + ";")
        child.expect_exact("running...")
        started = time.monotonic()
        child.sendintr()
        child.expect_exact("cancelled")
        assert time.monotonic() - started < 2.0  # not the 30 s the query had left
        assert not _alive(worker)
        child.expect_exact("paid> ")
        child.sendline("SELECT count() FROM dim_organization;")
        child.expect_exact("1 row")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.close()


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ", 1)[1][0] != "Z"


def test_a_killed_organization_worker_answers_the_next_query_from_its_snapshot(
    emulator: Emulator, server_url: str, org_keys: dict[str, str]
) -> None:
    """SIGKILL an organization's engine: its next query answers 200 with the same rows within
    a few seconds (loaded from the snapshot, not generated again); other organizations are
    untouched."""
    import signal

    emulator.start(["globex", "initech"])
    worker = emulator.app.engine.worker(org(emulator, "globex"))
    other = emulator.app.engine.worker(org(emulator, "initech"))
    sql = (
        "SELECT signal_name, count(), sum(cityHash64(signal_id)) FROM fact_signal "
        "GROUP BY signal_name ORDER BY signal_name"
    )
    headers = {"Authorization": f"Bearer {org_keys['globex']}"}
    with httpx.Client(base_url=server_url, headers=headers, timeout=60) as client:
        before = client.post("/query", json={"query": sql})
        assert before.status_code == 200
        pid, other_pid = worker.pid, other.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        after = client.post("/query", json={"query": sql})
        elapsed = time.monotonic() - started
    assert after.status_code == 200, after.text
    assert after.json()["rows"] == before.json()["rows"]
    assert elapsed < 5, elapsed
    assert worker.pid not in (None, pid)
    assert other.pid == other_pid
