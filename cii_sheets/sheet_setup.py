"""``init-sheet``: plan the requests that give a Google Spreadsheet the contract's shape.

``plan`` is pure: from one ``spreadsheets.get`` answer (``READ_FIELDS``) to the list of
batchUpdate requests still needed, so a second run plans nothing; ``set_up`` sends it through
the shared client (one read, at most one write). With several spreadsheets, each is set up for
the tabs it should hold (``--tabs``); the default is every contract tab.

What it does, from ``schema`` alone: missing contract tabs are created with their header row
(Goals and Settings with their defaults); header rows are frozen and bold; choice and reference
columns get dropdowns, date and money columns get checks, all warning-only (``strict: false``);
header rows and the Sync report tab are protected with a warning. Existing data rows are never
written: the only cells written are the header row of a new or completely empty tab.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cii_sheets import report, schema
from cii_sheets.problems import CiiSheetsError, column_letters
from cii_sheets.schema import Column, Kind, Tab

if TYPE_CHECKING:
    from cii_sheets.google_client import SheetsClient

READ_FIELDS = (
    "spreadsheetId,properties(title),"
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,range,description,warningOnly),"
    "data(startRow,startColumn,rowData(values(userEnteredValue,"
    "userEnteredFormat(textFormat(bold)),dataValidation))))"
)
NEW_TAB_ROWS = 1000
NEW_TAB_COLUMNS = 26
NEW_TAB_BASE_ID = 1_947_160_500
PROTECTION_NOTE = "cii-sheets: {what}. Edit only if you know the sync still reads it."
REPORT_NOTE = (
    "The cii-sheets tool writes this tab on every sync. Do not type here: anything typed here "
    "is replaced."
)
DATE_PATTERN = "dd/mm/yyyy"
DATE_PROMPT = "A date as day/month/year, like 01/04/2017."


@dataclass
class Plan:
    """The requests still needed, and a line for each change for the person running it."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def add(self, change: str, *requests: dict[str, Any]) -> None:
        self.requests.extend(requests)
        self.changes.append(change)


@dataclass
class _Sheet:
    """What the plan needs to know of one tab, as read (or as it will be once created)."""

    sheet_id: int
    title: str
    header: list[str]
    header_bold: list[bool]
    first_row_rules: dict[int, dict[str, Any]]  # column index -> dataValidation of row 2
    frozen: int
    protected: list[dict[str, Any]]  # normalised GridRanges
    empty: bool
    new: bool = False


def tab_names(text: str) -> list[str]:
    """``--tabs Pledges,Payments,Funders`` -> the contract tabs' names; unknown names refused."""
    names: list[str] = []
    for part in text.split(","):
        if not part.strip():
            continue
        tab = schema.match_tab(part)
        if tab is None:
            raise CiiSheetsError(
                f"'{part.strip()}' in --tabs is not a tab of the contract. Choose from: "
                + ", ".join(t.name for t in schema.TABS)
                + "."
            )
        names.append(tab.name)
    if not names:
        raise CiiSheetsError("--tabs names no tab. Give them like --tabs Pledges,Payments.")
    return list(dict.fromkeys(names))


def set_up(client: SheetsClient, key: str, tabs: Collection[str] | None = None) -> list[str]:
    """Set one spreadsheet up (tabs, headers, checks, protections); what was changed."""
    body = client.get(key, READ_FIELDS)
    result = plan(body, tabs)
    if result.requests:
        client.batch_update(key, result.requests)
    return result.changes


def plan(body: Mapping[str, Any], tabs: Collection[str] | None = None) -> Plan:
    """Everything ``init-sheet`` still has to send for this spreadsheet (nothing, if set up).

    ``tabs`` are the contract tabs this spreadsheet should hold (default: all); others are left
    alone, and a dropdown naming a tab held elsewhere is not added (a rule cannot reach into
    another spreadsheet).
    """
    wanted = [t for t in schema.TABS if tabs is None or t.name in tabs]
    result = Plan()
    sheets = [_read_sheet(s) for s in body.get("sheets") or ()]
    taken = {s.sheet_id for s in sheets}
    contract: dict[str, _Sheet] = {}
    report_sheet: _Sheet | None = None
    for sheet in sheets:
        if report.is_report_title(sheet.title):
            report_sheet = report_sheet or sheet
            continue
        tab = schema.match_tab(sheet.title)
        if tab is not None and tab in wanted and tab.name not in contract:
            contract[tab.name] = sheet

    for tab in wanted:
        if tab.name not in contract:
            sheet_id = report.new_sheet_id(taken, NEW_TAB_BASE_ID + schema.TABS.index(tab))
            taken.add(sheet_id)
            contract[tab.name] = _create_tab(result, tab, sheet_id)
        elif contract[tab.name].empty:
            _write_header(result, tab, contract[tab.name])

    if report_sheet is None:
        sheet_id = report.new_sheet_id(taken)
        taken.add(sheet_id)
        report_sheet = _create_report(result, sheet_id)

    positions = {
        name: _positions(schema.TAB_BY_NAME[name], s.header) for name, s in contract.items()
    }
    for tab in wanted:
        sheet = contract[tab.name]
        _header_look(result, sheet)
        for index, column in positions[tab.name].items():
            rule = column_rule(tab, column, contract, positions)
            if rule is not None and not same_rule(sheet.first_row_rules.get(index), rule):
                result.add(
                    f"Added a check to '{sheet.title}' column '{sheet.header[index]}'",
                    {
                        "setDataValidation": {
                            "range": {
                                "sheetId": sheet.sheet_id,
                                "startRowIndex": 1,
                                "startColumnIndex": index,
                                "endColumnIndex": index + 1,
                            },
                            "rule": rule,
                        }
                    },
                )
        _protect(result, sheet, {"startRowIndex": 0, "endRowIndex": 1}, "header row")
    _protect(result, report_sheet, {}, "the Sync report, rewritten on every sync")
    return result


# --- reading the current state ------------------------------------------------------------------


def _read_sheet(sheet: Mapping[str, Any]) -> _Sheet:
    props = sheet.get("properties", {})
    grid = props.get("gridProperties", {})
    rows: list[dict[str, Any]] = []
    for block in sheet.get("data") or ():
        if block.get("startRow", 0) == 0 and block.get("startColumn", 0) == 0:
            rows = list(block.get("rowData") or ())
            break
    header_cells = rows[0].get("values", []) if rows else []
    header = [_text(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    second = rows[1].get("values", []) if len(rows) > 1 else []
    return _Sheet(
        sheet_id=int(props.get("sheetId", 0)),
        title=str(props.get("title", "")),
        header=header,
        header_bold=[
            bool(c.get("userEnteredFormat", {}).get("textFormat", {}).get("bold"))
            for c in header_cells[: len(header)]
        ],
        first_row_rules={
            i: c["dataValidation"] for i, c in enumerate(second) if "dataValidation" in c
        },
        frozen=int(grid.get("frozenRowCount", 0)),
        protected=[_grid_range(p.get("range", {})) for p in sheet.get("protectedRanges") or ()],
        empty=not any(
            r.get("values") and any("userEnteredValue" in c for c in r["values"]) for r in rows
        ),
    )


def _text(cell: Mapping[str, Any]) -> str:
    value = cell.get("userEnteredValue") or {}
    for key in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if key in value:
            return str(value[key]).strip()
    return ""


def _grid_range(grid: Mapping[str, Any]) -> dict[str, Any]:
    """A GridRange with Google's omitted zeros filled in, for comparison."""
    return {
        "startRowIndex": grid.get("startRowIndex", 0),
        "endRowIndex": grid.get("endRowIndex"),
        "startColumnIndex": grid.get("startColumnIndex", 0),
        "endColumnIndex": grid.get("endColumnIndex"),
    }


def _positions(tab: Tab, header: list[str]) -> dict[int, Column]:
    """Header cells matched to the tab's columns as the sync matches them: names, then aliases."""
    normalised = [schema.normalise_header(h) for h in header]
    found: dict[int, Column] = {}
    for use_aliases in (False, True):
        for column in tab.columns:
            if column in found.values():
                continue
            names = (column.name, *column.aliases) if use_aliases else (column.name,)
            wanted = {schema.normalise_header(n) for n in names}
            for i, norm in enumerate(normalised):
                if norm and norm in wanted and i not in found:
                    found[i] = column
                    break
    return dict(sorted(found.items()))


# --- creating tabs ------------------------------------------------------------------------------


def _cell(value: object, *, bold: bool = False) -> dict[str, Any]:
    cell: dict[str, Any]
    if isinstance(value, dt.date):
        serial = (value - dt.date(1899, 12, 30)).days
        cell = {
            "userEnteredValue": {"numberValue": serial},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": DATE_PATTERN}},
        }
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell = {"userEnteredValue": {"numberValue": value}}
    else:
        cell = {"userEnteredValue": {"stringValue": str(value)}}
    if bold:
        cell.setdefault("userEnteredFormat", {})["textFormat"] = {"bold": True}
    return cell


def _rows_request(sheet_id: int, rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": r} for r in rows],
            "fields": "userEnteredValue,userEnteredFormat.textFormat.bold,"
            "userEnteredFormat.numberFormat",
        }
    }


def _starting_rows(tab: Tab) -> list[list[dict[str, Any]]]:
    rows = [[_cell(c.name, bold=True) for c in tab.columns]]
    if tab is schema.GOALS_TAB:
        rows += [[_cell(v) for v in goal] for goal in schema.GOAL_DEFAULTS]
    if tab is schema.SETTINGS_TAB:
        rows += [[_cell(s.name), _cell(s.default)] for s in schema.SETTINGS]
    return rows


def _create_tab(result: Plan, tab: Tab, sheet_id: int) -> _Sheet:
    defaults = " and its defaults" if tab in (schema.GOALS_TAB, schema.SETTINGS_TAB) else ""
    result.add(
        f"Created the tab '{tab.name}' with its header row{defaults}",
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": tab.name,
                    "gridProperties": {
                        "rowCount": NEW_TAB_ROWS,
                        "columnCount": max(NEW_TAB_COLUMNS, len(tab.columns)),
                        "frozenRowCount": 1,
                    },
                }
            }
        },
        _rows_request(sheet_id, _starting_rows(tab)),
    )
    header = [c.name for c in tab.columns]
    return _Sheet(sheet_id, tab.name, header, [True] * len(header), {}, 1, [], False, new=True)


def _write_header(result: Plan, tab: Tab, sheet: _Sheet) -> None:
    """An existing tab with no cells at all gets the header row (there is no data to touch)."""
    result.add(
        f"Wrote the header row of the empty tab '{sheet.title}'",
        _rows_request(sheet.sheet_id, _starting_rows(tab)[:1]),
    )
    sheet.header = [c.name for c in tab.columns]
    sheet.header_bold = [True] * len(sheet.header)
    sheet.empty = False


def _create_report(result: Plan, sheet_id: int) -> _Sheet:
    result.add(
        f"Created the tab '{schema.SYNC_REPORT_TAB_NAME}' (the sync writes it)",
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": schema.SYNC_REPORT_TAB_NAME,
                    "gridProperties": {"rowCount": 100, "columnCount": len(report.HEADER)},
                }
            }
        },
        _rows_request(sheet_id, [[_cell(REPORT_NOTE)]]),
    )
    return _Sheet(sheet_id, schema.SYNC_REPORT_TAB_NAME, [], [], {}, 0, [], False, new=True)


# --- look, checks, protection -------------------------------------------------------------------


def _header_look(result: Plan, sheet: _Sheet) -> None:
    if sheet.frozen < 1:
        result.add(
            f"Froze the header row of '{sheet.title}'",
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": sheet.sheet_id,
                        "gridProperties": {"frozenRowCount": 1},
                    },
                    "fields": "gridProperties.frozenRowCount",
                }
            },
        )
    if sheet.header and not all(sheet.header_bold):
        result.add(
            f"Made the header row of '{sheet.title}' bold",
            {
                "repeatCell": {
                    "range": {
                        "sheetId": sheet.sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": 1,
                        "startColumnIndex": 0,
                        "endColumnIndex": len(sheet.header),
                    },
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            },
        )


def _protect(result: Plan, sheet: _Sheet, grid: dict[str, Any], what: str) -> None:
    wanted = _grid_range(grid)
    if wanted in sheet.protected:
        return
    sheet.protected.append(wanted)
    change = (
        f"Protected the header row of '{sheet.title}' with a warning"
        if what == "header row"
        else f"Protected '{sheet.title}' with a warning"
    )
    result.add(
        change,
        {
            "addProtectedRange": {
                "protectedRange": {
                    "range": {"sheetId": sheet.sheet_id, **grid},
                    "description": PROTECTION_NOTE.format(what=what),
                    "warningOnly": True,
                }
            }
        },
    )


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _range_source(
    ref_tab: str,
    ref_key: str,
    contract: Mapping[str, _Sheet],
    positions: Mapping[str, dict[int, Column]],
) -> str | None:
    sheet = contract.get(ref_tab)
    if sheet is None:
        return None
    index = next((i for i, c in positions[ref_tab].items() if c.key == ref_key), None)
    if index is None:
        return None
    letter = column_letters(index)
    return f"={_quote(sheet.title)}!{letter}2:{letter}"


def column_rule(
    tab: Tab,
    column: Column,
    contract: Mapping[str, _Sheet],
    positions: Mapping[str, dict[int, Column]],
) -> dict[str, Any] | None:
    """The warning-only data validation rule a column gets, or None."""
    condition: dict[str, Any] | None = None
    message = ""
    if column.kind is Kind.CHOICE and column.choices:
        condition = {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": c} for c in column.choices],
        }
        message = "Choose one: " + ", ".join(column.choices) + "."
    elif column.kind in (Kind.GOAL, Kind.GOALS) or column.references is not None:
        ref_tab, ref_key = column.references or ("Goals", "goal_id")
        source = _range_source(ref_tab, ref_key, contract, positions)
        if source is None:
            return None
        condition = {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": source}]}
        if column.kind is Kind.GOALS:
            message = (
                "Goal IDs from the Goals tab, like G1; for several, type them separated by "
                "commas, like G1, G3 (the sheet may mark a list as not in the dropdown: the "
                "sync accepts it)."
            )
        elif column.kind is Kind.GOAL:
            message = "Choose a goal ID from the Goals tab, like G1."
        else:
            message = f"Choose one from the {ref_tab} tab, like {column.example or '...'}."
    elif column.kind is Kind.DATE:
        condition = {"type": "DATE_IS_VALID"}
        message = DATE_PROMPT
    elif column.kind is Kind.MONEY:
        condition = {"type": "NUMBER_GREATER_THAN_EQ", "values": [{"userEnteredValue": "0"}]}
        message = f"Amount in pounds as a number, like {column.example or '25000'}."
    elif column.kind is Kind.FTE:
        condition = {
            "type": "NUMBER_BETWEEN",
            "values": [{"userEnteredValue": "0"}, {"userEnteredValue": "1"}],
        }
        message = "Fraction of a full-time post, above 0 and at most 1, like 0.6."
    if condition is None:
        return None
    rule: dict[str, Any] = {
        "condition": condition,
        "inputMessage": f"{message} The sync reports it if it is wrong.",
        "strict": False,
    }
    if condition["type"] in ("ONE_OF_LIST", "ONE_OF_RANGE"):
        rule["showCustomUi"] = True
    return rule


def _canonical(value: object) -> str:
    """Formulas compare without quotes, dollars or case: Google may rewrite them."""
    return re.sub(r"[$'\s]", "", str(value)).casefold()


def same_rule(existing: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    """Whether the rule already on a column is the one wanted (Google omits false and empty)."""
    if not existing:
        return False
    have, want = existing.get("condition", {}), wanted["condition"]
    if have.get("type") != want.get("type"):
        return False
    values = [_canonical(v.get("userEnteredValue", "")) for v in have.get("values", [])]
    if values != [_canonical(v.get("userEnteredValue", "")) for v in want.get("values", [])]:
        return False
    return bool(existing.get("strict", False)) == bool(wanted.get("strict", False)) and (
        existing.get("inputMessage", "") == wanted.get("inputMessage", "")
    )
