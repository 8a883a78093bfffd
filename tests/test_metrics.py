"""Figures beyond the headline ones, on the messy workbook's snapshot (errors already left out)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import MESSY_AS_OF

from cii_sheets import metrics, sync
from cii_sheets.snapshot import Snapshot
from cii_sheets.sources.workbook import WorkbookSource


@pytest.fixture
def snapshot(messy_workbook: Path) -> Snapshot:
    outcome = sync.check(WorkbookSource(messy_workbook), MESSY_AS_OF)
    assert outcome.validation is not None
    return outcome.validation.snapshot


def test_financial_years_run_april_to_march() -> None:
    dates = pd.Series(pd.to_datetime(["2017-03-31", "2017-04-01", "2020-01-15", None]))
    assert list(metrics.financial_year(dates).fillna("-")) == ["2016/17", "2017/18", "2019/20", "-"]
    assert list(metrics.financial_year(dates, start_month=1).fillna("-")) == [
        "2017",
        "2017",
        "2020",
        "-",
    ]


def test_pledge_payment_status(snapshot: Snapshot) -> None:
    pledges = metrics.pledge_payments(snapshot, MESSY_AS_OF).set_index("pledge_id")
    assert pledges.loc["P001", "payment_status"] == metrics.PAID_IN_FULL
    assert pledges.loc["P004", "payment_status"] == metrics.EXPECTED
    assert pledges.loc["P006", "payment_status"] == metrics.OVERDUE
    assert pledges.loc["P006", "outstanding_gbp"] == 30_000


def test_by_funder_and_by_financial_year(snapshot: Snapshot) -> None:
    pledges = metrics.pledge_payments(snapshot, MESSY_AS_OF)
    payments = metrics.payments_with_funder(snapshot)
    funders = metrics.by_funder(pledges, payments).set_index("funder")
    assert funders.loc["Unbound Philanthropy", "pledged_gbp"] == 40_000
    assert funders.loc["Trust for London", "pledged_gbp"] == 25_000
    assert funders.loc["Trust for London", "expected_gbp"] == 100_000
    assert funders["received_gbp"].sum() == 35_000

    years = metrics.by_financial_year(pledges, payments, 4).set_index("financial_year")
    # P001 pledged 1 Apr 2017, P006 1 Apr 2018; paid 1 May 2017 and 15 Apr 2019.
    assert years.to_dict("index") == {
        "2017/18": {"pledged_gbp": 25_000, "received_gbp": 25_000},
        "2018/19": {"pledged_gbp": 40_000, "received_gbp": 0},
        "2019/20": {"pledged_gbp": 0, "received_gbp": 10_000},
    }


def test_concurrency_counts_each_secondment_through_its_end_date(snapshot: Snapshot) -> None:
    steps = metrics.concurrency(snapshot)
    # S01 and S02 from 3 Apr 2017, S04 1 Jan 2018 to 31 Jan 2019, S01 to 31 Mar 2019.
    assert list(zip(steps["date"].dt.strftime("%Y-%m-%d"), steps["count"], strict=True)) == [
        ("2017-04-03", 2),
        ("2018-01-01", 3),
        ("2019-02-01", 2),
        ("2019-04-01", 1),
        ("2020-04-01", 0),
    ]


def test_achievements_by_goal_and_quarter(snapshot: Snapshot) -> None:
    by_goal = metrics.achievements_by_goal(snapshot)
    assert list(by_goal["achievements"]) == [0, 1, 1]
    by_quarter = metrics.achievements_by_quarter(snapshot["achievements"])
    assert by_quarter.to_dict("records") == [
        {"quarter": "2018 Q1", "goal_id": "G2", "achievements": 1},
        {"quarter": "2018 Q3", "goal_id": "G3", "achievements": 1},
    ]


def test_money_is_written_the_way_the_initiative_writes_it() -> None:
    assert metrics.gbp(1_000_000) == "£1,000,000"
    assert metrics.gbp(25_000.5) == "£25,000.50"
    assert list(metrics.gbp_column(pd.Series([25_000.0, 0.1, float("nan")]))) == [
        "£25,000",
        "£0.10",
        "",
    ]


def test_outside_band_only_inside_the_programme(snapshot: Snapshot) -> None:
    # Running at once: 2 from 3 Apr 2017, 3 from 1 Jan 2018, 2 from 1 Feb 2019, 1 from
    # 1 Apr 2019, none from 1 Apr 2020 (see the concurrency test above).
    settings = dataclasses.replace(
        snapshot.settings,
        programme_start=dt.date(2017, 1, 1),
        programme_end=dt.date(2020, 6, 30),
        min_secondments=3,
        max_secondments=5,
    )
    # Running today means Status Active and the dates around today; each date below stands in
    # for "today", so every secondment is marked Active as staff would have had it then.
    tables = dict(snapshot.tables)
    tables["secondments"] = tables["secondments"].assign(status="Active")
    banded = Snapshot(settings, tables)
    assert metrics.outside_band(banded, dt.date(2017, 6, 1)) == (2, 3, 5)
    assert metrics.outside_band(banded, dt.date(2018, 6, 1)) is None  # 3 running
    assert metrics.outside_band(banded, dt.date(2020, 6, 30)) == (0, 3, 5)  # last day counts
    assert metrics.outside_band(banded, dt.date(2020, 7, 1)) is None  # after the programme
    assert metrics.outside_band(banded, dt.date(2016, 12, 31)) is None  # before it


def test_by_funder_counts_every_payment_as_the_headline_does(snapshot: Snapshot) -> None:
    payments = snapshot["payments"].copy()
    orphan = payments.iloc[[0]].assign(pledge_id="P404", amount_gbp=500.0)
    orphaned = Snapshot(snapshot.settings, {**snapshot.tables, "payments": orphan})
    funders = metrics.by_funder(
        metrics.pledge_payments(orphaned, MESSY_AS_OF), metrics.payments_with_funder(orphaned)
    ).set_index("funder")
    assert funders.loc[metrics.OTHER_FUNDER, "received_gbp"] == 500
    assert funders["received_gbp"].sum() == orphan["amount_gbp"].sum()


def test_cumulative_and_quarters_by_label(snapshot: Snapshot) -> None:
    running = metrics.cumulative(snapshot["pledges"], snapshot["payments"])
    assert running["pledged_gbp"].iloc[-1] == 65_000
    assert running["received_gbp"].iloc[-1] == 35_000
    labelled = snapshot["achievements"].assign(goal=snapshot["achievements"]["goal_id"] + "!")
    by_label = metrics.achievements_by_quarter(labelled, by="goal")
    assert list(by_label.columns) == ["quarter", "goal", "achievements"]
    assert list(by_label["goal"]) == ["G2!", "G3!"]
    assert metrics.achievements_by_quarter(labelled.iloc[:0], by="goal").empty


def test_dates_are_written_the_uk_way() -> None:
    assert metrics.uk_date(dt.date(2017, 4, 1)) == "1 Apr 2017"
    assert metrics.uk_date(pd.Timestamp("2017-12-25")) == "25 Dec 2017"
    assert metrics.uk_date(None) == "" and metrics.uk_date(pd.NaT) == ""
    assert list(metrics.uk_dates(pd.Series(pd.to_datetime(["2017-04-01", None])))) == [
        "1 Apr 2017",
        "",
    ]
