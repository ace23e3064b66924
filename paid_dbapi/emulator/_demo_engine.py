"""The emulator's engine: one locked-down worker process per organization.

An organization's queries run in a process that holds only that organization's data, so a
query of one organization cannot reach another's rows whatever it says, and queries of
different organizations never wait on each other. A worker starts on first use (generating
its data once, and keeping a read-only snapshot of it that a replacement process loads);
emulators with the same data set and limits share their workers.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._engine.guard import Policy
from .._engine.worker import Limits, Result, Worker
from ._data import Dataset, Organization
from ._schema import VIEWS

#: (scale, seed, organization, limits) -> its running worker, while some emulator uses it.
_shared: weakref.WeakValueDictionary[tuple[Any, ...], Worker] = weakref.WeakValueDictionary()
_shared_lock = threading.Lock()

Status = Callable[[str], None]

#: The service's rule: SELECT over the 15 views, by unqualified name only.
VIEWS_POLICY = Policy(frozenset(VIEWS))


class DemoEngine:
    """The demo data's workers, one per organization, under one set of limits."""

    def __init__(self, dataset: Dataset, limits: Limits) -> None:
        self.dataset = dataset
        self.limits = limits
        self._workers: dict[str, Worker] = {}
        self._lock = threading.Lock()

    def worker(self, org: Organization) -> Worker:
        """`org`'s worker (created, not yet started, on first use)."""
        with self._lock:
            found = self._workers.get(org.name)
            if found is None:
                key = (self.dataset.scale, self.dataset.seed, self.dataset.as_of, org, self.limits)
                with _shared_lock:
                    found = _shared.get(key)
                    if found is None:
                        found = _shared[key] = Worker(
                            self.dataset.setup_sql(org),
                            limits=self.limits,
                            database=org.database,
                            label=f"worker of {org.name}",
                            snapshot=True,  # a replaced worker loads, not generates
                        )
                self._workers[org.name] = found
            return found

    def start(self, orgs: Iterable[Organization], status: Status | None = None) -> None:
        """Start the workers of `orgs` in parallel (each generates its data), reporting
        progress lines to `status`."""
        pending = list(orgs)
        names = ", ".join(org.name for org in pending)
        if status:
            status(f"generating demo data ({names}, scale {self.dataset.scale:g})...")
        with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
            list(pool.map(lambda org: self.worker(org).start(), pending))
        if status:
            status("")

    def close(self) -> None:
        """Stop this engine's workers now (queries in flight fail)."""
        with self._lock:
            for worker in self._workers.values():
                worker.close()

    def run(self, org: Organization, sql: str, cancel: threading.Event | None = None) -> Result:
        """Run a user query of `org`, judged by the guard inside its worker."""
        return self.worker(org).query(sql, policy=VIEWS_POLICY, cancel=cancel)

    def rows(self, org: Organization, sql: str) -> list[list[Any]]:
        """Run trusted SQL built by the emulator in `org`'s worker; rows parsed from JSON."""
        return [json.loads(row) for row in self.worker(org).query(sql).row_texts]

    def text(self, sql: str) -> str:
        """Run trusted SQL (such as the guard's own) in the first organization's worker and
        return its TSVRaw text."""
        data = self.worker(self.dataset.organizations[0]).query_bytes(sql, "TSVRaw")
        return data.decode("utf-8", "replace")
