"""Write the blank spreadsheet template, and give any workbook the template's look and dropdowns.

Everything comes from ``schema``: tab order, header names, which columns get a dropdown, a date
check or a money check. The checks warn staff (``errorStyle="warning"``) and never block them:
the sync reports what is still wrong, in words, with the row to fix.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from cii_sheets.schema import (
    GOAL_DEFAULTS,
    MONTHS,
    SETTING_BY_HEADER,
    SETTINGS,
    SYNC_REPORT_TAB_NAME,
    TABS,
    Column,
    Kind,
    Tab,
    match_tab,
    normalise_header,
)

# How far down the dropdowns and checks reach.
MAX_ROWS = 1000
GOAL_ROWS = 200
DATE_FORMAT = "DD/MM/YYYY"
MONEY_FORMAT = "#,##0.00"
DATE_PROMPT = "day/month/year, like 01/04/2017"
# Written into the file's properties and zip entries so the same workbook gives the same bytes.
FIXED_TIMESTAMP = dt.datetime(2026, 1, 1, 9, 0, 0)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SYNC_REPORT_NOTE = (
    "The cii-sheets tool writes this tab on every sync. Do not type here: "
    "anything typed here is replaced."
)

_WIDTHS = {
    Kind.DATE: 14,
    Kind.MONEY: 14,
    Kind.FTE: 8,
    Kind.GOAL: 14,
    Kind.GOALS: 16,
    Kind.CHOICE: 14,
    Kind.ID: 14,
    Kind.NUMBER: 12,
    Kind.LINK: 45,
}
_WIDE_TEXT = {"notes", "description", "achievement", "milestone", "title", "role"}


def write_template(path: str | os.PathLike[str]) -> Path:
    """Write a blank workbook with every tab, its headers, checks and the default Goals/Settings."""
    book = new_template()
    return save_reproducibly(book, path)


def new_template() -> Workbook:
    """The blank template as an openpyxl Workbook (not yet saved)."""
    book = Workbook()
    book.remove(book.active)
    for tab in TABS:
        sheet = book.create_sheet(tab.name)
        sheet.append([c.name for c in tab.columns])
    goals = book["Goals"]
    for row in GOAL_DEFAULTS:
        goals.append(list(row))
    settings = book["Settings"]
    for setting in SETTINGS:
        settings.append([setting.name, setting.default])
    book.create_sheet(SYNC_REPORT_TAB_NAME)
    format_workbook(book)
    return book


def format_workbook(book: Workbook, rows: int = MAX_ROWS) -> None:
    """Give every contract tab in ``book`` the template's header style, widths and checks.

    Tabs are found by title and columns by header, as the sync finds them, so a workbook with
    columns in another order still gets each check on the right column.
    """
    for sheet in book.worksheets:
        if normalise_header(sheet.title) == normalise_header(SYNC_REPORT_TAB_NAME):
            _format_sync_report(sheet)
            continue
        tab = match_tab(sheet.title)
        if tab is None:
            continue
        columns = header_columns(sheet, tab)
        _style_header(sheet)
        for index, column in columns.items():
            letter = get_column_letter(index)
            _set_width(sheet, letter, column)
            if column.kind is Kind.DATE:
                _format_column(sheet, index, rows, DATE_FORMAT)
            elif column.kind is Kind.MONEY:
                _format_column(sheet, index, rows, MONEY_FORMAT)
            check = column_check(book, tab, column, rows)
            if check is not None:
                check.add(f"{letter}2:{letter}{rows}")
                sheet.add_data_validation(check)
        if tab.name == "Settings":
            _format_settings(sheet, columns)


def header_columns(sheet: Worksheet, tab: Tab) -> dict[int, Column]:
    """Row 1 of ``sheet`` matched to ``tab``'s columns: {1-based column index: Column}."""
    by_name = {normalise_header(c.name): c for c in tab.columns}
    by_alias = {normalise_header(a): c for c in tab.columns for a in c.aliases}
    found: dict[int, Column] = {}
    taken: set[str] = set()
    cells = next(sheet.iter_rows(min_row=1, max_row=1), ())
    for cell in cells:
        if cell.value is None:
            continue
        key = normalise_header(cell.value)
        column = by_name.get(key) or by_alias.get(key)
        if column is not None and column.key not in taken:
            found[cell.column] = column
            taken.add(column.key)
    return found


def column_check(
    book: Workbook, tab: Tab, column: Column, rows: int = MAX_ROWS
) -> DataValidation | None:
    """The warning-style data validation a column gets, or None."""
    title = column.name[:32]
    if column.kind is Kind.CHOICE and column.choices:
        return _warn(
            DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"'),
            title,
            "Choose one: " + ", ".join(column.choices) + ".",
        )
    if column.kind in (Kind.GOAL, Kind.GOALS):
        source = _list_source(book, "Goals", "goal_id", GOAL_ROWS)
        if source is None:
            return None
        # Warning style, as in the Google sheet: a list such as "G1, G3" is marked, not refused.
        prompt = (
            "Goal IDs from the Goals tab, like G1; for several, type them separated by commas, "
            "like G1, G3 (Excel may warn that a list is not in the dropdown: the sync accepts it)."
            if column.kind is Kind.GOALS
            else "Choose a goal ID from the Goals tab, like G1."
        )
        return _warn(DataValidation(type="list", formula1=source), title, prompt)
    if column.references is not None:
        ref_tab, ref_key = column.references
        source = _list_source(book, ref_tab, ref_key, rows)
        if source is None:
            return None
        return _warn(
            DataValidation(type="list", formula1=source),
            title,
            f"Choose one from the {ref_tab} tab, like {column.example or '...'}.",
        )
    if column.kind is Kind.DATE:
        return _date_check(title)
    if column.kind is Kind.MONEY:
        return _warn(
            DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"),
            title,
            f"Amount in pounds as a number, like {column.example or '25000'}.",
        )
    if column.kind is Kind.FTE:
        return _warn(
            DataValidation(type="decimal", operator="between", formula1="0", formula2="1"),
            title,
            "Fraction of a full-time post, above 0 and at most 1, like 0.6 or 60%.",
        )
    return None


def save_reproducibly(book: Workbook, path: str | os.PathLike[str]) -> Path:
    """Save ``book`` so that the same content always gives the same bytes.

    openpyxl stamps the save time into the file's properties and zip entries; fix both.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book.properties.creator = "cii-sheets"
    book.properties.created = FIXED_TIMESTAMP
    book.properties.modified = FIXED_TIMESTAMP
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    stamp = FIXED_TIMESTAMP.timetuple()[:6]
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, source.read(item.filename))
    return target


# --- helpers ------------------------------------------------------------------------------------


def _warn(check: DataValidation, title: str, prompt: str) -> DataValidation:
    check.allow_blank = True
    check.showErrorMessage = True
    check.errorStyle = "warning"
    check.errorTitle = "Check this value"
    check.error = f"{prompt} The sync will report it if it is wrong."
    check.showInputMessage = True
    check.promptTitle = title
    check.prompt = prompt
    return check


def _date_check(title: str) -> DataValidation:
    check = DataValidation(
        type="date",
        operator="between",
        formula1=str(int(to_excel(dt.date(2000, 1, 1)))),
        formula2=str(int(to_excel(dt.date(2099, 12, 31)))),
    )
    _warn(check, title, DATE_PROMPT)
    check.error = f"Enter a date as {DATE_PROMPT}."
    return check


def _list_source(book: Workbook, tab_name: str, key: str, rows: int) -> str | None:
    """``Goals!$A$2:$A$200``: where a dropdown's choices live, or None if that tab is absent."""
    for sheet in book.worksheets:
        tab = match_tab(sheet.title)
        if tab is None or tab.name != tab_name:
            continue
        index = next((i for i, c in header_columns(sheet, tab).items() if c.key == key), None)
        if index is None:
            return None
        letter = get_column_letter(index)
        return f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${rows}"
    return None


def _style_header(sheet: Worksheet) -> None:
    for cell in next(sheet.iter_rows(min_row=1, max_row=1), ()):
        if cell.value is not None:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center")
    sheet.freeze_panes = "A2"


def _set_width(sheet: Worksheet, letter: str, column: Column) -> None:
    width = _WIDTHS.get(column.kind, 22)
    if column.key in _WIDE_TEXT:
        width = 45
    sheet.column_dimensions[letter].width = max(width, len(column.name) + 4)


def _format_column(sheet: Worksheet, index: int, rows: int, number_format: str) -> None:
    """Format the cells already filled in, and the column for cells typed later."""
    sheet.column_dimensions[get_column_letter(index)].number_format = number_format
    for (cell,) in sheet.iter_rows(min_row=2, max_row=sheet.max_row, min_col=index, max_col=index):
        if isinstance(cell.value, dt.date | int | float) and not isinstance(cell.value, bool):
            cell.number_format = number_format


def _format_settings(sheet: Worksheet, columns: dict[int, Column]) -> None:
    """Each Setting's Value cell gets the check and format of that setting's kind."""
    where = {c.key: i for i, c in columns.items()}
    if "setting" not in where or "value" not in where:
        return
    key_col, value_col = where["setting"], where["value"]
    sheet.column_dimensions[get_column_letter(key_col)].width = 34
    sheet.column_dimensions[get_column_letter(value_col)].width = 40
    for row in range(2, sheet.max_row + 1):
        setting = SETTING_BY_HEADER.get(normalise_header(sheet.cell(row, key_col).value or ""))
        if setting is None:
            continue
        cell = sheet.cell(row, value_col)
        ref = cell.coordinate
        check: DataValidation | None = None
        if setting.kind is Kind.DATE:
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
            check = _date_check(setting.name[:32])
        elif setting.kind is Kind.MONEY:
            if isinstance(cell.value, int | float):
                cell.number_format = "#,##0"
            check = _warn(
                DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"),
                setting.name[:32],
                f"Amount in pounds as a number, like {setting.example}.",
            )
        elif setting.kind is Kind.NUMBER:
            check = _warn(
                DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"),
                setting.name[:32],
                f"A whole number, like {setting.example}.",
            )
        elif setting.kind is Kind.CHOICE:
            check = _warn(
                DataValidation(type="list", formula1='"' + ",".join(MONTHS) + '"'),
                setting.name[:32],
                "The month the financial year starts, like April.",
            )
        if check is not None:
            check.add(ref)
            sheet.add_data_validation(check)


def _format_sync_report(sheet: Worksheet) -> None:
    if sheet.max_row == 1 and sheet["A1"].value is None:
        sheet["A1"] = SYNC_REPORT_NOTE
        sheet["A1"].font = Font(italic=True)
    sheet.column_dimensions["A"].width = 90
