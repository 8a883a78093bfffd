"""The core issue's end-to-end expectations on a deliberately messy workbook."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import MESSY_ALERTS, MESSY_AS_OF, MESSY_FIGURES, MESSY_PROBLEMS

from cii_sheets import sync
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store


def test_check_reports_exactly_the_messy_problems_and_figures(messy_workbook: Path) -> None:
    outcome = sync.check(WorkbookSource(messy_workbook), MESSY_AS_OF)

    assert outcome.validation is not None and outcome.figures is not None
    found = [(p.severity, p.code, p.tab, p.row, p.column) for p in outcome.validation.problems]
    assert found == MESSY_PROBLEMS
    assert outcome.figures.to_dict() == MESSY_FIGURES
    alerts = [(a.code, a.tab, a.row) for a in outcome.validation.alerts]
    assert alerts == MESSY_ALERTS
    assert outcome.exit_code == sync.EXIT_DATA_ERRORS


def test_messages_name_the_value_and_what_to_write(messy_workbook: Path) -> None:
    outcome = sync.check(WorkbookSource(messy_workbook), MESSY_AS_OF)
    assert outcome.validation is not None
    by_place = {(p.tab, p.row, p.column): p for p in outcome.validation.problems}

    money = by_place[("Pledges", 3, "Amount £")]
    assert money.value == "ten k"
    assert "25000" in money.message and "'ten k'" in money.message
    assert "31 February 2018" in by_place[("Pledges", 5, "Date Pledged")].message
    assert "row 2" in by_place[("Pledges", 7, "pledge id")].message
    assert "Civic engagement" in by_place[("Achievements", 2, "Goal")].message
    assert by_place[("Payments", 3, "Pledge ID")].cell == "A3"
    assert by_place[("Pledges", 3, "Amount £")].cell == "C3"
    assert by_place[("Pledges", 1, "Contact")].cell == "G1"  # the header cell of that column
    for problem in outcome.validation.problems:
        for jargon in ("NaN", "nan", "None", "dtype", "parse", "regex", "Traceback"):
            assert jargon not in problem.message, (jargon, problem.message)


def test_sync_stores_the_good_rows_with_the_same_figures(
    messy_workbook: Path, store_url: str, open_store: Callable[[str], Store]
) -> None:
    url = store_url
    outcome = sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF)

    assert outcome.figures is not None and outcome.figures.to_dict() == MESSY_FIGURES
    store = open_store(url)
    snapshot = store.load_snapshot()
    assert sorted(snapshot["pledges"]["pledge_id"]) == ["P001", "P004", "P006"]
    # Case typed differently is stored in the spelling of the Funders tab.
    assert "Unbound Philanthropy" in set(snapshot["pledges"]["funder"])
    assert snapshot["pledges"].set_index("pledge_id").loc["P001", "sheet_row"] == 2
    goals = snapshot["secondment_goals"]
    assert sorted(goals[goals["secondment_id"] == "S02"]["goal_id"]) == ["G2", "G3"]
    run = store.latest_run()
    assert run is not None and run["outcome"] == "errors" and run["errors"] == 8
    assert len(store.problems(run["id"])) == len(MESSY_PROBLEMS)
    assert len(store.alerts(run["id"])) == len(MESSY_ALERTS)
