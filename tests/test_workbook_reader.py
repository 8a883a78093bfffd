"""The fast workbook reader (calamine + the XML's error cells) reads every cell exactly as openpyxl.

Workbooks are generated part by part (XML written here, not by a library), so that every cell kind
the contract knows appears in every form a file may hold it: numbers, dates and date-times by
built-in and custom formats, booleans, blanks and styled blanks, shared strings, rich-text shared
strings, inline strings, formula strings, and failed formulas of each error type with and without
their formula; cells written with their attributes in either order, and a stale dimension.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cii_sheets.sources.workbook import WorkbookSource, error_cells, read_openpyxl_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
ERRORS = ("#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!")
NEWER_ERRORS = ("#SPILL!", "#CALC!")  # Excel 365's, which calamine refuses: read by openpyxl
EPOCH = dt.datetime(1899, 12, 30)
# Styles: 0 general, 1 built-in date (14), 2 built-in date-time (22), 3 custom dd/mm/yyyy,
# 4 a money format.
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>
<numFmt numFmtId="165" formatCode="&quot;£&quot;#,##0.00"/></numFmts>
<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>
</fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0"/>
<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="22" applyNumberFormat="1"/>
<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

text = st.text(
    st.sampled_from([*"abcXYZ019 £€&<>'\"-#/.,", "é", "—", "\u00a0"]), min_size=0, max_size=12
)
serial_days = st.integers(min_value=1, max_value=60000)  # 1900 to 2064


@st.composite
def cells(draw: st.DrawFn) -> tuple[str, Any] | None:
    """One cell as (kind, value); None for no cell at all."""
    kind = draw(
        st.sampled_from(
            [
                "none",
                "blank",
                "int",
                "float",
                "money",
                "date",
                "date_custom",
                "datetime",
                "bool",
                "shared",
                "rich",
                "inline",
                "formula_str",
                "error",
                "error_no_formula",
            ]
        )
    )
    if kind == "none":
        return None
    if kind == "int":
        return kind, draw(st.integers(min_value=-(10**9), max_value=10**12))
    if kind in ("float", "money"):
        whole = draw(st.integers(min_value=-(10**6), max_value=10**7))
        return kind, whole + draw(st.sampled_from([0.5, 0.25, 0.1, 0.01, 0.6, 0.125]))
    if kind in ("date", "date_custom"):
        return kind, draw(serial_days)
    if kind == "datetime":
        return kind, draw(serial_days) + draw(st.sampled_from([0.5, 0.25, 0.75, 0.0]))
    if kind == "bool":
        return kind, draw(st.booleans())
    if kind in ("shared", "inline", "formula_str"):
        return kind, draw(text)
    if kind == "rich":
        return kind, draw(st.lists(text.filter(bool), min_size=1, max_size=3))
    if kind in ("error", "error_no_formula"):
        return kind, draw(st.sampled_from(ERRORS + NEWER_ERRORS))
    return kind, None  # blank: a styled cell with no value


def _t(value: str) -> str:
    return f'<t xml:space="preserve">{escape(value)}</t>'


def build(path: Path, grid: list[list[tuple[str, Any] | None]], t_first: bool, stale: bool) -> None:
    """An .xlsx whose one contract sheet holds ``grid`` (row i is sheet row i + 1)."""
    shared: list[str] = []

    def share(xml: str) -> int:
        shared.append(f"<si>{xml}</si>")
        return len(shared) - 1

    rows_xml = []
    for r, row in enumerate(grid, start=1):
        cells_xml = []
        for c, cell in enumerate(row):
            if cell is None:
                continue
            kind, value = cell
            ref = f"{chr(65 + c)}{r}"

            def tag(attrs: str, inner: str, ref: str = ref) -> str:
                first, second = (attrs, f'r="{ref}"') if t_first else (f'r="{ref}"', attrs)
                return f"<c {first} {second}>{inner}</c>".replace("  ", " ")

            if kind == "blank":
                cells_xml.append(f'<c r="{ref}" s="4"/>')
            elif kind == "int":
                cells_xml.append(tag("", f"<v>{value}</v>"))
            elif kind == "float":
                cells_xml.append(tag("", f"<v>{value!r}</v>"))
            elif kind == "money":
                cells_xml.append(tag('s="4"', f"<v>{value!r}</v>"))
            elif kind == "date":
                cells_xml.append(tag('s="1"', f"<v>{value}</v>"))
            elif kind == "date_custom":
                cells_xml.append(tag('s="3"', f"<v>{value}</v>"))
            elif kind == "datetime":
                cells_xml.append(tag('s="2"', f"<v>{value!r}</v>"))
            elif kind == "bool":
                cells_xml.append(tag('t="b"', f"<v>{int(value)}</v>"))
            elif kind == "shared":
                cells_xml.append(tag('t="s"', f"<v>{share(_t(value))}</v>"))
            elif kind == "rich":
                runs = "".join(
                    f"<r>{'<rPr><b/></rPr>' if i % 2 else ''}{_t(part)}</r>"
                    for i, part in enumerate(value)
                )
                cells_xml.append(tag('t="s"', f"<v>{share(runs)}</v>"))
            elif kind == "inline":
                cells_xml.append(tag('t="inlineStr"', f"<is>{_t(value)}</is>"))
            elif kind == "formula_str":
                cells_xml.append(tag('t="str"', f'<f>A1&amp;""</f><v>{escape(value)}</v>'))
            elif kind == "error":
                cells_xml.append(tag('t="e"', f"<f>1/0</f><v>{value}</v>"))
            elif kind == "error_no_formula":
                cells_xml.append(tag('t="e"', f"<v>{value}</v>"))
        if cells_xml:
            rows_xml.append(f'<row r="{r}">{"".join(cells_xml)}</row>')
    width = max((len(row) for row in grid), default=1)
    dimension = "A1" if stale else f"A1:{chr(64 + max(width, 1))}{max(len(grid), 1)}"
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
        f'<dimension ref="{dimension}"/><sheetData>{"".join(rows_xml)}</sheetData></worksheet>'
    )
    strings = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{MAIN}" '
        f'count="{len(shared)}" uniqueCount="{len(shared)}">{"".join(shared)}</sst>'
    )
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Pledges" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": strings,
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)


def by_openpyxl(path: Path) -> tuple[list[Any], list[list[Any]], list[int]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        tab = read_openpyxl_sheet(book["Pledges"])
    finally:
        book.close()
    return tab.header, tab.rows, tab.row_numbers


def typed(values: list[Any]) -> list[tuple[str, Any]]:
    """Cells with their kind: a bool is not a number, a date not a datetime, text not a date.

    An int and a float of the same value are both "number" (openpyxl gives 3.0 for a file
    holding "3.0"; the reader gives 3, as every spreadsheet program writes it).
    """
    out = []
    for v in values:
        if isinstance(v, bool):
            out.append(("bool", v))
        elif isinstance(v, int | float):
            out.append(("number", v))
        else:
            out.append((type(v).__name__, v))
    return out


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    grid=st.lists(st.lists(cells(), max_size=6), max_size=7),
    t_first=st.booleans(),
    stale=st.booleans(),
)
def test_every_cell_kind_is_read_as_openpyxl_reads_it(
    tmp_path: Path, grid: list[list[tuple[str, Any] | None]], t_first: bool, stale: bool
) -> None:
    path = tmp_path / "generated.xlsx"
    build(path, grid, t_first, stale)
    (tab,) = WorkbookSource(path).read().tabs
    header, rows, numbers = by_openpyxl(path)
    assert tab.row_numbers == numbers
    assert typed(tab.header) == typed(header)
    assert [typed(r) for r in tab.rows] == [typed(r) for r in rows]


def test_each_error_type_and_its_place(tmp_path: Path) -> None:
    grid: list[list[tuple[str, Any] | None]] = [[("shared", "Amount")]]
    grid += [[None, None, ("error", e)] for e in ERRORS]  # alone on their rows, in column C
    path = tmp_path / "errors.xlsx"
    build(path, grid, t_first=True, stale=True)
    (tab,) = WorkbookSource(path).read().tabs
    assert tab.rows == [[None, None, e] for e in ERRORS]
    assert tab.row_numbers == list(range(2, 2 + len(ERRORS)))


def test_errors_calamine_refuses_are_read_with_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "newer.xlsx"
    grid: list[list[tuple[str, Any] | None]] = [[("shared", "Amount"), ("shared", "Date")]]
    grid += [[("error", e), ("date", 42826)] for e in NEWER_ERRORS]
    build(path, grid, t_first=False, stale=False)
    (tab,) = WorkbookSource(path).read().tabs
    assert tab.rows == [[e, dt.date(2017, 4, 1)] for e in NEWER_ERRORS]


@pytest.mark.parametrize(
    ("xml", "found"),
    [
        (b'<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c>', {(2, 1): "#DIV/0!"}),
        (b'<x:c t="e" s="2" r="AA10"><x:v>#N/A</x:v></x:c>', {(9, 26): "#N/A"}),
        (b'<c r="A1" t="s"><v>0</v></c><c r="B1" t="e"/>', {}),  # no cached value: empty
        (b'<c r="A1"><v>1</v></c>', {}),
        (b'<c t="e"><v>#REF!</v></c>', None),  # no address: read with openpyxl instead
    ],
)
def test_error_cells_found_in_one_scan(
    xml: bytes, found: dict[tuple[int, int], str] | None
) -> None:
    assert error_cells(xml) == found


def test_a_sheet_whose_error_cell_has_no_address_is_read_with_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "no-address.xlsx"
    build(path, [[("shared", "Amount")], [("error", "#REF!")]], t_first=True, stale=False)
    with zipfile.ZipFile(path) as src:
        items = {i.filename: src.read(i.filename) for i in src.infolist()}
    items["xl/worksheets/sheet1.xml"] = items["xl/worksheets/sheet1.xml"].replace(b' r="A2"', b"")
    with zipfile.ZipFile(path, "w") as out:
        for name, data in items.items():
            out.writestr(name, data)
    (tab,) = WorkbookSource(path).read().tabs
    assert (tab.header, tab.rows, tab.row_numbers) == (["Amount"], [["#REF!"]], [2])
