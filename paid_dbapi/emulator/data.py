"""Demo data sets: one database per organization, generated once per process per (scale, seed)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass

from .datagen import org_specs, statements
from .engine import Engine
from .schema import VIEWS, create_table_sql

logger = logging.getLogger(__name__)


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
    """The generated organizations of one (scale, seed)."""

    scale: float
    seed: int
    organizations: tuple[Organization, ...]


_lock = threading.Lock()
_datasets: dict[tuple[float, int], Dataset] = {}


def load(scale: float, seed: int) -> Dataset:
    """Generate (once per process) and return the data set for `scale` and `seed`."""
    with _lock:
        found = _datasets.get((scale, seed))
        if found is not None:
            return found
        engine = Engine()
        started = time.perf_counter()
        tag = hashlib.sha256(f"{scale}:{seed}".encode()).hexdigest()[:10]
        orgs = []
        for spec in org_specs(scale):
            org_id = str(uuid.UUID(hashlib.md5(f"{seed}:{spec.name}".encode()).hexdigest()))
            database = f"paid_org_{tag}_{spec.name}"
            engine.execute(f"CREATE DATABASE `{database}`")
            for view in VIEWS:
                engine.execute(create_table_sql(database, view))
            for sql in statements(spec, database, org_id, seed):
                engine.execute(sql)
            orgs.append(Organization(spec.name, org_id, demo_key(spec.name, seed), database))
        dataset = Dataset(scale, seed, tuple(orgs))
        _datasets[(scale, seed)] = dataset
        logger.info(
            "generated demo data (scale %s, seed %s) in %.2fs",
            scale, seed, time.perf_counter() - started,
        )  # fmt: skip
        return dataset


def internal_names() -> list[str]:
    """Every internal database name and organization id (never shown to a caller)."""
    with _lock:
        return [x for d in _datasets.values() for o in d.organizations for x in (o.database, o.id)]
