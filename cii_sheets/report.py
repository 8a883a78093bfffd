"""The Sync report written back to the spreadsheet: its rows and the one batchUpdate writing it.

Pure: from a validation to Sheets API request bodies; ``sources.google`` sends them.

Safety rules, tested: every piece of text that came from the sheet (tab names, headers, cell
values, messages quoting them) is written as ``stringValue``, so a cell holding
``=IMPORTXML(...)`` is echoed as text and never runs. The only formula is the link cell,
``=HYPERLINK("#gid=<int>&range=<A1>","Open")``, built from the tab's integer id and an address
that must match ``[A-Z]{1,3}[0-9]+``; anything else gets no link. Every request addresses the
report tab's own ``sheetId`` and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cii_sheets.problems import Alert, Problem, Severity
from cii_sheets.schema import SYNC_REPORT_TAB_NAME
from cii_sheets.validate import Validation

# The id given to the report tab when the sync has to create it, so that the later requests
# of the same batchUpdate can address it. Any int32 not already used by another tab will do.
REPORT_SHEET_ID = 1_947_160_417
HEADER = ("Severity", "Tab", "Row", "Column", "Value", "What to do", "Link")
FROZEN_ROWS = 2  # the summary line and the header row
MAX_ROWS = 5000  # problems and alerts listed; the rest are counted in a last line
DEFAULT_TIMEZONE = "Europe/London"

_A1 = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}")

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


def summary_line(validation: Validation, now: dt.datetime) -> str:
    errors, warnings = len(validation.errors), len(validation.warnings)
    alerts = len(validation.alerts)
    when = f"{now.day} {now:%b %Y %H:%M} ({now.tzname() or DEFAULT_TIMEZONE})"
    counts = (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
        f"{alerts} alert{'s' * (alerts != 1)}"
    )
    line = f"Last sync {when}: {counts}."
    if not validation.problems:
        line = f"All clear: nothing to fix. {line}"
    else:
        line += " Fix the cells listed below (Open goes to the cell); the next sync checks again."
    if validation.stale_tabs:
        line += " Kept the last good copy of: " + ", ".join(validation.stale_tabs) + "."
    return line


def problem_row(problem: Problem, sheet_id: int | None) -> Row:
    severity = "Error" if problem.severity is Severity.ERROR else "Warning"
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


def alert_row(alert: Alert, sheet_id: int | None) -> Row:
    a1 = f"A{alert.row}" if isinstance(alert.row, int) else "A1"
    return [
        text("Alert"),
        text(alert.tab),
        _row_number(alert.row),
        text(""),
        text(""),
        text(alert.message),
        _link(sheet_id, a1) if sheet_id is not None else {},
    ]


def report_rows(
    validation: Validation, sheet_ids: Mapping[str, int | None], now: dt.datetime
) -> list[Row]:
    """The report's rows: the summary line, the header, one row per problem then per alert."""
    ids = {title: sid for title, sid in sheet_ids.items() if not is_report_title(title)}
    rows: list[Row] = [[text(summary_line(validation, now))], [bold(h) for h in HEADER]]
    items: list[Row] = [problem_row(p, ids.get(p.tab)) for p in validation.problems]
    items += [alert_row(a, ids.get(a.tab)) for a in validation.alerts]
    if len(items) > MAX_ROWS:
        rest = len(items) - MAX_ROWS
        items = items[:MAX_ROWS]
        items.append(
            [
                text(""),
                text(""),
                {},
                text(""),
                text(""),
                text(f"… and {rest} more. Run `cii-sheets check` for the full list."),
            ]
        )
    return rows + items


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
                "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
            }
        },
    ]
    return requests


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)
