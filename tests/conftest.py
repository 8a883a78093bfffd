"""Shared fixtures: the deliberately messy workbook of the core issue, built cell by cell."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from cii_sheets.store import Store

D = dt.date

# as_of for every expectation below
MESSY_AS_OF = D(2019, 6, 30)

MESSY_TABS: dict[str, list[list[object]]] = {
    # Headers renamed (case, punctuation) and reordered; an extra column.
    "Goals": [
        ["goal id", "GOAL", "Description"],
        ["G1", "Civic engagement", ""],
        ["G2", "Young Londoners", ""],
        ["G3", "Diversity, social contact and identity", ""],
    ],
    "Funders": [
        ["Funder", "Type"],
        ["Trust for London", "Trust"],
        ["Unbound Philanthropy", "Foundation"],
        ["Paul Hamlyn Foundation", "Foundation"],
    ],
    "Pledges": [
        ["Status", "pledge id", "Amount £", "Funder", "Date Pledged", "Due by", "Contact"],
        ["Confirmed", "P001", "£25,000", "Trust for London", "01/04/2017", D(2018, 3, 31), None],
        ["Confirmed", "P002", "ten k", "Unbound Philanthropy", D(2017, 5, 1), None, None],
        [None, None, None, None, None, None, None],  # a blank row in the middle (row 4)
        ["Confirmed", "P003", 50000, "Paul Hamlyn Foundation", "31/02/2018", None, None],
        ["Expected", "P004", 100000, "Trust for London", D(2019, 1, 1), None, None],
        ["Confirmed", "P001", 10000, "Trust for London", D(2017, 6, 1), None, None],
        ["Confirmed", "P005", "#REF!", "Unbound Philanthropy", D(2018, 1, 1), None, None],
        ["confirmed ", "P006", 40000, "unbound philanthropy", D(2018, 4, 1), D(2019, 3, 31), "x"],
    ],
    "Payments": [
        ["Pledge ID", "Date received", "Amount (£)", "Reference"],
        ["P001", D(2017, 5, 1), 25000, "TFL-1"],
        ["P099", D(2017, 6, 1), 5000, "?"],
        ["P006", "15/04/2019", 10000, None],
    ],
    "Secondments": [
        [
            "Secondment ID",
            "Secondee",
            "Host organisation",
            "Goals",
            "FTE",
            "Start date",
            "End date",
            "Status",
        ],
        ["S01", "Ada", "Citizens UK", "G1", 0.6, D(2017, 4, 3), D(2019, 3, 31), "Completed"],
        [
            "S02",
            "Ben",
            "Coram Children's Legal Centre",
            "Young Londoners; g3",
            "60%",
            D(2017, 4, 3),
            D(2020, 3, 31),
            "Active",
        ],
        [
            "S03",
            "Cal",
            "Migrants Organise",
            "G1, Diversity, social contact and identity",
            0.5,
            D(2018, 9, 1),
            D(2018, 6, 1),
            "Active",
        ],
        ["S04", "Dee", "New Europeans", "G3", 0.4, D(2018, 1, 1), D(2019, 1, 31), "Active"],
    ],
    "Milestones": [
        ["Milestone", "Planned date", "Actual date"],
        ["First call for proposals", D(2017, 1, 15), D(2017, 1, 20)],
        ["Review phase 1 secondments", D(2017, 11, 30), None],
        ["Learning report", D(2019, 9, 1), None],
    ],
    "Achievements": [
        ["Date", "Achievement", "Goal", "Secondment ID", "Evidence link"],
        [D(2017, 10, 1), "Citizenship ceremony pilot", "Civic engagment", None, None],
        [D(2018, 2, 1), "Young Londoners Forum", "G2", "S02", "https://example.org/forum"],
        [D(2018, 7, 1), "Guidance for young people", "young londoners", "S09", None],
        [D(2018, 9, 1), "Small grants for welcome groups", "G3", None, None],
    ],
}

# (severity, code, tab, row, column) in the order validation reports them.
MESSY_PROBLEMS = [
    ("warning", "extra-column", "Pledges", 1, "Contact"),
    ("error", "type-error", "Pledges", 3, "Amount £"),
    ("error", "type-error", "Pledges", 5, "Date Pledged"),
    ("error", "duplicate-id", "Pledges", 7, "pledge id"),
    ("error", "formula-error", "Pledges", 8, "Amount £"),
    ("error", "unknown-reference", "Payments", 3, "Pledge ID"),
    ("error", "date-order", "Secondments", 4, "End date"),
    ("warning", "status-mismatch", "Secondments", 5, "Status"),
    ("error", "invalid-choice", "Achievements", 2, "Goal"),
    ("error", "unknown-reference", "Achievements", 4, "Secondment ID"),
]

MESSY_FIGURES = {
    "as_of": "2019-06-30",
    "target_gbp": 1_000_000.0,
    "pledged_gbp": 65_000.0,  # P001 25,000 + P006 40,000 (Confirmed, no errors)
    "expected_gbp": 100_000.0,  # P004
    "received_gbp": 35_000.0,  # P001 25,000 + P006 10,000; the P099 payment is left out
    "outstanding_gbp": 30_000.0,  # P006
    "overdue_gbp": 30_000.0,  # P006 was due by 31 Mar 2019
    "granted_gbp": 0.0,
    "percent_of_target": 6.5,
    "active_secondments": 1,  # S02 only: S01 and S04 ended, S03 has an error
    "active_fte": 0.6,
    "achievements_by_goal": {"G1": 0, "G2": 1, "G3": 1},
    "milestones": {"done": 1, "upcoming": 1, "overdue": 1},
    "rows_left_out": {"Pledges": 4, "Payments": 1, "Secondments": 1, "Achievements": 2},
}

MESSY_ALERTS = [
    ("overdue-pledge", "Pledges", 9),
    ("overdue-milestone", "Milestones", 3),
    ("secondments-outside-band", "Secondments", None),
]


def write_workbook(path: Path, tabs: dict[str, list[list[object]]]) -> Path:
    """An .xlsx with one sheet per tab, cells written as given (dates as real date cells)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in tabs.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("#"):
                    cell.data_type = "e"  # a failed formula, as Excel stores it
    book.save(path)
    return path


@pytest.fixture
def messy_workbook(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "messy.xlsx", MESSY_TABS)


POSTGRES_HELP = (
    "PostgreSQL store tests skipped: set CII_TEST_POSTGRES_URL to a server's URL, e.g. "
    "`export CII_TEST_POSTGRES_URL=$(scripts/test-postgres.sh start)` (CI does this)."
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cii.sqlite'}"
        return
    server = os.environ.get("CII_TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL store tests: " + POSTGRES_HELP)
        pytest.skip(POSTGRES_HELP)
    name = f"cii_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def open_store() -> Iterator[Callable[[str], Store]]:
    """Open stores that are closed again after the test (PostgreSQL wants its connections back)."""
    opened: list[Store] = []

    def opener(url: str) -> Store:
        opened.append(Store(url))
        return opened[-1]

    yield opener
    for store in opened:
        store.dispose()
