"""The headline answers in words (cii_sheets.headlines), and the Status/date warnings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cii_sheets import headlines, metrics
from cii_sheets.snapshot import Settings, Snapshot

D = dt.date


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        (64_321, "£64,000"),
        (115_400, "£115,000"),
        (1_000_000, "£1 million"),
        (1_234_567, "£1.23 million"),
        (4_321, "£4,300"),
        (87, "£87"),
    ],
)
def test_money_is_rounded_the_way_people_say_it(amount: float, said: str) -> None:
    assert headlines.about_gbp(amount) == said


def settings(**changes: object) -> Settings:
    base = {
        "target_gbp": 1_000_000.0,
        "programme_start": D(2017, 1, 1),
        "programme_end": D(2027, 3, 31),
    }
    return Settings(**{**base, **changes})  # type: ignore[arg-type]


def running(*points: tuple[dt.date, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"date": pd.to_datetime([p[0] for p in points]), "pledged_gbp": [p[1] for p in points]}
    )


def test_pace_covered_by_the_pipeline_says_so_rounded() -> None:
    pace = headlines.pace(running((D(2020, 1, 1), 935_000.0)), 115_000, settings(), D(2026, 11, 26))
    assert pace.sentence.startswith(
        "£65,000 still to raise by 31 Mar 2027; the £115,000 expected would cover it."
    )
    assert pace.on_track and pace.expected_covers and pace.still_to_raise_gbp == 65_000


def test_pace_that_reaches_the_target_in_time_names_the_month() -> None:
    pace = headlines.pace(running((D(2017, 6, 1), 600_000.0)), 0, settings(), D(2020, 1, 1))
    assert "£400,000 still to raise by 31 Mar 2027." in pace.sentence
    assert pace.projected_on is not None and pace.projected_on <= D(2027, 3, 31)
    assert f"the target is reached in {pace.projected_on:%B %Y}." in pace.sentence
    assert "ends" not in pace.sentence  # the programme does not end because of the pace


def test_slow_pace_says_when_not_that_the_programme_ends() -> None:
    pace = headlines.pace(running((D(2017, 6, 1), 100_000.0)), 20_000, settings(), D(2026, 1, 1))
    assert "the £20,000 expected would leave £880,000 to find." in pace.sentence
    assert "after the programme's end date" in pace.sentence and not pace.on_track


def test_pace_when_reached_or_over() -> None:
    reached = headlines.pace(
        running((D(2019, 5, 2), 600_000.0), (D(2020, 3, 4), 1_000_000.0)),
        0,
        settings(),
        D(2026, 1, 1),
    )
    assert reached.sentence == "The £1 million target was reached in March 2020."
    over = headlines.pace(running((D(2019, 5, 2), 600_000.0)), 0, settings(), D(2028, 1, 1))
    assert "ended on 31 Mar 2027 with £400,000 of the £1 million target still to raise" in (
        over.sentence
    )


@pytest.mark.parametrize(
    ("today", "fy_start", "quarter_end"),
    [
        (D(2026, 11, 26), 4, D(2026, 9, 30)),
        (D(2026, 10, 1), 4, D(2026, 9, 30)),
        (D(2026, 2, 3), 4, D(2025, 12, 31)),
        (D(2026, 4, 1), 4, D(2026, 3, 31)),
        (D(2026, 3, 15), 1, D(2025, 12, 31)),
        (D(2026, 9, 1), 9, D(2026, 8, 31)),
    ],
)
def test_last_quarter_end_follows_the_financial_year(
    today: dt.date, fy_start: int, quarter_end: dt.date
) -> None:
    assert headlines.last_quarter_end(today, fy_start) == quarter_end


def snapshot() -> Snapshot:
    snap = Snapshot(settings=settings())
    ts = pd.Timestamp
    snap.tables["pledges"] = pd.DataFrame(
        {
            "pledge_id": ["P1", "P2", "P3"],
            "funder": ["A", "B", "C"],
            "amount_gbp": [100_000.0, 20_000.0, 50_000.0],
            "date_pledged": [ts(2026, 1, 5), ts(2026, 10, 3), ts(2026, 10, 9)],
            "due_by": [pd.NaT] * 3,
            "status": ["Confirmed", "Confirmed", "Expected"],
            "sheet_row": [2, 3, 4],
        }
    )
    snap.tables["secondments"] = pd.DataFrame(
        {
            "secondment_id": ["S1", "S2", "S3", "S4"],
            "secondee": ["a", "b", "c", "d"],
            "host_organisation": ["Host A", "Host B", "Host C", "Host D"],
            "role": ["Lead", "Officer", "Adviser", "Planner"],
            "goals": ["G1", "G1", "G2", "G1"],
            "fte": [0.5, 1.0, 0.4, 0.6],
            "start_date": [ts(2026, 1, 1), ts(2025, 1, 1), ts(2026, 10, 1), ts(2026, 11, 1)],
            "end_date": [ts(2027, 1, 1), ts(2026, 10, 31), ts(2027, 3, 1), ts(2027, 6, 1)],
            "status": ["Active", "Completed", "Active", "Planned"],
            "sheet_row": [2, 3, 4, 5],
        }
    )
    return snap


def test_changes_since_the_quarter_end_come_from_the_data_dates() -> None:
    snap = snapshot()
    today = D(2026, 11, 26)
    change = headlines.changes(snap, today)
    assert change["pledged"].now == 120_000 and change["pledged"].then == 100_000
    assert change["pledged"].words(money=True) == "+£20,000 since 30 Sep 2026"
    # Running today: S1 and S3 (Active); S4 is Planned though its start date has come, and
    # S2 is Completed. At the quarter's end S1 and S2 ran.
    assert change["secondments"].now == 2 and change["secondments"].then == 2
    assert change["secondments"].words() == "no change since 30 Sep 2026"
    assert list(headlines.running_table(snap, today)["Host organisation"]) == ["Host A", "Host C"]
    assert metrics.figures(snap, today).active_secondments == 2
    # The Timeline's "at once" line agrees: the Planned one is not in it either.
    steps = metrics.concurrency(snap)
    assert int(steps.loc[steps["date"] <= pd.Timestamp(today), "count"].iloc[-1]) == 2


def test_left_out_sentence_says_the_money() -> None:
    tabs = pd.DataFrame(
        {"tab": ["Pledges", "Payments", "Goals", "Milestones"], "left_out": [2, 1, 0, 3]}
    )
    money = pd.DataFrame(
        {
            "tab": ["Pledges", "Payments"],
            "amount_gbp": [10_000.0, 5_000.0],
            "unreadable_rows": [1, 0],
        }
    )
    assert headlines.left_out_sentence(tabs, money) == (
        "A £10,000 pledge, a pledge whose amount cannot be read, a £5,000 payment and "
        "3 other rows are not counted until fixed."
    )
    assert headlines.left_out_sentence(tabs.assign(left_out=0), money.iloc[0:0]) is None


def test_status_and_dates_that_disagree_are_warned_naming_both_cells(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cii_sheets import sync
    from cii_sheets.sample import write_sample
    from cii_sheets.sources.workbook import WorkbookSource

    write_sample(tmp_path / "sample.xlsx")
    checked = sync.check(WorkbookSource(tmp_path / "sample.xlsx"), D(2026, 11, 26))
    assert checked.validation is not None
    found = {
        p.row: p.message
        for p in checked.validation.warnings
        if p.code == "status-mismatch" and p.tab == "Secondments"
    }
    # S14, Planned while its agreement is signed, though its start date (5 Oct 2026) has come.
    assert found[15] == (
        "Status (I15) says Planned but Start date (G15), 5 Oct 2026, has passed. Change it "
        "to Active, or correct the Start date."
    )
    assert any("says Active but End date (H" in m for m in found.values())
    # And it is not counted as running.
    assert checked.figures is not None and checked.figures.active_secondments == 2
