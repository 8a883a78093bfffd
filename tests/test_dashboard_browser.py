"""The dashboard end to end in a real browser: `streamlit run` on a free port, Debian's chromium
driven by Playwright. Visits every page, checks the Overview against the store, changes a filter,
downloads a CSV, and leaves one screenshot per page in screenshots/ (git-ignored)."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cii_sheets import dashboard_figures as figs
from cii_sheets import metrics, sync
from cii_sheets.sample import write_sample
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = Path(os.environ.get("CII_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}  # the leadership laptop
SETTLE_MS = 30_000
PAGES = [  # (nav label, URL path, screenshot name)
    ("Overview", "", "overview"),
    ("Fundraising", "fundraising", "fundraising"),
    ("Timeline", "timeline", "timeline"),
    ("Achievements", "achievements", "achievements"),
    ("Data quality", "data_quality", "data-quality"),
]


# --- Fixtures ------------------------------------------------------------------------------


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"Chromium is not installed at {CHROMIUM}, so the browser test cannot run. Install it "
        "with `sudo apt-get install -y chromium` (Debian/Ubuntu), or point CII_CHROMIUM at a "
        "Chromium binary."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer within {timeout} s:\n{log.read_text()}")


def start_streamlit(app: Path, store_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run` headless on a free local port; returns the process and its base URL."""
    port = free_port()
    log = folder / f"streamlit-{port}.log"
    env = {**os.environ, "CII_STORE": store_url}
    env.pop("CII_WORKBOOK", None)
    env.pop("CII_SPREADSHEET", None)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log, 60)
    except Exception:
        stop(process)
        raise
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("browser")
    workbook = folder / "sample.xlsx"
    write_sample(workbook)
    url = f"sqlite:///{folder / 'cii.sqlite'}"
    outcome = sync.run(WorkbookSource(workbook), url, sync.today())
    assert outcome.error is None
    return {"folder": folder, "url": url, "workbook": workbook}


@pytest.fixture(scope="module")
def server(store: dict) -> Iterator[str]:
    require_chromium()
    process, base = start_streamlit(APP, store["url"], store["folder"])
    try:
        yield base
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# --- Helpers -------------------------------------------------------------------------------


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the script has finished running and every chart has drawn."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=SETTLE_MS
    )
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(chart => chart.querySelector('canvas, svg'))""",
        timeout=SETTLE_MS,
    )


def metrics_on(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values = {}
    for item in page.get_by_test_id("stMetric").all():
        label = item.get_by_test_id("stMetricLabel").inner_text().strip().splitlines()[0]
        values[label] = item.get_by_test_id("stMetricValue").inner_text().strip()
    return values


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# --- The test ------------------------------------------------------------------------------


def test_dashboard_in_a_real_browser(server: str, browser, store: dict) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    today = sync.today()
    opened = Store(store["url"])
    snapshot = opened.load_snapshot()
    expected = metrics.figures(snapshot, today, figs.rows_left_out(opened.tabs()))
    opened.dispose()

    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # A shared link straight to a page, on a server no one has visited yet.
        page.goto(f"{server}/timeline")
        settle(page)
        expect(page.get_by_role("heading", name="Timeline", level=1)).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav").get_by_text("Data quality")).to_be_visible()

        # Every page through the sidebar, with one screenshot each.
        page.goto(server)
        settle(page)
        for label, path, name in PAGES:
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=label).click()
            expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
            if path:
                page.wait_for_url(re.compile(rf"/{path}"))
            settle(page)
            assert not page.get_by_test_id("stException").count(), label
            screenshot(page, name)

        # The Overview's figures are the store's.
        page.goto(server)
        expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
        expect(
            page.get_by_test_id("stMetric").filter(has_text="Milestones overdue")
        ).to_be_visible()
        settle(page)
        shown = metrics_on(page)
        assert shown["Pledged"] == metrics.gbp(expected.pledged_gbp)
        assert shown["Received"] == metrics.gbp(expected.received_gbp)
        assert shown["Outstanding"] == metrics.gbp(expected.outstanding_gbp)
        assert shown["Overdue"] == metrics.gbp(expected.overdue_gbp)
        assert shown["Expected pipeline"] == metrics.gbp(expected.expected_gbp)
        assert shown["Secondments active"] == str(expected.active_secondments)
        assert shown["FTE active"] == f"{expected.active_fte:g}"
        assert shown["Milestones overdue"] == str(expected.milestones["overdue"])
        expect(page.get_by_text(f"{expected.percent_of_target:g}% of the")).to_be_visible()
        expect(page.get_by_text("Data as of ")).to_be_visible()

        # A filter changes a figure, and lands in the URL.
        page.goto(f"{server}/fundraising")
        expect(page.get_by_role("heading", name="Fundraising", level=1)).to_be_visible()
        settle(page)
        pledged = page.get_by_test_id("stMetric").filter(has_text="Pledged")
        value = pledged.get_by_test_id("stMetricValue")
        expect(value).to_have_text(metrics.gbp(expected.pledged_gbp))
        funders = page.get_by_test_id("stMultiSelect").filter(has_text="Funders")
        funders.locator("input").fill("Trust for London")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")  # close the list of funders
        pledges = snapshot["pledges"]
        tfl = pledges[pledges["funder"] == "Trust for London"]
        confirmed = tfl.loc[tfl["status"] == "Confirmed", "amount_gbp"].sum()
        expect(value).to_have_text(metrics.gbp(confirmed), timeout=SETTLE_MS)
        page.wait_for_url(re.compile(r"funder=Trust"))
        settle(page)

        # The pledge table's CSV holds what the table shows.
        with page.expect_download() as download:
            page.get_by_test_id("stDownloadButton").filter(
                has_text="Download pledges (CSV)"
            ).locator("button").click()
        body = Path(download.value.path()).read_bytes()
        table = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
        assert len(table) == len(tfl)
        assert set(table["Funder"]) == {"Trust for London"}
        assert table["Amount (£)"].sum() == pytest.approx(tfl["amount_gbp"].sum())
        screenshot(page, "fundraising-filtered")

        # The shared URL opens the same view in a fresh tab.
        again = context.new_page()
        again.goto(page.url)
        settle(again)
        shared = again.get_by_test_id("stMetric").filter(has_text="Pledged")
        expect(shared.get_by_test_id("stMetricValue")).to_have_text(metrics.gbp(confirmed))
        again.close()
        assert not errors, errors
    finally:
        context.close()
