"""The dashboard in Streamlit's AppTest: every page renders on the sample store, and its figures
equal the ones `cii-sheets check` works out from the same workbook on the same day."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit.config
from streamlit.testing.v1 import AppTest

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines, metrics, sync
from cii_sheets.sample import write_sample
from cii_sheets.snapshot import Settings
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import SYNC_RUNS, Store
from dashboard import access, charts, ui

ROOT = Path(__file__).resolve().parents[1]

APP = str(ROOT / "dashboard" / "app.py")
PAGES = {
    "Fundraising": "views/fundraising.py",
    "Timeline": "views/timeline.py",
    "Achievements": "views/achievements.py",
    "Data quality": "views/data_quality.py",
}
TIMEOUT = 60


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def listen_locally(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Serve on this computer only, as .streamlit/config.toml does, whatever pytest's cwd.

    Without a login the pages show figures only when the server listens on a loopback address
    and the connection's Host and Origin are local (AppTest's session has no connection).
    """
    key = "server.address"
    before, where = streamlit.config.get_option(key), streamlit.config.get_where_defined(key)
    streamlit.config.set_option(key, "127.0.0.1")
    local = {"host": ["localhost:8501"], "origin": ["http://localhost:8501"]}
    monkeypatch.setattr(access, "connection_headers", lambda: local)
    yield
    streamlit.config.set_option(key, before, where_defined=where)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample workbook synced into a fresh store, and what `check` says about it today."""
    folder = tmp_path_factory.mktemp("dashboard")
    workbook = write_sample_path(folder / "sample.xlsx")
    url = f"sqlite:///{folder / 'cii.sqlite'}"
    today = sync.today()
    outcome = sync.run(WorkbookSource(workbook), url, today)
    assert outcome.error is None
    checked = sync.check(WorkbookSource(workbook), today)
    assert checked.figures is not None and checked.validation is not None
    store = Store(url)
    snapshot = store.load_snapshot()
    store.dispose()
    return {
        "workbook": workbook,
        "url": url,
        "today": today,
        "figures": checked.figures,
        "validation": checked.validation,
        "snapshot": snapshot,
    }


def write_sample_path(path: Path) -> Path:
    write_sample(path)
    return path


def app(monkeypatch: pytest.MonkeyPatch, url: str, page: str | None = None, **query) -> AppTest:
    monkeypatch.setenv("CII_STORE", url)
    monkeypatch.delenv("CII_WORKBOOK", raising=False)
    monkeypatch.delenv("CII_SPREADSHEET", raising=False)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    if page or query:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>:~$])")


def shown(markdown: str) -> str:
    """Markdown as the reader sees its text: `ui.plain`'s backslash escapes removed."""
    return _ESCAPED.sub(r"\1", markdown)


def texts(at: AppTest) -> str:
    """Every piece of text on the page (markdown, captions, alerts, table cells), as shown."""
    parts = [
        shown(str(e.value))
        for kind in (
            "markdown",
            "caption",
            "info",
            "warning",
            "error",
            "success",
            "title",
            "subheader",
        )
        for e in getattr(at, kind)
    ]
    parts += [m.label + " " + str(m.value) for m in at.metric]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    return "\n".join(parts)


# --- Every page on the sample ----------------------------------------------------------------


def pictures(at: AppTest) -> int:
    """Charts drawn on the server, shown as images with their text alternative."""
    bodies = [str(e.proto.body) for e in at.get("html")]
    return sum(b.count('class="cii-chart"') for b in bodies if 'alt="' in b)


def html_text(at: AppTest) -> str:
    """The text of every st.html block, tags removed and entities decoded."""
    bodies = [str(e.proto.body) for e in at.get("html")]
    return html.unescape(re.sub(r"<[^>]+>", " ", " ".join(bodies)))


def test_overview_answers_the_five_questions(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"])
    f: metrics.Figures = sample["figures"]
    snapshot, today = sample["snapshot"], sample["today"]
    page = texts(at) + "\n" + html_text(at)
    words = " ".join(page.split())
    # 1. How much of the target: pledged and received, as amounts and shares of it.
    assert "Pledged £935,000" in words and "94% of the £1 million target" in words
    assert f"Received {metrics.gbp(f.received_gbp)}" in words
    # 2. The pace verdict, rounded, from the library the board pack shares.
    running = metrics.cumulative(snapshot["pledges"], snapshot["payments"])
    verdict = headlines.pace(running, f.expected_gbp, snapshot.settings, today)
    assert verdict.sentence in words
    assert "£65,000 still to raise by 31 Mar 2027; the £115,000 expected would cover it" in words
    # 3. Who is seconded now: Active ones only (S14 is Planned: never counted), by host.
    assert f.active_secondments == 2
    assert "Seconded now 2 secondments 1.1 FTE" in words
    for host in headlines.running_table(snapshot, today)["Host organisation"]:
        assert host in words
    # 4. Achievements per goal by name, since the start and in the last 12 months, quiet flagged.
    for row in headlines.goals_table(snapshot, today).itertuples():
        assert f"{row.goal}" in words
        assert f"{row.since_start} {row.last_12_months}" in words
    assert "Quiet: none since" in words
    # 5. Can I trust it: freshness (no file path) and what errors leave out, in money.
    assert "Data as of " in words and "from the workbook." in words
    assert str(sample["workbook"]) not in page and "sqlite" not in page
    assert "A pledge whose amount cannot be read, a £5,000 payment" in words
    assert any("data_quality" in str(link.proto.page) for link in at.get("page_link"))
    # Each headline number's change since the end of the last quarter.
    since = headlines.last_quarter_end(today)
    assert words.count(f"since {metrics.uk_date(since)}") == 4


def test_fundraising_matches_check_and_filters_by_funder(
    sample: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Fundraising"])
    f: metrics.Figures = sample["figures"]
    assert metric(at, "Pledged") == metrics.gbp(f.pledged_gbp)
    assert metric(at, "Received") == metrics.gbp(f.received_gbp)
    assert metric(at, "Overdue") == metrics.gbp(f.overdue_gbp)
    pledges = sample["snapshot"]["pledges"]
    tables = {len(d.value): d.value for d in at.dataframe}
    assert len(pledges) in tables  # the pledge table lists every pledge in the snapshot
    assert set(tables[len(pledges)]["Payment status"]) <= {
        metrics.PAID_IN_FULL,
        metrics.PART_PAID,
        metrics.NOT_YET_PAID,
        metrics.OVERDUE,
        metrics.EXPECTED,
        metrics.WITHDRAWN,
    }
    overdue = metrics.overdue_pledges(sample["snapshot"], sample["today"])
    assert any(
        list(d.value["Pledge ID"]) == list(overdue["pledge_id"])
        for d in at.dataframe
        if "Pledge ID" in d.value and len(d.value) == len(overdue)
    )

    at.multiselect(key="filter_funder").select("Trust for London").run()
    assert not at.exception
    tfl = pledges[(pledges["funder"] == "Trust for London") & (pledges["status"] == "Confirmed")]
    assert metric(at, "Pledged") == metrics.gbp(tfl["amount_gbp"].sum())
    assert metric(at, "Pledged") != metrics.gbp(f.pledged_gbp)
    assert at.query_params["funder"] in ("Trust for London", ["Trust for London"])


def test_fundraising_shows_grants_by_goal_and_by_recipient(
    sample: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Fundraising"])
    grants = sample["snapshot"]["grants"]
    f: metrics.Figures = sample["figures"]
    page = texts(at)
    assert f"{len(grants)} grants, {metrics.gbp(f.granted_gbp)} awarded in all" in page
    tables = [d.value for d in at.dataframe]
    by_goal = next(t for t in tables if "Goal" in t and "Granted (£)" in t)
    by_recipient = next(t for t in tables if "Recipient" in t)
    # Counted here straight from the snapshot's Grants rows.
    expected_goal = grants.groupby("goal_id")["amount_awarded_gbp"].sum()
    names = sample["snapshot"].goal_names()
    for gid, name in names.items():
        row = by_goal[by_goal["Goal"] == f"{gid} {name}"]
        assert float(row["Granted (£)"].iloc[0]) == float(expected_goal.get(gid, 0.0))
    expected_recipient = grants.groupby("recipient_org_name")["amount_awarded_gbp"].sum()
    assert dict(zip(by_recipient["Recipient"], by_recipient["Granted (£)"], strict=True)) == (
        expected_recipient.to_dict()
    )
    assert by_recipient["Granted (£)"].is_monotonic_decreasing


def test_fundraising_financial_year_from_the_url(
    sample: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Fundraising"], fy="2017/18")
    assert at.selectbox(key="filter_period").value == "2017/18"
    pledges = sample["snapshot"]["pledges"]
    fy = pledges[
        (pledges["status"] == "Confirmed")
        & (pledges["date_pledged"] >= "2017-04-01")
        & (pledges["date_pledged"] <= "2018-03-31")
    ]
    assert metric(at, "Pledged") == metrics.gbp(fy["amount_gbp"].sum())
    payments = sample["snapshot"]["payments"]
    paid = payments[payments["date_received"].between("2017-04-01", "2018-03-31")]
    assert metric(at, "Received") == metrics.gbp(paid["amount_gbp"].sum())
    # A date range instead, from the URL too; a nonsense year is ignored.
    at = app(
        monkeypatch,
        sample["url"],
        PAGES["Fundraising"],
        **{"from": "2017-04-01", "to": "2018-03-31"},
    )
    assert metric(at, "Pledged") == metrics.gbp(fy["amount_gbp"].sum())
    at = app(monkeypatch, sample["url"], PAGES["Fundraising"], fy="1999/00")
    assert metric(at, "Pledged") == metrics.gbp(sample["figures"].pledged_gbp)


def test_timeline(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Timeline"])
    f: metrics.Figures = sample["figures"]
    assert metric(at, "Secondments active") == str(f.active_secondments)
    assert metric(at, "FTE active") == f"{f.active_fte:g}"
    assert metric(at, "Milestones overdue") == str(f.milestones["overdue"])
    secondments = sample["snapshot"]["secondments"]
    assert pictures(at) == 3  # Gantt, milestones, concurrency, drawn on the server
    page = texts(at)
    assert all(name in page for name in secondments["secondee"])  # names: Timeline only
    at.multiselect(key="filter_goal").select("G2").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Secondee" in d.value)
    g2 = secondments[secondments["goals"].str.contains("G2")]
    assert sorted(table["Secondment ID"]) == sorted(g2["secondment_id"])


def test_achievements(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Achievements"])
    f: metrics.Figures = sample["figures"]
    names = sample["snapshot"].goal_names()
    for gid, count in f.achievements_by_goal.items():
        assert metric(at, f"{gid} {names[gid]}") == str(count)
    achievements = sample["snapshot"]["achievements"]
    assert metric(at, "Achievements") == str(len(achievements))
    table = next(d.value for d in at.dataframe if "Evidence" in d.value)
    assert len(table) == len(achievements)
    # Goals with nothing in the last six months are flagged.
    since = pd.Timestamp(sample["today"]) - pd.DateOffset(months=6)
    quiet = set(names) - set(achievements.loc[achievements["date"] > since, "goal_id"])
    warnings = shown(" ".join(w.value for w in at.warning))
    for gid in quiet:
        assert f"{gid} {names[gid]}" in warnings
    # Goal filter and search.
    at.multiselect(key="filter_goal").select("G1").run()
    assert metric(at, "Achievements") == str(f.achievements_by_goal["G1"])
    at.text_input(key="filter_q").input("pilot").run()
    table = next(d.value for d in at.dataframe if "Evidence" in d.value)
    g1_pilots = achievements[
        (achievements["goal_id"] == "G1")
        & achievements["achievement"].str.contains("pilot", case=False)
    ]
    assert len(table) == len(g1_pilots) > 0
    assert all("pilot" in t.lower() for t in table["Achievement"])
    assert at.query_params["q"] in ("pilot", ["pilot"])
    at.text_input(key="filter_q").input("no such words").run()
    assert "Nothing matches" in texts(at)


def test_data_quality(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"], PAGES["Data quality"])
    validation = sample["validation"]
    problems = next(d.value for d in at.dataframe if "What to do" in d.value)
    assert len(problems) == len(validation.problems)
    assert set(problems["Tab"]) == {p.tab for p in validation.problems}
    alerts = next(d.value for d in at.dataframe if "Alert" in d.value)
    assert len(alerts) == len(validation.alerts)
    assert metric(at, "Rows left out") == str(sum(sample["figures"].rows_left_out.values()))
    button = at.button[0]
    assert button.label == "Sync now" and button.disabled
    assert "Sync now is not set up here" in texts(at)
    assert "cii_sheets.toml" not in texts(at)  # no file names on a page


def test_data_quality_shows_when_the_watch_last_looked(
    sample: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cii_sheets.watch import Watch

    url = f"sqlite:///{tmp_path / 'watched.sqlite'}"
    at = app(monkeypatch, url, PAGES["Data quality"])
    assert "The watch is not running here" in texts(at)
    watch = Watch(
        WorkbookSource(sample["workbook"]), url, interval=60, today=lambda: sample["today"]
    )
    assert watch.look().state == "synced"  # the store now holds a run; then its heartbeat:
    store = Store(url)
    try:
        looked = dt.datetime.now(dt.UTC)
        store.record_watch(
            watch.source.describe(),
            looked_at=looked,
            interval_seconds=60,
            state="unchanged",
            changed_at=looked,
            run_id=1,
        )
    finally:
        store.dispose()
    at = app(monkeypatch, url, PAGES["Data quality"])
    text = texts(at)
    assert f"The watch last looked at the spreadsheet at {figs.uk_datetime(looked)}" in text
    assert "(it looks every 60 s). It last synced a change at" in text


def test_watch_line_says_when_it_may_have_stopped_or_failed() -> None:
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    beat = {
        "looked_at": dt.datetime(2026, 11, 26, 11, 30),  # naive, as SQLite gives it back: UTC
        "interval_seconds": 60,
        "state": "failed",
        "message": "Could not reach Google (no network)",
        "changed_at": None,
        "run_id": None,
    }
    line = figs.watch_line(beat, now)
    assert "26 Nov 2026, 11:30" in line and "That was 30 minutes ago: it may have stopped" in line
    assert line.endswith("It could not sync: Could not reach Google (no network).")
    assert figs.watch_line({**beat, "state": "stopped"}, now) == (
        "The watch stopped at 26 Nov 2026, 11:30."
    )


def test_secondee_names_only_on_the_timeline(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    names = list(sample["snapshot"]["secondments"]["secondee"])
    for page in [None, PAGES["Fundraising"], PAGES["Achievements"], PAGES["Data quality"]]:
        at = app(monkeypatch, sample["url"], page)
        page_text = texts(at)
        assert not [n for n in names if n in page_text], page


def test_sync_now_runs_the_same_sync(
    sample: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    at = app(monkeypatch, url, PAGES["Data quality"])
    assert "No sync has run yet" in texts(at)
    monkeypatch.setenv("CII_WORKBOOK", str(sample["workbook"]))
    at.run()
    assert not at.button[0].disabled
    at.button[0].click().run()
    assert not at.exception
    store = Store(url)
    run = store.latest_run()
    store.dispose()
    assert run is not None and run["outcome"] == "errors"
    assert f"Stored sync run {run['id']}" in texts(at)
    # The new run shows at once on every page: the cache is keyed on the run id.
    at.switch_page("views/overview.py").run()
    assert f"Pledged {metrics.gbp(sample['figures'].pledged_gbp)}" in " ".join(
        html_text(at).split()
    )


# --- Empty, failed and old stores ------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (None, ui.NO_DATA),
        (PAGES["Fundraising"], ui.NO_DATA),
        (PAGES["Timeline"], ui.NO_DATA),
        (PAGES["Achievements"], ui.NO_DATA),
        (PAGES["Data quality"], "No sync has run yet. Press Sync now"),
    ],
)
def test_empty_store_renders_helpful_pages(
    page: str | None, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(monkeypatch, f"sqlite:///{tmp_path / 'empty.sqlite'}", page)
    text = texts(at)
    assert "No data yet: nothing has been synced into the store." in text
    assert expected in text
    assert not at.metric  # no figures where there are none


def test_failed_last_sync_warns_and_keeps_the_last_good_figures(
    sample: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'failed.sqlite'}"
    sync.run(WorkbookSource(sample["workbook"]), url, sample["today"])
    outcome = sync.run(WorkbookSource(tmp_path / "missing.xlsx"), url, sample["today"])
    assert outcome.error
    for page in [None, *PAGES.values()]:
        at = app(monkeypatch, url, page)
        warning = shown(" ".join(w.value for w in at.warning))
        assert "failed, so these figures are from the sync before it" in warning, page
    at = app(monkeypatch, url)
    assert f"Pledged {metrics.gbp(sample['figures'].pledged_gbp)}" in " ".join(
        html_text(at).split()
    )
    at = app(monkeypatch, url, PAGES["Data quality"])
    assert "**Outcome:** Failed: nothing stored" in texts(at)
    assert any("Why it failed" in e.value for e in at.error)


def test_only_failed_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'never.sqlite'}"
    sync.run(WorkbookSource(tmp_path / "missing.xlsx"), url)
    for page in [None, *PAGES.values()]:
        at = app(monkeypatch, url, page)
        assert "failed" in shown(" ".join(w.value for w in at.warning)), page


def test_old_data_and_stale_tab_are_flagged(
    sample: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    sync.run(WorkbookSource(sample["workbook"]), url, sample["today"])
    store = Store(url)
    with store.engine.begin() as conn:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=50)
        conn.execute(sa.update(SYNC_RUNS).values(finished_at=old))
        conn.execute(sa.text("UPDATE tabs SET stale = 1 WHERE tab = 'Milestones'"))
    store.dispose()
    at = app(monkeypatch, url)
    warning = shown(" ".join(w.value for w in at.warning))
    assert "older than 36 hours" in warning
    assert "last good copy is shown: Milestones" in warning


def test_sheet_text_is_shown_as_typed_never_as_markdown(
    sample: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = "[click](http://evil)"
    book = openpyxl.load_workbook(sample["workbook"])
    renamed = [
        cell
        for row in book["Milestones"].iter_rows()
        for cell in row
        if cell.value == "Funders' decision on continuing beyond 2027"  # overdue in the sample
    ]
    assert len(renamed) == 1
    renamed[0].value = link
    book.save(tmp_path / "linked.xlsx")
    url = f"sqlite:///{tmp_path / 'linked.sqlite'}"
    assert sync.run(WorkbookSource(tmp_path / "linked.xlsx"), url, sample["today"]).run_id == 1
    at = app(monkeypatch, url)
    raw = "\n".join(str(m.value) for m in at.markdown)
    assert ui.plain(link) == "\\[click\\]\\(http\\://evil\\)"
    assert f"'{ui.plain(link)}' was planned" in raw  # its alert
    assert link not in raw  # nowhere as a live link
    assert link in texts(at)


def test_unreadable_store_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CII_STORE", "nosuchdb://nowhere")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "cannot use here" in at.error[0].value  # the store names no database we know


# --- Downloads -------------------------------------------------------------------------------


def test_excel_holds_every_table_without_names(sample: dict) -> None:
    from dashboard import data, downloads

    f = sample["figures"]
    store = Store(sample["url"])
    last = store.latest_run()
    loaded = data.Loaded(
        latest=last,
        last_good=last,
        snapshot=sample["snapshot"],
        tabs=store.tabs(),
        problems=store.problems(last["id"]),
        alerts=store.alerts(last["id"]),
        runs=store.runs(),
    )
    store.dispose()
    ctx = data.Context(
        url=sample["url"],
        as_of=sample["today"],
        loaded=loaded,
        figures=f,
        freshness=figs.freshness(last, last, [], dt.datetime.now(dt.UTC)),
        goal_labels=figs.goal_labels(sample["snapshot"]),
    )
    book = openpyxl.load_workbook(io.BytesIO(figs.to_excel(downloads.all_tables(ctx))))
    assert {"Figures", "Pledges", "Secondments", "Achievements", "Problems"} <= set(book.sheetnames)
    pledges = book["Pledges"]
    assert pledges.max_row == len(sample["snapshot"]["pledges"]) + 1
    names = set(sample["snapshot"]["secondments"]["secondee"])
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not names & {v for v in row if isinstance(v, str)}, sheet.title
    figures = {r[0]: r[1] for r in book["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures["Pledged (£)"] == f.pledged_gbp
    # The sheet's own headers, £ formats on money and dates without a time.
    headers = [c.value for c in pledges[1]]
    assert headers[:4] == ["Pledge ID", "Funder", "Amount (£)", "Date pledged"]
    for sheet in book.worksheets:
        for cell in sheet[1]:
            assert not re.search(r"[a-z]_[a-z]", str(cell.value)), (sheet.title, cell.value)
    amount, pledged = pledges.cell(2, 3), pledges.cell(2, 4)
    assert amount.number_format == '"£"#,##0.00' and isinstance(amount.value, int | float)
    assert pledged.number_format == "d mmm yyyy" and pledged.value.time() == dt.time(0)


FORMULA = '=HYPERLINK("http://x","y")'


def test_downloads_keep_formula_like_text_as_text() -> None:
    frame = pd.DataFrame(
        {
            "achievement": [FORMULA, "+44 20 7983 4000", "@cell", "\tTab", "Plain"],
            "amount_gbp": [-25.0, 1.0, 2.0, 3.0, 4.0],
            "date": pd.to_datetime(["2017-04-01"] * 5),
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(figs.to_excel({"Achievements": frame})))
    cells = list(book["Achievements"].iter_rows(min_row=2))
    assert cells[0][0].value == FORMULA and cells[0][0].data_type == "s"
    assert all(row[0].data_type == "s" for row in cells)
    assert cells[0][1].value == -25 and cells[0][1].data_type == "n"  # numbers stay numbers
    assert cells[0][2].is_date

    back = pd.read_csv(io.BytesIO(figs.to_csv(frame)), encoding="utf-8-sig")
    assert list(back["achievement"]) == [
        "'" + FORMULA,
        "'+44 20 7983 4000",
        "'@cell",
        "'\tTab",
        "Plain",
    ]
    assert list(back["amount_gbp"]) == [-25.0, 1.0, 2.0, 3.0, 4.0]  # a negative number is no text
    assert list(back["date"]) == ["2017-04-01"] * 5


def test_csv_round_trips_pounds_and_accents() -> None:
    frame = pd.DataFrame({"Funder": ["Esmée Fairbairn Foundation"], "Amount (£)": [25000.5]})
    back = pd.read_csv(io.BytesIO(figs.to_csv(frame)), encoding="utf-8-sig")
    assert back.equals(frame)


# --- dashboard_figures on their own ----------------------------------------------------------


def test_uk_dates_and_money() -> None:
    assert figs.uk_date(dt.date(2017, 4, 1)) == "1 Apr 2017"
    assert figs.uk_date(pd.NaT) == "" and figs.uk_date(None) == ""
    summer = dt.datetime(2026, 7, 1, 8, 5, tzinfo=dt.UTC)
    assert figs.uk_datetime(summer) == "1 Jul 2026, 09:05"  # London is on BST
    assert figs.uk_datetime(dt.datetime(2026, 1, 1, 8, 5)) == "1 Jan 2026, 08:05"
    assert figs.gbp(1234567) == "£1,234,567" and figs.gbp(25000.5) == "£25,000.50"


def test_financial_years_and_periods() -> None:
    settings = Settings(programme_start=dt.date(2017, 1, 1), programme_end=dt.date(2022, 3, 31))
    years = figs.financial_years(settings)
    assert years[0] == "2016/17" and years[-1] == "2021/22"
    period = figs.fy_period("2017/18", 4)
    assert (period.start, period.end) == (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
    dates = pd.Series(pd.to_datetime(["2017-03-31", "2017-04-01", "2018-03-31", "2018-04-01"]))
    assert list(period.mask(dates)) == [False, True, True, False]
    assert figs.fy_label(dt.date(2026, 11, 23), 4) == "2026/27"


def test_financial_years_follow_the_settings_start_month() -> None:
    settings = Settings(
        programme_start=dt.date(2017, 1, 1), programme_end=dt.date(2022, 3, 31), fy_start_month=1
    )
    assert figs.financial_years(settings) == ["2017", "2018", "2019", "2020", "2021", "2022"]
    period = figs.fy_period("2018", 1)
    assert (period.start, period.end) == (dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert figs.fy_label(dt.date(2026, 11, 23), 1) == "2026"
    assert figs.this_financial_year(settings, dt.date(2026, 11, 23)).start == dt.date(2026, 1, 1)
    assert figs.parse_date("2017-13-01") is None


def test_selection_without_filters_equals_figures(sample: dict) -> None:
    selection = figs.fundraising_selection(sample["snapshot"], sample["today"])
    f = sample["figures"]
    assert (
        selection.pledged_gbp,
        selection.received_gbp,
        selection.outstanding_gbp,
        selection.overdue_gbp,
        selection.expected_gbp,
    ) == (f.pledged_gbp, f.received_gbp, f.outstanding_gbp, f.overdue_gbp, f.expected_gbp)
    by_funder = metrics.by_funder(selection.pledges, selection.payments)
    assert by_funder["pledged_gbp"].sum() == pytest.approx(f.pledged_gbp)
    assert by_funder["received_gbp"].sum() == pytest.approx(f.received_gbp)
    snapshot = sample["snapshot"]
    years = metrics.by_financial_year(selection.pledges, selection.payments, 4)
    pd.testing.assert_frame_equal(
        years, metrics.by_financial_year(snapshot["pledges"], snapshot["payments"], 4)
    )


def test_freshness_messages() -> None:
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    good = {
        "id": 1,
        "outcome": "ok",
        "finished_at": now - dt.timedelta(hours=2),
        "source": "workbook x.xlsx",
        "message": None,
    }
    fresh = figs.freshness(good, good, [], now)
    assert fresh.line == "Data as of 23 Nov 2026, 10:00, from the workbook."
    assert figs.source_kind("Google spreadsheet 1AbC") == "the Google spreadsheet"
    assert figs.source_kind("2 sources: workbook a.xlsx, Google spreadsheet 1AbC") == (
        "2 spreadsheets"
    )
    assert not fresh.warnings
    failed = {
        "id": 2,
        "outcome": "failed",
        "finished_at": now,
        "source": "x",
        "message": "The spreadsheet is not shared with the service account.",
    }
    warned = figs.freshness(failed, good, ["Pledges"], now + dt.timedelta(hours=40))
    assert len(warned.warnings) == 3
    assert "not shared" in warned.warnings[0]
    assert "older than 36 hours" in warned.warnings[1]
    assert "Pledges" in warned.warnings[2]
    assert not figs.freshness(None, None, [], now).has_data


def test_problem_links_only_for_google() -> None:
    problems = pd.DataFrame(
        {
            "severity": ["warning", "error"],
            "tab": ["Funders", "Pledges"],
            "row": [1, 12],
            "column": ["x", "Amount (£)"],
            "value": ["a", "b"],
            "message": ["m", "n"],
            "cell": ["D1", "C12"],
        }
    )
    google = {
        "spreadsheet_url": "https://docs.google.com/spreadsheets/d/KEY/edit",
        "sheet_ids": json.dumps({"Pledges": 123, "Funders": 7}),
    }
    table = figs.problem_table(problems, google)
    assert list(table["severity"]) == ["error", "warning"]  # errors first
    assert (
        table.loc[0, "link"] == "https://docs.google.com/spreadsheets/d/KEY/edit#gid=123&range=C12"
    )
    local = figs.problem_table(problems, {"spreadsheet_url": None, "sheet_ids": "{}"})
    assert local["link"].isna().all()


def test_problem_links_go_to_the_spreadsheet_holding_the_tab() -> None:
    finance, programme = "Google spreadsheet FIN", "Google spreadsheet PROG"
    problems = pd.DataFrame(
        {
            "severity": ["error", "error", "error"],
            "tab": ["Pledges", "Sheet", "Secondments"],
            "row": [3, 2, 5],
            "column": ["Amount (£)", "A", "FTE"],
            "value": ["ten k", "x", "2"],
            "message": ["m", "n", "o"],
            "cell": ["C3", "A2", "E5"],
            "source": [finance, "workbook extra.xlsx", programme],
        }
    )
    run = {
        "spreadsheet_url": "https://docs.google.com/spreadsheets/d/FIN/edit",
        "sheet_ids": json.dumps({"Pledges": 11}),
        "sources": json.dumps(
            [
                {
                    "source": finance,
                    "url": "https://docs.google.com/spreadsheets/d/FIN/edit",
                    "sheet_ids": {"Pledges": 11, "Secondments": 99},
                },
                {
                    "source": programme,
                    "url": "https://docs.google.com/spreadsheets/d/PROG/edit",
                    "sheet_ids": {"Secondments": 22},
                },
                {"source": "workbook extra.xlsx", "url": None, "sheet_ids": {}},
            ]
        ),
    }
    table = figs.problem_table(problems, run).set_index("tab")
    assert (
        table.loc["Pledges", "link"]
        == "https://docs.google.com/spreadsheets/d/FIN/edit#gid=11&range=C3"
    )
    # The finance spreadsheet also has a 'Secondments' tab id; the problem's source decides.
    assert table.loc["Secondments", "link"] == (
        "https://docs.google.com/spreadsheets/d/PROG/edit#gid=22&range=E5"
    )
    assert table.loc["Sheet", "link"] is None  # a workbook has no address
    assert table.loc["Secondments", "source"] == programme


def test_quiet_goals_and_hosts(sample: dict) -> None:
    snapshot = sample["snapshot"]
    last = snapshot["achievements"]["date"].max().date()
    assert figs.quiet_goals(snapshot, last, months=1000).empty
    table = figs.achievements_table(snapshot)
    hosts = figs.count_by_host(table)
    # Achievements with no known host are counted apart, never as a host of their own.
    assert hosts["achievements"].sum() + figs.without_host(table) == len(snapshot["achievements"])
    assert not hosts["host_organisation"].isin([figs.NOT_LINKED, figs.UNKNOWN_HOST]).any()
    assert "secondee" not in table.columns


def test_thin_steps_keeps_the_totals() -> None:
    dates = pd.date_range("2017-01-01", periods=5000, freq="D")
    frame = pd.DataFrame({"date": dates, "pledged_gbp": range(5000), "received_gbp": range(5000)})
    thin = figs.thin_steps(frame, 400)
    assert len(thin) <= 420
    assert thin.iloc[-1].equals(frame.iloc[-1]) and thin.iloc[0].equals(frame.iloc[0])


def test_every_chart_builds_a_valid_spec(sample: dict) -> None:
    snapshot, today = sample["snapshot"], sample["today"]
    labels = list(figs.goal_labels(snapshot).values())
    selection = figs.fundraising_selection(snapshot, today)
    table = figs.achievements_table(snapshot)
    runs = pd.DataFrame(
        {
            "id": [1, 2],
            "outcome": ["ok", "errors"],
            "finished_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "errors": [0, 3],
            "warnings": [1, 1],
        }
    )
    built = [
        charts.goal_bars(figs.count_by_goal(table, figs.goal_labels(snapshot)), labels),
        charts.quarter_stack(metrics.achievements_by_quarter(table, by="goal"), labels),
        charts.host_bars(figs.count_by_host(table), labels),
        charts.pace_chart(
            metrics.cumulative(selection.pledges, selection.payments),
            figs.pace_line(snapshot.settings),
            snapshot.settings.target_gbp,
            today,
        ),
        charts.funder_bars(metrics.by_funder(selection.pledges, selection.payments)),
        charts.fy_bars(metrics.by_financial_year(selection.pledges, selection.payments, 4)),
        charts.gantt(figs.secondment_bars(snapshot), labels, today),
        charts.milestones_chart(figs.milestone_points(snapshot, today), today),
        charts.concurrency_chart(
            figs.concurrency_steps(snapshot, snapshot.settings, today), 2, 5, today
        ),
        charts.errors_line(figs.errors_by_run(runs)),
    ]
    for chart in built:
        spec = chart.to_dict()  # validates against the Vega-Lite schema
        # Every tooltip says what it shows in words, and dates the UK way (never "Jan 01, 2017").
        for tip in _tooltips(spec):
            assert isinstance(tip, dict) and tip.get("title"), tip
            assert not re.search(r"[a-z]_[a-z]", tip["title"]), tip
            if tip.get("type") == "temporal":
                assert tip.get("format") == charts.DAY or tip["format"].startswith(charts.DAY)
    scale = charts.goal_scale(labels).to_dict()
    assert scale["range"][:3] == [charts.BLUE, charts.ORANGE, charts.PURPLE]


def _tooltips(spec: object) -> list[object]:
    """Every tooltip entry anywhere in a Vega-Lite spec."""
    found: list[object] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "tooltip":
                found += value if isinstance(value, list) else [value]
            else:
                found += _tooltips(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _tooltips(item)
    return found


def test_charts_do_not_import_streamlit() -> None:
    source = (Path(APP).parent / "charts.py").read_text()
    assert "streamlit" not in source.replace("No streamlit import", "")
    library = Path(APP).parents[1] / "cii_sheets" / "dashboard_figures.py"
    assert "import streamlit" not in library.read_text()
