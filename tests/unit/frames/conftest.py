"""The DataFrame suites turn every warning from our code into an error."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_warnings() -> Iterator[None]:
    """Every warning is an error, a socket or file some suite left to the collector included."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
