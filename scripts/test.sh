#!/usr/bin/env bash
# The project's whole check, from a fresh clone: lint, strict typing, and every test suite.
# Usage: ./scripts/test.sh [extra pytest args for the main suite's integration tiers]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

venv() {  # venv DIR PIP-ARGS...: create DIR if missing, then install into it
    local dir=$1; shift
    [ -x "$dir/bin/python" ] || "$PY" -m venv "$dir"
    # pip is quiet, and a first install takes a while (Superset about a minute): say so
    if [ -t 2 ]; then echo "   installing into $dir: $*" >&2; fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
}

echo "== main environment (SQLAlchemy 2.x, pandas 3.x, polars)"
venv .venv -e ".[emulator,test]" "pandas>=3" "sqlalchemy>=2.1"
# the official Node.js ClickHouse client, for tests/integration/gateway (pinned by its package-lock.json)
npm ci --prefix tests/node --no-audit --no-fund --silent
# the real JDBC and Go driver harnesses (tests/integration/gateway), built once, fetched from Maven Central
./scripts/build-clients.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy --strict paid_dbapi paid_sqlalchemy
# the unit tier first, in a process that never loads chDB (its conftest walls it off)
.venv/bin/pytest -q -p no:cacheprovider tests/unit
# the integration tiers: the emulator and gateway for real, and ClickHouse itself as the oracle
.venv/bin/pytest tests/integration tests/differential "$@"

echo "== SQLAlchemy 1.4 environment (dialect suite)"
venv .venv-sa14 -e ".[emulator,test]" "sqlalchemy>=1.4.36,<2" "pandas>=2.2,<3"
.venv-sa14/bin/pytest -q tests/unit/sqlalchemy tests/integration/sqlalchemy

echo "== pandas 2.2 environment (SQLAlchemy 2.0; DataFrame suites)"
venv .venv-pandas22 -e ".[emulator,test]" "sqlalchemy>=2.0.42,<2.1" "pandas>=2.2,<2.3"
.venv-pandas22/bin/pytest -q tests/unit/frames tests/integration/frames

echo "== Superset 6.1 environment (engine spec and end-to-end suite)"
venv .venv-superset -e ".[superset-test]"
# the browser test drives Debian's chromium (Playwright's own browser download is not used)
if [ ! -x /usr/bin/chromium ]; then
    apt-get install -y --no-install-recommends chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .venv-superset/bin/pytest -q -p no:cacheprovider tests/superset
