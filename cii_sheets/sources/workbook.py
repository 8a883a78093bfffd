"""Read a local Excel workbook (.xlsx) into raw tabs: the embedded default source.

Reader chosen by measurement (``benchmarks/readers.py``: a Pledges-like sheet with text, money,
real date cells, UK text dates and a failed-formula cell every 1,000 rows; Python 3.11, openpyxl
3.1.5, python-calamine 0.9.1, 2 CPUs; each reader in a fresh process, peak RSS includes the
~42 MB interpreter):

    reader      rows     seconds  peak RSS  dates ok  errors ok
    openpyxl    100,000  10.2     101 MB    yes       yes
    calamine    100,000   0.9     118 MB    yes       NO (read as empty)
    openpyxl        500   0.04     42 MB    yes       yes
    calamine        500  <0.01     43 MB    yes       NO

python-calamine is about ten times faster, but it reads every failed-formula cell (``#REF!``,
``#DIV/0!``, ``#N/A``...) as an empty string, so a broken formula would silently pass for an empty
cell, where the contract says it must be reported as that cell's error. openpyxl
(``read_only=True, data_only=True``) keeps the error text and gives correct dates, so it is the
reader. Its cost only shows at sizes the Initiative's sheet (hundreds of rows) never reaches. A
hybrid (calamine, falling back to openpyxl when a sheet holds an error cell) was rejected: two
readers whose numbers and edge cases differ, chosen by the data, for no gain at this size.

Cell values follow the ``sources`` contract: a date cell becomes ``datetime.date`` (a
``datetime`` only when it holds a time of day), numbers stay ``int``/``float``, text ``str``,
booleans ``bool``, failed formulas their error text, empty cells ``None``.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

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
            with warnings.catch_warnings():
                # openpyxl warns about workbook features it drops (extensions, odd styles);
                # they do not touch cell values.
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
                try:
                    return [_read_sheet(sheet) for sheet in book.worksheets]
                finally:
                    book.close()
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            # OSError: openpyxl's "no valid workbook part", as in a .docx renamed .xlsx.
            raise CiiSheetsError(_not_a_workbook(path)) from exc
        except (ValueError, TypeError, AttributeError, IndexError, SyntaxError) as exc:
            # A damaged or non-Excel zip (an .ods or .docx renamed) trips openpyxl's parser.
            raise CiiSheetsError(
                f"{path} could not be read as an Excel workbook ({type(exc).__name__}). Open it in "
                "Excel or Google Sheets and save a fresh .xlsx copy."
            ) from exc


def _not_a_workbook(path: Path) -> str:
    return (
        f"{path} is not an Excel workbook (.xlsx). Open it in Excel or Google Sheets and "
        "save it as an .xlsx file."
    )


def _read_sheet(sheet: Any) -> RawTab:
    if schema.match_tab(sheet.title) is None:
        # Staff's own tabs (notes, pivot tables, scratch work) are not the tool's to read: a
        # large one would cost seconds per sync for nothing.
        return RawTab(title=sheet.title, header=[], rows=[], row_numbers=[])
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
