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


def _texts(row: list[dict[str, Any]]) -> list[str]:
    return [c.get("userEnteredValue", {}).get("stringValue", "") for c in row]


def test_rows_of_the_messy_sheet_read_as_a_to_do_list() -> None:
    validation, ids = messy_validation()
    rows = report.report_rows(validation, ids, NOW)

    assert _texts(rows[0]) == ["9 things to fix, as of 30 Jun 2019 (synced 30 Jun 2019 07:05 BST)."]
    headings = [i for i, r in enumerate(rows) if len(r) > 1 and _texts(r)[1:] == [""] * 6]
    assert [_texts(rows[i])[0] for i in headings] == [
        "To fix (9)",
        "Notes: nothing to fix (1)",
        "For information: alerts for leadership (3)",
    ]
    to_fix, notes, info = headings
    assert _texts(rows[to_fix + 1]) == list(report.HEADER)
    assert _texts(rows[info + 1]) == list(report.ALERT_HEADER)
    assert "What to do" not in _texts(rows[info + 1])
    # Errors and the warning that asks for a change, by tab then row; the extra column is a note.
    fixes = [
        (r[1]["userEnteredValue"]["stringValue"], r[2]["userEnteredValue"]["numberValue"])
        for r in rows[to_fix + 2 : notes]
    ]
    assert fixes == [(p[2], p[3]) for p in MESSY_PROBLEMS if p[4] != "Contact"]
    assert [_texts(r)[0] for r in rows[notes + 2 : info]] == ["Note"]
    assert [_texts(r)[0] for r in rows[info + 2 :]] == ["Alert"] * 3
    # Each group has its own fill, on its heading and on its rows; headings are bold.
    for heading, group in zip(
        headings, (report.TO_FIX, report.NOTES, report.FOR_INFORMATION), strict=True
    ):
        fmt = rows[heading][0]["userEnteredFormat"]
        assert fmt["backgroundColor"] == report.FILLS[group] and fmt["textFormat"]["bold"]
        assert rows[heading + 2][5]["userEnteredFormat"]["backgroundColor"] == report.FILLS[group]
    assert len({json.dumps(f) for f in report.FILLS.values()}) == 3


def test_all_clear_when_only_notes_and_alerts_are_left() -> None:
    validation, _ = messy_validation()
    validation.problems[:] = [p for p in validation.problems if p.is_note]
    line = report.summary_line(validation, NOW)
    assert line == (
        "All clear: nothing to fix. 1 note and 3 alerts for information. "
        "As of 30 Jun 2019 (synced 30 Jun 2019 07:05 BST)."
    )
    validation.problems.clear()
    validation.alerts[1:] = []
    assert report.summary_line(validation, NOW).startswith(
        "All clear: nothing to fix. 1 alert for information."
    )
    validation.alerts.clear()
    assert len(report.report_rows(validation, {}, NOW)) == 1  # the first line alone


def test_one_thing_to_fix_is_singular() -> None:
    validation, _ = messy_validation()
    validation.problems[:] = [p for p in validation.problems if p.is_note or p.row == 3][:2]
    assert report.summary_line(validation, NOW).startswith("1 thing to fix, as of 30 Jun 2019")


def _ids_in(value: Any) -> set[int]:
    text = json.dumps(value)
    return {int(x) for x in re.findall(r'"sheetId": (\d+)', text)}


def test_the_batch_creates_the_tab_when_missing_and_touches_nothing_else() -> None:
    validation, ids = messy_validation()
    requests = report.sync_report_requests(validation, ids, "Europe/London", NOW)

    assert [next(iter(r)) for r in requests] == ["addSheet", "updateCells", "updateCells"]
    props = requests[0]["addSheet"]["properties"]
    assert props["sheetId"] == report.REPORT_SHEET_ID and props["title"] == "Sync report"
    assert props["gridProperties"]["frozenRowCount"] == 1
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
    one = validation.problems[1]
    validation.problems[:] = [one] * (report.MAX_ROWS + 7)
    rows = report.report_rows(validation, ids, NOW)
    assert len(rows) == 1 + 2 + report.MAX_ROWS + 1  # first line, heading, column names, cut
    assert "and 10 more" in rows[-1][5]["userEnteredValue"]["stringValue"]  # 7 + 3 alerts
