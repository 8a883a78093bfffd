"""Read a local Excel workbook (.xlsx) into raw tabs: the embedded default source.

Values come from python-calamine (Rust), and failed-formula cells from the sheet's own XML:
calamine reads an error cell (``#REF!``, ``#DIV/0!``, ``#N/A``...) as an empty string, where the
contract must report it, so each contract sheet's XML part is scanned once for cells marked
``t="e"`` and their text put back in place. A sheet whose error cells cannot be placed (a cell
without its ``r`` address, allowed but never written by Excel, Google or openpyxl), or that
calamine refuses (an error it does not know, such as Excel 365's ``#SPILL!``), is read with
openpyxl instead. ``tests/test_workbook_reader.py`` checks, over generated workbooks, that every
cell kind the contract knows is read exactly as openpyxl reads it.

Chosen by measurement (``benchmarks/readers.py``, a Pledges-like sheet with text, money, real
date cells, UK text dates and a failed-formula cell every 1,000 rows; figures in the README):
at 100,000 rows openpyxl takes about 10 s, calamine alone under 1 s but misses the error cells,
calamine with the XML scan about 1 s with every error cell. Only contract tabs are read.

Cell values follow the ``sources`` contract: a date cell becomes ``datetime.date`` (a
``datetime`` only when it holds a time of day), numbers stay ``int``/``float`` (a whole number is
an ``int``, as the file stores it), text ``str``, booleans ``bool``, failed formulas their error
text, empty cells ``None``.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

from cii_sheets import schema
from cii_sheets.problems import CiiSheetsError
from cii_sheets.raw import Cell, RawSpreadsheet, RawTab

# The first bytes of an OLE compound file: what Excel writes for an encrypted
# (password-protected) workbook, and for the old binary .xls format.
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"


def normalise_cell(value: Any) -> Cell:
    """One cell as openpyxl gives it -> the value the sources contract promises."""
    kind = type(value)
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if kind is str:
        return value if value != "" else None
    if kind is dt.datetime:
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date()
        return value
    if isinstance(value, dt.date):  # date, or a datetime subclass
        return value
    if isinstance(value, dt.time | dt.timedelta):
        # A time-of-day or duration cell is not a value the contract knows; keep it visible.
        return str(value)
    return value


def trim_row(values: tuple[Any, ...] | list[Any]) -> list[Cell]:
    """A row's normalised cells without its trailing empty cells."""
    cells = [normalise_cell(v) for v in values]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def calamine_row(values: list[Any]) -> list[Cell]:
    """A row as calamine gives it -> the sources contract's cells, trailing empties dropped.

    calamine gives ``""`` for an empty cell and a float for every number; a whole number is
    returned as an ``int``, as openpyxl reads what Excel writes (``25000``, not ``25000.0``).
    """
    cells: list[Cell] = []
    append = cells.append
    for value in values:
        kind = type(value)
        if kind is str:
            append(value if value else None)
        elif kind is float:
            append(int(value) if value.is_integer() else value)
        elif kind is bool or kind is int or kind is dt.date:
            append(value)
        else:
            append(normalise_cell(value))
    while cells and cells[-1] is None:
        cells.pop()
    return cells


class WorkbookSource:
    """A local .xlsx file; each sheet becomes a ``RawTab`` (cells read for contract tabs only)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"workbook {self.path}"

    def read(self) -> RawSpreadsheet:
        path = self.path
        if path.is_dir():
            raise CiiSheetsError(
                f"{path} is a folder, not a workbook. Give the path of an .xlsx file inside it."
            )
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise CiiSheetsError(
                f"No workbook at {path}. Check the path, or run `cii-sheets demo {path}` "
                "to write the sample."
            ) from None
        except PermissionError:
            raise CiiSheetsError(
                f"Permission denied reading {path}. Ask for read access to the file, "
                "or copy it to a folder you can read."
            ) from None
        except OSError as exc:
            raise CiiSheetsError(
                f"Could not open {path} ({exc.strerror or exc}). Check the path and try again."
            ) from None
        with handle:
            try:
                magic = handle.read(8)
                handle.seek(0)
            except OSError as exc:
                raise CiiSheetsError(
                    f"Could not read {path} ({exc.strerror or exc}). Check the file and try again."
                ) from None
            if magic.startswith(OLE_MAGIC):
                raise CiiSheetsError(
                    f"{path} is password-protected (or an old .xls file); save an unprotected "
                    ".xlsx copy (File > Save As > Excel Workbook) and use that."
                )
            if not magic.startswith(ZIP_MAGIC):
                raise CiiSheetsError(_not_a_workbook(path))
            tabs = self._read_tabs(handle)
        return RawSpreadsheet(source=self.describe(), tabs=tabs)

    def _read_tabs(self, handle: Any) -> list[RawTab]:
        path = self.path
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CiiSheetsError(_not_a_workbook(path)) from exc
        with archive:
            try:
                parts = sheet_parts(archive)
            except (KeyError, ElementTree.ParseError, zipfile.BadZipFile) as exc:
                # No workbook part: a .docx or .ods renamed .xlsx, or a damaged file.
                raise CiiSheetsError(_not_a_workbook(path)) from exc
            import python_calamine  # imported here: only a workbook read needs it

            try:
                book = python_calamine.CalamineWorkbook.from_path(str(path))
            except Exception as exc:  # calamine's own errors: a damaged or non-Excel zip
                raise CiiSheetsError(_unreadable(path, exc)) from exc
            try:
                return [self._read_sheet(book, archive, parts, name) for name in book.sheet_names]
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise CiiSheetsError(_unreadable(path, exc)) from exc
            finally:
                book.close()

    def _read_sheet(
        self, book: Any, archive: zipfile.ZipFile, parts: dict[str, str], name: str
    ) -> RawTab:
        if schema.match_tab(name) is None:
            # Staff's own tabs (notes, pivot tables, scratch work) are not the tool's to read: a
            # large one would cost seconds per sync for nothing.
            return RawTab(title=name, header=[], rows=[], row_numbers=[])
        part = parts.get(name)
        errors = error_cells(archive.read(part)) if part and part in archive.NameToInfo else {}
        if errors is None:
            return _read_with_openpyxl(self.path, name)
        try:
            values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:
            # calamine refuses error values it does not know, such as Excel 365's #SPILL! and
            # #CALC!; openpyxl reads them as their text, as the contract wants.
            return _read_with_openpyxl(self.path, name)
        for (row, column), text in errors.items():
            # calamine read these as ""; put the error text back (the row may be missing
            # when the error cell is all it holds).
            while len(values) <= row:
                values.append([])
            cells = values[row]
            if len(cells) <= column:
                cells.extend([""] * (column + 1 - len(cells)))
            cells[column] = text
        header: list[Cell] = []
        rows: list[list[Cell]] = []
        numbers: list[int] = []
        for number, raw in enumerate(values, start=1):
            cells = calamine_row(raw)
            if number == 1:
                header = cells
            elif cells:
                rows.append(cells)
                numbers.append(number)
        return RawTab(title=name, header=header, rows=rows, row_numbers=numbers)


# --- the workbook's parts, and its error cells --------------------------------------------------

_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_OFFICE_DOCUMENT = "/officeDocument"

# An error type attribute (t="e"); each match is then checked to be the start tag of a cell, in
# any namespace prefix and attribute order. Searching for the attribute, not for every cell's
# tag, keeps the scan of a 100,000-row sheet under a tenth of a second.
_ERROR_TYPE = re.compile(rb"""t\s*=\s*["']e["']""")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s")
_ADDRESS = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})([0-9]+)["']""")
_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)</(?:[A-Za-z_][\w.-]*:)?v>")
_CELL_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c>")


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the zip member holding its XML, from the workbook part and its rels."""
    root = ElementTree.fromstring(archive.read("_rels/.rels"))
    workbook = next(
        r.get("Target", "")
        for r in root.iter(_RELS)
        if str(r.get("Type", "")).endswith(_OFFICE_DOCUMENT)
    ).lstrip("/")
    folder = posixpath.dirname(workbook)
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    targets = {
        r.get("Id"): r.get("Target", "")
        for r in ElementTree.fromstring(archive.read(rels_name)).iter(_RELS)
    }
    parts: dict[str, str] = {}
    for sheet in ElementTree.fromstring(archive.read(workbook)).iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        if target:
            member = (
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            parts[str(sheet.get("name"))] = posixpath.normpath(member)
    return parts


def error_cells(xml: bytes) -> dict[tuple[int, int], str] | None:
    """(0-based row, column) -> error text of every failed-formula cell, in one scan of the XML.

    None when an error cell has no ``r`` address, so cannot be placed without reading the
    whole sheet cell by cell.
    """
    found: dict[tuple[int, int], str] = {}
    for match in _ERROR_TYPE.finditer(xml):
        if not xml[match.start() - 1 : match.start()].isspace():
            continue  # part of another name, such as xt="e"
        start = xml.rfind(b"<", 0, match.start())
        end = xml.find(b">", match.end())
        tag = xml[start : end + 1]
        if start < 0 or end < 0 or not _CELL_TAG.match(tag):
            continue
        if tag.endswith(b"/>"):
            continue  # an error cell with no cached value: empty, as openpyxl reads it
        address = _ADDRESS.search(tag)
        if address is None:
            return None
        close = _CELL_END.search(xml, end)
        value = _VALUE.search(xml, end, close.start() if close else len(xml))
        if value is None:
            continue
        text = unescape(value.group(1).decode("utf-8"), {"&quot;": '"', "&apos;": "'"})
        found[(int(address.group(2)) - 1, _column_index(address.group(1)))] = text
    return found


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _not_a_workbook(path: Path) -> str:
    return (
        f"{path} is not an Excel workbook (.xlsx). Open it in Excel or Google Sheets and "
        "save it as an .xlsx file."
    )


def _unreadable(path: Path, exc: BaseException) -> str:
    return (
        f"{path} could not be read as an Excel workbook ({type(exc).__name__}). Open it in "
        "Excel or Google Sheets and save a fresh .xlsx copy."
    )


def _read_with_openpyxl(path: Path, name: str) -> RawTab:
    """One sheet read cell by cell with openpyxl: for the rare file calamine's path cannot place."""
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about workbook features it drops (extensions, odd styles); they do
        # not touch cell values.
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return read_openpyxl_sheet(book[name])
    finally:
        book.close()


def read_openpyxl_sheet(sheet: Any) -> RawTab:
    """A sheet as openpyxl (read-only, cached values) reads it: also the reference in tests."""
    # The dimension a file declares can be stale or missing; ignore it so rows are neither
    # cut short nor padded, and count rows from 1 (openpyxl fills gaps with empty rows).
    sheet.reset_dimensions()
    header: list[Cell] = []
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = trim_row(values)
        if number == 1:
            header = cells
        elif cells:
            rows.append(cells)
            numbers.append(number)
    return RawTab(title=sheet.title, header=header, rows=rows, row_numbers=numbers)
