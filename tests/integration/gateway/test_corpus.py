"""A hostile corpus against `paid-gateway serve`, from the outside: HTTP only, three demo keys.

One key attacks (initech); the other two (acme, globex) are victims. Before the corpus each
victim's answers to a fixed set of queries are recorded, and their customers' names and e-mails
become canaries. Each class of attack is one test: every answer must be an answer or a
ClickHouse error (never a 500), hold no canary and no machine path, and afterwards every
victim's answers must be byte-identical to the record. Requests are generated with a fixed
seed (tests/integration/gateway/corpus.py).
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import chdb
import httpx
import pytest

from paid_dbapi.emulator._data import demo_keys
from tests.servers import BIN, start

from . import corpus

SEED = 20261207
ATTACKER = "initech"
VICTIMS = ("acme", "globex")
SHARED_SESSION = "corpus-shared"  # the victims' session name, which the attacker also uses
PEAK_MEMORY_BOUND = 1536 * 1024 * 1024

FIXED_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("SELECT count() FROM fact_signal", {}),
    ("SELECT count() FROM dim_customer", {}),
    ("SELECT count() FROM fact_cost", {}),
    *[
        (f"SELECT * FROM dim_customer ORDER BY id FORMAT {fmt}", {})
        for fmt in ("TSV", "JSONEachRow", "RowBinary")
    ],
    *[
        (
            f"SELECT signal_id, signal_name, customer_id, created_at FROM fact_signal "
            f"ORDER BY signal_id LIMIT 3000 FORMAT {fmt}",
            {},
        )
        for fmt in ("TSV", "JSONEachRow", "RowBinary")
    ],
    (
        "SELECT vendor, sum(cost_amount) FROM fact_cost GROUP BY vendor ORDER BY vendor FORMAT CSV",
        {},
    ),
    ("SELECT name, value FROM system.settings WHERE changed ORDER BY name", {}),
    ("SELECT name FROM system.tables WHERE database = 'paid' ORDER BY name", {}),
    ("DESCRIBE TABLE fact_cost FORMAT TSVWithNamesAndTypes", {}),
    ("SELECT count() FROM fact_signal", {"session_id": SHARED_SESSION}),
    ("SELECT * FROM dim_customer ORDER BY id FORMAT JSONEachRow", {"session_id": SHARED_SESSION}),
    (
        "SELECT name, value FROM system.settings WHERE changed ORDER BY name",
        {"session_id": SHARED_SESSION},
    ),
]

#: Victims' queries that fail with their own data in the error text (left in any shared state).
BAIT = [
    "SELECT toUInt8(name) FROM dim_customer",
    "SELECT CAST(email AS Date) FROM dim_customer",
    "SELECT throwIf(1, concat(name, ' ', email)) FROM dim_customer",
]
#: Settings whose refusal quotes the value: each victim's own marker (a canary) as the value.
BAIT_SETTINGS = ["format_csv_delimiter", "date_time_output_format", "output_format_avro_codec",
                 "output_format_json_quote_64bit_integers", "session_timezone"]  # fmt: skip


def marker(victim: str) -> str:
    """A string only `victim` ever sends: seen by another key, it proves shared state."""
    return f"corpus-marker-{victim}-5f3a9c"


def shown(params: dict[str, str]) -> str:
    """The parameters of a request, each value cut to 40 characters (some are 20,000 long)."""
    return (
        "{"
        + ", ".join(f"{k}={v[:40]!r}{'...' if len(v) > 40 else ''}" for k, v in params.items())
        + "}"
    )


def client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, auth=("corpus", key), timeout=60)


def snapshot(http: httpx.Client) -> list[tuple[int, bytes]]:
    answers = []
    for sql, params in FIXED_QUERIES:
        response = http.post("/", content=sql.encode(), params=params)
        answers.append((response.status_code, response.content))
    return answers


#: The victims' answers on the first gateway, before any attack; every later one must match.
RECORD: dict[str, list[tuple[int, bytes]]] = {}
#: Requests sent, and each gateway's peak memory (VmHWM, its own and its children's), by class.
SENT: list[int] = []
PEAKS: dict[str, list[int]] = {}


class Corpus:
    """The servers, the keys, the victims' record and canaries, and the failures found."""

    def __init__(self, url: str) -> None:
        keys = demo_keys(42)
        self.url = url
        self.attacker_key = keys[ATTACKER]
        self.attacker = client(self.url, self.attacker_key)
        self.victims = {name: client(self.url, keys[name]) for name in VICTIMS}
        for name, http in self.victims.items():
            RECORD.setdefault(name, snapshot(http))
        self.record = RECORD
        for name, answers in self.record.items():
            for (sql, _), (status, body) in zip(FIXED_QUERIES, answers, strict=True):
                assert status == 200, (name, sql, body[:300])
        self.initial = self.tampered()  # a fresh gateway answers as the first one did
        assert not self.initial, self.initial
        own = self._customers(self.attacker)
        canaries: set[str] = set()
        for http in self.victims.values():
            canaries |= self._customers(http) - own
        canaries = {c for c in canaries if len(c) >= 6}
        assert len(canaries) > 20
        canaries |= {marker(name) for name in self.victims}
        self.canaries = re.compile(
            b"|".join(re.escape(c.encode()) for c in sorted(canaries, key=len, reverse=True))
        )
        for name, http in self.victims.items():  # errors carrying the victims' data, left behind
            for sql in [*BAIT, f"SELECT throwIf(1, '{marker(name)}')"]:
                http.post("/", content=sql.encode())
            for setting in BAIT_SETTINGS:
                http.post("/", content=b"SELECT name, email, now() FROM dim_customer FORMAT CSV",
                          params={setting: marker(name)})  # fmt: skip
        self.sent = 0

    @staticmethod
    def _customers(http: httpx.Client) -> set[str]:
        response = http.post(
            "/", content=b"SELECT name, email FROM dim_customer FORMAT JSONEachRow"
        )
        assert response.status_code == 200, response.text[:300]
        rows = [json.loads(line) for line in response.text.splitlines()]
        return {str(v) for row in rows for v in row.values() if v}

    def close(self) -> None:
        self.attacker.close()
        for http in self.victims.values():
            http.close()

    def send(self, attacks: Iterable[corpus.Attack], http: httpx.Client | None = None) -> list[str]:
        """Send each attack; the problems found, one line each."""
        found = []
        for attack in attacks:
            found += self.one(attack, http or self.attacker)
        return found

    def one(self, attack: corpus.Attack, http: httpx.Client) -> list[str]:
        self.sent += 1
        try:
            response = http.post("/", content=attack.content(), params=attack.params,
                                 headers=attack.headers)  # fmt: skip
        except httpx.HTTPError as exc:
            return [
                f"{attack.label}: {attack.sql[:120]!r} {shown(attack.params)}: no answer ({exc!r})"
            ]
        headers = {k.lower(): v for k, v in response.headers.items()}
        return [
            f"{attack.label}: {attack.sql[:120]!r} {shown(attack.params)}: {p}"[:600]
            for p in corpus.problems(
                response.status_code, headers, response.content, self.canaries, attack
            )
        ]

    def tampered(self) -> list[str]:
        """Victims' fixed queries whose answers differ from the record (three shown a victim)."""
        found = []
        for name, http in self.victims.items():
            found += self._changed(name, http)[:3]
        return found

    def _changed(self, name: str, http: httpx.Client) -> list[str]:
        found = []
        answers = zip(FIXED_QUERIES, self.record[name], snapshot(http), strict=True)
        for (sql, params), before, after in answers:
            if before != after:
                found.append(f"victim {name}: {sql[:80]!r} {params} changed: HTTP "
                             f"{before[0]} {before[1][:80]!r} -> {after[0]} {after[1][:160]!r}")  # fmt: skip
        if found:
            found[0] = f"{len(found)} of {len(FIXED_QUERIES)} answers changed; " + found[0]
        return found


@pytest.fixture
def attack(emulator_url: str, logs: Path, request: pytest.FixtureRequest) -> Iterator[Corpus]:
    """A fresh gateway for each class (so that one class's damage does not hide the next's)."""
    name = request.node.name
    process, url = start(
        [
            str(BIN / "paid-gateway"),
            "serve",
            "--upstream",
            emulator_url,
            "--port",
            "0",
            "--body-timeout",
            "5",
        ],  # below the 15 s the slow-connection class waits
        r"serving (http://\S+)",
        logs / f"corpus-{name}.log",
    )
    try:
        state = Corpus(url)
        yield state
        state.close()
        SENT.append(state.sent)
        pid = process.pid
        PEAKS[name] = [corpus.vm_hwm(p) for p in [pid, *corpus.descendants(pid)]]
    finally:
        process.terminate()
        process.wait(timeout=15)


def judge(state: Corpus, found: list[str], sent: int) -> None:
    found = state.tampered() + found  # the victims' changes first: they matter most
    assert sent > 0
    assert not found, f"{len(found)} problems in {sent} requests:\n" + "\n".join(found[:40])


def test_statements_hidden_after_semicolons(attack: Corpus) -> None:
    attacks = list(corpus.hidden_statements(random.Random(SEED + 1), 90))
    judge(attack, attack.send(attacks), len(attacks))


def test_names_holding_newlines_quotes_and_forged_explain_lines(attack: Corpus) -> None:
    rng = random.Random(SEED + 2)
    attacks = list(corpus.hostile_names(rng, 90))
    found = attack.send(attacks)
    for _ in range(30):  # a bare alias: an answer is chDB's own (a refusal is the API's choice)
        name = corpus.hostile_name(rng)
        sql = f"SELECT 1 AS {corpus._backticked(name, raw=False)}"
        try:
            oracle: bytes | None = bytes(chdb.query(sql, "JSONEachRow").bytes())
        except Exception:  # chDB refuses it: the gateway must refuse it too
            oracle = None
        response = attack.attacker.post("/", content=f"{sql} FORMAT JSONEachRow".encode())
        attack.sent += 1
        if oracle is None and response.status_code == 200:
            found.append(
                f"{sql!r}: chDB refuses it, the gateway answered {response.content[:120]!r}"
            )
        elif oracle is not None and response.status_code == 200 and response.content != oracle:
            found.append(f"{sql!r}: HTTP {response.status_code} {response.content[:160]!r}, "
                         f"chDB {oracle[:160]!r}")  # fmt: skip
    judge(attack, found, len(attacks) + 30)


def test_url_settings_with_hostile_values(attack: Corpus) -> None:
    attacks = list(corpus.hostile_settings(random.Random(SEED + 3), 200))
    judge(attack, attack.send(attacks), len(attacks))


def test_set_and_sessions_change_nothing_for_other_keys(attack: Corpus) -> None:
    attacks = list(corpus.sessions(random.Random(SEED + 4), 60, SHARED_SESSION))
    judge(attack, attack.send(attacks), len(attacks))


def test_server_tables_and_table_functions_from_every_path(attack: Corpus) -> None:
    attacks = list(corpus.server_reads(random.Random(SEED + 5), 90))
    judge(attack, attack.send(attacks), len(attacks))


def test_bodies_and_bombs_with_and_without_credentials(attack: Corpus) -> None:
    rng = random.Random(SEED + 6)
    found: list[str] = []
    sent = 0
    wrong = client(attack.url, "pk_wrong_" + "0" * 40)
    anonymous = httpx.Client(base_url=attack.url, timeout=60)
    try:
        for http, key in ((attack.attacker, attack.attacker_key), (wrong, None), (anonymous, None)):
            attacks = list(corpus.bodies(rng, key))
            found += attack.send(attacks, http)
            sent += len(attacks)
        # a valid key's query, while six 3 MiB gzip bodies without a key are being sent
        bodies = [a for a in corpus.bodies(rng, None) if a.label == "gzip noise 3 MiB"] * 6
        threads = [threading.Thread(target=attack.send, args=([b], anonymous)) for b in bodies]
        for thread in threads:
            thread.start()
        started = time.perf_counter()
        answer = attack.victims["acme"].post("/", content=b"SELECT 1")
        waited = time.perf_counter() - started
        for thread in threads:
            thread.join()
        sent += 7
        if answer.text != "1\n" or waited > 2.0:
            found.append(f"a valid query under unauthenticated bodies: {answer.text[:80]!r} "
                         f"after {waited:.2f} s")  # fmt: skip
    finally:
        wrong.close()
        anonymous.close()
    judge(attack, found, sent)


def _silent(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    return held


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Seconds until the server closes `sock` (sending `trickle` one byte a second), or None."""
    started = time.monotonic()
    sock.settimeout(1.0)
    sent = 0
    while time.monotonic() - started < seconds:
        if sent < len(trickle):
            try:
                sock.send(trickle[sent : sent + 1])
            except OSError:
                return time.monotonic() - started
            sent += 1
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def test_slow_and_idle_connections(attack: Corpus) -> None:
    port = int(attack.url.rsplit(":", 1)[1])
    found: list[str] = []
    silent = _silent(port, 60)
    slow = _silent(port, 4)
    headers = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nSELECT "
    try:
        for sock in slow[:2]:  # a request that never ends: a body promised and never sent
            sock.sendall(headers)
        closed: dict[str, float | None] = {}
        trickle = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        watchers = [
            threading.Thread(target=lambda: closed.__setitem__("silent", _closed_within(silent[0], 15))),
            threading.Thread(target=lambda: closed.__setitem__("headers one byte a second",
                                                               _closed_within(slow[2], 15, trickle))),
            threading.Thread(target=lambda: closed.__setitem__("body never sent",
                                                               _closed_within(slow[0], 15))),
        ]  # fmt: skip
        for watcher in watchers:
            watcher.start()
        for _ in range(5):  # meanwhile, another client still gets answers within a second
            with client(attack.url, demo_keys(42)["globex"]) as http:
                started = time.perf_counter()
                try:
                    answer = http.post("/", content=b"SELECT count() FROM dim_organization",
                                       timeout=5)  # fmt: skip
                    text = answer.text
                except httpx.HTTPError as exc:
                    text = repr(exc)
                waited = time.perf_counter() - started
            if text != "1\n" or waited > 1.0:
                found.append(f"with {len(silent) + len(slow)} idle or slow connections held, "
                             f"another client got {text[:80]!r} after {waited:.2f} s")  # fmt: skip
            time.sleep(0.5)
        for watcher in watchers:
            watcher.join()
        for what, after in closed.items():
            if after is None:
                found.append(f"a connection with {what} was still open after 15 s")
    finally:
        for sock in silent + slow:
            sock.close()
    judge(attack, found, len(silent) + len(slow) + 5)


def test_peak_memory_and_size_of_the_corpus() -> None:
    """Each class's gateway stayed under the bound (its process and each of its children)."""
    for name, peaks in PEAKS.items():
        print(f"\n{name}: VmHWM " + ", ".join(f"{p / 2**20:.0f} MiB" for p in peaks))
    print(f"{sum(SENT)} corpus requests")
    assert len(PEAKS) == 7, sorted(PEAKS)
    assert sum(SENT) >= 500
    for name, peaks in PEAKS.items():
        assert max(peaks) < PEAK_MEMORY_BOUND, f"{name}: peak memory {max(peaks) / 2**20:.0f} MiB"
