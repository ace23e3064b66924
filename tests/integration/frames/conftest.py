"""Fixtures of the DataFrame suites: a demo engine, and warnings from our code as errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.unit.frames.conftest import no_warnings  # noqa: F401  (autouse here too)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.engine.Engine]:
    eng = sa.create_engine("paid+demo://")
    yield eng
    eng.dispose()
