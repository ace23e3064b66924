"""Superset as its users meet it, in a real browser (Debian's chromium driven by Playwright):
log in, connect Paid through the "Connect a database" form, browse and query it in SQL Lab,
make a dataset and a time-series bar chart of it, and put the chart on a dashboard."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timezone
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


def _sums(server_url: str, key: str, bucket: str) -> dict[date, Decimal]:
    """sum(cost_amount) per time bucket, read by paid_dbapi: the oracle for the chart's values."""
    with paid_dbapi.connect(api_key=key, base_url=server_url) as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT {bucket}(created_at) AS b, sum(cost_amount) FROM fact_cost GROUP BY b")
        rows = cur.fetchall()
        assert not cur.precision_lost  # every digit arrived, so an exact comparison means something
    return dict(rows)


def _chart_values(response: Any) -> dict[date, Decimal]:
    """The chart data answer's buckets and sums, its numbers read as written (never a float)."""
    assert response.status == 200
    (result,) = json.loads(response.text(), parse_float=Decimal)["result"]
    assert result["status"] == "success"
    assert result["error"] is None
    values = {}
    for row in result["data"]:
        at = datetime.fromtimestamp(int(row["created_at"]) / 1000, timezone.utc)
        assert at.time() == datetime.min.time()
        values[at.date()] = row["SUM(cost_amount)"]
    return values


def _is_chart_data(r: Any) -> bool:
    return "/api/v1/chart/data" in r.url and r.request.method == "POST"


def test_log_in(page: Any) -> None:
    """Through the login page."""
    page.goto("/login/")
    page.get_by_test_id("username-input").fill("admin")
    page.get_by_test_id("password-input").fill("admin")
    page.get_by_test_id("login-button").click()
    page.wait_for_url("**/superset/welcome/**")


def test_connect_paid_through_the_form(
    page: Any, shots: Path, server_url: str, org_keys: dict[str, str]
) -> None:
    """The "+ Database" dialog -> Paid Analytics -> the form; a wrong key is refused in plain words."""
    from playwright.sync_api import expect

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


def test_sql_lab(page: Any, shots: Path, server_url: str, org_keys: dict[str, str]) -> None:
    """Database and schema, the 15 tables with column types, a query, an error."""
    from playwright.sync_api import expect

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


def test_dataset_from_fact_cost(page: Any, shots: Path) -> None:
    """Datasets -> "+ Dataset": fact_cost from Paid's schema, its columns typed, then Explore."""
    from playwright.sync_api import expect

    page.goto("/tablemodelview/list/")
    page.get_by_role("button", name=re.compile(r"Dataset$")).click()
    wrapper = page.get_by_test_id("dataset-layout-wrapper")
    wrapper.get_by_test_id("select-database").click()
    wrapper.get_by_test_id("select-database").get_by_role("combobox").fill("Paid (browser)")
    _pick(page, "Paid (browser)")
    wrapper.get_by_test_id("Select schema").click()
    _pick(page, "analytics")
    tables = wrapper.get_by_test_id("Select table or type to search tables")
    tables.click()
    tables.get_by_role("combobox").fill("fact_cost")
    _pick(page, "fact_cost")
    for name, kind in (
        ("cost_amount", "NUMERIC"),
        ("created_at", "DATETIME"),
        ("input_tokens", "BIGINT"),
    ):
        expect(wrapper.get_by_role("row").filter(has_text=name)).to_contain_text(kind)

    def is_create(r: Any) -> bool:
        return bool(r.url.endswith("/api/v1/dataset/") and r.request.method == "POST")

    with page.expect_response(is_create) as created:
        page.get_by_role("button", name="Create and explore dataset").click()
    assert created.value.status == 201
    dataset = created.value.json()
    assert dataset["result"]["table_name"] == "fact_cost"
    assert dataset["result"]["schema"] == "analytics"
    page.goto(f"/explore/?datasource_type=table&datasource_id={dataset['id']}")
    expect(page.get_by_test_id("datasource-control")).to_contain_text("analytics.fact_cost")
    panel = page.get_by_test_id("DatasourcePanelDragOption")
    for name in ("cost_amount", "created_at", "input_tokens", "vendor"):
        expect(panel.filter(has_text=re.compile(f"^{name}$"))).to_have_count(1)
    page.screenshot(path=shots / "4-explore.png")


def test_time_series_bar_chart(
    page: Any, shots: Path, server_url: str, org_keys: dict[str, str]
) -> None:
    """A Bar Chart of sum(cost_amount) by month, then by week: every bucket's sum is paid_dbapi's."""
    from playwright.sync_api import expect

    page.get_by_text("View all charts").click()
    picker = page.get_by_role("dialog")
    picker.get_by_test_id("viz-type-control__search-input").fill("Bar Chart")
    picker.get_by_test_id("viztype-selector-container").filter(
        has=page.get_by_text("Bar Chart", exact=True)
    ).click()
    picker.get_by_test_id("modal-confirm-button").click()
    page.get_by_test_id("x_axis").get_by_text("Drop a column here or click").click()
    popover = page.get_by_role("tooltip").last
    popover.get_by_test_id("Columns and metrics").click()
    _pick(page, "created_at")
    popover.get_by_test_id("ColumnEdit#save").click()
    page.get_by_test_id("metrics").get_by_text("Drop columns/metrics here or click").click()
    popover = page.get_by_test_id("metrics-edit-popover")
    popover.get_by_role("tab", name="Simple").click()
    popover.get_by_test_id("Select column").click()
    _pick(page, "cost_amount")
    popover.get_by_test_id("Select aggregate options").click()
    _pick(page, "SUM")
    popover.get_by_test_id("AdhocMetricEdit#save").click()
    expect(page.get_by_test_id("metrics")).to_contain_text("SUM(cost_amount)")

    chart = page.get_by_test_id("chart-container")
    key = org_keys["acme"]
    for grain, bucket, shot in (("Month", "toStartOfMonth", "5-by-month.png"),
                                ("Week", "toMonday", "5-by-week.png")):  # fmt: skip
        page.get_by_test_id("time_grain_sqla").click()
        _pick(page, grain)
        with page.expect_response(_is_chart_data) as answer:
            page.get_by_test_id("run-query-button").click()
        sent = answer.value.request.post_data_json
        assert sent["form_data"]["viz_type"] == "echarts_timeseries_bar"
        assert (
            sent["queries"][0]["extras"]["time_grain_sqla"]
            == {"Month": "P1M", "Week": "P1W"}[grain]
        )
        values = _chart_values(answer.value)
        expected = _sums(server_url, key, bucket)
        assert values == expected
        expect(page.get_by_test_id("row-count-label")).to_have_text(f"{len(expected)} rows")
        expect(chart.locator("canvas")).to_be_visible()
        expect(chart.get_by_role("alert")).to_have_count(0)
        page.screenshot(path=shots / shot)
        if grain == "Month":
            months = len(values)
    assert len(values) > months > 1  # a week is finer than a month


def test_chart_on_a_dashboard(
    page: Any, shots: Path, server_url: str, org_keys: dict[str, str]
) -> None:
    """Save -> "Add to dashboard" (a new one); the dashboard, reloaded, draws the saved chart."""
    from playwright.sync_api import expect

    page.get_by_test_id("query-save-button").click()
    modal = page.get_by_role("dialog")
    modal.get_by_test_id("new-chart-name").fill("Cost per week")
    dashboards = modal.get_by_test_id("save-chart-modal-select-dashboard-form").get_by_role(
        "combobox"
    )
    dashboards.click()
    new_one = page.locator(".ant-select-item-option:visible").filter(has_text="Paid costs")
    for _ in range(5):  # the select offers a new name only once its own first load has settled
        page.wait_for_timeout(1000)
        dashboards.fill("")
        dashboards.press_sequentially("Paid costs", delay=30)
        page.wait_for_timeout(1000)
        if new_one.first.is_visible():
            break
    new_one.first.click()

    def is_save(r: Any) -> bool:
        return bool(r.url.endswith("/api/v1/chart/") and r.request.method == "POST")

    with page.expect_response(is_save) as saved:
        modal.get_by_role("button", name="Save & go to dashboard").click()
    assert saved.value.status == 201
    result = saved.value.json()["result"]
    assert result["slice_name"] == "Cost per week"
    assert len(result["dashboards"]) == 1
    assert json.loads(result["params"])["viz_type"] == "echarts_timeseries_bar"
    page.wait_for_url(re.compile(r"/superset/dashboard/\d+/"))
    expect(page.get_by_test_id("dashboard-header-container")).to_contain_text("Paid costs")
    holder = page.get_by_test_id("dashboard-component-chart-holder")
    expect(holder.locator("canvas")).to_be_visible()  # drawn once before the reload
    with page.expect_response(_is_chart_data) as answer:
        page.reload()
    assert _chart_values(answer.value) == _sums(server_url, org_keys["acme"], "toMonday")
    expect(holder).to_have_count(1)
    expect(holder.get_by_test_id("slice-header")).to_have_text("Cost per week")
    expect(holder.get_by_test_id("chart-container").locator("canvas")).to_be_visible()
    expect(holder.get_by_role("alert")).to_have_count(0)
    page.screenshot(path=shots / "6-dashboard.png")
