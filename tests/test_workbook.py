"""Tests for the workbook source, the blank template and the sample workbook."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font

from cii_sheets import schema
from cii_sheets.problems import CiiSheetsError
from cii_sheets.sample import SAMPLE_MISTAKES, write_sample
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.template import DATE_PROMPT, write_template

# --- helpers -----------------------------------------------------------------------------------


def patch_sheet_xml(path: Path, sheet_file: str, edit) -> None:
    """Rewrite one worksheet's XML inside an .xlsx, as another spreadsheet program might."""
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename == f"xl/worksheets/{sheet_file}":
                data = edit(data.decode()).encode()
            out.writestr(info, data)


def tabs_by_title(path: Path) -> dict[str, object]:
    return {t.title: t for t in WorkbookSource(path).read().tabs}


def validations(sheet) -> list:
    return list(sheet.data_validations.dataValidation)


def validation_for(sheet, header: str):
    """The data validation covering row 2 of the column headed ``header``."""
    letter = next(c.column_letter for c in sheet[1] if c.value == header)
    found = [dv for dv in validations(sheet) if f"{letter}2" in dv.sqref]
    assert len(found) == 1, (sheet.title, header, found)
    return found[0]


# --- the reader --------------------------------------------------------------------------------


@pytest.fixture
def mixed_workbook(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    pledges = book.active
    pledges.title = "Pledges"
    pledges.append(["Pledge ID", "Amount (£)", "Date pledged", "Flag", "Notes"])
    pledges.append(["P001", 25000, dt.datetime(2017, 4, 1), True, "  first  "])  # row 2
    # row 3 left blank
    pledges["A4"] = "P002"
    pledges["B4"] = 25000.5
    pledges["C4"] = dt.datetime(2017, 4, 1, 14, 30)
    pledges["D4"] = False
    pledges["E4"] = "01/04/2017"  # a UK text date stays text
    pledges["A5"] = "P003"
    error = pledges["B5"]
    error.value = "#REF!"
    error.data_type = "e"  # how a workbook stores a failed formula's result
    pledges["C5"] = dt.date(2018, 3, 31)
    pledges["E5"] = "=1/0"  # patched below into a formula with a cached #DIV/0!
    pledges["A8"] = "P004"  # rows 6 and 7 left blank
    pledges["B8"] = ""
    pledges["G8"].font = Font(bold=True)  # a formatted but empty cell: trailing, dropped

    offset = book.create_sheet("Milestones")  # a contract tab whose cells start at C4
    offset["C4"] = "starts at C4"
    offset["D6"] = 7

    book.create_sheet("Empty")
    path = tmp_path / "mixed.xlsx"
    book.save(path)

    def with_cached_error(xml: str) -> str:
        xml, count = re.subn(
            r'<c r="E5"><f>1/0</f><v\s*/>\s*</c>|<c r="E5"><f>1/0</f><v>\s*</v></c>',
            '<c r="E5" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            xml,
        )
        assert count == 1, xml
        return xml

    patch_sheet_xml(path, "sheet1.xml", with_cached_error)
    return path


def test_reads_every_sheet_in_order(mixed_workbook: Path) -> None:
    sheet = WorkbookSource(mixed_workbook).read()
    assert sheet.source == f"workbook {mixed_workbook}"
    assert [t.title for t in sheet.tabs] == ["Pledges", "Milestones", "Empty"]


def test_values_types_and_row_numbers(mixed_workbook: Path) -> None:
    pledges = tabs_by_title(mixed_workbook)["Pledges"]
    assert pledges.header == ["Pledge ID", "Amount (£)", "Date pledged", "Flag", "Notes"]
    assert pledges.row_numbers == [2, 4, 5, 8]
    assert pledges.rows == [
        ["P001", 25000, dt.date(2017, 4, 1), True, "  first  "],
        ["P002", 25000.5, dt.datetime(2017, 4, 1, 14, 30), False, "01/04/2017"],
        ["P003", "#REF!", dt.date(2018, 3, 31), None, "#DIV/0!"],
        ["P004"],
    ]
    first = pledges.rows[0]
    assert type(first[1]) is int
    assert type(first[2]) is dt.date  # midnight datetime -> date, not a datetime
    assert type(pledges.rows[1][2]) is dt.datetime


def test_used_range_not_at_a1(mixed_workbook: Path) -> None:
    tabs = tabs_by_title(mixed_workbook)
    offset = tabs["Milestones"]
    assert offset.header == []  # row 1 is empty: no header, and nothing shifts up
    assert offset.row_numbers == [4, 6]
    assert offset.rows == [[None, None, "starts at C4"], [None, None, None, 7]]
    empty = tabs["Empty"]
    assert (empty.header, empty.rows, empty.row_numbers) == ([], [], [])


def test_stale_dimension_does_not_cut_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Goals"
    for row in (["Goal ID", "Goal"], ["G1", "Civic engagement"], ["G2", "Young Londoners"]):
        sheet.append(row)
    path = tmp_path / "stale.xlsx"
    book.save(path)
    patch_sheet_xml(
        path,
        "sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1"', xml),
    )
    goals = tabs_by_title(path)["Goals"]
    assert goals.header == ["Goal ID", "Goal"]
    assert goals.row_numbers == [2, 3]


def test_a_real_xlsx_with_another_extension_is_read(mixed_workbook: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(mixed_workbook.read_bytes())
    assert WorkbookSource(renamed).read().tabs[0].title == "Pledges"


# --- operational errors ------------------------------------------------------------------------


def assert_one_line_error(path: Path, *phrases: str) -> str:
    with pytest.raises(CiiSheetsError) as caught:
        WorkbookSource(path).read()
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    for phrase in phrases:
        assert phrase in message, message
    return message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.xlsx"
    message = assert_one_line_error(path, "No workbook at")
    assert f"cii-sheets demo {path}" in message


def test_text_file_renamed(tmp_path: Path) -> None:
    path = tmp_path / "pledges.xlsx"
    path.write_text("Pledge ID,Amount\nP001,25000\n", encoding="utf-8")
    assert_one_line_error(path, "is not an Excel workbook", "save it as an .xlsx")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert_one_line_error(path, "is not an Excel workbook")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert_one_line_error(path, "Excel workbook")


def test_password_protected(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504)
    assert_one_line_error(path, "is password-protected (or an old .xls file)", "unprotected .xlsx")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path, "is a folder")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_permission_denied(mixed_workbook: Path) -> None:
    mixed_workbook.chmod(0)
    try:
        assert_one_line_error(mixed_workbook, "Permission denied")
    finally:
        mixed_workbook.chmod(0o600)


# --- the template ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx")


def test_template_tabs_and_headers(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == [t.name for t in schema.TABS] + [schema.SYNC_REPORT_TAB_NAME]
    for tab in schema.TABS:
        sheet = book[tab.name]
        assert [c.value for c in sheet[1]] == [c.name for c in tab.columns]
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    assert "tool writes this tab" in book[schema.SYNC_REPORT_TAB_NAME]["A1"].value


def test_template_prefills_goals_and_settings(template: Path) -> None:
    tabs = tabs_by_title(template)
    assert [tuple(r) for r in tabs["Goals"].rows] == list(schema.GOAL_DEFAULTS)
    # The 360Giving keys start blank (trailing empty cells are not read).
    settings = {r[0]: r[1] if len(r) > 1 else "" for r in tabs["Settings"].rows}
    assert settings == {s.name: s.default for s in schema.SETTINGS}
    assert settings["Programme start"] == dt.date(2017, 1, 1)
    sheet = openpyxl.load_workbook(template)["Settings"]
    start = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "Programme start")
    assert start.number_format == "DD/MM/YYYY"
    for tab in schema.TABS:
        if tab.name not in ("Goals", "Settings"):
            assert tabs[tab.name].rows == []


def test_template_dropdowns_and_checks(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    everything = [dv for sheet in book.worksheets for dv in validations(sheet)]
    typed = [dv for dv in everything if dv.type is not None]
    assert typed and all(dv.errorStyle == "warning" and dv.showErrorMessage for dv in typed)

    status = validation_for(book["Pledges"], "Status")
    assert (status.type, status.formula1) == ("list", '"Expected,Confirmed,Withdrawn"')
    status = validation_for(book["Secondments"], "Status")
    assert status.formula1 == '"' + ",".join(schema.SECONDMENT_STATUSES) + '"'

    for tab in ("Achievements", "Grants"):
        goal = validation_for(book[tab], "Goal")
        assert goal.type == "list"
        assert goal.formula1.replace("'", "") == "Goals!$A$2:$A$200"
    goals = validation_for(book["Secondments"], "Goals")
    # As in the Google sheet's init-sheet: a dropdown that warns, never rejects, so that a list
    # such as "G1, G3" can still be typed.
    assert (goals.type, goals.errorStyle) == ("list", "warning")
    assert goals.formula1.replace("'", "") == "Goals!$A$2:$A$200"
    assert goals.showInputMessage and "comma" in goals.prompt

    funder = validation_for(book["Pledges"], "Funder")
    assert funder.type == "list" and funder.formula1.replace("'", "").startswith("Funders!$A$2:")
    pledge = validation_for(book["Payments"], "Pledge ID")
    assert pledge.type == "list" and pledge.formula1.replace("'", "").startswith("Pledges!$A$2:")

    for tab in schema.TABS:
        if tab.name == "Settings":
            continue
        for column in tab.columns:
            if column.kind is schema.Kind.DATE:
                check = validation_for(book[tab.name], column.name)
                assert check.type == "date" and check.prompt == DATE_PROMPT
            elif column.kind is schema.Kind.MONEY:
                check = validation_for(book[tab.name], column.name)
                assert (check.type, check.operator, check.formula1) == (
                    "decimal",
                    "greaterThanOrEqual",
                    "0",
                )


def test_template_is_reproducible(tmp_path: Path) -> None:
    assert write_template(tmp_path / "a.xlsx").read_bytes() == (
        write_template(tmp_path / "b.xlsx").read_bytes()
    )


# --- the sample --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(tmp_path_factory.mktemp("sample") / "sample.xlsx")


def test_sample_is_deterministic(sample: Path, tmp_path: Path) -> None:
    again = write_sample(tmp_path / "again.xlsx")
    assert WorkbookSource(again).read().tabs == WorkbookSource(sample).read().tabs
    assert again.read_bytes() == sample.read_bytes()


def test_sample_has_the_six_mistakes_where_listed(sample: Path) -> None:
    assert len(SAMPLE_MISTAKES) == 6
    tabs = tabs_by_title(sample)
    for mistake in SAMPLE_MISTAKES:
        tab = tabs[mistake.tab]
        row = tab.rows[tab.row_numbers.index(mistake.row)]
        cell = row[tab.header.index(mistake.column)]
        assert cell == mistake.value, mistake

    def cell(tab_name: str, row_number: int, header: str):
        tab = tabs[tab_name]
        return tab.rows[tab.row_numbers.index(row_number)][tab.header.index(header)]

    pledge_ids = {r[0] for r in tabs["Pledges"].rows}
    assert "P099" not in pledge_ids
    (stale,) = [m for m in SAMPLE_MISTAKES if m.column == "Status"]
    assert cell("Secondments", stale.row, "End date") < dt.date(2026, 1, 1)


def test_sample_follows_the_contract(sample: Path) -> None:
    tabs = tabs_by_title(sample)
    assert list(tabs) == [t.name for t in schema.TABS] + [schema.SYNC_REPORT_TAB_NAME]
    for tab in schema.TABS:
        expected = [c.name for c in tab.columns]
        if tab.name == "Funders":
            expected.append("Contact email")  # the one extra column (a warning)
        assert tabs[tab.name].header == expected
    funders = {r[0] for r in tabs["Funders"].rows}
    assert {"Trust for London", "Unbound Philanthropy", "Paul Hamlyn Foundation"} <= funders
    settings = {r[0]: r[1] for r in tabs["Settings"].rows}
    assert settings["Programme end"] == dt.date(2027, 3, 31)
    statuses = {r[8] for r in tabs["Secondments"].rows}
    assert {"Active", "Completed", "Planned"} <= statuses
    # Both kinds of date staff use: real date cells and UK text.
    pledged = [r[3] for r in tabs["Pledges"].rows]
    assert any(isinstance(d, dt.date) for d in pledged)
    assert any(isinstance(d, str) and re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in pledged)


def test_sample_has_the_dropdowns(sample: Path) -> None:
    book = openpyxl.load_workbook(sample)
    assert validation_for(book["Pledges"], "Status").type == "list"
    assert validation_for(book["Achievements"], "Goal").type == "list"
    assert validation_for(book["Secondments"], "Start date").type == "date"
