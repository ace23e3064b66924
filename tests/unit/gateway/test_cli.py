"""`paid-gateway` as users start it: the version, and the binding and plain-HTTP rules refused
before it serves."""

from __future__ import annotations

import subprocess

import paid_dbapi
from tests.servers import BIN


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "paid-gateway"), *args], capture_output=True, text=True, timeout=60
    )


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"paid-gateway {paid_dbapi.__version__}"


def test_a_public_address_needs_tls_or_an_explicit_opt_out() -> None:
    done = run("serve", "--host", "0.0.0.0", "--port", "0", "--upstream", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert "without TLS" in done.stderr
    assert "--tls-cert" in done.stderr


def test_the_upstream_follows_the_plain_http_rule() -> None:
    done = run("serve", "--port", "0", "--upstream", "http://analytics.example.com/api")
    assert done.returncode == 2
    assert "refusing plain HTTP" in done.stderr
