"""Demo data sets: one database per organization, described here, generated in its worker.

This module runs no SQL: it names the organizations, their keys and databases, and writes the
setup SQL that an organization's own worker process runs before it serves any query.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from dataclasses import dataclass

from ._datagen import org_specs, statements
from ._schema import VIEWS, create_table_sql


@dataclass(frozen=True)
class Organization:
    """A demo organization: public name, id, API key and its private database."""

    name: str
    id: str
    api_key: str
    database: str


def demo_key(name: str, seed: int) -> str:
    """The deterministic demo API key of an organization (clearly not a production key)."""
    digest = hashlib.sha256(f"paid-demo:{seed}:{name}".encode()).hexdigest()[:24]
    return f"demo_{name}_{digest}"


def demo_keys(seed: int = 42) -> dict[str, str]:
    """Organization name -> API key, without generating any data."""
    return {spec.name: demo_key(spec.name, seed) for spec in org_specs(1)}


@dataclass(frozen=True)
class Dataset:
    """The organizations of one (scale, seed), with data as of `as_of` (a UTC hour start)."""

    scale: float
    seed: int
    as_of: dt.datetime
    organizations: tuple[Organization, ...]

    def setup_sql(self, org: Organization) -> list[str]:
        """The statements that create and fill `org`'s database (and nothing else)."""
        spec = next(s for s in org_specs(self.scale) if s.name == org.name)
        return [
            f"CREATE DATABASE `{org.database}`",
            *(create_table_sql(org.database, view) for view in VIEWS),
            *statements(spec, org.database, org.id, self.seed, self.as_of),
        ]


_lock = threading.Lock()
_datasets: dict[tuple[float, int], Dataset] = {}


def load(scale: float, seed: int) -> Dataset:
    """The data set for `scale` and `seed` (one per process, so every emulator agrees)."""
    with _lock:
        found = _datasets.get((scale, seed))
        if found is None:
            now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
            orgs = tuple(
                Organization(
                    spec.name,
                    str(uuid.UUID(hashlib.md5(f"{seed}:{spec.name}".encode()).hexdigest())),
                    demo_key(spec.name, seed),
                    # derived from nothing secret (not the seed, which makes the keys):
                    # each worker holds one organization, so its public name suffices
                    f"paid_org_{spec.name}",
                )
                for spec in org_specs(scale)
            )
            found = _datasets[(scale, seed)] = Dataset(scale, seed, now, orgs)
        return found


def internal_names() -> list[str]:
    """Every internal database name and organization id (never shown to a caller)."""
    with _lock:
        return [x for d in _datasets.values() for o in d.organizations for x in (o.database, o.id)]
