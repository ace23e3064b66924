"""The differential suites' shared oracle: one ClickHouse worker process per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.differential.oracle import Oracle


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    """ClickHouse itself (chDB) in a worker process of its own."""
    worker = Oracle()
    yield worker
    worker.close()
