"""The dashboard end to end in a real browser: `streamlit run` on a free port, Debian's chromium
driven by Playwright. Visits every page on a laptop (1366x768) and a phone (390x844): axe-core
finds no WCAG 2.2 AA violation and no raw text (None, nan, snake_case, ISO dates, alert codes) is
on screen; the Overview answers its five questions on the first screen; every filter survives a
shared URL; a CSV download holds what its table shows. Leaves a screenshot per page and size in
screenshots/ (git-ignored)."""

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
PHONE = {"width": 390, "height": 844}
SIZES = {"laptop": VIEWPORT, "phone": PHONE}
SETTLE_MS = 30_000
PAGES = [  # (nav label, URL path, screenshot name)
    ("Overview", "", "overview"),
    ("Fundraising", "fundraising", "fundraising"),
    ("Timeline", "timeline", "timeline"),
    ("Achievements", "achievements", "achievements"),
    ("Learning and impact", "learning_impact", "learning-impact"),
    ("Data quality", "data_quality", "data-quality"),
]
# Text no reader should meet: missing values, code names, ISO dates and times, alert codes.
RAW_TEXT = re.compile(
    r"\b(None|nan|NaN|NaT)\b"
    r"|\b[a-z]+_[a-z_]+\b"
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?"
    r"|\b(overdue-pledge|overdue-milestone|secondments-outside-band)\b"
    r"|\(s\)"
)


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
    # Every chart drawn, and no placeholder left (elements whose code is still loading).
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(chart => chart.querySelector('canvas, svg'))
              && !document.querySelector('[data-testid="stSkeleton"]')""",
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


def visible_text(page) -> str:  # type: ignore[no-untyped-def]
    """The page's text as a reader meets it: icon ligatures (drawn as glyphs) left out."""
    return str(
        page.evaluate(
            """() => {
                const copy = document.body.cloneNode(true);
                copy.querySelectorAll('[data-testid="stIconMaterial"], style, script')
                    .forEach(n => n.remove());
                document.body.appendChild(copy);
                copy.style.position = 'absolute';
                const text = copy.innerText;
                copy.remove();
                return text;
            }"""
        )
    )


def axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's violations on the page (every rule it runs by default, WCAG 2.2 AA included)."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in found]


def in_viewport(page, text: str) -> bool:  # type: ignore[no-untyped-def]
    """Some element holding `text` lies wholly on the first screen (no scrolling)."""
    found = page.get_by_text(text, exact=False).first
    box = found.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def view_of(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What a reader sees of a page's filters and figures: compared across a shared URL.

    The filters' shown values, the metrics, and the main area's captions (each chart's summary
    says its numbers); the freshness line (the same on both sides) is in it too.
    """
    sidebar = page.get_by_test_id("stSidebar")
    main = page.get_by_test_id("stMain")
    return {
        "metrics": metrics_on(page),
        "inputs": [i.input_value() for i in page.locator("input[type=text]").all()],
        "chosen": [m.inner_text() for m in sidebar.get_by_test_id("stMultiSelect").all()],
        "captions": [c.inner_text() for c in main.get_by_test_id("stCaptionContainer").all()],
    }


def steady_view(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """`view_of` once the page has stopped changing (a rerun draws its elements in turn)."""
    settle(page)
    last = view_of(page)
    for _ in range(20):
        page.wait_for_timeout(400)
        settle(page)
        now = view_of(page)
        if now == last:
            return now
        last = now
    return last


# --- The tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def expected(store: dict) -> dict:
    opened = Store(store["url"])
    snapshot = opened.load_snapshot()
    today = sync.today()
    figures = metrics.figures(snapshot, today, figs.rows_left_out(opened.tabs()))
    opened.dispose()
    return {"snapshot": snapshot, "today": today, "figures": figures}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_is_accessible_and_plain(server: str, browser, size: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds nothing on any page, and no raw text is on screen, at both sizes."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for label, path, name in PAGES:
            page.goto(f"{server}/{path}")
            expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
            settle(page)
            assert not page.get_by_test_id("stException").count(), label
            screenshot(page, f"{name}-{size}")
            assert axe_violations(page) == [], (label, size)
            raw = sorted({m.group(0) for m in RAW_TEXT.finditer(visible_text(page))})
            assert raw == [], (label, size)
            if size == "phone":
                box = page.get_by_test_id("stSidebar").bounding_box()
                assert box is None or box["x"] + box["width"] <= 1, label  # closed
        assert not errors, errors
    finally:
        context.close()


def test_phone_layout(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """On a phone the Overview's figures and a page's metrics sit two to a row."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        cards = [c.bounding_box() for c in page.locator(".cii-card").all()]
        assert len(cards) == 4
        assert cards[0]["y"] == cards[1]["y"] and cards[2]["y"] == cards[3]["y"] > cards[0]["y"]
        assert all(c["x"] + c["width"] <= PHONE["width"] for c in cards)
        page.goto(f"{server}/timeline")
        settle(page)
        boxes = [m.bounding_box() for m in page.get_by_test_id("stMetric").all()]
        assert len(boxes) == 4
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[2]["y"] == boxes[3]["y"] > boxes[0]["y"]
    finally:
        context.close()


def test_overview_answers_five_questions_on_the_first_screen(
    server: str,
    browser,  # type: ignore[no-untyped-def]
    expected: dict,
) -> None:
    from cii_sheets import headlines

    snapshot, today, f = expected["snapshot"], expected["today"], expected["figures"]
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(server)
        settle(page)
        # 1. How much of the target.
        assert in_viewport(page, metrics.gbp(f.pledged_gbp))
        assert in_viewport(page, metrics.gbp(f.received_gbp))
        assert in_viewport(page, f"{f.percent_of_target:.0f}% of the £1 million target")
        # 2. Are we on pace, in rounded words.
        running = metrics.cumulative(snapshot["pledges"], snapshot["payments"])
        verdict = headlines.pace(running, f.expected_gbp, snapshot.settings, today).sentence
        assert in_viewport(page, verdict[:60])
        # 3. Who is seconded now (Active ones only), by host.
        assert in_viewport(page, "Who is seconded now")
        for host in headlines.running_table(snapshot, today)["Host organisation"]:
            assert in_viewport(page, host.split()[0]), host
        # 4. Achievements per goal, by name.
        assert in_viewport(page, "Achievements by goal")
        for goal in headlines.goals_table(snapshot, today)["goal"]:
            assert in_viewport(page, goal.split(",")[0]), goal
        # 5. Can I trust it: freshness and what the errors leave out, in money.
        assert in_viewport(page, "Data as of ")
        assert in_viewport(page, "£5,000 payment")
        since = headlines.last_quarter_end(today)
        assert in_viewport(page, f"since {metrics.uk_date(since)}")
        screenshot(page, "overview-first-screen")
    finally:
        context.close()


def choose(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option in a sidebar selectbox."""
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option).click()


def pick(page, label: str, option: str) -> None:  # type: ignore[no-untyped-def]
    """Add an option to a sidebar multiselect."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=label)
    box.locator("input").fill(option)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def search(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("[data-testid=stTextInput] input").fill(text)
    page.keyboard.press("Enter")


ROUND_TRIPS = [  # (page path, what to do, the URL parameter it sets)
    ("fundraising", lambda p: choose(p, "Period", "Financial year 2018/19"), "fy=2018"),
    ("fundraising", lambda p: pick(p, "Funders", "Trust for London"), "funder=Trust"),
    ("fundraising", lambda p: choose(p, "Period", "Choose dates…"), "from="),
    ("timeline", lambda p: choose(p, "Period", "Financial year 2019/20"), "fy=2019"),
    ("timeline", lambda p: pick(p, "Goals", "G2 Young Londoners"), "goal=G2"),
    ("achievements", lambda p: choose(p, "Period", "Financial year 2018/19"), "fy=2018"),
    ("achievements", lambda p: pick(p, "Goals", "G1 Civic engagement"), "goal=G1"),
    ("achievements", lambda p: search(p, "forum"), "q=forum"),
    ("learning_impact", lambda p: pick(p, "Goals", "G3 Diversity"), "goal=G3"),
    ("learning_impact", lambda p: search(p, "Renaisi"), "q=Renaisi"),
]


@pytest.mark.parametrize(
    ("path", "action", "param"),
    ROUND_TRIPS,
    ids=[f"{path}-{param.rstrip('=')}" for path, _, param in ROUND_TRIPS],
)
def test_every_filter_survives_a_shared_url(server: str, browser, path, action, param) -> None:  # type: ignore[no-untyped-def]
    """Choose a filter, copy the URL, open it in a new browser: the same view."""
    first = browser.new_context(viewport=VIEWPORT)
    page = first.new_page()
    try:
        page.goto(f"{server}/{path}")
        before = steady_view(page)
        action(page)
        page.wait_for_url(re.compile(re.escape(param)))
        chosen, url = steady_view(page), page.url
        assert chosen != before, "the filter changed nothing on the page"
    finally:
        first.close()
    fresh = browser.new_context(viewport=VIEWPORT)
    again = fresh.new_page()
    try:
        again.goto(url)
        assert steady_view(again) == chosen
    finally:
        fresh.close()


def test_figures_filters_and_downloads(server: str, browser, expected: dict) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    snapshot, f = expected["snapshot"], expected["figures"]
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # A shared link straight to a page, and every page through the sidebar.
        page.goto(f"{server}/timeline")
        settle(page)
        expect(page.get_by_role("heading", name="Timeline", level=1)).to_be_visible()
        page.goto(server)
        settle(page)
        for label, path, _ in PAGES:
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=label).click()
            expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
            if path:
                page.wait_for_url(re.compile(rf"/{path}"))
            settle(page)
            assert not page.get_by_test_id("stException").count(), label

        # A filter changes a figure, and lands in the URL.
        page.goto(f"{server}/fundraising")
        settle(page)
        value = page.get_by_test_id("stMetric").filter(has_text="Pledged")
        value = value.get_by_test_id("stMetricValue")
        expect(value).to_have_text(metrics.gbp(f.pledged_gbp))
        pick(page, "Funders", "Trust for London")
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
        assert not errors, errors
    finally:
        context.close()
