"""The Learning and Impact tabs: validated like the others, stored, reported, in the sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import MESSY_TABS, write_workbook
from test_dashboard import app, metric, texts
from test_dashboard import listen_locally as listen_locally  # autouse: a local viewer
from test_dashboard import sample as sample  # the fixture

from cii_sheets import dashboard_figures as figs
from cii_sheets import learning_impact as li
from cii_sheets import report, schema, sync
from cii_sheets.sample import IMPACT, LEARNING, write_sample
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store
from cii_sheets.template import new_template

AS_OF = dt.date(2019, 6, 30)

LEARNING_ROWS: list[list[object]] = [
    ["Date", "Finding", "Source", "Theme", "Goal", "Evidence link"],
    ["03/09/2018", "Be clear on roles", "Learning partner", "Roles", "G1, Young Londoners", None],
    ["TBC", "A finding with no date yet", "Advisory Panel", None, None, None],
    ["12/03/2019", "", "Secondee reflection", None, None, None],
    ["14/03/2019", "Plan cover early", "Advisory Panel", None, "Civic engagment", None],
    ["15/03/2019", "Link that is not a link", "Advisory Panel", None, None, "www.example.org"],
]
IMPACT_ROWS: list[list[object]] = [
    ["Date", "Statement", "Who benefits", "Goal", "Evidence link"],
    ["03/09/2018", "Funders tested a new approach", "funders", None, None],
    ["04/09/2018", "Londoners gained", "Everyone", "G2", None],
    ["05/09/2018", "The GLA gained capacity", "the GLA", "G9", None],
]


def _messy_with(tmp_path: Path) -> Path:
    tabs = {**MESSY_TABS, "Learning": LEARNING_ROWS, "Impact": IMPACT_ROWS}
    return write_workbook(tmp_path / "book.xlsx", tabs)


def test_bad_rows_are_named_and_left_out_good_rows_kept(tmp_path: Path) -> None:
    outcome = sync.check(WorkbookSource(_messy_with(tmp_path)), AS_OF)
    validation = outcome.validation
    assert validation is not None

    found = {
        (p.tab, p.row, p.column, p.severity.value)
        for p in validation.problems
        if p.tab in ("Learning", "Impact")
    }
    assert found == {
        ("Learning", 3, "Date", "error"),
        ("Learning", 4, "Finding", "error"),
        ("Learning", 5, "Goal", "error"),
        ("Learning", 6, "Evidence link", "error"),
        ("Impact", 3, "Who benefits", "error"),
        ("Impact", 4, "Goal", "error"),
    }
    messages = {(p.tab, p.row): p.message for p in validation.problems}
    assert "Civic engagement" in messages[("Learning", 5)]  # did you mean
    assert "Londoners and communities" in messages[("Impact", 3)]  # the choices are listed
    assert "finding" in messages[("Learning", 4)]

    learning = validation.snapshot["learning"]
    assert learning["finding"].tolist() == ["Be clear on roles"]
    assert learning["goals"].tolist() == ["G1,G2"]
    impact = validation.snapshot["impact"]
    assert impact["who_benefits"].tolist() == ["Funders"]  # any case, stored as the choice
    assert validation.left_out["Learning"] == 4
    assert validation.left_out["Impact"] == 2


def test_problems_reach_the_sync_report(tmp_path: Path) -> None:
    outcome = sync.check(WorkbookSource(_messy_with(tmp_path)), AS_OF)
    assert outcome.validation is not None
    rows = report.report_rows(outcome.validation, {"Learning": 11, "Impact": 12}, dt.datetime.now())

    def value(row: list[dict], i: int) -> object:
        cell = row[i].get("userEnteredValue", {}) if i < len(row) else {}
        return next(iter(cell.values()), None)

    ours = [r for r in rows if value(r, 1) in ("Learning", "Impact")]  # headings and blanks aside
    assert ("Learning", 5) in [(value(r, 1), value(r, 2)) for r in ours]
    assert ("Impact", 3) in [(value(r, 1), value(r, 2)) for r in ours]
    link = next(value(r, 6) for r in ours if value(r, 1) == "Impact")
    assert str(link).startswith('=HYPERLINK("#gid=12&range=C')


def test_the_tabs_are_optional(tmp_path: Path) -> None:
    outcome = sync.check(WorkbookSource(write_workbook(tmp_path / "b.xlsx", MESSY_TABS)), AS_OF)
    assert outcome.validation is not None
    assert not [p for p in outcome.validation.problems if p.tab in ("Learning", "Impact")]
    assert "Learning" not in outcome.validation.stale_tabs


def test_a_missing_required_column_keeps_the_last_good_copy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    sync.run(WorkbookSource(_messy_with(tmp_path)), url, AS_OF)
    broken = [["Date", "Finding", "Theme"], ["01/01/2019", "No source column", None]]
    path = write_workbook(
        tmp_path / "broken.xlsx", {**MESSY_TABS, "Learning": broken, "Impact": IMPACT_ROWS}
    )
    outcome = sync.run(WorkbookSource(path), url, AS_OF)
    assert outcome.validation is not None
    assert outcome.validation.stale_tabs == ["Learning"]
    with Store(url) as store:
        assert store.load_snapshot()["learning"]["finding"].tolist() == ["Be clear on roles"]


def test_sample_carries_the_2018_overview(tmp_path: Path) -> None:
    path = write_sample(tmp_path / "sample.xlsx")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    sync.run(WorkbookSource(path), url, dt.date(2026, 11, 23))
    with Store(url) as store:
        snapshot = store.load_snapshot()
    impact = snapshot["impact"]
    from_2018 = impact[impact["date"].dt.year == 2018]
    assert len(from_2018) == 5
    assert set(from_2018["who_benefits"]) == set(schema.IMPACT_BENEFICIARIES)
    learning = snapshot["learning"]
    assert len(learning) == len(LEARNING) and len(impact) == len(IMPACT)
    overview = learning[learning["date"].dt.year == 2018]
    assert len(overview) == 6 and overview["source"].str.contains("Renaisi").all()


def test_blank_template_has_both_tabs_with_a_who_benefits_dropdown() -> None:
    book = new_template()
    assert book["Learning"]["A1"].value == "Date"
    sheet = book["Impact"]
    assert [c.value for c in sheet[1]] == [c.name for c in schema.IMPACT_TAB.columns]
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("Civil society organisations" in (f or "") for f in formulas)


# --- The dashboard page ----------------------------------------------------------------------

PAGE = "views/learning_impact.py"


def test_page_lists_filters_and_searches(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"], PAGE)
    snapshot = sample["snapshot"]
    assert metric(at, "Learning findings") == str(len(snapshot["learning"]))
    assert metric(at, "Impact statements") == str(len(snapshot["impact"]))
    assert len(at.get("vega_lite_chart")) == 4
    text = texts(at)
    assert "Funders have tested a new approach to partnership with the public sector" in text

    # A goal filter and a search, both kept in the URL so the view can be shared.
    at.multiselect(key="filter_goal").select("G2").run()
    assert at.query_params["goal"] in ("G2", ["G2"])
    g2_learning = snapshot["learning"]["goals"].fillna("").str.contains("G2").sum()
    g2_impact = (snapshot["impact"]["goal_id"] == "G2").sum()
    assert metric(at, "Learning findings") == str(g2_learning)
    assert metric(at, "Impact statements") == str(g2_impact)
    at.text_input(key="filter_q").input("care leavers").run()
    assert metric(at, "Impact statements") == "1"
    assert metric(at, "Learning findings") == "0"
    assert "No findings match these filters." in texts(at)


def test_page_filters_come_from_the_url(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"], PAGE, fy="2018/19", q="Renaisi")
    learning = sample["snapshot"]["learning"]
    from_2018 = learning[learning["date"].dt.year == 2018]  # the overview's, all by Renaisi
    assert metric(at, "Learning findings") == str(len(from_2018))
    assert metric(at, "Impact statements") == "0"  # none mentions Renaisi


def test_page_on_an_empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, f"sqlite:///{tmp_path / 'empty.sqlite'}", PAGE)
    assert "No data yet" in texts(at)
    assert not at.metric


def test_learning_and_impact_tables_filter_by_goal_and_period(sample: dict) -> None:
    snapshot = sample["snapshot"]
    table = li.learning_table(snapshot, goals=["G3"])
    assert table["finding"].tolist() == [
        "Borough councils join in when a pilot comes with a ready-made toolkit"
    ]
    assert (
        table["goals"].iloc[0] == "G1 Civic engagement, G3 Diversity, social contact and identity"
    )
    year = figs.Period(dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert len(li.impact_table(snapshot, year)) == 5
    who = li.impact_counts(li.impact_table(snapshot), "who_benefits", schema.IMPACT_BENEFICIARIES)
    assert who["who_benefits"].tolist() == list(schema.IMPACT_BENEFICIARIES)
    assert who["statements"].tolist() == [4, 1, 1, 1, 1]
    by_theme = li.findings_by_year(li.learning_table(snapshot, year), "theme")
    assert by_theme.set_index("theme")["findings"].to_dict() == {
        "Conditions for success": 3,
        "Independence": 1,
        "Practicalities of secondments": 1,
        "Roles in a multi-sector collaboration": 1,
    }


def test_the_sidebar_offers_the_board_pack(sample: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app(monkeypatch, sample["url"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Board pack (PDF)" in labels
