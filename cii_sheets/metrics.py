"""Fundraising, timeline and goal figures from a snapshot, as of a date (pure pandas)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cii_sheets.snapshot import Snapshot

PAID_IN_FULL = "Paid in full"
PART_PAID = "Part paid"
NOT_YET_PAID = "Not yet paid"
OVERDUE = "Overdue"
EXPECTED = "Expected"
WITHDRAWN = "Withdrawn"
OTHER_FUNDER = "(pledge not in the snapshot)"  # a payment whose pledge was left out


def gbp(amount: float) -> str:
    """Pounds the way the Initiative writes them: £25,000 or £25,000.50."""
    pennies = round(float(amount) * 100)
    if pennies % 100:
        return f"£{pennies / 100:,.2f}"
    return f"£{pennies // 100:,}"


def gbp_column(amounts: pd.Series) -> pd.Series:
    """`gbp` over a column, without a Python call per row."""
    # Amounts repeat a lot: format each distinct one once.
    codes, distinct = pd.factorize(amounts.astype("float64"))
    text = np.array([gbp(a) for a in distinct] + [""], dtype=object)
    return pd.Series(text[codes], index=amounts.index, dtype=object)


def _uk(stamp: pd.Timestamp) -> str:
    return f"{stamp.day} {stamp.strftime('%b %Y')}"


def uk_date(value: Any) -> str:
    """A date the way people in the UK write it: 1 Apr 2017 ('' when there is none)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return _uk(pd.Timestamp(value))


def uk_dates(dates: pd.Series) -> pd.Series:
    """Dates the way people in the UK write them: 1 Apr 2017 (empty where there is none)."""
    # Dates repeat a lot: format each distinct one once (-1, a missing date, picks "").
    codes, distinct = pd.factorize(pd.to_datetime(dates))
    text = np.array([_uk(d) for d in distinct] + [""], dtype=object)
    return pd.Series(text[codes], index=dates.index, dtype=object)


def _day(as_of: dt.date) -> pd.Timestamp:
    return pd.Timestamp(as_of).normalize()


def financial_year(dates: pd.Series, start_month: int = 4) -> pd.Series:
    """Financial-year labels such as '2017/18' (April to March by default)."""
    dates = pd.to_datetime(dates)
    first_year = dates.dt.year - (dates.dt.month < start_month).astype("int64")
    if start_month == 1:
        return first_year.astype("Int64").astype(str).where(dates.notna())
    label = (
        first_year.astype("Int64").astype(str)
        + "/"
        + ((first_year + 1) % 100).astype("Int64").astype(str).str.zfill(2)
    )
    return label.where(dates.notna())


def pledge_payments(snapshot: Snapshot, as_of: dt.date | None = None) -> pd.DataFrame:
    """Each pledge with what has been received against it, what is outstanding, and its status.

    Outstanding counts only Confirmed pledges: Expected ones are the pipeline, Withdrawn ones
    are off the table.
    """
    pledges = snapshot["pledges"].copy()
    received = snapshot["payments"].groupby("pledge_id")["amount_gbp"].sum()
    pledges["received_gbp"] = pledges["pledge_id"].map(received).fillna(0.0).round(2)
    confirmed = pledges["status"] == "Confirmed"
    pledges["outstanding_gbp"] = (
        (pledges["amount_gbp"] - pledges["received_gbp"]).clip(lower=0).where(confirmed, 0.0)
    ).round(2)
    today = _day(as_of) if as_of else None
    overdue = confirmed & (pledges["outstanding_gbp"] > 0)
    overdue &= pledges["due_by"].notna() & (pledges["due_by"] < today if today else False)
    pledges["overdue"] = overdue
    status = pd.Series(NOT_YET_PAID, index=pledges.index, dtype=object)
    status[pledges["received_gbp"] > 0] = PART_PAID
    status[pledges["received_gbp"] >= pledges["amount_gbp"] - 0.005] = PAID_IN_FULL
    status[overdue] = OVERDUE
    status[pledges["status"] == "Expected"] = EXPECTED
    status[pledges["status"] == "Withdrawn"] = WITHDRAWN
    pledges["payment_status"] = status
    return pledges


def overdue_pledges(snapshot: Snapshot, as_of: dt.date) -> pd.DataFrame:
    """Confirmed pledges whose Due by date has passed and that are not fully received."""
    pledges = pledge_payments(snapshot, as_of)
    return pledges[pledges["overdue"]].sort_values(["due_by", "sheet_row"])


def payments_with_funder(snapshot: Snapshot) -> pd.DataFrame:
    """Payments with their pledge's funder (OTHER_FUNDER when the pledge is not in the snapshot)."""
    pledges = snapshot["pledges"]
    funder_of = dict(zip(pledges["pledge_id"], pledges["funder"], strict=True))
    payments = snapshot["payments"].copy()
    payments["funder"] = payments["pledge_id"].map(funder_of).fillna(OTHER_FUNDER)
    return payments


def by_funder(pledges: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Pledged (Confirmed), expected, received and outstanding per funder, largest first.

    `pledges` are `pledge_payments` rows, `payments` are `payments_with_funder` rows (either
    narrowed to a period or funders). Received counts the payments themselves, as the headline
    Received does, so a payment whose pledge is not in the snapshot is under OTHER_FUNDER.
    """
    confirmed = pledges["status"] == "Confirmed"
    pledged = pd.DataFrame(
        {
            "funder": pledges["funder"],
            "pledged_gbp": pledges["amount_gbp"].where(confirmed, 0.0),
            "expected_gbp": pledges["amount_gbp"].where(pledges["status"] == "Expected", 0.0),
            "outstanding_gbp": pledges["outstanding_gbp"],
        }
    )
    received = payments.groupby("funder")["amount_gbp"].sum().rename("received_gbp")
    totals = pledged.groupby("funder").sum().join(received, how="outer").fillna(0.0)
    totals = totals[["pledged_gbp", "expected_gbp", "received_gbp", "outstanding_gbp"]]
    totals = totals.reset_index().sort_values(["pledged_gbp", "funder"], ascending=[False, True])
    return totals.reset_index(drop=True)


def by_financial_year(
    pledges: pd.DataFrame, payments: pd.DataFrame, start_month: int
) -> pd.DataFrame:
    """Pledged (Confirmed, by date pledged) and received (by date received) per financial year."""
    confirmed = pledges[pledges["status"] == "Confirmed"]
    pledged = confirmed.groupby(financial_year(confirmed["date_pledged"], start_month))[
        "amount_gbp"
    ].sum()
    received = payments.groupby(financial_year(payments["date_received"], start_month))[
        "amount_gbp"
    ].sum()
    frame = pd.DataFrame({"pledged_gbp": pledged, "received_gbp": received}).fillna(0.0)
    frame.index.name = "financial_year"
    return frame.sort_index().reset_index()


def cumulative(pledges: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Running totals of pledged (Confirmed) and received money by date, for the pace chart."""
    confirmed = pledges[pledges["status"] == "Confirmed"]
    pledged = confirmed.groupby("date_pledged")["amount_gbp"].sum().cumsum()
    received = payments.groupby("date_received")["amount_gbp"].sum().cumsum()
    frame = pd.DataFrame({"pledged_gbp": pledged, "received_gbp": received}).sort_index()
    frame = frame.ffill().fillna(0.0)
    frame.index.name = "date"
    return frame.reset_index()


def active_secondments(snapshot: Snapshot, as_of: dt.date) -> pd.DataFrame:
    """Secondments running on the date: start <= date <= end."""
    secondments = snapshot["secondments"]
    today = _day(as_of)
    running = (secondments["start_date"] <= today) & (secondments["end_date"] >= today)
    return secondments[running]


def outside_band(snapshot: Snapshot, as_of: dt.date) -> tuple[int, int, int] | None:
    """(count, min, max) when the secondments active on the date are outside the Settings band.

    The band applies only inside the programme (start to end, inclusive): before and after it,
    and inside the band, None.
    """
    settings = snapshot.settings
    if not settings.programme_start <= as_of <= settings.programme_end:
        return None
    count = len(active_secondments(snapshot, as_of))
    low, high = settings.min_secondments, settings.max_secondments
    return None if low <= count <= high else (count, low, high)


def concurrency(snapshot: Snapshot) -> pd.DataFrame:
    """How many secondments ran at once, as a step series: one row per change (date, count)."""
    secondments = snapshot["secondments"]
    if secondments.empty:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "count": []})
    starts = pd.Series(1, index=secondments["start_date"])
    # A secondment counts up to and including its end date, so it stops the day after.
    ends = pd.Series(-1, index=secondments["end_date"] + pd.Timedelta(days=1))
    steps = pd.concat([starts, ends]).groupby(level=0).sum().sort_index().cumsum()
    frame = steps.rename("count").rename_axis("date").reset_index()
    return frame.astype({"count": "int64"})


def milestone_status(snapshot: Snapshot, as_of: dt.date) -> pd.DataFrame:
    """Each milestone with its state: done, overdue (planned date passed) or upcoming."""
    milestones = snapshot["milestones"].copy()
    today = _day(as_of)
    done = milestones["actual_date"].notna()
    overdue = ~done & (milestones["planned_date"] < today)
    state = pd.Series("upcoming", index=milestones.index, dtype=object)
    state[done] = "done"
    state[overdue] = "overdue"
    milestones["state"] = state
    return milestones


def achievements_by_goal(snapshot: Snapshot) -> pd.DataFrame:
    """Number of achievements per goal, every goal listed (zero included)."""
    names = snapshot.goal_names()
    counts = snapshot["achievements"]["goal_id"].value_counts()
    return pd.DataFrame(
        {
            "goal_id": list(names),
            "goal": list(names.values()),
            "achievements": [int(counts.get(g, 0)) for g in names],
        }
    )


def achievements_by_quarter(achievements: pd.DataFrame, by: str = "goal_id") -> pd.DataFrame:
    """Achievements per calendar quarter and goal, oldest quarter first (quarter as '2017 Q3').

    `by` names the goal column to group on: the Achievements tab's goal_id, or the dashboard's
    'goal' label.
    """
    if achievements.empty:
        return pd.DataFrame({"quarter": [], by: [], "achievements": []})
    quarters = achievements["date"].dt.to_period("Q")
    frame = (
        achievements.assign(_quarter=quarters)
        .groupby(["_quarter", by])
        .size()
        .rename("achievements")
        .reset_index()
    )
    frame["quarter"] = frame["_quarter"].map(lambda p: f"{p.year} Q{p.quarter}").astype(object)
    return frame[["quarter", by, "achievements"]]


@dataclass
class Figures:
    """The headline figures, as `check --json` reports them and the dashboard shows them."""

    as_of: dt.date
    target_gbp: float
    pledged_gbp: float
    expected_gbp: float
    received_gbp: float
    outstanding_gbp: float
    overdue_gbp: float
    granted_gbp: float
    percent_of_target: float
    active_secondments: int
    active_fte: float
    achievements_by_goal: dict[str, int]
    milestones: dict[str, int]
    rows_left_out: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        return d


def figures(
    snapshot: Snapshot, as_of: dt.date, rows_left_out: dict[str, int] | None = None
) -> Figures:
    """Every headline figure as of a date; rows with errors are already out of the snapshot."""
    pledges = pledge_payments(snapshot, as_of)
    target = float(snapshot.settings.target_gbp)
    pledged = float(pledges.loc[pledges["status"] == "Confirmed", "amount_gbp"].sum())
    active = active_secondments(snapshot, as_of)
    states = milestone_status(snapshot, as_of)["state"].value_counts()
    by_goal = achievements_by_goal(snapshot)
    return Figures(
        as_of=as_of,
        target_gbp=round(target, 2),
        pledged_gbp=round(pledged, 2),
        expected_gbp=round(
            float(pledges.loc[pledges["status"] == "Expected", "amount_gbp"].sum()), 2
        ),
        received_gbp=round(float(snapshot["payments"]["amount_gbp"].sum()), 2),
        outstanding_gbp=round(float(pledges["outstanding_gbp"].sum()), 2),
        overdue_gbp=round(float(pledges.loc[pledges["overdue"], "outstanding_gbp"].sum()), 2),
        granted_gbp=round(float(grants_in_pounds(snapshot)["amount_awarded_gbp"].sum()), 2),
        percent_of_target=round(100 * pledged / target, 1) if target else 0.0,
        active_secondments=len(active),
        active_fte=round(float(active["fte"].sum()), 2),
        achievements_by_goal={
            str(g): int(n) for g, n in zip(by_goal["goal_id"], by_goal["achievements"], strict=True)
        },
        milestones={s: int(states.get(s, 0)) for s in ("done", "upcoming", "overdue")},
        rows_left_out=dict(rows_left_out or {}),
    )


# --- Grants the fund makes ---------------------------------------------------------------------


def grants_in_pounds(snapshot: Snapshot) -> pd.DataFrame:
    """The grants awarded in pounds (Currency empty or GBP): the only ones added up in £."""
    grants = snapshot["grants"]
    currency = grants["currency"].fillna("GBP").astype(str).str.upper()
    return grants[currency == "GBP"]


def granted_by_goal(snapshot: Snapshot) -> pd.DataFrame:
    """Pounds granted and grants made per goal, every goal listed, in the Goals tab's order."""
    grants = grants_in_pounds(snapshot)
    sums = grants.groupby("goal_id")["amount_awarded_gbp"].agg(["sum", "count"])
    names = snapshot.goal_names()
    return pd.DataFrame(
        {
            "goal_id": list(names),
            "goal": [f"{gid} {name}" for gid, name in names.items()],
            "granted_gbp": [round(float(sums["sum"].get(g, 0.0)), 2) for g in names],
            "grants": [int(sums["count"].get(g, 0)) for g in names],
        }
    )


def granted_by_recipient(snapshot: Snapshot) -> pd.DataFrame:
    """Pounds granted and grants made per recipient organisation, largest first."""
    grants = grants_in_pounds(snapshot)
    frame = (
        grants.groupby("recipient_org_name")["amount_awarded_gbp"]
        .agg(granted_gbp="sum", grants="count")
        .reset_index()
        .rename(columns={"recipient_org_name": "recipient"})
    )
    frame["granted_gbp"] = frame["granted_gbp"].round(2)
    return frame.sort_values(["granted_gbp", "recipient"], ascending=[False, True]).reset_index(
        drop=True
    )
