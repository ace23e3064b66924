"""`paid-gateway` as users start it: the version, the binding rule and TLS."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.servers import BIN, start


def test_the_opt_out_warns_loudly(tmp_path: Path) -> None:
    process, url = start(
        [str(BIN / "paid-gateway"), "serve", "--host", "0.0.0.0", "--port", "0", "--insecure-bind",
         "--upstream", "http://127.0.0.1:9"],
        r"serving (http://\S+)", tmp_path / "log",
    )  # fmt: skip
    try:
        assert "WARNING" in (tmp_path / "log").read_text()
        assert httpx.get(url.replace("0.0.0.0", "127.0.0.1") + "/ping").text == "Ok.\n"
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_tls(tmp_path: Path, emulator_url: str, key: str) -> None:
    cert, private = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-keyout", str(private), "-out", str(cert)],
        capture_output=True, timeout=60,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"openssl could not make a test certificate: {made.stderr!r}")
    process, url = start(
        [str(BIN / "paid-gateway"), "serve", "--host", "0.0.0.0", "--port", "0", "--tls-cert",
         str(cert), "--tls-key", str(private), "--upstream", emulator_url],
        r"serving (https://\S+)", tmp_path / "log",
    )  # fmt: skip
    try:
        secure = url.replace("0.0.0.0", "127.0.0.1")
        answer = httpx.get(  # self-signed for CN=localhost: the test checks TLS, not trust
            secure,
            params={"query": "SELECT count() FROM dim_organization"},
            auth=("u", key),
            verify=False,
        )
        assert (answer.status_code, answer.text) == (200, "1\n")
        assert "WARNING" not in (tmp_path / "log").read_text()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_demo_serves_the_bundled_emulator(tmp_path: Path) -> None:
    process, url = start([str(BIN / "paid-gateway"), "serve", "--demo", "--port", "0"],
                         r"serving (http://\S+)", tmp_path / "log")  # fmt: skip
    try:
        log = (tmp_path / "log").read_text()
        key = next(
            line.rsplit(" ", 1)[1] for line in log.splitlines() if "demo organization acme" in line
        )
        answer = httpx.get(
            url, params={"query": "SELECT name FROM paid.dim_organization"}, auth=("u", key)
        )
        assert (answer.status_code, answer.text) == (200, "Acme AI\n")
    finally:
        process.terminate()
        process.wait(timeout=15)
