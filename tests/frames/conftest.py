"""Fixtures of the DataFrame suites: a demo engine, and warnings from our code as errors."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.engine.Engine]:
    eng = sa.create_engine("paid+demo://")
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    """Every warning is an error, a socket or file some suite left to the collector included."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
