"""The sample workbook: a check reports exactly its planted mistakes; its figures add up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cii_sheets import sync
from cii_sheets.sample import PAYMENTS, PLEDGES, SAMPLE_MISTAKES, write_sample
from cii_sheets.sources.workbook import WorkbookSource

AS_OF = dt.date(2026, 11, 23)


def test_check_finds_exactly_the_planted_mistakes(tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    write_sample(path)
    outcome = sync.check(WorkbookSource(path), AS_OF)

    assert outcome.validation is not None
    found = {(p.tab, p.row, p.column) for p in outcome.validation.problems}
    planted = {(m.tab, m.row, m.column) for m in SAMPLE_MISTAKES}
    # And S14, Planned while its agreement is signed though its start date has come: a warning
    # naming its Status and Start date, and never counted as running.
    assert found == planted | {("Funders", 1, "Contact email"), ("Secondments", 15, "Status")}
    assert outcome.exit_code == sync.EXIT_DATA_ERRORS


def test_sample_figures_add_up_from_its_own_rows(tmp_path: Path) -> None:
    path = tmp_path / "sample.xlsx"
    write_sample(path)
    outcome = sync.check(WorkbookSource(path), AS_OF)
    assert outcome.figures is not None

    # Independently of validation: Confirmed pledges with a numeric amount, and payments to a
    # pledge that exists (P099 is the planted unknown pledge).
    pledged = sum(p[2] for p in PLEDGES if p[5] == "Confirmed" and isinstance(p[2], int | float))
    ids = {p[0] for p in PLEDGES}
    received = sum(p[2] for p in PAYMENTS if p[0] in ids)
    assert outcome.figures.pledged_gbp == pledged
    assert outcome.figures.received_gbp == received
    assert 0 < outcome.figures.percent_of_target < 100
