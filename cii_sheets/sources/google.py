"""Read a Google Spreadsheet in one request into raw tabs.

One ``spreadsheets.get`` with ``includeGridData`` and a ``fields`` mask returns every tab's cells
(unformatted ``effectiveValue``, plus the number format's type so that date serials can be told
from numbers), each tab's id, and the spreadsheet's locale and time zone, whatever the number of
tabs and rows. The call goes through the shared client (``google_client``: sign-in, retries,
the request count); writing back (the Sync report, ``init-sheet``) is not a reader's job.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import Any

from cii_sheets import schema
from cii_sheets.google_client import (
    SHEET_URL,
    Retry,
    SheetsClient,
    gc_paused,
    spreadsheet_key,
)
from cii_sheets.raw import Cell, RawSpreadsheet, RawTab

# The one read: every tab's cells as computed values, and which numbers are dates.
READ_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index),"
    "data(startRow,startColumn,rowData(values(effectiveValue,effectiveFormat(numberFormat(type))))))"
)

# What Google's ErrorValue.type means, as the spreadsheet shows it.
ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "Loading...",
    "ERROR_TYPE_UNSPECIFIED": "#ERROR!",
}
DATE_TYPES = frozenset({"DATE", "DATE_TIME"})


# --- cells --------------------------------------------------------------------------------------


def serial_to_date(serial: float, kind: str = "DATE") -> dt.date | dt.datetime:
    """A spreadsheet date serial (days since 30 Dec 1899) -> a date, or a datetime with a time.

    Serials are wall-clock values in the spreadsheet's own time zone, so no conversion is
    needed beyond the epoch: the date staff see is the date returned.
    """
    whole = int(serial // 1)
    day = dt.date(1899, 12, 30) + dt.timedelta(days=whole)
    fraction = serial - whole
    if kind == "DATE" or fraction == 0:
        return day
    seconds = round(fraction * 86400)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(seconds=seconds)


def _cell(cell: dict[str, Any]) -> Cell:
    """One ``CellData`` (effectiveValue + number format type) -> the sources contract's value."""
    value = cell.get("effectiveValue")
    if value is None:
        return None
    if "stringValue" in value:
        text = value["stringValue"]
        return text if text != "" else None
    if "numberValue" in value:
        number = value["numberValue"]
        fmt = cell.get("effectiveFormat")
        if fmt is not None:
            kind = fmt.get("numberFormat", {}).get("type")
            if kind in DATE_TYPES:
                return serial_to_date(number, kind)
            if kind == "TIME":
                return str(serial_to_date(number, "DATE_TIME")).split(" ")[-1]
        return number
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "errorValue" in value:
        return ERROR_TEXT.get(value["errorValue"].get("type", ""), "#ERROR!")
    return None


def grid_rows(sheet: Mapping[str, Any]) -> tuple[list[list[Cell]], list[int]]:
    """A sheet's grid data -> its non-empty rows (trailing empty cells dropped) and row numbers."""
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    cell = _cell
    for block in sheet.get("data") or ():
        start = block.get("startRow", 0) + 1
        pad = [None] * block.get("startColumn", 0)
        for offset, row in enumerate(block.get("rowData") or ()):
            values = row.get("values")
            if not values:
                continue
            cells = [cell(c) for c in values]
            while cells and cells[-1] is None:
                cells.pop()
            if cells:
                rows.append(pad + cells if pad else cells)
                numbers.append(start + offset)
    return rows, numbers


def to_raw_tabs(body: Mapping[str, Any], only: Iterable[str] | None = None) -> list[RawTab]:
    """Every sheet of a ``spreadsheets.get`` answer as a RawTab (header = row 1)."""
    wanted = None if only is None else set(only)
    tabs: list[RawTab] = []
    for sheet in body.get("sheets") or ():
        props = sheet.get("properties", {})
        title = str(props.get("title", ""))
        sheet_id = props.get("sheetId")
        rows: list[list[Cell]] = []
        numbers: list[int] = []
        if wanted is None or title in wanted:
            rows, numbers = grid_rows(sheet)
        header: list[Cell] = []
        if numbers and numbers[0] == 1:
            header = rows.pop(0)
            numbers.pop(0)
        tabs.append(
            RawTab(
                title=title,
                header=header,
                rows=rows,
                row_numbers=numbers,
                sheet_id=int(sheet_id) if isinstance(sheet_id, int) else None,
            )
        )
    return tabs


# --- the source ---------------------------------------------------------------------------------


class GoogleSource:
    """One Google Spreadsheet, read in one request through the shared client."""

    def __init__(
        self,
        spreadsheet: str,
        credentials: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        *,
        retry: Retry | None = None,
        client: SheetsClient | None = None,
    ) -> None:
        self.key = spreadsheet_key(spreadsheet)
        # Several spreadsheets of a run share one client, so the key signs in once.
        self.client = client or SheetsClient(credentials, retry)
        self.last: RawSpreadsheet | None = None

    def describe(self) -> str:
        return f"Google spreadsheet {self.key}"

    @property
    def url(self) -> str:
        return SHEET_URL.format(key=self.key)

    def read(self) -> RawSpreadsheet:
        client = self.client
        before = client.requests_made
        try:
            body = client.get(self.key, READ_FIELDS)
        except Exception as exc:
            # The requests of this read only, not of the whole client.
            if hasattr(exc, "api_requests"):
                exc.api_requests = client.requests_made - before
            raise
        props = body.get("properties") or {}
        titles = [str(s.get("properties", {}).get("title", "")) for s in body.get("sheets") or ()]
        # Only contract tabs are converted cell by cell: the Sync report and staff's own tabs
        # come in the same answer, but are not the tool's to read.
        with gc_paused():
            tabs = to_raw_tabs(body, only=[t for t in titles if schema.match_tab(t) is not None])
        description = self.describe()
        for tab in tabs:
            tab.source = description
        raw = RawSpreadsheet(
            source=description,
            tabs=tabs,
            timezone=props.get("timeZone"),
            locale=props.get("locale"),
            api_requests=client.requests_made - before,
            url=self.url,
            extra={"title": props.get("title")},
        )
        self.last = raw
        return raw
