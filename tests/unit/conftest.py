"""The unit tier: the driver's, dialect's and servers' own code, with ClickHouse out of reach.

Every test here runs behind a wall: `chdb` cannot be imported in this process, nor in any
process it starts (a worker takes its parent's `sys.path`, a program its `PYTHONPATH`, and
both find a `chdb` that refuses to load first). And a test that so much as asks a worker for
its engine fails, even a worker another suite left running in this process, and even if the
test would pass on the error that follows: an assertion that also holds when the engine is
missing would otherwise pass here without testing anything. A test that needs an engine
belongs in tests/integration.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from paid_dbapi._engine import worker

REFUSAL = "chDB is out of reach in the unit tier: this test belongs in tests/integration"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "meets_the_wall: the test asks for an engine on purpose, to see it refused"
    )


@pytest.fixture(scope="session")
def no_chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a `chdb` package whose import fails with `REFUSAL`."""
    folder = tmp_path_factory.mktemp("no-chdb")
    (folder / "chdb").mkdir()
    (folder / "chdb" / "__init__.py").write_text(f"raise ImportError({REFUSAL!r})\n")
    return folder


@pytest.fixture(autouse=True)
def no_chdb(
    no_chdb_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[None]:
    """Put the wall up around each test, whatever ran before it in this process."""
    for name in [m for m in sys.modules if m == "chdb" or m.startswith("chdb.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "chdb", None)  # `import chdb` raises here
    monkeypatch.syspath_prepend(str(no_chdb_path))  # ... and in a worker started from here
    inherited = os.environ.get("PYTHONPATH")
    paths = [str(no_chdb_path), *([inherited] if inherited else [])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))  # ... and in our programs
    asked: list[str] = []

    def refuse(self: worker.Worker, cancel: object) -> None:
        asked.append(self.label)
        raise OSError(REFUSAL)

    monkeypatch.setattr(worker.Worker, "_ensure", refuse)  # a worker alive already included
    yield
    if asked and request.node.get_closest_marker("meets_the_wall") is None:
        pytest.fail(f"asked for an engine worker ({asked[0]}): {REFUSAL}", pytrace=False)
