"""A locked-down chDB session in a child process, with wall-clock limits and cancellation.

chDB runs one session per process and executes every statement it is handed, so each engine
lives in its own child process (started with a fresh interpreter, never forked) that holds
only the data its setup SQL created. The parent never loads chDB.

API::

    worker = Worker(setup, limits=Limits(...), database="db", settings={...})
    worker.start()                       # optional: otherwise the first query starts it
    worker.query(sql, policy=policy, cancel=event) -> Result        # names, types, rows
    worker.query_bytes(sql, "Parquet", policy=None) -> bytes        # ClickHouse's own encoder
    worker.cancel()                      # stop the running query now (kills the process)
    worker.close()

The child runs `setup` (trusted SQL: DDL and data), fixes `settings` and the limits, makes
`database` current, then switches to ``readonly = 1`` for good: no query can change a setting,
create a table or write (``readonly=2``, for trusted encoders that need `format()` or a
SETTINGS clause, still forbids writes). On Linux the child is also confined by the kernel
(`sandbox.confine`): no file outside its own directory, no TCP connection; `confined` tells
the Landlock ABI in force. With a `policy`, the child judges `sql` with `guard.vet` (the guard's
own checks run in the same locked-down session) and executes only the canonical statement it
returns; without one, `sql` is trusted text built by the caller. Errors arrive intact as
`GuardError` or `EngineError` (ClickHouse's error name). A query still unanswered
`limits.timeout` after it was asked (plus a short grace) is stopped by killing the process,
whether or not ClickHouse noticed: the caller gets `EngineError("TIMEOUT_EXCEEDED")`; `cancel`
(or an exception such as KeyboardInterrupt while waiting) also kills it and raises `Cancelled`.
A killed or crashed worker is started again on next use; with `snapshot=True` the first start
also writes the tables its setup made to a directory of the worker's own (ClickHouse's Native
format, read-only once written), and later starts load that instead of running `setup` again,
so a replaced worker answers within a second or two whatever the data's size. The new process
may read that one directory (read-only, by the kernel's rules) and nothing of other workers.
Queries of one worker run one at a
time; workers never outlive their parent (the child watches its parent and exits).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import os
import pickle
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._literals import quote_string
from .guard import GuardError, Policy, vet
from .sandbox import confine

logger = logging.getLogger(__name__)

#: Extra wall-clock time over `Limits.timeout` before the process is killed: ClickHouse's own
#: limit normally answers first, with a clean TIMEOUT_EXCEEDED.
KILL_GRACE = 0.5
START_TIMEOUT = 600.0
_POLL = 0.05
_HEADER = struct.Struct(">Q")
_ROWS_FORMAT = "JSONCompactEachRowWithNamesAndTypes"


@dataclass(frozen=True)
class Limits:
    """Per-query limits: fixed in the engine before lock-down, and enforced around it."""

    row_limit: int
    timeout: float
    memory_limit: int
    #: Largest encoded result the worker hands back (bigger ones fail with RESULT_TOO_LARGE).
    result_bytes: int = 64 * 1024**2


@dataclass(frozen=True)
class Result:
    """Column names and types, and each row as ClickHouse's own JSON array text."""

    names: list[str]
    types: list[str]
    row_texts: list[str]
    truncated: bool


class EngineError(Exception):
    """A query failed inside the engine; `name` is ClickHouse's error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{message} ({name})")  # ClickHouse's own shape
        self.name = name
        self.message = message


class Cancelled(Exception):
    """The query was cancelled before it answered; its worker was stopped."""


#: Settings fixed before the first user query (readonly=1 then forbids changing any).
BASE_SETTINGS: dict[str, str] = {
    "session_timezone": "'UTC'",
    "output_format_json_quote_64bit_integers": "1",
    "output_format_json_quote_decimals": "0",
    "output_format_json_quote_denormals": "1",
    "output_format_json_named_tuples_as_objects": "1",
    "result_overflow_mode": "'break'",
    "implicit_select": "0",  # the guard's rule: text that is not a statement is refused
}

#: What displayName() answers in a worker (ClickHouse's default is the machine's host name).
DISPLAY_NAME = "paid"
_DISPLAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

_ERROR = re.compile(
    r"Code: (\d+)\. DB::\w*Exception: (.*?)(?: \(([A-Z_0-9]+)\))?(?: \(version [^)]*\))?\s*$", re.S
)
_VERSION = re.compile(r"\s*\(version [^)]*\)")
_NESTED = re.compile(r"Code: \d+\. DB::\w*Exception: ")


def parse_error(text: str) -> EngineError:
    """ClickHouse's exception text as an EngineError (error name, message without version)."""
    text = text.strip()
    m = _ERROR.search(text)
    if not m:
        return EngineError("UNKNOWN", _VERSION.sub("", text))
    message = _NESTED.sub("", _VERSION.sub("", m.group(2)))
    return EngineError(m.group(3) or "UNKNOWN", re.sub(r"\. \([A-Z_0-9]+\)\.?$", ".", message))


class Worker:
    """A chDB session in a child process that holds only what `setup` created."""

    def __init__(
        self,
        setup: Sequence[str] = (),
        *,
        limits: Limits,
        database: str | None = None,
        settings: Mapping[str, str] | None = None,
        label: str = "worker",
        readonly: int = 1,
        snapshot: bool = False,
        display_name: str = DISPLAY_NAME,
    ) -> None:
        if not _DISPLAY_NAME.fullmatch(display_name):
            raise ValueError(f"invalid display name: {display_name!r}")
        self.limits = limits
        self.label = label
        self._config = {
            "setup": list(setup),
            "database": database,
            "settings": {
                **BASE_SETTINGS,
                "max_result_rows": str(limits.row_limit + 1),
                "max_execution_time": repr(float(limits.timeout)),
                "max_memory_usage": str(limits.memory_limit),
                **(settings or {}),
            },
            "result_bytes": limits.result_bytes,
            # 2 still forbids writes but lets trusted SQL use format() and SETTINGS (the
            # gateway's encoder); queries judged by the guard can use neither.
            "readonly": 2 if readonly == 2 else 1,
            "display_name": display_name,
        }
        self._snapshot = _Snapshot() if snapshot and database else None
        self._lock = threading.Lock()  # one query at a time; guards _child
        self._child: _Child | None = None
        self._cancelled = False
        #: The Landlock ABI confining the process (no file or TCP access), 0 if none.
        self.confined = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, cancel: threading.Event | None = None) -> None:
        """Start the process and wait until its data is ready (no-op when running)."""
        with self._lock:
            self._ensure(cancel)

    def close(self) -> None:
        """Stop the process (a later query starts a new one)."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()

    def cancel(self) -> None:
        """Stop the running query at once by killing the process (safe from any thread)."""
        child = self._child
        if child is not None:
            self._cancelled = True
            child.popen.kill()

    @property
    def pid(self) -> int | None:
        """The process id of the running child, if any."""
        child = self._child
        return child.popen.pid if child is not None and child.alive() else None

    # -- queries -----------------------------------------------------------------------------

    def query(
        self, sql: str, *, policy: Policy | None = None, cancel: threading.Event | None = None
    ) -> Result:
        """Run one statement; names, types and row texts, cut at the row limit."""
        header, payload = self._call(sql, None, policy, cancel)
        rows = [line for line in payload.decode("utf-8", "replace").split("\n") if line]
        truncated = len(rows) > self.limits.row_limit
        return Result(header["names"], header["types"], rows[: self.limits.row_limit], truncated)

    def query_bytes(
        self,
        sql: str,
        fmt: str,
        *,
        policy: Policy | None = None,
        cancel: threading.Event | None = None,
    ) -> bytes:
        """Run one statement and return its result encoded by ClickHouse in format `fmt`."""
        return self._call(sql, fmt, policy, cancel)[1]

    def _call(
        self, sql: str, fmt: str | None, policy: Policy | None, cancel: threading.Event | None
    ) -> tuple[dict[str, Any], bytes]:
        deadline = time.monotonic() + self.limits.timeout
        while not self._lock.acquire(timeout=_POLL):
            if cancel is not None and cancel.is_set():
                raise Cancelled("the query was cancelled")
            if time.monotonic() > deadline:
                raise _timeout(self.limits.timeout)
        try:
            self._cancelled = False
            request = pickle.dumps({"sql": sql, "fmt": fmt, "policy": policy})
            for attempt in (1, 2):
                started = time.monotonic()
                child = self._ensure(cancel)
                deadline += time.monotonic() - started  # starting the engine is not query time
                try:
                    child.send(request)
                    header = json.loads(child.receive(deadline + KILL_GRACE, cancel))
                    payload = child.receive(deadline + KILL_GRACE, cancel) if header["ok"] else b""
                    break
                except _Overrun:
                    self._kill(f"ran past {self.limits.timeout:g} s")
                    raise _timeout(self.limits.timeout) from None
                except _Died:
                    # not this query's doing: it was never read, or the process was killed
                    # from outside (ours are _Overrun and cancel): run it once on a new one
                    retry = child.unread() or child.killed()
                    self._kill("cancelled" if self._cancelled else "died")
                    if self._cancelled:
                        raise Cancelled("the query was cancelled") from None
                    if attempt == 1 and retry:
                        continue
                    raise EngineError("INTERNAL", "the engine stopped unexpectedly") from None
                except BaseException:  # cancelled, KeyboardInterrupt: the query must not run on
                    self._kill("cancelled")
                    raise
        finally:
            self._lock.release()
        if header["ok"]:
            return header, payload
        if header["kind"] == "guard":
            raise GuardError(header["code"], header["message"], header["details"])
        raise EngineError(header["name"], header["message"])

    def _ensure(self, cancel: threading.Event | None) -> _Child:
        if self._child is not None and self._child.alive():
            return self._child
        if self._child is not None:
            self._kill("exited")
        snapshot = self._snapshot
        config = dict(self._config)
        if snapshot is not None:
            config["snapshot"] = snapshot.config()
        child = _Child.spawn(self.label)
        self._child = child
        try:
            child.send(pickle.dumps(config))
            ready = json.loads(child.receive(time.monotonic() + START_TIMEOUT, cancel))
        except (_Died, _Overrun):
            self._kill("failed to start")
            if self._cancelled:
                raise Cancelled("the query was cancelled") from None
            raise EngineError("INTERNAL", "the engine failed to start") from None
        except BaseException:
            self._kill("cancelled while starting")
            raise
        if not ready["ok"]:
            self._kill("failed to start")
            if snapshot is not None:
                snapshot.tables = []  # unreadable: the next start generates the data again
            raise EngineError(ready.get("name", "INTERNAL"), ready.get("message", ""))
        self.confined = int(ready["confined"])
        if snapshot is not None and ready.get("written"):
            snapshot.keep(os.path.join(child.home, "snapshot"), ready["written"])
        return child

    def _kill(self, why: str) -> None:
        if self._child is not None:
            logger.info("stopping %s (pid %s): %s", self.label, self._child.popen.pid, why)
        self.close()


def _timeout(seconds: float) -> EngineError:
    return EngineError("TIMEOUT_EXCEEDED", f"the query ran past the {seconds:g} s limit")


class _Snapshot:
    """A worker's own copy of its data on disk: tables (DDL and a Native file each), written
    once by the first process and loaded by the next ones."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="paid-data-")
        self.tables: list[tuple[str, str, str]] = []  # (table, its DDL, file name)
        self._finalizer = weakref.finalize(self, _remove, self.path)

    def config(self) -> dict[str, Any]:
        """What the child needs: where to read, or (empty tables) that it must write."""
        return {"path": self.path, "tables": list(self.tables)}

    def keep(self, written: str, tables: list[list[str]]) -> None:
        """Move the files a first process wrote in its own directory here, then make them
        read-only."""
        for _, _, name in tables:
            shutil.move(os.path.join(written, name), os.path.join(self.path, name))
            os.chmod(os.path.join(self.path, name), 0o444)
        os.chmod(self.path, 0o555)
        self.tables = [(table, ddl, name) for table, ddl, name in tables]


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    shutil.rmtree(path, ignore_errors=True)


class _Overrun(Exception):
    """The wall clock ran out."""


class _Died(Exception):
    """The child closed its pipe (crashed, killed or exited)."""


class _Child:
    """One child process and the two pipes to it; framing is an 8-byte length + bytes."""

    def __init__(
        self, popen: subprocess.Popen[bytes], home: str, to_child: int, from_child: int
    ) -> None:
        self.popen = popen
        self.home = home
        self._sent = 0
        self.owner = os.getpid()  # a forked copy of the parent must not use or kill it
        self.to_child = to_child
        self.from_child = from_child
        self._finalizer = weakref.finalize(
            self, _reap, self.owner, popen, home, to_child, from_child
        )

    @classmethod
    def spawn(cls, label: str) -> _Child:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        path = [os.path.abspath(p) if p else os.getcwd() for p in sys.path]
        bootstrap = (
            f"import sys; sys.path[:] = {path!r}; "
            "from paid_dbapi._engine.worker import child_main; child_main()"
        )
        home = tempfile.mkdtemp(prefix="paid-worker-")  # the only place the child may touch
        try:
            popen = subprocess.Popen(  # a fresh interpreter: nothing forked from this process
                [sys.executable, "-c", bootstrap, str(request_r), str(reply_w)],
                pass_fds=(request_r, reply_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL if not logger.isEnabledFor(logging.DEBUG) else None,
                cwd=home,
                env=_child_environment(home),
                start_new_session=True,  # the terminal's Ctrl-C reaches the parent only
            )
        finally:
            os.close(request_r)
            os.close(reply_w)
        logger.debug("started %s (pid %s)", label, popen.pid)
        return cls(popen, home, request_w, reply_r)

    def alive(self) -> bool:
        return self.owner == os.getpid() and self.popen.poll() is None

    def stop(self) -> None:
        self._finalizer()

    def send(self, data: bytes) -> None:
        frame = _HEADER.pack(len(data)) + data
        self._sent = len(frame)
        try:
            _write_all(self.to_child, frame)
        except OSError:
            self._sent = -1  # the child was gone before it could read anything
            raise _Died from None

    def killed(self) -> bool:
        """True when the process ended by SIGKILL (waiting briefly for it to end)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=1)
        return self.popen.returncode == -signal.SIGKILL

    def unread(self) -> bool:
        """True when the child never read a byte of the last request (it died before it)."""
        if self._sent < 0:
            return True
        try:
            waiting = struct.unpack("i", fcntl.ioctl(self.to_child, termios.FIONREAD, b"\0" * 4))
        except OSError:
            return False
        return bool(self._sent) and waiting[0] == self._sent

    def receive(self, deadline: float, cancel: threading.Event | None) -> bytes:
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline, cancel))
        return self._read(size, deadline, cancel)

    def _read(self, size: int, deadline: float, cancel: threading.Event | None) -> bytes:
        chunks: list[bytes] = []
        while size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Overrun
            if cancel is not None and cancel.is_set():
                raise Cancelled("the query was cancelled")
            try:
                readable, _, _ = select.select([self.from_child], [], [], min(left, _POLL))
                if not readable:
                    continue
                chunk = os.read(self.from_child, min(size, 1 << 20))
            except (OSError, ValueError):  # closed by close() from another thread
                raise _Died from None
            if not chunk:
                raise _Died
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)


def _child_environment(home: str) -> dict[str, str]:
    """A minimal environment: nothing of the parent's (API keys, tokens) reaches the child."""
    kept = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "LC_CTYPE")}
    return {**kept, "PATH": os.defpath, "HOME": home, "TMPDIR": home}


def _reap(owner: int, popen: subprocess.Popen[bytes], home: str, *fds: int) -> None:
    """Kill the child, close its pipes, remove its directory (also runs at interpreter exit);
    in a forked copy of the parent, only close the copied pipes."""
    if os.getpid() != owner:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        return
    if popen.poll() is None:
        popen.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=5)
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    shutil.rmtree(home, ignore_errors=True)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- the child side ---------------------------------------------------------------------------


def child_main() -> None:
    """Entry point of a worker process: argv carries the request and reply pipe descriptors."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, replies = int(sys.argv[1]), int(sys.argv[2])
    _watch_parent(os.getppid())
    config = pickle.loads(_read_frame(requests))
    # chDB starts engine threads as it loads, and a thread keeps the walls in force when it
    # started: while it loads, only code and this process's own /proc entries are readable.
    home = os.getcwd()
    snapshot = config.get("snapshot")
    kept = [snapshot["path"]] if snapshot and snapshot["tables"] else []  # read-only
    chdb = importlib.util.find_spec("chdb")
    packages = [os.path.dirname(p) for p in (chdb.submodule_search_locations or [])] if chdb else []
    code = [sys.prefix, sys.base_prefix, *packages, "/lib", "/lib64", "/usr/lib", "/usr/lib64"]
    confined = confine(home, [*code, *kept, f"/proc/{os.getpid()}"])
    from chdb import session as chdb_session

    confined = confined and confine(home, kept)  # from here: `home` (and the snapshot), no TCP
    written: list[list[str]] = []
    try:
        # the engine's own configuration: displayName() never tells the machine's host name,
        # and its files live in this process's own directory, which system tables' path
        # columns then show as /proc/self/cwd/, nothing of the machine's layout
        where = f"/proc/self/cwd?display_name={config['display_name']}"
        session = chdb_session.Session(where)  # type: ignore[no-untyped-call]
        written = _locked_session(session, config)
    except Exception as exc:
        error = parse_error(str(exc))
        _send(replies, {"ok": False, "name": error.name, "message": error.message})
        os._exit(1)
    _send(replies, {"ok": True, "confined": confined, "written": written})
    while True:
        try:
            request = pickle.loads(_read_frame(requests))
        except EOFError:
            os._exit(0)
        try:
            header, payload = _answer(session, request, config["result_bytes"])
        except Exception:  # a bug of ours: answer, and keep serving
            header, payload = {"ok": False, "kind": "engine", "name": "INTERNAL",
                               "message": "internal error"}, None  # fmt: skip
        _send(replies, header, payload)


def _locked_session(session: Any, config: dict[str, Any]) -> list[list[str]]:
    """Create the data (from the snapshot if there is one), fix the settings, lock down;
    returns the tables written to a new snapshot, if one was asked for."""
    snapshot = config.get("snapshot")
    database = config["database"]
    written: list[list[str]] = []
    if snapshot and snapshot["tables"]:
        session.query(f"CREATE DATABASE `{database}`", "TSVRaw")
        for table, ddl, name in snapshot["tables"]:
            session.query(ddl, "TSVRaw")
            path = quote_string(os.path.join(snapshot["path"], name))
            session.query(
                f"INSERT INTO `{database}`.`{table}` SELECT * FROM file({path}, Native)", "TSVRaw"
            )
    else:
        for sql in config["setup"]:
            session.query(sql, "TSVRaw")
        if snapshot:
            written = _write_snapshot(session, database)
    for name, value in config["settings"].items():
        session.query(f"SET {name} = {value}", "TSVRaw")
    if config["database"]:
        session.query(f"USE `{config['database']}`", "TSVRaw")
    session.query(f"SET readonly = {int(config.get('readonly', 1))}", "TSVRaw")
    return written


def _write_snapshot(session: Any, database: str) -> list[list[str]]:
    """Write each table of `database` to `snapshot/<n>.native` in this process's directory;
    returns [table, DDL, file name] for each."""
    os.mkdir("snapshot")
    listing = session.query(
        "SELECT name, create_table_query FROM system.tables "
        f"WHERE database = {quote_string(database)} ORDER BY name",
        "JSONCompactEachRow",
    ).bytes()
    tables = [json.loads(line) for line in bytes(listing).decode().splitlines() if line]
    written = []
    for number, (table, ddl) in enumerate(tables):
        name = f"{number}.native.zst"  # zstd, told by the extension
        path = quote_string(os.path.join(os.getcwd(), "snapshot", name))
        session.query(
            f"INSERT INTO FUNCTION file({path}, Native) SELECT * FROM `{database}`.`{table}`",
            "TSVRaw",
        )
        written.append([table, ddl, name])
    return written


def _answer(
    session: Any, request: dict[str, Any], limit: int
) -> tuple[dict[str, Any], bytes | None]:
    def run(trusted: str) -> str:
        return _execute(session, trusted, "TSVRaw").decode("utf-8", "replace")

    try:
        sql = request["sql"]
        if request["policy"] is not None:
            sql = vet(sql, request["policy"], run)
        data = _execute(session, sql, request["fmt"] or _ROWS_FORMAT)
    except GuardError as exc:
        return {"ok": False, "kind": "guard", "code": exc.code, "message": exc.message,
                "details": exc.details}, None  # fmt: skip
    except Exception as exc:  # chDB raises its own type carrying ClickHouse's text
        error = parse_error(str(exc))
        return {"ok": False, "kind": "engine", "name": error.name, "message": error.message}, None
    if len(data) > limit:
        message = f"the result is larger than {limit // 1024**2} MiB"
        return {"ok": False, "kind": "engine", "name": "RESULT_TOO_LARGE", "message": message}, None
    if request["fmt"]:
        return {"ok": True}, data
    parts = data.split(b"\n", 2)
    if len(parts) < 3:
        return {"ok": False, "kind": "engine", "name": "INTERNAL", "message": "no header"}, None
    names, types = (json.loads(line.decode("utf-8", "replace")) for line in parts[:2])
    return {"ok": True, "names": names, "types": types}, parts[2]


def _execute(session: Any, sql: str, fmt: str) -> bytes:
    """One query's output. chDB keeps the partial output of a failed query and prepends it to
    the next result, so after a failure a throwaway query takes the leftovers."""
    try:
        return bytes(session.query(sql, fmt).bytes())
    except Exception:
        with contextlib.suppress(Exception):
            session.query("SELECT 1", "TSVRaw")
        raise


def _watch_parent(parent: int) -> None:
    """Exit as soon as the parent is gone, even while a query runs (chDB releases the GIL)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        shutil.rmtree(os.getcwd(), ignore_errors=True)  # the parent cannot clean up any more
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _read_frame(fd: int) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return _read_exact(fd, size)


def _read_exact(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _send(fd: int, header: dict[str, Any], payload: bytes | None = None) -> None:
    text = json.dumps(header).encode()
    frames = [_HEADER.pack(len(text)), text]
    if payload is not None:
        frames += [_HEADER.pack(len(payload)), payload]
    _write_all(fd, b"".join(frames))


__all__ = ["Cancelled", "EngineError", "Limits", "Result", "Worker", "parse_error"]
