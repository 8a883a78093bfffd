"""The Settings tab: values override the defaults; a bad value keeps its default and says why."""

from __future__ import annotations

import datetime as dt

from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.validate import validate


def _check(rows: list[list[object]]):  # type: ignore[no-untyped-def]
    settings = RawTab("Settings", ["Setting", "Value"], rows, list(range(2, len(rows) + 2)))
    return validate(RawSpreadsheet("memory", [settings]), dt.date(2020, 1, 1))


def _found(result) -> list[tuple[str, str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(p.severity, p.code, p.row, p.cell) for p in result.problems if p.tab == "Settings"]


def test_settings_override_the_defaults() -> None:
    result = _check(
        [
            ["Fundraising target (£)", "£1,500,000"],
            ["programme end", "31/03/2027"],
            ["Maximum concurrent secondments", 6],
            ["Financial year starts", "january"],
        ]
    )
    settings = result.snapshot.settings
    assert settings.target_gbp == 1_500_000
    assert settings.programme_end == dt.date(2027, 3, 31)
    assert settings.max_secondments == 6
    assert settings.fy_start_month == 1
    assert _found(result) == []


def test_bad_settings_keep_their_defaults_and_say_why() -> None:
    result = _check(
        [
            [None, "5"],
            ["Minimum concurrent secondments", 2.5],
            ["Maximum concurrent secondments", 1],
            ["Minimum concurrent secondments", 3],
            ["Colour", "blue"],
        ]
    )
    settings = result.snapshot.settings
    assert (settings.min_secondments, settings.max_secondments) == (2, 5)
    assert _found(result) == [
        ("error", "out-of-range", None, None),  # minimum 3 above maximum 1
        ("error", "missing-value", 2, "A2"),
        ("error", "out-of-range", 3, "B3"),  # 2.5 secondments
        ("warning", "unknown-setting", 6, "A6"),
    ]
    blank = next(p for p in result.problems if p.code == "missing-value")
    assert "None" not in blank.message and "Setting column" in blank.message
