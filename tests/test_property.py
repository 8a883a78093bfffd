"""Property: arbitrary cell content never crashes the sync, and the good rows around it survive."""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cii_sheets import schema, sync
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.store import Store

D = dt.date
AS_OF = D(2019, 6, 30)

# A small sheet in which every row is valid.
CLEAN: dict[str, list[list[object]]] = {
    "Goals": [["Goal ID", "Goal"], ["G1", "Civic engagement"], ["G2", "Young Londoners"]],
    "Funders": [["Funder", "Type"], ["Trust for London", "Trust"], ["Unbound Philanthropy", "F"]],
    "Pledges": [
        ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Notes"],
        ["P1", "Trust for London", 50000, D(2017, 1, 10), D(2018, 3, 31), "Confirmed", ""],
        ["P2", "Unbound Philanthropy", "£20,000", "01/02/2017", None, "Confirmed", "x"],
        ["P3", "Trust for London", 30000, D(2018, 5, 1), None, "Expected", None],
    ],
    "Payments": [
        ["Pledge ID", "Date received", "Amount (£)", "Reference"],
        ["P1", D(2017, 4, 1), 25000, "a"],
        ["P2", D(2017, 5, 1), 20000, "b"],
    ],
    "Secondments": [
        [
            "Secondment ID",
            "Secondee",
            "Host organisation",
            "Role",
            "Goals",
            "FTE",
            "Start date",
            "End date",
            "Status",
            "Notes",
        ],
        [
            "S1",
            "Ada",
            "Citizens UK",
            "Lead",
            "G1",
            0.6,
            D(2017, 4, 3),
            D(2019, 3, 31),
            "Completed",
            "",
        ],
        ["S2", "Ben", "Coram", None, "G1; G2", "60%", D(2017, 4, 3), D(2020, 3, 31), "Active", ""],
    ],
    "Milestones": [
        ["Milestone", "Planned date", "Actual date", "Owner", "Notes"],
        ["First call", D(2017, 1, 15), D(2017, 1, 20), "TfL", ""],
        ["Review", D(2017, 11, 30), D(2017, 12, 1), None, None],
    ],
    "Achievements": [
        ["Date", "Achievement", "Goal", "Secondment ID", "Type", "Evidence link", "Notes"],
        [D(2017, 10, 1), "Ceremony pilot", "G1", "S1", "Pilot", "https://example.org/a", ""],
        [D(2018, 2, 1), "Forum", "Young Londoners", "S2", None, None, None],
    ],
}

ODD_TEXT = st.sampled_from(
    [
        "#REF!",
        "#N/A",
        "£25,000",
        "ten k",
        "60%",
        "-5",
        "$40",
        "31/02/2018",
        "13/13/2017",
        "G1, Diversity, social contact and identity",
        "Civic engagment",
        "TBC",
        "  ",
        "=1+1",
        '=IMPORTXML("http://x","//a")',
        "javascript:alert(1)",
        "P1",
        "S1",
        "Confirmed",
        "💷",
    ]
)
CELL = st.one_of(
    st.none(),
    st.text(max_size=40),
    ODD_TEXT,
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
)

# Cells that other rows do not depend on: not an ID, and not in the Goals tab (goal names are
# how other tabs refer to goals).
EDITABLE = [
    (tab, r, c)
    for tab, rows in CLEAN.items()
    if tab != "Goals"
    for r in range(1, len(rows))
    for c, header in enumerate(rows[0])
    if schema.TAB_BY_NAME[tab].columns[0].kind is not schema.Kind.ID
    or schema.normalise_header(header)
    != schema.normalise_header(schema.TAB_BY_NAME[tab].columns[0].name)
]


class MemorySource:
    def __init__(self, tabs: dict[str, list[list[object]]]) -> None:
        self.tabs = tabs

    def describe(self) -> str:
        return "memory"

    def read(self) -> RawSpreadsheet:
        return RawSpreadsheet(
            "memory",
            [
                RawTab(title, rows[0], [list(r) for r in rows[1:]], list(range(2, len(rows) + 1)))
                for title, rows in self.tabs.items()
            ],
        )


def _stored_rows(url: str) -> dict[str, set[int]]:
    snapshot = Store(url).load_snapshot()
    return {tab: set(snapshot[schema.TAB_BY_NAME[tab].table]["sheet_row"]) for tab in CLEAN}


def _sync(tabs: dict[str, list[list[object]]]) -> tuple[sync.Outcome, dict[str, set[int]]]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'cii.sqlite'}"
        outcome = sync.run(MemorySource(tabs), url, AS_OF)
        return outcome, _stored_rows(url) if outcome.run_id else {}


def test_the_clean_sheet_is_clean() -> None:
    outcome, stored = _sync(CLEAN)
    assert outcome.validation is not None
    assert outcome.validation.problems == []
    assert stored == {tab: set(range(2, len(rows) + 1)) for tab, rows in CLEAN.items()}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(EDITABLE), value=CELL)
def test_any_value_in_any_cell_keeps_every_other_row(
    place: tuple[str, int, int], value: object
) -> None:
    tab, row, column = place
    tabs = copy.deepcopy(CLEAN)
    tabs[tab][row][column] = value

    outcome, stored = _sync(tabs)

    assert outcome.exit_code in (sync.EXIT_OK, sync.EXIT_DATA_ERRORS), outcome.error
    for name, rows in CLEAN.items():
        expected = set(range(2, len(rows) + 1))
        if name == tab:
            assert stored[name] >= expected - {row + 1}
        else:
            assert stored[name] == expected, (name, outcome.validation.problems)  # type: ignore[union-attr]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tab=st.sampled_from(sorted(CLEAN)),
    grid=st.lists(st.lists(CELL, max_size=12), min_size=0, max_size=6),
)
def test_a_tab_of_arbitrary_cells_never_crashes_the_sync(
    tab: str, grid: list[list[object]]
) -> None:
    tabs = copy.deepcopy(CLEAN)
    tabs[tab] = grid if grid else [[]]

    outcome, _ = _sync(tabs)

    assert outcome.exit_code in (sync.EXIT_OK, sync.EXIT_DATA_ERRORS), outcome.error
    assert outcome.run_id is not None
