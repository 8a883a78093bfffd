"""Several sources, one programme: the messy programme split across two workbooks and across two
fake Google spreadsheets gives the same problems (each with the right source) and figures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MESSY_ALERTS, MESSY_AS_OF, MESSY_FIGURES, MESSY_PROBLEMS, MESSY_TABS
from conftest import write_workbook as write
from fake_sheets import Worlds, fake_worlds
from test_dashboard import listen_locally as listen_locally  # autouse: a local viewer

from cii_sheets import cli, config, notify, sheet_setup, sources, sync
from cii_sheets.sources.several import SeveralSources
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store
from cii_sheets.writeback import ReportWriter

# Finance keeps the money and the goals list; the programme team the people and their work.
# Achievements' goals and pledges' payments are checked across the two.
FINANCE_TABS = ("Goals", "Funders", "Pledges", "Payments")
PROGRAMME_TABS = ("Secondments", "Milestones", "Achievements")
FINANCE_KEY = "1FinanceSpreadsheetKey_abcdefghijklmnop"
PROGRAMME_KEY = "1ProgrammeSpreadsheetKey_abcdefghijklm"


def split(names: tuple[str, ...]) -> dict[str, list[list[object]]]:
    return {name: MESSY_TABS[name] for name in names}


def problems(outcome: sync.Outcome) -> list[tuple[object, ...]]:
    assert outcome.validation is not None, outcome.error
    return [(p.severity, p.code, p.tab, p.row, p.column) for p in outcome.validation.problems]


def sources_of(outcome: sync.Outcome) -> dict[str, set[str | None]]:
    """Tab -> the sources its problems and alerts name."""
    assert outcome.validation is not None
    found: dict[str, set[str | None]] = {}
    for item in [*outcome.validation.problems, *outcome.validation.alerts]:
        found.setdefault(item.tab, set()).add(item.source)
    return found


def expected_sources(finance: str, programme: str) -> dict[str, set[str | None]]:
    tabs = {p[2] for p in MESSY_PROBLEMS} | {a[1] for a in MESSY_ALERTS}
    return {t: {finance if t in FINANCE_TABS else programme} for t in tabs}


@pytest.fixture
def two_workbooks(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write(tmp_path / "finance.xlsx", split(FINANCE_TABS)),
        write(tmp_path / "programme.xlsx", split(PROGRAMME_TABS)),
    )


def test_two_workbooks_give_the_single_workbooks_problems_and_figures(
    two_workbooks: tuple[Path, Path],
) -> None:
    finance, programme = two_workbooks
    outcome = sync.check(
        SeveralSources([WorkbookSource(finance), WorkbookSource(programme)]), MESSY_AS_OF
    )

    assert problems(outcome) == MESSY_PROBLEMS
    assert outcome.figures is not None and outcome.figures.to_dict() == MESSY_FIGURES
    assert outcome.validation is not None
    assert [(a.code, a.tab, a.row) for a in outcome.validation.alerts] == MESSY_ALERTS
    assert sources_of(outcome) == expected_sources(f"workbook {finance}", f"workbook {programme}")
    assert outcome.exit_code == sync.EXIT_DATA_ERRORS


def test_the_configuration_lists_sources_and_the_cli_mixes_them(
    two_workbooks: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    finance, programme = two_workbooks
    toml = tmp_path / "cii.toml"
    toml.write_text(f"sources = [{json.dumps(str(finance))}, {json.dumps(str(programme))}]\n")
    loaded = config.load(toml, environ={})
    assert loaded.source_entries() == [("workbook", str(finance)), ("workbook", str(programme))]
    spaced = config.load(environ={"CII_WORKBOOK": f"{finance} {programme}"})
    assert spaced.workbook == (str(finance), str(programme))
    assert isinstance(sources.from_config(spaced), SeveralSources)

    args = ["check", "--workbook", str(finance), "--workbook", str(programme)]
    code = cli.main([*args, "--as-of", "2019-06-30", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert code == sync.EXIT_DATA_ERRORS
    assert [s["source"] for s in body["sources"]] == [
        f"workbook {finance}",
        f"workbook {programme}",
    ]
    by_tab = {p["tab"]: p["source"] for p in body["problems"]}
    assert by_tab["Payments"] == f"workbook {finance}"
    assert by_tab["Achievements"] == f"workbook {programme}"
    assert body["figures"] == MESSY_FIGURES


def test_a_tab_in_both_sources_is_an_error_naming_both_and_keeps_its_last_good_rows(
    two_workbooks: tuple[Path, Path], tmp_path: Path
) -> None:
    finance, programme = two_workbooks
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    both = SeveralSources([WorkbookSource(finance), WorkbookSource(programme)])
    first = sync.run(both, url, MESSY_AS_OF)
    assert first.run_id is not None

    # Someone copies the Pledges tab (renamed, with one row fewer) into the programme workbook.
    write(programme, {**split(PROGRAMME_TABS), "pledges": MESSY_TABS["Pledges"][:3]})
    second = sync.run(both, url, MESSY_AS_OF)

    assert second.validation is not None
    clashes = [p for p in second.validation.problems if p.code == "tab-in-two-sources"]
    assert [(p.severity, p.tab, p.source) for p in clashes] == [
        ("error", "Pledges", f"workbook {finance}"),
        ("error", "pledges", f"workbook {programme}"),
    ]
    for p in clashes:
        assert f"'Pledges' tab of workbook {finance}" in p.message
        assert f"'pledges' tab of workbook {programme}" in p.message
    assert second.validation.stale_tabs == ["Pledges"]
    # No other problem is reported on Pledges: neither copy is read.
    assert not [p for p in second.validation.problems if p.tab == "Pledges" and p not in clashes]
    store = Store(url)
    try:
        assert len(store.load_snapshot().tables["pledges"]) == 3  # the last good rows
        tabs = store.tabs().set_index("tab")
        assert bool(tabs.loc["Pledges", "stale"])
        assert tabs.loc["Payments", "source"] == f"workbook {finance}"
        assert tabs.loc["Achievements", "source"] == f"workbook {programme}"
    finally:
        store.dispose()
    assert second.figures is not None
    assert second.figures.pledged_gbp == MESSY_FIGURES["pledged_gbp"]


def test_a_required_tab_in_no_source_is_reported_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xlsx", split(("Goals", "Funders", "Payments")))
    b = write(tmp_path / "b.xlsx", split(PROGRAMME_TABS))
    outcome = sync.check(SeveralSources([WorkbookSource(a), WorkbookSource(b)]), MESSY_AS_OF)
    assert outcome.validation is not None
    missing = [p for p in outcome.validation.problems if p.code == "missing-tab"]
    assert [(p.tab, p.source) for p in missing] == [("Pledges", None)]
    assert missing[0].message.startswith("None of the 2 sources has a 'Pledges' tab.")


# --- Google ---------------------------------------------------------------------------------


@pytest.fixture
def worlds(tmp_path: Path) -> Any:
    spreadsheets = {FINANCE_KEY: split(FINANCE_TABS), PROGRAMME_KEY: split(PROGRAMME_TABS)}
    with fake_worlds(tmp_path, spreadsheets) as w:
        yield w


def report_rows(worlds: Worlds, index: int) -> list[list[Any]]:
    return worlds.fakes[index].sheet("Sync report").values()


def test_two_spreadsheets_one_read_and_one_write_each_reports_their_own_tabs(
    worlds: Worlds, tmp_path: Path
) -> None:
    source = worlds.source()
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))

    assert problems(outcome) == MESSY_PROBLEMS
    assert outcome.figures is not None and outcome.figures.to_dict() == MESSY_FIGURES
    finance, programme = (f"Google spreadsheet {k}" for k in (FINANCE_KEY, PROGRAMME_KEY))
    assert sources_of(outcome) == expected_sources(finance, programme)
    assert worlds.requests() == {FINANCE_KEY: ["read", "write"], PROGRAMME_KEY: ["read", "write"]}
    assert outcome.api_requests == 2

    for index, own in ((0, FINANCE_TABS), (1, PROGRAMME_TABS)):
        fake = worlds.fakes[index]
        listed = [row for row in fake.sheet("Sync report").row_data()[1:]]
        tabs = set()
        for row in listed:
            cells = row.get("values", [])
            if len(cells) < 7:
                continue
            tab = cells[1].get("userEnteredValue", {}).get("stringValue")
            if tab in MESSY_TABS:
                tabs.add(tab)
                formula = cells[6].get("userEnteredValue", {}).get("formulaValue", "")
                # Each link opens the tab in this very spreadsheet.
                assert f"#gid={fake.sheet(tab).sheet_id}&" in formula, (tab, formula)
        expected = {p[2] for p in MESSY_PROBLEMS} | {a[1] for a in MESSY_ALERTS}
        assert tabs == expected & set(own)

    store = Store(url)
    try:
        run = store.latest_run()
        assert run is not None and run["api_requests"] == 2
        parts = json.loads(run["sources"])
        assert [p["source"] for p in parts] == [finance, programme]
        assert parts[1]["url"] == f"https://docs.google.com/spreadsheets/d/{PROGRAMME_KEY}/edit"
        stored = store.problems(int(run["id"]))
        assert set(stored.loc[stored["tab"] == "Achievements", "source"]) == {programme}
        link = notify.report_link(run)
        assert link is not None and PROGRAMME_KEY in link and FINANCE_KEY in link
    finally:
        store.dispose()


def test_one_spreadsheet_not_shared_the_other_still_synced(
    worlds: Worlds, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    args = ["sync", "--credentials", str(worlds.key_file), "--store", url, "--as-of", "2019-06-30"]
    for key in (FINANCE_KEY, PROGRAMME_KEY):
        args += ["--spreadsheet", key]
    assert cli.main(args) == sync.EXIT_DATA_ERRORS
    capsys.readouterr()
    for fake in worlds.fakes:
        fake.log.clear()

    # The programme team stops sharing its spreadsheet; finance fixes a pledge amount.
    worlds.fakes[1].shared = False
    worlds.fakes[0].sheet("Pledges").cells[(2, 2)] = {
        "userEnteredValue": {"numberValue": 10000},
        "effectiveValue": {"numberValue": 10000},
    }
    code = cli.main(args)
    out, err = capsys.readouterr()

    assert code == sync.EXIT_PARTIAL == 3
    lines = [line for line in err.splitlines() if line.startswith("cii-sheets:")]
    assert len(lines) == 1
    assert f"could not read Google spreadsheet {PROGRAMME_KEY}" in lines[0]
    assert "not shared with the service account" in lines[0]
    # One read each; only the spreadsheet that was read gets its report.
    assert worlds.requests() == {FINANCE_KEY: ["read", "write"], PROGRAMME_KEY: ["read"]}

    store = Store(url)
    try:
        tabs = store.tabs().set_index("tab")
        assert {t for t in tabs.index if tabs.loc[t, "stale"]} == set(PROGRAMME_TABS)
        snapshot = store.load_snapshot()
        assert len(snapshot.tables["achievements"]) == 2  # the last good rows
        assert len(snapshot.tables["pledges"]) == 3 + 1  # the fixed P002 is in now
        run = store.latest_run()
        assert run is not None and run["outcome"] == "errors"
        stored = store.problems(int(run["id"]))
        unread = stored[stored["code"] == "source-unreadable"]
        assert sorted(unread["tab"]) == sorted(PROGRAMME_TABS)
        assert set(unread["source"]) == {f"Google spreadsheet {PROGRAMME_KEY}"}
        assert all(f"Google spreadsheet {PROGRAMME_KEY}" in m for m in unread["message"])
    finally:
        store.dispose()
    assert "Could not read Google spreadsheet" in out


def test_no_spreadsheet_readable_is_a_failed_run(worlds: Worlds, tmp_path: Path) -> None:
    for fake in worlds.fakes:
        fake.shared = False
    outcome = sync.run(worlds.source(), f"sqlite:///{tmp_path / 'c.sqlite'}", MESSY_AS_OF)
    assert outcome.exit_code == sync.EXIT_FAILED
    assert outcome.error is not None and "No source could be read" in outcome.error
    assert FINANCE_KEY in outcome.error and PROGRAMME_KEY in outcome.error
    assert worlds.requests() == {FINANCE_KEY: ["read"], PROGRAMME_KEY: ["read"]}


def test_a_google_spreadsheet_and_a_workbook_mixed(worlds: Worlds, tmp_path: Path) -> None:
    programme = write(tmp_path / "programme.xlsx", split(PROGRAMME_TABS))
    google = worlds.source([FINANCE_KEY]).sources[0]
    source = SeveralSources([google, WorkbookSource(programme)])
    outcome = sync.run(
        source,
        f"sqlite:///{tmp_path / 'c.sqlite'}",
        MESSY_AS_OF,
        after_store=(ReportWriter(source),),
    )
    assert problems(outcome) == MESSY_PROBLEMS
    assert worlds.requests()[FINANCE_KEY] == ["read", "write"]
    values = report_rows(worlds, 0)
    listed = {row[1] for row in values if len(row) > 1}
    assert "Pledges" in listed and "Achievements" not in listed


def test_notifications_name_each_problems_source(worlds: Worlds, tmp_path: Path) -> None:
    outcome = sync.run(worlds.source(), f"sqlite:///{tmp_path / 'c.sqlite'}", MESSY_AS_OF)
    note = notify.digest(outcome, None, None)
    assert f"Achievements (Google spreadsheet {PROGRAMME_KEY}):" in note.body
    assert f"Payments (Google spreadsheet {FINANCE_KEY}):" in note.body


def test_init_sheet_sets_up_only_the_tabs_asked_for(tmp_path: Path) -> None:
    with fake_worlds(tmp_path, {FINANCE_KEY: {"Sheet1": []}}) as worlds:
        google = worlds.source().sources[0]
        tabs = sheet_setup.tab_names("pledges, Payments,FUNDERS")
        assert tabs == ["Pledges", "Payments", "Funders"]
        changes = sheet_setup.set_up(google.client, google.key, tabs)
        fake = worlds.fakes[0]
        assert {s.title for s in fake.sheets} == {
            "Sheet1",
            "Funders",
            "Pledges",
            "Payments",
            "Sync report",
        }
        assert any("Pledges" in c for c in changes)
        assert sheet_setup.set_up(google.client, google.key, tabs) == []  # again: nothing to do
        assert worlds.requests()[FINANCE_KEY] == ["read", "write", "read"]
    with pytest.raises(Exception, match="'Pledgez' in --tabs is not a tab of the contract"):
        sheet_setup.tab_names("Pledgez")


def test_an_old_store_gains_the_source_columns(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    Store(url).dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as a store made before sources were recorded
        for table, column in (("problems", "source"), ("tabs", "source"), ("sync_runs", "sources")):
            conn.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
    engine.dispose()
    book = write(tmp_path / "messy.xlsx", MESSY_TABS)
    outcome = sync.run(WorkbookSource(book), url, dt.date(2019, 6, 30))
    assert outcome.error is None and outcome.run_id is not None
    store = Store(url)
    try:
        assert set(store.problems(outcome.run_id)["source"]) == {f"workbook {book}"}
    finally:
        store.dispose()


def test_the_watch_reads_every_spreadsheet_and_writes_each_report_only_on_a_change(
    worlds: Worlds, tmp_path: Path
) -> None:
    from cii_sheets.watch import Watch

    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    seen: list[dict[str, list[str]]] = []

    def wait(seconds: float) -> bool:
        worlds.clock.sleep(seconds)
        seen.append(worlds.requests())
        if len(seen) == 2:  # finance fixes P002's amount ('ten k') between looks 2 and 3
            worlds.fakes[0].sheet("Pledges").cells[(2, 2)] = {
                "userEnteredValue": {"numberValue": 10000},
                "effectiveValue": {"numberValue": 10000},
            }
        return len(seen) >= 3

    Watch(worlds.source(), url, interval=60, today=lambda: MESSY_AS_OF, wait=wait).run()

    both = (FINANCE_KEY, PROGRAMME_KEY)
    # Look 1 syncs (a read and a report each); look 2 is unchanged (a read each, no write);
    # look 3 sees the fix and writes both reports again.
    assert [[s[k].count("read") for k in both] for s in seen] == [[1, 1], [2, 2], [3, 3]]
    assert [[s[k].count("write") for k in both] for s in seen] == [[1, 1], [1, 1], [2, 2]]
    values = json.dumps(worlds.fakes[0].sheet("Sync report").values())
    assert "ten k" not in values and "Achievements" not in values


def test_the_watch_does_not_sync_again_while_its_spreadsheet_stays_unreadable(
    worlds: Worlds, tmp_path: Path
) -> None:
    from cii_sheets.store import Store
    from cii_sheets.watch import Watch

    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    programme = write(tmp_path / "programme.xlsx", split(PROGRAMME_TABS))
    google = worlds.source([FINANCE_KEY]).sources[0]
    worlds.fakes[0].shared = False  # finance's spreadsheet cannot be read; the workbook can
    seen: list[dict[str, list[str]]] = []

    def wait(seconds: float) -> bool:
        worlds.clock.sleep(seconds)
        seen.append(worlds.requests())
        return len(seen) >= 3

    source = SeveralSources([google, WorkbookSource(programme)])
    Watch(source, url, interval=60, today=lambda: MESSY_AS_OF, wait=wait).run()

    # Look 1 stores the partial run; no Sync report is due (the only spreadsheet was not read),
    # so the later looks, seeing nothing new, neither store nor notify again.
    assert [s[FINANCE_KEY].count("write") for s in seen] == [0, 0, 0]
    with Store(url) as store:
        assert len(store.runs()) == 1


def test_the_data_quality_page_links_each_problem_into_its_spreadsheet(
    worlds: Worlds, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_dashboard import PAGES, app

    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    assert sync.run(worlds.source(), url, MESSY_AS_OF).run_id == 1
    at = app(monkeypatch, url, PAGES["Data quality"])

    table = next(d.value for d in at.dataframe if "What to do" in d.value)
    assert len(table) == len(MESSY_PROBLEMS)
    for tab, source, link in zip(table["Tab"], table["Source"], table["Cell"], strict=True):
        key = FINANCE_KEY if tab in FINANCE_TABS else PROGRAMME_KEY
        fake = worlds.fakes[0 if key == FINANCE_KEY else 1]
        assert source == f"Google spreadsheet {key}"
        assert link.startswith(f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=")
        assert f"#gid={fake.sheet(tab).sheet_id}&" in link
