"""The headline answers in words: pace, change since the last quarter, who is seconded, gaps (pure).

Shared by the dashboard's Overview and the board pack, so both say the same thing the same way.
Every figure is worked out from the data's own dates (a pledge by its Date pledged, a payment by
its Date received), so a change "since the end of the last quarter" needs no stored history.
Amounts in sentences are rounded the way people say them ("£65,000", "£1.2 million"); tables
keep the exact pennies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cii_sheets import metrics
from cii_sheets.snapshot import Settings, Snapshot

# --- Words -----------------------------------------------------------------------------------


def about_gbp(amount: float) -> str:
    """Money rounded the way people say it: £1.2 million, £65,000, £4,300, £90."""
    value = abs(float(amount))
    if value >= 1_000_000:
        millions = f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".")
        return f"£{millions} million"
    step = 1_000 if value >= 10_000 else 100 if value >= 1_000 else 10 if value >= 100 else 1
    return f"£{int(round(value / step) * step):,}"


def month_year(day: dt.date) -> str:
    return day.strftime("%B %Y")


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 note", "3 notes": counts in words a reader would use, never "note(s)"."""
    return f"{count} {one if count == 1 else many or one + 's'}"


# --- Pace ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    """Where fundraising stands against the target, and the verdict in one rounded sentence."""

    still_to_raise_gbp: float  # 0 once the target is reached
    expected_covers: bool  # the Expected pipeline would cover what is still to raise
    projected_on: dt.date | None  # when the average pace of confirmed pledges reaches the target
    on_track: bool
    sentence: str


def pace(
    pledged_by_date: pd.DataFrame,
    expected_gbp: float,
    settings: Settings,
    as_of: dt.date,
) -> Pace:
    """The pace verdict, from running totals of confirmed pledges (`metrics.cumulative`).

    The pace is the average of confirmed pledges a day since the programme started. The sentence
    separates the programme's end (a date in Settings) from the pace, which only says when the
    target would be reached.
    """
    target = float(settings.target_gbp)
    end = settings.programme_end
    so_far_rows = pledged_by_date[pledged_by_date["date"] <= pd.Timestamp(as_of)]
    pledged = float(so_far_rows["pledged_gbp"].max()) if not so_far_rows.empty else 0.0
    if target <= 0:
        return Pace(0.0, True, None, True, "No fundraising target is set in the Settings tab.")
    if pledged >= target:
        day = so_far_rows.loc[so_far_rows["pledged_gbp"] >= target, "date"].min().date()
        return Pace(
            0.0,
            True,
            day,
            True,
            f"The {about_gbp(target)} target was reached in {month_year(day)}.",
        )
    still = round(target - pledged, 2)
    if as_of > end:
        return Pace(
            still,
            expected_gbp >= still,
            None,
            False,
            f"The programme ended on {metrics.uk_date(end)} with {about_gbp(still)} of the "
            f"{about_gbp(target)} target still to raise.",
        )
    days = (as_of - settings.programme_start).days
    rate = pledged / days if days > 0 and pledged > 0 else 0.0
    projected = (
        settings.programme_start + dt.timedelta(days=int(-(-target // rate))) if rate else None
    )
    covers = expected_gbp >= still
    sentence = f"{about_gbp(still)} still to raise by {metrics.uk_date(end)}"
    if covers:
        sentence += f"; the {about_gbp(expected_gbp)} expected would cover it."
    elif expected_gbp > 0:
        sentence += (
            f"; the {about_gbp(expected_gbp)} expected would leave "
            f"{about_gbp(still - expected_gbp)} to find."
        )
    else:
        sentence += "."
    if projected is None:
        sentence += " No pledge is confirmed yet, so there is no pace to go by."
    elif projected <= end:
        sentence += f" At this pace the target is reached in {month_year(projected)}."
    else:
        sentence += (
            f" At this pace the target is reached in {month_year(projected)}, after the "
            "programme's end date."
        )
    on_track = covers or (projected is not None and projected <= end)
    return Pace(still, covers, projected, on_track, sentence)


# --- Change since the end of the last quarter ------------------------------------------------


def last_quarter_end(as_of: dt.date, fy_start_month: int = 4) -> dt.date:
    """The last day of the financial quarter before the one the date falls in."""
    months_in = (as_of.month - fy_start_month) % 3
    first = pd.Timestamp(as_of.year, as_of.month, 1) - pd.DateOffset(months=months_in)
    return (first - pd.Timedelta(days=1)).date()


@dataclass(frozen=True)
class Change:
    """A headline figure now and at the end of the last quarter."""

    now: float
    then: float
    since: dt.date

    @property
    def change(self) -> float:
        return round(self.now - self.then, 2)

    def words(self, money: bool = False, unit: str = "") -> str:
        """'+£20,000 since 31 Dec 2025', 'no change since …', '−1 since …'."""
        delta = self.change
        since = f"since {metrics.uk_date(self.since)}"
        if abs(delta) < 0.005:
            return f"no change {since}"
        sign = "+" if delta > 0 else "−"
        amount = metrics.gbp(abs(delta)) if money else f"{abs(delta):g}{unit}"
        return f"{sign}{amount} {since}"


def changes(
    snapshot: Snapshot, as_of: dt.date, figures: metrics.Figures | None = None
) -> dict[str, Change]:
    """Pledged, received, running secondments and achievements: now and at the quarter's end.

    Confirmed pledges count by Date pledged, payments by Date received, achievements by Date,
    secondments by their dates (never Planned ones). `figures` saves working today's out again.
    """
    since = last_quarter_end(as_of, snapshot.settings.fy_start_month)
    cutoff = pd.Timestamp(since)
    pledges, payments = snapshot["pledges"], snapshot["payments"]
    achievements = snapshot["achievements"]
    confirmed = pledges[pledges["status"] == "Confirmed"]
    figures = figures or metrics.figures(snapshot, as_of)
    then_running = metrics.secondments_running_on(snapshot, since)
    return {
        "pledged": Change(
            figures.pledged_gbp,
            round(float(confirmed.loc[confirmed["date_pledged"] <= cutoff, "amount_gbp"].sum()), 2),
            since,
        ),
        "received": Change(
            figures.received_gbp,
            round(float(payments.loc[payments["date_received"] <= cutoff, "amount_gbp"].sum()), 2),
            since,
        ),
        "secondments": Change(figures.active_secondments, len(then_running), since),
        "fte": Change(figures.active_fte, round(float(then_running["fte"].sum()), 2), since),
        "achievements": Change(
            len(achievements), int((achievements["date"] <= cutoff).sum()), since
        ),
    }


# --- Who is seconded now ---------------------------------------------------------------------


def running_table(snapshot: Snapshot, as_of: dt.date) -> pd.DataFrame:
    """The secondments running today (Status Active, dates around today), ending soonest first.

    Host organisation, role, FTE and end date only: no secondees' names.
    """
    running = metrics.active_secondments(snapshot, as_of).sort_values(
        ["end_date", "host_organisation"]
    )
    return pd.DataFrame(
        {
            "Host organisation": running["host_organisation"].fillna(""),
            "Role": running["role"].fillna(""),
            "FTE": running["fte"].map(lambda f: f"{f:g}"),
            "Ends": metrics.uk_dates(running["end_date"]),
        }
    ).reset_index(drop=True)


# --- Achievements per goal -------------------------------------------------------------------


def goals_table(snapshot: Snapshot, as_of: dt.date, quiet_months: int = 6) -> pd.DataFrame:
    """Per goal: achievements since the start, in the last 12 months, and whether it is quiet.

    A goal is quiet when no achievement is dated in the last `quiet_months` months.
    """
    achievements = snapshot["achievements"]
    today = pd.Timestamp(as_of)
    dates, goal = achievements["date"], achievements["goal_id"]
    year_ago = today - pd.DateOffset(months=12)
    quiet_since = today - pd.DateOffset(months=quiet_months)
    rows: list[dict[str, Any]] = []
    for gid, name in snapshot.goal_names().items():
        mine = dates[(goal == gid) & (dates <= today)]
        last = mine.max() if not mine.empty else pd.NaT
        rows.append(
            {
                "goal_id": gid,
                "goal": f"{gid} {name}",
                "since_start": len(mine),
                "last_12_months": int((mine > year_ago).sum()),
                "last": last,
                "quiet": bool(mine.empty or last <= quiet_since),
            }
        )
    return pd.DataFrame(
        rows, columns=["goal_id", "goal", "since_start", "last_12_months", "last", "quiet"]
    )


# --- What the errors leave out ---------------------------------------------------------------

_MONEY_TABS = {"Pledges": "pledge", "Payments": "payment", "Grants": "grant"}


def left_out_sentence(tabs: pd.DataFrame, money: pd.DataFrame) -> str | None:
    """What rows with errors keep out of the figures, in money where it could be read.

    `tabs` is the store's tabs table (rows left out per tab), `money` its left_out_money rows
    for the run (tab, amount_gbp, unreadable_rows). 'A £10,000 pledge and a £5,000 payment are
    not counted until fixed.' None when nothing is left out.
    """
    if tabs.empty:
        return None
    by_tab = {str(r.tab): (float(r.amount_gbp), int(r.unreadable_rows)) for r in money.itertuples()}
    parts: list[str] = []
    others = 0
    for row in tabs[tabs["left_out"] > 0].itertuples():
        noun = _MONEY_TABS.get(str(row.tab))
        count = int(row.left_out)
        if noun is None:
            others += count
            continue
        gbp, unread = by_tab.get(str(row.tab), (0.0, count))
        priced = count - unread
        if priced == 1:
            parts.append(f"a {about_gbp(gbp)} {noun}")
        elif priced > 1:
            parts.append(f"{priced} {noun}s worth {about_gbp(gbp)}")
        if unread == 1:
            parts.append(f"a {noun} whose amount cannot be read")
        elif unread > 1:
            parts.append(f"{unread} {noun}s whose amounts cannot be read")
    if others:
        parts.append(plural(others, "other row"))
    if not parts:
        return None
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    verb = "is" if int(tabs["left_out"].sum()) == 1 else "are"
    return f"{listed[0].upper()}{listed[1:]} {verb} not counted until fixed."
