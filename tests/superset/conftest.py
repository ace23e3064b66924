"""A real Superset 6.1 (its own metadata database in a temporary home) in front of the emulator.

These tests run in the Superset environment (`scripts/test.sh` builds it); Superset is set
up with its own command line (db upgrade, create-admin, init), then driven through its REST
API exactly as its web front end would, against the emulator served on loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUPERSET = str(Path(sys.executable).with_name("superset"))


@pytest.fixture(scope="session")
def superset_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("superset-home")
    (home / "superset_config.py").write_text(
        "from paid_sqlalchemy._sqlglot_dialect import PaidClickHouse\n"
        "SECRET_KEY = 'tests-only-secret-key-not-for-production'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
        "WTF_CSRF_ENABLED = False\n"
        "SQLGLOT_DIALECTS_EXTENSIONS = {'paid': PaidClickHouse}\n"
    )
    env = {**os.environ, "SUPERSET_HOME": str(home), "FLASK_APP": "superset",
           "SUPERSET_CONFIG_PATH": str(home / "superset_config.py")}  # fmt: skip
    for args in (["db", "upgrade"],
                 ["fab", "create-admin", "--username", "admin", "--firstname", "A", "--lastname", "Dmin",
                  "--email", "admin@example.com", "--password", "admin"],
                 ["init"]):  # fmt: skip
        subprocess.run([SUPERSET, *args], env=env, check=True, capture_output=True, timeout=300)
    os.environ.update(env)
    return home


@pytest.fixture(scope="session")
def client(superset_home: Path) -> Iterator[Any]:
    from superset.app import create_app

    app = create_app()
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture(scope="session")
def auth(client: Any) -> dict[str, str]:
    r = client.post("/api/v1/security/login",
                    json={"username": "admin", "password": "admin", "provider": "db", "refresh": True})  # fmt: skip
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json['access_token']}"}
