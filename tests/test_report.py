"""The Sync report's rows and request body (pure): text stays text, links are built safely."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import MESSY_AS_OF, MESSY_PROBLEMS, MESSY_TABS

from cii_sheets import report
from cii_sheets.problems import Code, Problem, Severity
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.validate import Validation, validate

NOW = dt.datetime(2019, 6, 30, 7, 5, tzinfo=ZoneInfo("Europe/London"))


def messy_validation() -> tuple[Validation, dict[str, int | None]]:
    tabs = []
    for i, (title, rows) in enumerate(MESSY_TABS.items()):
        body = rows[1:]
        numbers = [
            n for n, row in enumerate(body, start=2) if any(v not in (None, "") for v in row)
        ]
        tabs.append(
            RawTab(title, rows[0], [body[n - 2] for n in numbers], numbers, sheet_id=100 + i)
        )
    raw = RawSpreadsheet("test", tabs)
    return validate(raw, MESSY_AS_OF), {t.title: t.sheet_id for t in tabs}


@pytest.mark.parametrize(
    ("sheet_id", "a1", "expected"),
    [
        (0, "A1", '=HYPERLINK("#gid=0&range=A1","Open")'),
        (123456, "AB12", '=HYPERLINK("#gid=123456&range=AB12","Open")'),
        (True, "A1", None),  # a bool is not a tab id
        ("123", "A1", None),
        (-1, "A1", None),
        (1, "a1", None),
        (1, "A0", None),
        (1, 'A1","x")&IMPORTXML("http://x","//a', None),
        (1, "A1\n", None),
        (1, None, None),
    ],
)
def test_links_only_from_an_integer_id_and_a_plain_address(
    sheet_id: object, a1: object, expected: str | None
) -> None:
    assert report.link_formula(sheet_id, a1) == expected


def test_every_sheet_derived_text_is_a_string_and_only_links_are_formulas() -> None:
    problem = Problem(
        Severity.ERROR,
        Code.TYPE_ERROR,
        "=Pledges",
        3,
        '=IMPORTXML("http://x","//a")',
        '=IMPORTXML("http://x","//a")',
        'You entered \'=IMPORTXML("http://x","//a")\'.',
        "C3",
    )
    row = report.problem_row(problem, 7)
    kinds = [next(iter(c.get("userEnteredValue", {"none": 0}))) for c in row]
    assert kinds == [
        "stringValue",
        "stringValue",
        "numberValue",
        "stringValue",
        "stringValue",
        "stringValue",
        "formulaValue",
    ]
    assert row[4]["userEnteredValue"]["stringValue"] == '=IMPORTXML("http://x","//a")'
    assert row[6]["userEnteredValue"]["formulaValue"] == '=HYPERLINK("#gid=7&range=C3","Open")'
    # A tab the spreadsheet does not have (missing-tab) gets no link at all.
    assert report.problem_row(problem, None)[6] == {}


def test_rows_of_the_messy_sheet() -> None:
    validation, ids = messy_validation()
    rows = report.report_rows(validation, ids, NOW)

    summary = rows[0][0]["userEnteredValue"]["stringValue"]
    assert summary.startswith("Last sync 30 Jun 2019 07:05 (BST): 8 errors, 2 warnings, 3 alerts.")
    assert [c["userEnteredValue"]["stringValue"] for c in rows[1]] == list(report.HEADER)
    assert all(c["userEnteredFormat"]["textFormat"]["bold"] for c in rows[1])
    assert len(rows) == 2 + len(MESSY_PROBLEMS) + 3
    tabs = [r[1]["userEnteredValue"]["stringValue"] for r in rows[2:]]
    assert tabs[: len(MESSY_PROBLEMS)] == [p[2] for p in MESSY_PROBLEMS]
    band = rows[-1]  # secondments outside the band: no row, so the link opens the tab's A1
    assert band[0]["userEnteredValue"]["stringValue"] == "Alert" and band[2] == {}
    assert band[6]["userEnteredValue"]["formulaValue"].endswith('range=A1","Open")')


def test_all_clear_when_nothing_to_fix() -> None:
    validation, _ = messy_validation()
    validation.problems.clear()
    validation.alerts.clear()
    line = report.summary_line(validation, NOW)
    assert line.startswith("All clear: nothing to fix. Last sync 30 Jun 2019 07:05")
    assert "0 errors, 0 warnings, 0 alerts" in line


def _ids_in(value: Any) -> set[int]:
    text = json.dumps(value)
    return {int(x) for x in re.findall(r'"sheetId": (\d+)', text)}


def test_the_batch_creates_the_tab_when_missing_and_touches_nothing_else() -> None:
    validation, ids = messy_validation()
    requests = report.sync_report_requests(validation, ids, "Europe/London", NOW)

    assert [next(iter(r)) for r in requests] == ["addSheet", "updateCells", "updateCells"]
    props = requests[0]["addSheet"]["properties"]
    assert props["sheetId"] == report.REPORT_SHEET_ID and props["title"] == "Sync report"
    assert props["gridProperties"]["frozenRowCount"] == 2
    assert props["gridProperties"]["rowCount"] > len(requests[2]["updateCells"]["rows"])
    assert _ids_in(requests) == {report.REPORT_SHEET_ID}
    assert requests[1]["updateCells"]["range"] == {"sheetId": report.REPORT_SHEET_ID}


def test_an_existing_report_tab_is_reused_whatever_its_case() -> None:
    validation, ids = messy_validation()
    ids = {**ids, "SYNC REPORT": 42}
    requests = report.sync_report_requests(validation, ids, None, NOW)
    assert next(iter(requests[0])) == "updateSheetProperties"
    assert _ids_in(requests) == {42}


def test_the_fixed_id_steps_aside_for_a_tab_that_has_it() -> None:
    assert report.new_sheet_id({report.REPORT_SHEET_ID}) == report.REPORT_SHEET_ID + 1
    assert report.new_sheet_id({2**31 - 1}, 2**31 - 1) == 0


def test_a_very_long_report_is_cut_with_a_count() -> None:
    validation, ids = messy_validation()
    one = validation.problems[0]
    validation.problems[:] = [one] * (report.MAX_ROWS + 7)
    rows = report.report_rows(validation, ids, NOW)
    assert len(rows) == 2 + report.MAX_ROWS + 1
    assert "and 10 more" in rows[-1][5]["userEnteredValue"]["stringValue"]  # 7 + 3 alerts
