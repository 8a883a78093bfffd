"""Figures the dashboard's pages need beyond `metrics`: filters, pace, goal gaps, freshness (pure).

No streamlit here: every function takes DataFrames or a Snapshot and returns DataFrames or plain
values, so the pages stay thin and the tests can check each figure on its own. Headline figures
stay in `metrics`, which `check --json` also reports; the selections here reuse those functions,
so that with no filter the dashboard shows exactly the same numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from cii_sheets import metrics
from cii_sheets.snapshot import Settings, Snapshot
from cii_sheets.sync import TIMEZONE

STALE_AFTER = dt.timedelta(hours=36)
NOT_LINKED = "Not linked to a secondment"
UNKNOWN_HOST = "Host not known (secondment left out)"

# --- Presentation ----------------------------------------------------------------------------


uk_date = metrics.uk_date  # 1 Apr 2017 ('' when missing)


def uk_datetime(value: dt.datetime, timezone: str = TIMEZONE) -> str:
    """A moment in London time: 23 Nov 2026, 14:05 (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local.strftime('%b %Y, %H:%M')}"


def watch_line(status: dict[str, Any] | None, now: dt.datetime | None = None) -> str:
    """When `cii-sheets watch` last looked, in words, from its heartbeat row in the store."""
    if status is None:
        return (
            "The watch is not running here, so changes reach this page at the next scheduled "
            "sync or Sync now. The admin can start the watch (see the README) so that each "
            "change shows within a minute."
        )
    looked = status["looked_at"]
    looked = looked if looked.tzinfo else looked.replace(tzinfo=dt.UTC)
    when = uk_datetime(looked)
    if status["state"] == "stopped":
        return f"The watch stopped at {when}."
    interval = int(status["interval_seconds"] or 60)
    ago = ((now or dt.datetime.now(dt.UTC)) - looked).total_seconds()
    line = f"The watch last looked at the spreadsheet at {when} (it looks every {interval} s)."
    if ago > 3 * interval + 60:
        minutes = round(ago / 60)
        line += f" That was {minutes} minutes ago: it may have stopped, or be waiting to retry."
    if status["state"] == "failed":
        line += f" It could not sync: {status['message'] or 'no reason recorded'}"
        line = line if line.endswith(".") else line + "."
    elif status.get("changed_at") is not None:
        changed = status["changed_at"]
        changed = changed if changed.tzinfo else changed.replace(tzinfo=dt.UTC)
        line += f" It last synced a change at {uk_datetime(changed)} (run {status['run_id']})."
    return line


def gbp(amount: float) -> str:
    """£ with thousands separators (the same as `metrics.gbp`)."""
    return metrics.gbp(amount)


# --- Periods and filters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An inclusive date range; None at either end means open."""

    start: dt.date | None = None
    end: dt.date | None = None
    label: str = "All time"

    @property
    def is_all(self) -> bool:
        return self.start is None and self.end is None

    def mask(self, dates: pd.Series) -> pd.Series:
        """True where a date falls inside the period (missing dates only when it is all time)."""
        dates = pd.to_datetime(dates)
        keep = pd.Series(True, index=dates.index)
        if self.start is not None:
            keep &= dates >= pd.Timestamp(self.start)
        if self.end is not None:
            keep &= dates <= pd.Timestamp(self.end)
        return keep

    def overlaps(self, starts: pd.Series, ends: pd.Series) -> pd.Series:
        """True where a span [start, end] shares at least one day with the period."""
        keep = pd.Series(True, index=starts.index)
        if self.end is not None:
            keep &= pd.to_datetime(starts) <= pd.Timestamp(self.end)
        if self.start is not None:
            keep &= pd.to_datetime(ends) >= pd.Timestamp(self.start)
        return keep


ALL_TIME = Period()


def fy_label(day: dt.date, start_month: int) -> str:
    """The financial year a date falls in, such as '2017/18'."""
    return str(metrics.financial_year(pd.Series([pd.Timestamp(day)]), start_month).iloc[0])


def fy_period(label: str, start_month: int) -> Period:
    """'2017/18' -> 1 Apr 2017 to 31 Mar 2018 (or '2017' for a calendar financial year)."""
    first = int(label.split("/")[0])
    start = dt.date(first, start_month, 1)
    end = (pd.Timestamp(start) + pd.DateOffset(years=1) - pd.Timedelta(days=1)).date()
    return Period(start, end, f"Financial year {label}")


def financial_years(settings: Settings, *dates: pd.Series) -> list[str]:
    """Every financial year from programme start to end, plus any year the data reach.

    Years start in the month the Settings tab gives ('2017/18' for April, '2017' for January).
    """
    start, end = pd.Timestamp(settings.programme_start), pd.Timestamp(settings.programme_end)
    for series in dates:
        series = pd.to_datetime(series).dropna()
        if not series.empty:
            start, end = min(start, series.min()), max(end, series.max())
    span = pd.Series(pd.date_range(start, end, freq="MS"))
    labels = metrics.financial_year(
        pd.concat([span, pd.Series([start, end])]), settings.fy_start_month
    )
    return sorted(set(labels.dropna()))


def date_range_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        start, end = end, start
    return Period(start, end, f"{uk_date(start)} to {uk_date(end)}")


def parse_date(text: str | None) -> dt.date | None:
    """An ISO date from a URL, or None when it is not one."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


# --- Fundraising -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The pledges and payments a Fundraising view shows, with its totals."""

    pledges: pd.DataFrame  # `metrics.pledge_payments` rows
    payments: pd.DataFrame  # payments with their pledge's funder
    pledged_gbp: float
    expected_gbp: float
    received_gbp: float
    outstanding_gbp: float
    overdue_gbp: float


def fundraising_selection(
    snapshot: Snapshot,
    as_of: dt.date,
    period: Period = ALL_TIME,
    funders: Sequence[str] = (),
) -> Selection:
    """Pledges made in the period (by Date pledged) and payments received in it (by Date received).

    Received money is counted by payment date, as `metrics.figures` does, so with no filter the
    totals equal `cii-sheets check --json`.
    """
    pledges = metrics.pledge_payments(snapshot, as_of)
    payments = metrics.payments_with_funder(snapshot)
    keep_pledges = period.mask(pledges["date_pledged"])
    keep_payments = period.mask(payments["date_received"])
    if funders:
        keep_pledges &= pledges["funder"].isin(list(funders))
        keep_payments &= payments["funder"].isin(list(funders))
    pledges, payments = pledges[keep_pledges], payments[keep_payments]
    confirmed = pledges["status"] == "Confirmed"
    return Selection(
        pledges=pledges,
        payments=payments,
        pledged_gbp=round(float(pledges.loc[confirmed, "amount_gbp"].sum()), 2),
        expected_gbp=round(
            float(pledges.loc[pledges["status"] == "Expected", "amount_gbp"].sum()), 2
        ),
        received_gbp=round(float(payments["amount_gbp"].sum()), 2),
        outstanding_gbp=round(float(pledges["outstanding_gbp"].sum()), 2),
        overdue_gbp=round(float(pledges.loc[pledges["overdue"], "outstanding_gbp"].sum()), 2),
    )


def up_to(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """A running total carried flat to `day`, so the chart's lines reach today."""
    when = pd.Timestamp(day)
    if frame.empty or frame["date"].max() >= when:
        return frame
    last = frame.iloc[[-1]].assign(date=when)
    return pd.concat([frame, last], ignore_index=True)


def pace_line(settings: Settings) -> pd.DataFrame:
    """The straight line from nothing at programme start to the target at programme end."""
    return pd.DataFrame(
        {
            "date": pd.to_datetime([settings.programme_start, settings.programme_end]),
            "pace_gbp": [0.0, float(settings.target_gbp)],
        }
    )


PLEDGE_COLUMNS = {
    "pledge_id": "Pledge ID",
    "funder": "Funder",
    "amount_gbp": "Amount (£)",
    "date_pledged": "Date pledged",
    "due_by": "Due by",
    "status": "Status",
    "received_gbp": "Received (£)",
    "outstanding_gbp": "Outstanding (£)",
    "payment_status": "Payment status",
}


def _pledge_rows(ordered: pd.DataFrame) -> pd.DataFrame:
    table = ordered[list(PLEDGE_COLUMNS)]
    return table.rename(columns=PLEDGE_COLUMNS).reset_index(drop=True)


def pledge_table(pledges: pd.DataFrame) -> pd.DataFrame:
    """Pledges as the dashboard lists them, newest first, with the derived payment status."""
    return _pledge_rows(pledges.sort_values(["date_pledged", "sheet_row"], ascending=[False, True]))


def overdue_table(pledges: pd.DataFrame) -> pd.DataFrame:
    """Overdue pledges (Confirmed, due date passed, not fully received), oldest due first."""
    return _pledge_rows(pledges[pledges["overdue"]].sort_values(["due_by", "sheet_row"]))


# --- Timeline --------------------------------------------------------------------------------


def goal_labels(snapshot: Snapshot) -> dict[str, str]:
    """Goal ID -> 'G1 Civic engagement', in the Goals tab's order."""
    return {gid: f"{gid} {name}" for gid, name in snapshot.goal_names().items()}


def secondment_bars(
    snapshot: Snapshot, period: Period = ALL_TIME, goals: Sequence[str] = ()
) -> pd.DataFrame:
    """One row per secondment for the Gantt: host, first goal (the bar's colour), all goals, FTE.

    Holds the secondee's name: only the Timeline shows it.
    """
    secondments = snapshot["secondments"]
    labels = goal_labels(snapshot)
    goal_lists = secondments["goals"].fillna("").astype(str).str.split(",")
    first = goal_lists.str[0].str.strip()
    frame = pd.DataFrame(
        {
            "secondment_id": secondments["secondment_id"],
            "secondee": secondments["secondee"],
            "host_organisation": secondments["host_organisation"],
            "role": secondments["role"],
            "goal": first.map(labels).fillna(first),
            "goals": goal_lists.map(lambda ids: ", ".join(labels.get(g.strip(), g) for g in ids)),
            "fte": secondments["fte"],
            "start_date": secondments["start_date"],
            "end_date": secondments["end_date"],
            "status": secondments["status"],
        }
    )
    keep = period.overlaps(frame["start_date"], frame["end_date"])
    if goals:
        wanted = set(goals)
        keep &= goal_lists.map(lambda ids: bool(wanted & {g.strip() for g in ids}))
    frame = frame[keep].sort_values(["host_organisation", "start_date", "secondment_id"])
    # The ID first: on a narrow screen the end of a long label is cut, never the ID.
    frame["label"] = frame["secondment_id"] + " · " + frame["host_organisation"]
    frame["fte_label"] = frame["fte"].map(lambda f: f"{f:g} FTE")
    return frame.reset_index(drop=True)


def milestone_points(snapshot: Snapshot, as_of: dt.date, period: Period = ALL_TIME) -> pd.DataFrame:
    """Milestones with their state (done, overdue, upcoming) and planned/actual dates."""
    frame = metrics.milestone_status(snapshot, as_of)
    frame = frame[period.mask(frame["planned_date"]) | period.mask(frame["actual_date"])]
    frame = frame.sort_values(["planned_date", "sheet_row"])
    cols = ["milestone", "planned_date", "actual_date", "state", "owner"]
    frame = frame[cols].assign(state=frame["state"].str.capitalize())  # Done, Overdue, Upcoming
    return frame.reset_index(drop=True)


def concurrency_steps(snapshot: Snapshot, settings: Settings, until: dt.date) -> pd.DataFrame:
    """The number of secondments running at once, as steps running up to `until`."""
    steps = metrics.concurrency(snapshot)
    start = pd.Timestamp(settings.programme_start)
    end = pd.Timestamp(max(until, settings.programme_end))
    before = steps[steps["date"] <= start]
    first = int(before["count"].iloc[-1]) if not before.empty else 0
    inside = steps[(steps["date"] > start) & (steps["date"] <= end)]
    frame = pd.concat(
        [pd.DataFrame({"date": [start], "count": [first]}), inside], ignore_index=True
    )
    last = int(frame["count"].iloc[-1])
    frame = pd.concat([frame, pd.DataFrame({"date": [end], "count": [last]})], ignore_index=True)
    return frame.astype({"count": "int64"})


# --- Achievements ----------------------------------------------------------------------------


def achievements_table(
    snapshot: Snapshot,
    period: Period = ALL_TIME,
    goals: Sequence[str] = (),
    search: str = "",
) -> pd.DataFrame:
    """Achievements in the period and goals, whose text matches the search, newest first.

    Host organisation comes from the secondment; secondees' names are never included.
    """
    achievements = snapshot["achievements"]
    hosts = snapshot["secondments"].set_index("secondment_id")["host_organisation"]
    hosts = hosts[~hosts.index.duplicated()]
    labels = goal_labels(snapshot)
    frame = pd.DataFrame(
        {
            "date": achievements["date"],
            "achievement": achievements["achievement"],
            "goal_id": achievements["goal_id"],
            "goal": achievements["goal_id"].map(labels).fillna(achievements["goal_id"]),
            "host_organisation": achievements["secondment_id"]
            .map(hosts)
            .fillna(
                achievements["secondment_id"].notna().map({True: UNKNOWN_HOST, False: NOT_LINKED})
            ),
            "secondment_id": achievements["secondment_id"],
            "type": achievements["type"],
            "evidence_link": achievements["evidence_link"],
        }
    )
    keep = period.mask(frame["date"])
    if goals:
        keep &= frame["goal_id"].isin(list(goals))
    if search.strip():
        text = frame[["achievement", "goal", "host_organisation", "type"]].fillna("").astype(str)
        haystack = text.agg(" ".join, axis=1).str.casefold()
        keep &= haystack.str.contains(search.strip().casefold(), regex=False)
    return frame[keep].sort_values("date", ascending=False).reset_index(drop=True)


def count_by_goal(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Achievements per goal, every goal listed (zero included), in the Goals tab's order."""
    counts = table["goal_id"].value_counts()
    return pd.DataFrame(
        {
            "goal_id": list(labels),
            "goal": list(labels.values()),
            "achievements": [int(counts.get(g, 0)) for g in labels],
        }
    )


def count_by_host(table: pd.DataFrame) -> pd.DataFrame:
    """Achievements per host organisation and goal, busiest host first.

    Achievements with no known host (not linked to a secondment, or its secondment left out
    because of an error) are not a host: they are left out here and counted by `without_host`.
    """
    table = table[~table["host_organisation"].isin([NOT_LINKED, UNKNOWN_HOST])]
    frame = table.groupby(["host_organisation", "goal"]).size().rename("achievements")
    frame = frame.reset_index()
    totals = frame.groupby("host_organisation")["achievements"].transform("sum")
    return (
        frame.assign(total=totals)
        .sort_values(["total", "host_organisation"], ascending=[False, True])
        .drop(columns="total")
        .reset_index(drop=True)
    )


def without_host(table: pd.DataFrame) -> int:
    """Achievements with no known host organisation."""
    return int(table["host_organisation"].isin([NOT_LINKED, UNKNOWN_HOST]).sum())


def quarter_labels(dates: pd.Series) -> list[str]:
    """Every calendar quarter from the first date to the last ('2017 Q3'), empty ones included."""
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return []
    span = pd.period_range(dates.min().to_period("Q"), dates.max().to_period("Q"), freq="Q")
    return [f"{p.year} Q{p.quarter}" for p in span]


def this_financial_year(settings: Settings, as_of: dt.date) -> Period:
    return fy_period(fy_label(as_of, settings.fy_start_month), settings.fy_start_month)


def quiet_goals(snapshot: Snapshot, as_of: dt.date, months: int = 6) -> pd.DataFrame:
    """Goals with no achievement dated in the last `months` months up to the date."""
    since = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).normalize()
    achievements = snapshot["achievements"]
    recent = achievements[
        (achievements["date"] > since) & (achievements["date"] <= pd.Timestamp(as_of))
    ]
    last = achievements.groupby("goal_id")["date"].max()
    rows = [
        {
            "goal_id": gid,
            "goal": label,
            "last_achievement": last.get(gid, pd.NaT),
        }
        for gid, label in goal_labels(snapshot).items()
        if gid not in set(recent["goal_id"])
    ]
    return pd.DataFrame(rows, columns=["goal_id", "goal", "last_achievement"])


# --- Sync runs and data quality --------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """The freshness line and any warnings leadership should see before trusting the figures."""

    line: str
    warnings: tuple[str, ...]
    has_data: bool


def freshness(
    latest: dict[str, Any] | None,
    last_good: dict[str, Any] | None,
    stale_tabs: Iterable[str],
    now: dt.datetime,
) -> Freshness:
    """'Data as of <time of last good sync>, from the workbook', and what should worry the reader.

    The source is named by its kind only: a file path or a spreadsheet key means nothing to a
    reader and says where the data live.
    """
    warnings: list[str] = []
    if last_good is None:
        line = "No data yet: nothing has been synced into the store."
        if latest is not None and latest["outcome"] == "failed":
            warnings.append(
                f"The last sync, at {uk_datetime(latest['finished_at'])}, failed: "
                f"{latest.get('message') or 'no reason was recorded'}"
            )
        return Freshness(line, tuple(warnings), False)
    finished = _aware(last_good["finished_at"])
    line = f"Data as of {uk_datetime(finished)}, from {source_kind(last_good['source'])}."
    if latest is not None and latest["id"] != last_good["id"] and latest["outcome"] == "failed":
        warnings.append(
            f"The last sync, at {uk_datetime(latest['finished_at'])}, failed, so these figures "
            f"are from the sync before it. Reason: {latest.get('message') or 'not recorded'}"
        )
    age = _aware(now) - finished
    if age > STALE_AFTER:
        hours = int(age.total_seconds() // 3600)
        warnings.append(
            f"The data are {hours // 24} days {hours % 24} hours old (older than 36 hours). "
            "Run a sync, or check that the scheduled sync is running."
            if hours >= 48
            else f"The data are {hours} hours old (older than 36 hours). Run a sync, or check "
            "that the scheduled sync is running."
        )
    stale = [t for t in stale_tabs if t]
    if stale:
        warnings.append(
            f"These tabs could not be read, so their last good copy is shown: {', '.join(stale)}. "
            "See Data quality for what to fix."
        )
    return Freshness(line, tuple(warnings), True)


def source_kind(source: str) -> str:
    """'the Google spreadsheet', 'the workbook' or '2 spreadsheets', from a run's source
    description (never its path or key)."""
    text = str(source or "")
    several = re.match(r"(\d+) sources:", text)
    if several:
        return f"{several.group(1)} spreadsheets"
    if text.startswith("Google"):
        return "the Google spreadsheet"
    if text.startswith("workbook"):
        return "the workbook"
    return "the spreadsheet"


def _aware(value: dt.datetime) -> dt.datetime:
    value = pd.Timestamp(value).to_pydatetime()
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def stale_tabs(tabs: pd.DataFrame) -> list[str]:
    """Tabs whose last read failed, from the store's tabs table."""
    if tabs.empty:
        return []
    return [str(t) for t in tabs.loc[tabs["stale"].astype(bool), "tab"]]


def rows_left_out(tabs: pd.DataFrame) -> dict[str, int]:
    """Rows kept out of the figures by errors, per tab (as `check --json` reports them)."""
    if tabs.empty:
        return {}
    left = tabs[tabs["left_out"] > 0]
    return {str(t): int(n) for t, n in zip(left["tab"], left["left_out"], strict=True)}


def problem_table(problems: pd.DataFrame, run: dict[str, Any] | None) -> pd.DataFrame:
    """Problems of a run, with a link to the cell when its tab is in a Google spreadsheet.

    With several sources, each problem links into the spreadsheet holding its tab, and a
    Source column says which that is.
    """
    cols = ["severity", "tab", "row", "column", "value", "message"]
    frame = problems.reindex(columns=[*cols, "cell", "source"]).copy()
    parts = json.loads((run or {}).get("sources") or "[]")
    if not parts:  # one source: the run's own address and tab ids
        parts = [
            {
                "source": None,
                "url": (run or {}).get("spreadsheet_url"),
                "sheet_ids": json.loads((run or {}).get("sheet_ids") or "{}"),
            }
        ]
    frame["link"] = None
    for part in parts:
        url, sheet_ids = part.get("url"), part.get("sheet_ids") or {}
        if not url or not sheet_ids:
            continue
        gid = frame["tab"].map(sheet_ids)
        has = gid.notna()
        if part.get("source") is not None:
            has &= frame["source"] == part["source"]
        base = str(url).split("#")[0]
        frame.loc[has, "link"] = (
            base
            + "#gid="
            + gid[has].astype("int64").astype(str)
            + frame.loc[has, "cell"].map(lambda c: f"&range={c}" if isinstance(c, str) else "")
        )
    order = {"error": 0, "warning": 1}
    frame = frame.assign(_o=frame["severity"].map(order).fillna(2))
    frame = frame.sort_values(["_o", "tab", "row"], kind="stable").drop(columns=["_o", "cell"])
    if len(parts) < 2:
        frame = frame.drop(columns=["source"])
    frame["row"] = frame["row"].astype("Int64")
    return frame.reset_index(drop=True)


def errors_by_run(runs: pd.DataFrame) -> pd.DataFrame:
    """Errors and warnings per stored run, oldest first, for the history line."""
    stored = runs[runs["outcome"] != "failed"]
    frame = stored[["id", "finished_at", "errors", "warnings"]].sort_values("id")
    frame = frame.assign(finished_at=pd.to_datetime(frame["finished_at"]))
    return frame.reset_index(drop=True)


# --- Downloads -------------------------------------------------------------------------------


# Text a spreadsheet program may take for a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start like a formula get a leading ' (numbers and dates are untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(
                lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
            )
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """A CSV with a byte-order mark, so Excel opens £ signs and accents correctly.

    Sheet text that starts like a formula is written with a leading ', so that a spreadsheet
    program opening the file shows it rather than running it.
    """
    return defuse_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel(tables: dict[str, pd.DataFrame]) -> bytes:
    """One .xlsx with a sheet per table (names cut to Excel's 31 characters).

    Columns whose header holds (£) get a £ number format, dates are dates (no time) in the UK
    form, and every text cell is stored as text, never as a formula, whatever it starts with.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            out = frame.copy()
            dates: set[int] = set()
            for i, column in enumerate(out.columns):
                values = out[column]
                if isinstance(values.dtype, pd.DatetimeTZDtype):
                    values = values.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
                if pd.api.types.is_datetime64_any_dtype(values):
                    midnight = values.dropna().dt.normalize().eq(values.dropna()).all()
                    out[column] = values.dt.date if midnight else values
                    dates.add(i)
            out.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            money = {i for i, c in enumerate(out.columns) if "(£)" in str(c)}
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    if cell.data_type == "f":  # openpyxl reads a str starting with = as one
                        cell.data_type = "s"
                    index = cell.column - 1
                    if index in money and isinstance(cell.value, int | float):
                        cell.number_format = '"£"#,##0.00'
                    elif index in dates and isinstance(cell.value, dt.datetime):
                        has_time = cell.value.time() != dt.time(0)
                        cell.number_format = "d mmm yyyy hh:mm" if has_time else "d mmm yyyy"
                    elif index in dates and isinstance(cell.value, dt.date):
                        cell.number_format = "d mmm yyyy"
    return buffer.getvalue()


def thin_steps(frame: pd.DataFrame, max_points: int = 400) -> pd.DataFrame:
    """A running total with at most about `max_points` rows: the last row of each time bucket.

    Charts of step series stay light in the browser; totals at each kept date are unchanged.
    """
    if len(frame) <= max_points:
        return frame
    dates = pd.to_datetime(frame["date"])
    span = (dates.max() - dates.min()) / max_points
    bucket = ((dates - dates.min()) / span).astype("int64")
    last = frame.groupby(bucket, sort=True).tail(1)
    return pd.concat([frame.head(1), last]).drop_duplicates().reset_index(drop=True)
