"""Superset as its users meet it, in a real browser (Debian's chromium driven by Playwright):
log in, connect Paid through the "Connect a database" form, browse and query it in SQL Lab."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import paid_dbapi

CHROMIUM = os.environ.get("PAID_TEST_CHROMIUM", "/usr/bin/chromium")
SQL = ("SELECT count() AS n, toUInt64(9007199254740993) AS big, "
       "toDecimal64(1234567.891234, 6) AS d FROM fact_cost")  # fmt: skip


@pytest.fixture(scope="module")
def superset_url(superset_home: Path) -> Iterator[str]:
    """Superset's own web server on a free loopback port, sharing the suite's home."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from tests.superset.conftest import SUPERSET

    proc = subprocess.Popen([SUPERSET, "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("Superset's web server did not start") from None
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def page(superset_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), (
        f"no browser at {CHROMIUM}: install Debian's chromium (scripts/test.sh does) "
        "or set PAID_TEST_CHROMIUM"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        p.selectors.set_test_id_attribute("data-test")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1400, "height": 900}, base_url=superset_url)
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots in {folder}")
    return folder


def _pick(page: Any, text: str) -> None:
    page.locator(".ant-select-item-option:visible").filter(has_text=text).first.click()


def test_superset_in_a_browser(
    page: Any, shots: Path, server_url: str, org_keys: dict[str, str]
) -> None:
    from playwright.sync_api import expect

    # 1. log in through the login page
    page.goto("/login/")
    page.get_by_test_id("username-input").fill("admin")
    page.get_by_test_id("password-input").fill("admin")
    page.get_by_test_id("login-button").click()
    page.wait_for_url("**/superset/welcome/**")

    # 2. "+ Database" -> Paid Analytics -> the form; a wrong key is refused in plain words
    host, port = server_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    page.goto("/databaseview/list/")
    page.get_by_test_id("btn-create-database").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill("Paid")
    _pick(page, "Paid Analytics")
    dialog.locator("input[name=host]").fill(host)
    dialog.locator("input[name=port]").fill(port)
    dialog.locator("input[name=database_name]").fill("Paid (browser)")
    key_input = dialog.locator("input[name=access_token]")
    key_input.fill("wrong_key_123456")
    with page.expect_response("**/validate_parameters/"):
        key_input.blur()
    expect(dialog.get_by_text("The API key was rejected")).to_be_visible()
    expect(dialog.get_by_test_id("btn-submit-connection")).to_be_disabled()
    assert "wrong_key_123456" not in page.locator("body").inner_text()
    page.screenshot(path=shots / "2-wrong-key.png")
    key_input.fill(org_keys["acme"])
    with page.expect_response("**/validate_parameters/"):
        key_input.blur()
    expect(dialog.get_by_text("The API key was rejected")).to_have_count(0)
    connect = dialog.get_by_test_id("btn-submit-connection")
    expect(connect).to_be_enabled()

    def is_create(r: Any) -> bool:
        return bool(r.url.endswith("/api/v1/database/") and r.request.method == "POST")

    with page.expect_response(is_create) as created:
        connect.click()
    assert created.value.status == 201
    expect(dialog.get_by_text("Database connected")).to_be_visible()
    assert org_keys["acme"] not in page.content()
    page.screenshot(path=shots / "2-connected.png")
    dialog.get_by_test_id("modal-confirm-button").click()

    # 3. SQL Lab: database and schema, the 15 tables with column types, a query, an error
    page.goto("/sqllab/")
    page.get_by_test_id("add-tab-icon").first.click()
    page.get_by_test_id("DatabaseSelector").first.click()
    popover = page.get_by_role("tooltip").filter(has_text="Select Database and Schema")
    popover.get_by_test_id("select-database").click()
    popover.get_by_test_id("select-database").get_by_role("combobox").fill("Paid (browser)")
    _pick(page, "Paid (browser)")
    popover.get_by_test_id("Select schema").click()
    _pick(page, "analytics")
    popover.get_by_role("button", name="Select").click()
    tree = page.get_by_role("tree")
    tree.get_by_role("treeitem").filter(has_text="analytics").first.click()
    expect(tree.get_by_role("treeitem")).to_have_count(16)  # the schema and its 15 tables
    tree.get_by_role("treeitem").filter(has_text="fact_cost").first.click()
    expect(tree.get_by_role("treeitem").filter(has_text="cost_amount")).to_contain_text("NUMERIC")
    expect(tree.get_by_role("treeitem").filter(has_text="created_at")).to_contain_text("DATETIME")
    expect(tree.get_by_role("treeitem").filter(has_text="input_tokens")).to_contain_text("BIGINT")

    with paid_dbapi.connect(api_key=org_keys["acme"], base_url=server_url) as conn:
        cur = conn.cursor()
        cur.execute(SQL)
        n, big, d = cur.fetchone()
    assert big == 9007199254740993
    assert d == Decimal("1234567.891234")
    page.locator(".ace_editor:visible .ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(SQL)
    page.locator("[data-test=run-query-action]:visible").click()
    pane = page.locator("[data-test=south-pane]:visible")
    expect(pane.get_by_text("1 row")).to_be_visible(timeout=60_000)
    grid = pane.get_by_test_id("table-container")
    for name, value in (("n", n), ("big", big), ("d", d)):
        expect(grid.locator(f"[id^=cell-{name}-]")).to_have_text(str(value))
    page.screenshot(path=shots / "3-sql-lab.png")
    page.locator(".ace_editor:visible .ace_content").click()
    page.keyboard.press("Control+A")
    page.keyboard.type("SELECT no_such_column FROM fact_cost")
    page.locator("[data-test=run-query-action]:visible").click()
    expect(pane).to_contain_text("no_such_column", timeout=60_000)
    expect(pane.get_by_role("alert").first).to_be_visible()
    page.screenshot(path=shots / "3-sql-lab-error.png")
