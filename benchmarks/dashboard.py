"""How fast each dashboard page renders in a real browser, against a one-line Streamlit page.

Builds a store of 10,000 pledges, 2,000 payments, 200 secondments and 2,000 achievements (a
workbook synced the ordinary way), starts `streamlit run` twice on free local ports (the dashboard,
and a page holding only `st.write("Hello")`), and drives Debian's chromium with Playwright:

- first render: a page opens in a new tab (a new Streamlit session, the browser's cache warm, as
  for anyone who has opened the dashboard before), and again in a new browser profile (empty
  cache: the first-ever visit, which also downloads the chart and table code). The clock stops
  when the script has finished running and every chart has drawn. Medians of --repeats, after
  one warm-up visit per page; the very first visit (which also reads the store) is reported
  on its own.
- rerun: on Fundraising a funder is chosen, on Achievements and Timeline a goal; the clock stops
  when the new figures are on screen and the script has finished.

Run: .venv/bin/python benchmarks/dashboard.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_dashboard_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    settle,
    start_streamlit,
    stop,
)

from cii_sheets import schema, sync  # noqa: E402
from cii_sheets.sources.workbook import WorkbookSource  # noqa: E402

D = dt.date
SIZES = {"pledges": 10_000, "payments": 2_000, "secondments": 200, "achievements": 2_000}
PAGES = [
    ("Overview", ""),
    ("Fundraising", "fundraising"),
    ("Timeline", "timeline"),
    ("Achievements", "achievements"),
    ("Learning and impact", "learning_impact"),
    ("Data quality", "data_quality"),
]
GOALS = [
    ("G1", "Civic engagement"),
    ("G2", "Young Londoners"),
    ("G3", "Diversity, social contact and identity"),
]


def day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def write_big_workbook(path: Path, today: dt.date) -> None:
    """A clean workbook at the benchmark's sizes (fixed seed)."""
    rng = random.Random(2017)
    start, end = D(2017, 1, 1), D(2027, 3, 31)
    book = Workbook(write_only=True)

    def tab(title: str, header: list[str], rows: list[list[object]]) -> None:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)

    tab(
        "Settings",
        ["Setting", "Value"],
        [
            ["Initiative name", "Citizenship and Integration Initiative"],
            ["Fundraising target (£)", 300_000_000],
            ["Programme start", start],
            ["Programme end", end],
            ["Minimum concurrent secondments", 20],
            ["Maximum concurrent secondments", 60],
            ["Financial year starts", "April"],
        ],
    )
    tab("Goals", ["Goal ID", "Goal", "Description"], [[g, n, None] for g, n in GOALS])
    funders = [f"Funder {i:02d} Trust" for i in range(1, 61)]
    tab("Funders", ["Funder", "Type", "Notes"], [[f, "Charitable trust", None] for f in funders])
    pledges = []
    for i in range(1, SIZES["pledges"] + 1):
        pledged = day(rng, start, min(today, end))
        status = rng.choices(["Confirmed", "Expected", "Withdrawn"], [80, 15, 5])[0]
        pledges.append(
            [
                f"P{i:05d}",
                rng.choice(funders),
                rng.randrange(1, 100) * 500,
                pledged,
                pledged + dt.timedelta(days=365),
                status,
                None,
            ]
        )
    tab(
        "Pledges",
        ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Notes"],
        pledges,
    )
    confirmed = [p for p in pledges if p[5] == "Confirmed"]
    payments = []
    for i in range(SIZES["payments"]):
        pledge = confirmed[i * 3 % len(confirmed)]
        received = min(pledge[3] + dt.timedelta(days=rng.randrange(1, 200)), today)
        payments.append([pledge[0], received, pledge[2] // 2, f"REF-{i:05d}"])
    tab("Payments", ["Pledge ID", "Date received", "Amount (£)", "Reference"], payments)
    hosts = [f"Host organisation {i:02d}" for i in range(1, 21)]
    secondments = []
    for i in range(1, SIZES["secondments"] + 1):
        begin = day(rng, start, D(2026, 6, 30))
        finish = min(begin + dt.timedelta(days=rng.randrange(180, 720)), end)
        status = "Planned" if begin > today else "Completed" if finish < today else "Active"
        goals = ", ".join(sorted(rng.sample([g for g, _ in GOALS], rng.randint(1, 2))))
        secondments.append(
            [
                f"S{i:03d}",
                f"Secondee {i:03d}",
                rng.choice(hosts),
                "Policy officer",
                goals,
                rng.choice([0.4, 0.5, 0.6, 0.8, 1.0]),
                begin,
                finish,
                status,
                None,
            ]
        )
    tab(
        "Secondments",
        [c.name for c in schema.SECONDMENTS_TAB.columns],
        secondments,
    )
    milestones = []
    for i in range(1, 31):
        planned = day(rng, start, end)
        actual = planned + dt.timedelta(days=rng.randrange(0, 30)) if planned < today else None
        milestones.append([f"Milestone {i:02d}", planned, actual, "Trust for London", None])
    tab("Milestones", ["Milestone", "Planned date", "Actual date", "Owner", "Notes"], milestones)
    achievements = []
    for i in range(1, SIZES["achievements"] + 1):
        secondment = rng.choice(secondments)
        achievements.append(
            [
                day(rng, start, today),
                f"Achievement {i:04d}",
                rng.choice(GOALS)[0],
                secondment[0],
                rng.choice(["Policy", "Pilot", "Guidance", "Engagement"]),
                f"https://example.org/evidence/{i}",
                None,
            ]
        )
    tab(
        "Achievements",
        ["Date", "Achievement", "Goal", "Secondment ID", "Type", "Evidence link", "Notes"],
        achievements,
    )
    book.save(path)


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def first_render(browser, base: str, path: str) -> float:  # type: ignore[no-untyped-def]
    """A first-ever visit: a new browser profile, so nothing is in the browser's cache."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        return new_tab(context, base, path)
    finally:
        context.close()


def new_tab(context, base: str, path: str) -> float:  # type: ignore[no-untyped-def]
    """A new tab (a new Streamlit session) in a browser that has seen the app before."""
    page = context.new_page()
    try:
        return timed(lambda: (page.goto(f"{base}/{path}"), settle(page)))
    finally:
        page.close()


def rerun(browser, base: str, path: str, label: str, choice: str, param: str) -> float:  # type: ignore[no-untyped-def]
    """Open a page, choose one option in a multiselect, time until the new view has settled."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(f"{base}/{path}")
        settle(page)
        box = page.get_by_test_id("stMultiSelect").filter(has_text=label).locator("input")
        box.fill(choice)

        def change() -> None:
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(rf"{param}="), timeout=60_000)  # set during the rerun
            settle(page)

        seconds = timed(change)
        page.keyboard.press("Escape")
        return seconds
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--pages", nargs="*", help="only these pages (by name, such as Overview), and no reruns"
    )
    args = parser.parse_args()
    pages = [p for p in PAGES if not args.pages or p[0] in args.pages]
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is not at {CHROMIUM}: install it with `apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright

    today = sync.today()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        workbook = folder / "big.xlsx"
        started = time.perf_counter()
        write_big_workbook(workbook, today)
        url = f"sqlite:///{folder / 'big.sqlite'}"
        outcome = sync.run(WorkbookSource(workbook), url, today)
        assert outcome.error is None, outcome.error
        print(
            f"Store: {', '.join(f'{n:,} {k}' for k, n in SIZES.items())} "
            f"(written and synced in {time.perf_counter() - started:.1f} s; "
            f"{len(outcome.validation.problems) if outcome.validation else 0} problems)"
        )
        one_line = folder / "one_line.py"
        one_line.write_text('import streamlit as st\n\nst.write("Hello")\n')
        dashboard, dash_base = start_streamlit(ROOT / "dashboard" / "app.py", url, folder)
        baseline, base_base = start_streamlit(one_line, url, folder)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                cold = first_render(browser, dash_base, "")
                for _, path in pages:
                    first_render(browser, dash_base, path)  # warm-up: the store is cached now
                tabs = browser.new_context(viewport=VIEWPORT)
                for _, path in pages:
                    new_tab(tabs, dash_base, path)  # the browser's cache holds the app's code
                new_tab(tabs, base_base, "")
                measured: dict[str, dict[str, float]] = {}
                for name, base_url, path in [
                    ("One-line page", base_base, ""),
                    *((name, dash_base, path) for name, path in pages),
                ]:
                    warm = [new_tab(tabs, base_url, path) for _ in range(args.repeats)]
                    empty = [first_render(browser, base_url, path) for _ in range(args.repeats)]
                    measured[name] = {
                        "tab": statistics.median(warm),
                        "empty": statistics.median(empty),
                    }
                    print(
                        f"  {name}: new tab "
                        + ", ".join(f"{t:.2f}" for t in warm)
                        + "; empty cache "
                        + ", ".join(f"{t:.2f}" for t in empty),
                        flush=True,
                    )
                tabs.close()
                reruns = (
                    {}
                    if args.pages
                    else {
                        "Fundraising": rerun(
                            browser,
                            dash_base,
                            "fundraising",
                            "Funders",
                            "Funder 07 Trust",
                            "funder",
                        ),
                        "Timeline": rerun(browser, dash_base, "timeline", "Goals", "G2", "goal"),
                        "Achievements": rerun(
                            browser, dash_base, "achievements", "Goals", "G2", "goal"
                        ),
                    }
                )
                browser.close()
        finally:
            stop(dashboard)
            stop(baseline)

    base, first = measured["One-line page"]["tab"], measured["One-line page"]["empty"]
    print(f"\nMedians of {args.repeats} loads; viewport 1366x768; headless chromium.")
    print(f"Very first visit after the server starts (reads the store): {cold:.2f} s.\n")
    print(
        "| Page | New tab (s) | Ratio to one-line | Empty browser cache (s) | Ratio | "
        "Rerun after a filter (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in measured.items():
        again = f"{reruns[name]:.2f}" if name in reruns else ""
        print(
            f"| {name} | {row['tab']:.2f} | {row['tab'] / base:.2f} | {row['empty']:.2f} | "
            f"{row['empty'] / first:.2f} | {again} |"
        )


if __name__ == "__main__":
    main()
