"""The Sync report written back to the spreadsheet: its rows and the one batchUpdate writing it.

Pure: from a validation to Sheets API request bodies; ``sources.google`` sends them.

The report reads as a to-do list. Its first line is "All clear: nothing to fix." or "19 things to
fix", with the date the checks were worked out for. Then up to three groups, each opened by a
heading row and its column names in the group's fill colour: "To fix" (errors, and warnings that
ask for a change, by tab then row), "Notes: nothing to fix" (warnings that ask for nothing) and
"For information: alerts for leadership". Values, formats and fills go in the same single
batchUpdate.

Safety rules, tested: every piece of text that came from the sheet (tab names, headers, cell
values, messages quoting them) is written as ``stringValue``, so a cell holding
``=IMPORTXML(...)`` is echoed as text and never runs. The only formula is the link cell,
``=HYPERLINK("#gid=<int>&range=<A1>","Open")``, built from the tab's integer id and an address
that must be a plain cell or range (``C5``, ``B6:B7``); anything else gets no link. Every
request addresses the report tab's own ``sheetId`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cii_sheets.headlines import plural
from cii_sheets.problems import Alert, Problem, Severity
from cii_sheets.schema import SYNC_REPORT_TAB_NAME
from cii_sheets.validate import Validation

# The id given to the report tab when the sync has to create it, so that the later requests
# of the same batchUpdate can address it. Any int32 not already used by another tab will do.
REPORT_SHEET_ID = 1_947_160_417
HEADER = ("Severity", "Tab", "Row", "Column", "Value", "What to do", "Link")
FROZEN_ROWS = 1  # the first line; each group below has its own heading and column names
MAX_ROWS = 5000  # problems and alerts listed; the rest are counted in a last line
DEFAULT_TIMEZONE = "Europe/London"

_CELL = r"[A-Z]{1,3}[1-9][0-9]{0,6}"
_A1 = re.compile(rf"{_CELL}(?::{_CELL})?")  # a cell, or a range of cells such as B6:B7

Row = list[dict[str, Any]]


def is_report_title(title: str) -> bool:
    """Google Sheets keeps tab titles unique regardless of case."""
    return title.strip().casefold() == SYNC_REPORT_TAB_NAME.casefold()


def report_sheet_id(sheet_ids: Mapping[str, int | None]) -> int | None:
    """The existing report tab's id, or None when the spreadsheet has none."""
    for title, sheet_id in sheet_ids.items():
        if is_report_title(title) and isinstance(sheet_id, int):
            return sheet_id
    return None


def new_sheet_id(taken: set[int], wanted: int = REPORT_SHEET_ID) -> int:
    """``wanted``, or the next id after it that no tab uses."""
    while wanted in taken:
        wanted = (wanted + 1) % 2**31
    return wanted


# --- cells --------------------------------------------------------------------------------------


def text(value: object) -> dict[str, Any]:
    """A cell whose content is always shown as written, even when it starts with '='."""
    return {"userEnteredValue": {"stringValue": "" if value is None else str(value)}}


def number(value: int) -> dict[str, Any]:
    return {"userEnteredValue": {"numberValue": value}}


def bold(value: str) -> dict[str, Any]:
    return {**text(value), "userEnteredFormat": {"textFormat": {"bold": True}}}


def link_formula(sheet_id: object, a1: object) -> str | None:
    """``=HYPERLINK("#gid=123&range=C5","Open")``, or None unless both parts are safe."""
    if type(sheet_id) is not int or sheet_id < 0:
        return None
    if not isinstance(a1, str) or not _A1.fullmatch(a1):
        return None
    return f'=HYPERLINK("#gid={sheet_id}&range={a1}","Open")'


def _link(sheet_id: object, a1: object) -> dict[str, Any]:
    formula = link_formula(sheet_id, a1)
    return {"userEnteredValue": {"formulaValue": formula}} if formula else {}


def _row_number(row: int | None) -> dict[str, Any]:
    return number(row) if isinstance(row, int) else {}


# --- rows ---------------------------------------------------------------------------------------

# Each group of the to-do list is told apart by words, a heading row and a fill colour (pale
# enough for black text to read well, and not the only cue, for colour-blind readers).
TO_FIX = "To fix"
NOTES = "Notes: nothing to fix"
FOR_INFORMATION = "For information: alerts for leadership"
ALERT_HEADER = ("Alert", "Tab", "Row", "Column", "", "For information", "Link")
FILLS = {
    TO_FIX: {"red": 0.98, "green": 0.82, "blue": 0.80},
    NOTES: {"red": 0.93, "green": 0.93, "blue": 0.93},
    FOR_INFORMATION: {"red": 0.81, "green": 0.89, "blue": 0.97},
}


def to_fix_counts(validation: Validation) -> str:
    """What is to fix, in words: "5 errors and 1 warning"; "nothing" when all is clear."""
    to_fix = [p for p in validation.problems if not p.is_note]
    errors = sum(p.severity is Severity.ERROR for p in to_fix)
    parts = [plural(n, w) for n, w in ((errors, "error"), (len(to_fix) - errors, "warning")) if n]
    return " and ".join(parts) or "nothing"


def summary_line(validation: Validation, now: dt.datetime) -> str:
    """The first line: "All clear: nothing to fix." or "19 things to fix", then the date."""
    to_fix = [p for p in validation.problems if not p.is_note]
    notes = len(validation.problems) - len(to_fix)
    alerts = len(validation.alerts)
    as_of = f"{validation.as_of.day} {validation.as_of:%b %Y}"
    when = f"synced {now.day} {now:%b %Y %H:%M} {now.tzname() or DEFAULT_TIMEZONE}"
    if to_fix:
        line = f"{plural(len(to_fix), 'thing')} to fix, as of {as_of} ({when})."
    else:
        extra = [plural(n, w) for n, w in ((notes, "note"), (alerts, "alert")) if n]
        info = f" {' and '.join(extra)} for information." if extra else ""
        line = f"All clear: nothing to fix.{info} As of {as_of} ({when})."
    if validation.stale_tabs:
        line += " Kept the last good copy of: " + ", ".join(validation.stale_tabs) + "."
    return line


def problem_row(problem: Problem, sheet_id: int | None) -> Row:
    severity = (
        "Note" if problem.is_note else "Error" if problem.severity is Severity.ERROR else "Warning"
    )
    a1 = problem.cell or ("A1" if problem.row is None else None)
    return [
        text(severity),
        text(problem.tab),
        _row_number(problem.row),
        text(problem.column or ""),
        text(problem.value or ""),
        text(problem.message),
        _link(sheet_id, a1) if sheet_id is not None else {},
    ]


def alert_row(alert: Alert, sheet_ids: Mapping[str, int | None]) -> Row:
    """An alert, linked to the cell to act on (its own tab's, or the Settings rows)."""
    a1 = alert.cell or (f"A{alert.row}" if isinstance(alert.row, int) else "A1")
    sheet_id = sheet_ids.get(alert.link_tab or alert.tab)
    return [
        text("Alert"),
        text(alert.tab),
        _row_number(alert.row),
        text(""),
        text(""),
        text(alert.message),
        _link(sheet_id, a1) if sheet_id is not None else {},
    ]


def _filled(row: Row, group: str, *, heading: bool = False) -> Row:
    """A row in its group's colour; a heading row in bold too, across every column."""
    cells = row + [{}] * (len(HEADER) - len(row))
    fmt: dict[str, Any] = {"backgroundColor": FILLS[group]}
    if heading:
        fmt["textFormat"] = {"bold": True}
    return [{**cell, "userEnteredFormat": fmt} for cell in cells]


def report_rows(
    validation: Validation, sheet_ids: Mapping[str, int | None], now: dt.datetime
) -> list[Row]:
    """The report as a to-do list: the first line, then each group that has something in it.

    To fix (errors and warnings that ask for a change, by tab then row), then notes (warnings
    that ask for nothing), then alerts for leadership under their own column heading. Each group
    opens with a heading row saying what it is and how many, in the group's fill colour.
    """
    ids = {title: sid for title, sid in sheet_ids.items() if not is_report_title(title)}
    rows: list[Row] = [[bold(summary_line(validation, now))]]
    to_fix = [p for p in validation.problems if not p.is_note]
    notes = [p for p in validation.problems if p.is_note]
    groups: list[tuple[str, tuple[str, ...], list[Row]]] = [
        (TO_FIX, HEADER, [problem_row(p, ids.get(p.tab)) for p in to_fix]),
        (NOTES, HEADER, [problem_row(p, ids.get(p.tab)) for p in notes]),
        (FOR_INFORMATION, ALERT_HEADER, [alert_row(a, ids) for a in validation.alerts]),
    ]
    budget = MAX_ROWS
    left = 0
    for group, header, items in groups:
        if not items:
            continue
        if budget <= 0:
            left += len(items)
            continue
        rows.append(_filled([text(f"{group} ({len(items)})")], group, heading=True))
        rows.append(_filled([text(h) for h in header], group, heading=True))
        shown = items[:budget]
        budget -= len(shown)
        left += len(items) - len(shown)
        rows += [_filled(item, group) for item in shown]
    if left:
        rows.append(
            [
                text(""),
                text(""),
                {},
                text(""),
                text(""),
                text(f"… and {left} more. Run `cii-sheets check` for the full list."),
            ]
        )
    return rows


def sync_report_requests(
    validation: Validation,
    sheet_ids: Mapping[str, int | None],
    timezone: str | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The requests of the one batchUpdate that (creates,) clears and rewrites the report tab."""
    now = now or dt.datetime.now(_zone(timezone))
    rows = report_rows(validation, sheet_ids, now)
    grid = {
        "rowCount": len(rows) + 1,
        "columnCount": len(HEADER),
        "frozenRowCount": FROZEN_ROWS,
    }
    existing = report_sheet_id(sheet_ids)
    requests: list[dict[str, Any]] = []
    if existing is None:
        sheet_id = new_sheet_id({i for i in sheet_ids.values() if isinstance(i, int)})
        requests.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": sheet_id,
                        "title": SYNC_REPORT_TAB_NAME,
                        "gridProperties": grid,
                    }
                }
            }
        )
    else:
        sheet_id = existing
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": grid},
                    "fields": "gridProperties.rowCount,gridProperties.columnCount,"
                    "gridProperties.frozenRowCount",
                }
            }
        )
    requests += [
        {
            "updateCells": {
                "range": {"sheetId": sheet_id},
                "fields": "userEnteredValue,userEnteredFormat",
            }
        },
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": row} for row in rows],
                "fields": "userEnteredValue,userEnteredFormat.textFormat.bold,"
                "userEnteredFormat.backgroundColor",
            }
        },
    ]
    return requests


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
