"""The Sync report as a to-do list, end to end through the fake Sheets API, and its messages.

The messy test workbook is synced into a fake spreadsheet; the report the fake then holds is read
back cell by cell: its first line, its groups in order with their heading rows and fills, the
order of the things to fix, and where every alert's link goes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from conftest import MESSY_AS_OF, MESSY_PROBLEMS, MESSY_TABS
from fake_sheets import cell_data, fake_world

from cii_sheets import report, sync
from cii_sheets.problems import Code, Severity
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.validate import Validation, validate
from cii_sheets.writeback import ReportWriter

D = dt.date
SETTINGS = [
    ["Setting", "Value"],
    ["Programme end", "31/03/2022"],
    ["Minimum concurrent secondments", 2],
    ["Maximum concurrent secondments", 5],
]
LINK = re.compile(r'=HYPERLINK\("#gid=(\d+)&range=([A-Z0-9:]+)","Open"\)')


def _report(world: Any) -> list[list[dict[str, Any]]]:
    """The report tab's cells, row by row (each cell as Google keeps it)."""
    sheet = world.fake.sheet("Sync report")
    return [row.get("values", []) for row in sheet.row_data()]


def _text(cell: dict[str, Any]) -> str:
    return str(cell.get("userEnteredValue", {}).get("stringValue", ""))


def _link(world: Any, cell: dict[str, Any]) -> tuple[str, str]:
    """(tab title, A1) an Open link goes to."""
    found = LINK.fullmatch(cell["userEnteredValue"]["formulaValue"])
    assert found, cell
    titles = {s.sheet_id: s.title for s in world.fake.sheets}
    return titles[int(found.group(1))], found.group(2)


def _fill(cell: dict[str, Any]) -> dict[str, float]:
    return dict(cell.get("userEnteredFormat", {}).get("backgroundColor", {}))


def test_the_messy_sheet_gets_a_to_do_list_in_one_write(tmp_path: Path) -> None:
    tabs = {"Settings": SETTINGS, **MESSY_TABS}
    with fake_world(tmp_path, tabs) as world:
        source = world.source()
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
        assert outcome.error is None
        (write,) = world.fake.requests_of("write")  # values, fills and bold: one batchUpdate
        assert '"backgroundColor"' in str(write.body).replace("'", '"')
        rows = _report(world)

        # First line: how many things to fix, and the date the checks were worked out for.
        assert re.fullmatch(
            r"9 things to fix, as of 30 Jun 2019 \(synced \d+ \w+ \d{4} \d\d:\d\d \w+\)\.",
            _text(rows[0][0]),
        )
        assert world.fake.sheet("Sync report").frozen == 1

        # Groups in order, each opened by a heading row and its own column names, in its fill.
        headings = [i for i, r in enumerate(rows) if len(r) == 7 and not _text(r[1])]
        headings = [i for i in headings if _text(rows[i][0]).endswith(")")]
        assert [_text(rows[i][0]) for i in headings] == [
            "To fix (9)",
            "Notes: nothing to fix (1)",
            "For information: alerts for leadership (3)",
        ]
        fix, notes, info = headings
        assert [_text(c) for c in rows[fix + 1]] == list(report.HEADER)
        assert [_text(c) for c in rows[info + 1]][5] == "For information"
        fills = [_fill(rows[i][0]) for i in headings]
        assert len({str(f) for f in fills}) == 3 and all(fills)
        for start, end, fill in ((fix, notes, fills[0]), (notes, info, fills[1])):
            assert all(_fill(r[5]) == fill for r in rows[start:end])
        assert all(_fill(r[5]) == fills[2] for r in rows[info:])

        # To fix: errors and the warning that asks for a change, by tab (sheet order), then row.
        things = [
            (_text(r[1]), r[2]["userEnteredValue"]["numberValue"]) for r in rows[fix + 2 : notes]
        ]
        assert things == [(p[2], p[3]) for p in MESSY_PROBLEMS if p[1] != "extra-column"]
        assert [_text(r[0]) for r in rows[fix + 2 : notes]].count("Warning") == 1
        # Notes: the extra column, which is fine; it links to its header cell.
        (note,) = rows[notes + 2 : info]
        assert (_text(note[0]), _text(note[3])) == ("Note", "Contact")
        assert _link(world, note[6]) == ("Pledges", "G1")
        # A column name opening a sentence is capitalised; elsewhere it is as staff wrote it.
        messages = [_text(r[5]) for r in rows[fix + 2 : notes]]
        assert not any(m[:1].islower() for m in messages)
        assert any(m.startswith("Pledge id is already used in row 2") for m in messages)

        # Every alert links to the cell to act on.
        alerts = {_text(r[5]).split(" ")[0]: _link(world, r[6]) for r in rows[info + 2 :]}
        assert alerts == {
            "Unbound": ("Pledges", "F9"),  # P006's Due by
            "'Review": ("Milestones", "C3"),  # its Actual date
            "1": ("Settings", "B3:B4"),  # the rows that set the band of secondments
        }
        band = _text(rows[-1][5])
        assert "(S02)" in band and "Settings tab, rows 3 and 4" in band


def test_the_first_line_says_all_clear_once_only_notes_and_alerts_are_left(
    tmp_path: Path,
) -> None:
    clean = {
        "Goals": MESSY_TABS["Goals"],
        "Pledges": [
            ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Contact"],
            ["P001", "Trust for London", 25000, D(2018, 1, 1), D(2019, 3, 31), "Confirmed", "Jo"],
            ["P002", "Unbound Philanthropy", 10000, "TBC", None, "Expected", None],
        ],
        "Secondments": MESSY_TABS["Secondments"][:3],
        "Achievements": [
            MESSY_TABS["Achievements"][0],
            [D(2018, 2, 1), "Young Londoners Forum", "G2", "S02", None],
        ],
    }
    with fake_world(tmp_path, clean) as world:
        source = world.source()
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
        assert outcome.exit_code == sync.EXIT_OK
        rows = _report(world)
        first = _text(rows[0][0])
        assert first.startswith(
            "All clear: nothing to fix. 2 notes and 2 alerts for information. As of 30 Jun 2019"
        )
        assert [
            _text(r[0]) for r in rows if len(r) > 1 and _text(r[0]) in ("Error", "Warning")
        ] == []
        notes = [_text(r[5]) for r in rows if _text(r[0]) == "Note"]
        assert len(notes) == 2
        assert any("leave it empty until the pledge is confirmed" in n for n in notes)
        overdue, band = rows[-2:]
        assert _link(world, overdue[6]) == ("Pledges", "E2")  # P001's Due by
        # No Settings tab: the band is the default, and the message says where to set it.
        assert "add the rows Minimum concurrent secondments" in _text(band[5])


# --- messages -----------------------------------------------------------------------------------


def _validate(tabs: dict[str, list[list[object]]]) -> Validation:
    raw = []
    for title, rows in {**{"Goals": MESSY_TABS["Goals"]}, **tabs}.items():
        numbers = list(range(2, len(rows) + 1))
        raw.append(RawTab(title, rows[0], rows[1:], numbers))
    return validate(RawSpreadsheet("test", raw), MESSY_AS_OF)


PLEDGE_HEADER = ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Status"]


def test_an_expected_pledge_may_wait_for_its_date_but_a_confirmed_one_may_not() -> None:
    v = _validate(
        {
            "Pledges": [
                PLEDGE_HEADER,
                ["P001", "Trust for London", 1000, None, "Expected"],
                ["P002", "Trust for London", 1000, "TBC", "expected"],
                ["P003", "Trust for London", 1000, None, "Confirmed"],
            ]
        }
    )
    found = {(p.row, p.code, p.severity) for p in v.problems if p.tab == "Pledges"}
    assert found == {
        (3, Code.PLACEHOLDER, Severity.WARNING),
        (4, Code.MISSING_VALUE, Severity.ERROR),
    }
    missing = next(p for p in v.problems if p.code is Code.MISSING_VALUE)
    assert missing.message == (
        "Enter the Date pledged for this pledge, like 01/04/2017. This cell is empty. Only a "
        "pledge whose Status is Expected may leave it empty."
    )
    note = next(p for p in v.problems if p.code is Code.PLACEHOLDER)
    assert note.is_note and "leave it empty until the pledge is confirmed" in note.message
    assert sorted(v.snapshot["pledges"]["pledge_id"]) == ["P001", "P002"]  # both kept


def test_a_duplicate_id_suggests_the_next_free_one() -> None:
    rows: list[list[object]] = [PLEDGE_HEADER]
    rows += [
        [f"P{n:03d}", "Trust for London", 1000, "01/04/2017", "Confirmed"] for n in range(1, 15)
    ]
    rows += [["P003", "Trust for London", 1000, "01/04/2017", "Confirmed"]] * 2
    v = _validate({"Pledges": rows})
    dupes = [p.message for p in v.problems if p.code is Code.DUPLICATE_ID]
    assert dupes == [
        "Pledge ID is already used in row 4. Give each pledge its own Pledge ID, like P015, "
        "which is not used yet.",
        "Pledge ID is already used in row 4. Give each pledge its own Pledge ID, like P016, "
        "which is not used yet.",
    ]


def test_did_you_mean_for_a_pledge_only_among_the_funders_own_pledges() -> None:
    pledges = [
        PLEDGE_HEADER,
        ["P011", "Trust for London", 1000, "01/04/2017", "Confirmed"],
        ["P021", "Unbound Philanthropy", 1000, "01/04/2017", "Confirmed"],
    ]
    payments = [
        ["Pledge ID", "Date received", "Amount (£)", "Reference", "Funder"],
        ["P012", "01/05/2017", 500, "UP-7", "Unbound Philanthropy"],  # close to P011, not theirs
        ["P012", "01/05/2017", 500, "Trust for London grant", None],  # named in the Reference
        ["P012", "01/05/2017", 500, None, None],  # no funder named: any pledge may be meant
    ]
    v = _validate({"Pledges": pledges, "Payments": payments})
    messages = [p.message for p in v.problems if p.code is Code.UNKNOWN_REFERENCE]
    assert len(messages) == 3
    assert "Unbound Philanthropy's pledges: P021. Did you mean 'P021'?" in messages[0]
    assert "P011" not in messages[0]
    assert "Trust for London's pledges: P011. Did you mean 'P011'?" in messages[1]
    assert "Did you mean 'P011'?" in messages[2] or "Did you mean 'P021'?" in messages[2]
    assert all("Check the payment record first" in m for m in messages)


def test_the_messy_sheet_is_fixed_in_one_pass_from_the_reports_words(tmp_path: Path) -> None:
    """Each fix is taken from the words of the report; the next sync says All clear.

    Where the right value is a fact only staff know (the real date, the amount, which pledge a
    payment was for), the report says the form to use and where to look; the test plays staff.
    """
    with fake_world(tmp_path, MESSY_TABS) as world:
        source = world.source()
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
        todo = {
            (_text(r[1]), r[2]["userEnteredValue"]["numberValue"]): _text(r[5])
            for r in _report(world)
            if len(r) == 7 and _text(r[0]) in ("Error", "Warning")
        }
        assert len(todo) == 9

        def says(tab: str, row: int, pattern: str) -> str:
            found = re.search(pattern, todo.pop((tab, row)))
            assert found, (tab, row, pattern)
            return found.group(1) if found.groups() else found.group(0)

        def put(tab: str, row: int, col: int, value: object) -> None:
            world.fake.sheet(tab).cells[(row - 1, col)] = cell_data(value)

        assert says("Pledges", 3, r"a number of pounds, like (\d+)") == "25000"
        put("Pledges", 3, 2, 10000)  # 'ten k'
        says("Pledges", 5, r"There is no 31 February 2018\. Enter it in the form day/month/year")
        put("Pledges", 5, 4, "28/02/2018")
        put("Pledges", 7, 1, says("Pledges", 7, r"like (P\d+), which is not used yet"))
        says("Pledges", 8, r"Type the amount pledged in pounds instead, like 25000")
        put("Pledges", 8, 2, 20000)
        says("Payments", 3, r"Check the payment record first")
        put("Payments", 3, 0, "P007")  # the record says: the pledge now numbered P007
        says("Secondments", 4, r"End date must be on or after Start date")
        put("Secondments", 4, 6, D(2019, 8, 31))
        put("Secondments", 5, 7, says("Secondments", 5, r"Change it to (Completed)"))
        put("Achievements", 2, 2, says("Achievements", 2, r"did you mean '([^']+)'"))
        says("Achievements", 4, r"or leave the cell empty")
        del world.fake.sheet("Achievements").cells[(3, 3)]
        assert todo == {}

        outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
        first = _text(_report(world)[0][0])
        assert first.startswith("All clear: nothing to fix. 1 note and 2 alerts for information.")
        assert outcome.exit_code == sync.EXIT_OK
