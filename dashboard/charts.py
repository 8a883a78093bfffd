"""Altair chart builders: DataFrame in, alt.Chart out. No streamlit import here.

Colours come from the Okabe–Ito palette, which stays distinct for the common forms of colour
blindness. Each goal keeps one colour on every page (G1 blue, G2 orange, G3 reddish purple, in the
Goals tab's order); money series and milestone states use the palette's other colours, and the
states also differ by shape, so nothing relies on colour alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import altair as alt
import pandas as pd

# Okabe & Ito (2008), "Color Universal Design".
BLUE, ORANGE, PURPLE, GREEN = "#0072B2", "#E69F00", "#CC79A7", "#009E73"
SKY, VERMILLION, YELLOW, BLACK = "#56B4E9", "#D55E00", "#F0E442", "#000000"
GREY = "#7F7F7F"
GOAL_COLOURS = (BLUE, ORANGE, PURPLE, GREEN, SKY, VERMILLION, YELLOW, BLACK)

MONEY_AXIS = "'£' + format(datum.value, ',.0f')"
DAY = "%-d %b %Y"  # 1 Apr 2017
MONTH = "%b %Y"
FONT = "Source Sans Pro, sans-serif"


def goal_scale(goal_labels: Sequence[str]) -> alt.Scale:
    """One fixed colour per goal, by its place in the Goals tab (G1 first)."""
    labels = list(goal_labels)
    colours = [GOAL_COLOURS[i % len(GOAL_COLOURS)] for i in range(len(labels))]
    return alt.Scale(domain=labels, range=colours)


def _goal_colour(goal_labels: Sequence[str], title: str = "Goal") -> alt.Color:
    return alt.Color(
        "goal:N",
        scale=goal_scale(goal_labels),
        title=title,
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320),
    )


def _today(today: dt.date) -> alt.LayerChart:
    frame = pd.DataFrame({"date": [pd.Timestamp(today)], "label": ["Today"]})
    rule = alt.Chart(frame).mark_rule(color=BLACK, strokeDash=[4, 3], strokeWidth=1.5)
    text = alt.Chart(frame).mark_text(align="left", dx=4, dy=-4, baseline="top", fontSize=11)
    return alt.layer(
        rule.encode(x="date:T"),
        text.encode(x="date:T", y=alt.value(0), text="label:N"),
    )


def money_tooltip(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:Q", title=title, format=",.0f")


# --- Overview and Achievements ---------------------------------------------------------------


def goal_bars(frame: pd.DataFrame, goal_labels: Sequence[str], title: str = "") -> alt.Chart:
    """Achievements per goal (columns goal, achievements), one bar per goal in its colour."""
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("goal:N", sort=list(goal_labels), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("achievements:Q", title="Achievements", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("goal:N", title="Goal"), "achievements:Q"],
    )
    bars = base.mark_bar().encode(color=_goal_colour(goal_labels).legend(None))
    text = base.mark_text(align="left", dx=4).encode(text="achievements:Q")
    return (bars + text).properties(height=60 + 30 * len(goal_labels))


def quarter_stack(frame: pd.DataFrame, goal_labels: Sequence[str]) -> alt.Chart:
    """Achievements per quarter (columns quarter, goal, achievements), stacked by goal."""
    quarters = sorted(frame["quarter"].unique())
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("quarter:O", sort=quarters, title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(achievements):Q", title="Achievements", axis=alt.Axis(tickMinStep=1)),
            color=_goal_colour(goal_labels),
            order=alt.Order("goal:N"),
            tooltip=["quarter:O", alt.Tooltip("goal:N", title="Goal"), "achievements:Q"],
        )
        .properties(height=280)
    )


def host_bars(frame: pd.DataFrame, goal_labels: Sequence[str]) -> alt.Chart:
    """Achievements per host organisation (columns host_organisation, goal, achievements)."""
    hosts = list(dict.fromkeys(frame["host_organisation"]))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("host_organisation:N", sort=hosts, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("sum(achievements):Q", title="Achievements", axis=alt.Axis(tickMinStep=1)),
            color=_goal_colour(goal_labels),
            order=alt.Order("goal:N"),
            tooltip=[
                alt.Tooltip("host_organisation:N", title="Host organisation"),
                alt.Tooltip("goal:N", title="Goal"),
                "achievements:Q",
            ],
        )
        .properties(height=190 + 26 * len(hosts))
    )


# --- Fundraising -----------------------------------------------------------------------------


def pace_chart(
    cumulative: pd.DataFrame,
    pace: pd.DataFrame,
    target_gbp: float,
    today: dt.date,
) -> alt.LayerChart:
    """Cumulative pledged and received (steps) against the straight pace line to the target."""
    series = cumulative.melt("date", ["pledged_gbp", "received_gbp"], "series", "gbp")
    series["series"] = series["series"].map(
        {"pledged_gbp": "Pledged (confirmed)", "received_gbp": "Received"}
    )
    pace_rows = pace.rename(columns={"pace_gbp": "gbp"}).assign(series="Pace to target")
    domain = ["Pledged (confirmed)", "Received", "Pace to target"]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[SKY, GREEN, GREY]),
        legend=alt.Legend(orient="bottom"),
    )
    dash = alt.StrokeDash(
        "series:N",
        scale=alt.Scale(domain=domain, range=[[1, 0], [1, 0], [6, 4]]),
        legend=None,
    )
    encoding = {
        "x": alt.X("date:T", title=None, axis=alt.Axis(format=MONTH)),
        "y": alt.Y("gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS)),
        "color": colour,
        "strokeDash": dash,
        "tooltip": [
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("date:T", title="Date", format=DAY),
            money_tooltip("gbp", "£"),
        ],
    }
    steps = alt.Chart(series).mark_line(interpolate="step-after", strokeWidth=2.5)
    pace_line = alt.Chart(pace_rows).mark_line(strokeWidth=2)
    lines = alt.layer(steps.encode(**encoding), pace_line.encode(**encoding))
    target = (
        alt.Chart(pd.DataFrame({"gbp": [target_gbp], "label": ["Target"]}))
        .mark_rule(color=BLACK, strokeWidth=1)
        .encode(y="gbp:Q")
    )
    target_text = (
        alt.Chart(pd.DataFrame({"gbp": [target_gbp], "label": ["Target"]}))
        .mark_text(align="left", dx=4, dy=-7, x=0)
        .encode(y="gbp:Q", text="label:N")
    )
    return alt.layer(lines, target, target_text, _today(today)).properties(height=340)


def funder_bars(frame: pd.DataFrame) -> alt.Chart:
    """Pledged (confirmed) and received per funder, side by side, largest pledger first."""
    long = frame.melt("funder", ["pledged_gbp", "received_gbp"], "series", "gbp")
    long["series"] = long["series"].map({"pledged_gbp": "Pledged", "received_gbp": "Received"})
    funders = list(frame["funder"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("funder:N", sort=funders, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("series:N", sort=["Pledged", "Received"]),
            x=alt.X("gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS)),
            color=_pledged_received_colour(),
            tooltip=["funder:N", "series:N", money_tooltip("gbp", "£")],
        )
        .properties(height=110 + 30 * len(funders))
    )


def grant_bars(frame: pd.DataFrame, by: str, goal_labels: Sequence[str] = ()) -> alt.Chart:
    """Pounds granted per `by` (goal or recipient), largest first; goals keep their colours."""
    order = list(goal_labels) or list(frame[by])
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{by}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("granted_gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS)),
        tooltip=[
            alt.Tooltip(f"{by}:N", title=by.capitalize()),
            money_tooltip("granted_gbp", "Granted (£)"),
            alt.Tooltip("grants:Q", title="Grants"),
        ],
    )
    bars = (
        base.mark_bar().encode(color=_goal_colour(goal_labels).legend(None))
        if goal_labels
        else base.mark_bar(color=GREEN)
    )
    return bars.properties(height=60 + 30 * len(frame))


def _pledged_received_colour() -> alt.Color:
    """The same two colours for Pledged and Received on every chart."""
    return alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["Pledged", "Received"], range=[SKY, GREEN]),
        legend=alt.Legend(orient="bottom"),
    )


def fy_bars(frame: pd.DataFrame) -> alt.Chart:
    """Pledged (by date pledged) and received (by date received) per financial year."""
    long = frame.melt("financial_year", ["pledged_gbp", "received_gbp"], "series", "gbp")
    long["series"] = long["series"].map({"pledged_gbp": "Pledged", "received_gbp": "Received"})
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("financial_year:O", title="Financial year", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("series:N", sort=["Pledged", "Received"]),
            y=alt.Y("gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS)),
            color=_pledged_received_colour(),
            tooltip=["financial_year:O", "series:N", money_tooltip("gbp", "£")],
        )
        .properties(height=300)
    )


# --- Timeline --------------------------------------------------------------------------------


def gantt(bars: pd.DataFrame, goal_labels: Sequence[str], today: dt.date) -> alt.LayerChart:
    """One bar per secondment, grouped by host organisation, coloured by its first goal."""
    order = list(bars["label"])
    base = alt.Chart(bars).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=300)),
    )
    tooltip = [
        alt.Tooltip("secondee:N", title="Secondee"),
        alt.Tooltip("host_organisation:N", title="Host organisation"),
        alt.Tooltip("role:N", title="Role"),
        alt.Tooltip("goals:N", title="Goals"),
        alt.Tooltip("fte:Q", title="FTE"),
        alt.Tooltip("start_date:T", title="Start", format=DAY),
        alt.Tooltip("end_date:T", title="End", format=DAY),
        alt.Tooltip("status:N", title="Status"),
    ]
    bar = base.mark_bar(cornerRadius=2, height={"band": 0.75}).encode(
        x=alt.X("start_date:T", title=None, axis=alt.Axis(format=MONTH, orient="top")),
        x2="end_date:T",
        color=_goal_colour(goal_labels, "Goal (first listed)"),
        tooltip=tooltip,
    )
    fte = base.mark_text(align="left", dx=3, fontSize=11, color=BLACK).encode(
        x="end_date:T", text="fte_label:N"
    )
    return alt.layer(bar, fte, _today(today)).properties(height=160 + 24 * len(bars))


def milestones_chart(points: pd.DataFrame, today: dt.date) -> alt.LayerChart:
    """Milestones planned (hollow) and actual (filled); overdue ones in vermillion triangles."""
    states = ["done", "upcoming", "overdue"]
    colour = alt.Color(
        "state:N",
        title="State",
        scale=alt.Scale(domain=states, range=[GREEN, GREY, VERMILLION]),
        legend=alt.Legend(orient="bottom"),
    )
    shape = alt.Shape(
        "state:N",
        scale=alt.Scale(domain=states, range=["circle", "square", "triangle-up"]),
        legend=None,
    )
    order = list(points["milestone"])
    base = alt.Chart(points).encode(
        y=alt.Y("milestone:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[
            alt.Tooltip("milestone:N", title="Milestone"),
            alt.Tooltip("planned_date:T", title="Planned", format=DAY),
            alt.Tooltip("actual_date:T", title="Actual", format=DAY),
            alt.Tooltip("state:N", title="State"),
            alt.Tooltip("owner:N", title="Owner"),
        ],
    )
    link = base.mark_rule(color=GREY).encode(
        x=alt.X("planned_date:T", title=None, axis=alt.Axis(format=MONTH)), x2="actual_date:T"
    )
    planned = base.mark_point(size=90, filled=False, strokeWidth=2).encode(
        x="planned_date:T", color=colour, shape=shape
    )
    actual = (
        base.transform_filter("isValid(datum.actual_date)")
        .mark_point(size=90, filled=True)
        .encode(x="actual_date:T", color=colour, shape=shape)
    )
    return alt.layer(link, planned, actual, _today(today)).properties(height=120 + 24 * len(points))


def concurrency_chart(
    steps: pd.DataFrame, minimum: int, maximum: int, today: dt.date
) -> alt.LayerChart:
    """Secondments running at once (steps) against the band from Settings."""
    start, end = steps["date"].min(), steps["date"].max()
    band = (
        alt.Chart(
            pd.DataFrame(
                {"start": [start], "end": [end], "low": [minimum], "high": [maximum]},
            )
        )
        .mark_rect(color=GREEN, opacity=0.15)
        .encode(x="start:T", x2="end:T", y="low:Q", y2="high:Q")
    )
    line = (
        alt.Chart(steps)
        .mark_line(interpolate="step-after", color=BLUE, strokeWidth=2.5)
        .encode(
            x=alt.X("date:T", title=None, axis=alt.Axis(format=MONTH)),
            y=alt.Y("count:Q", title="Secondments at once", axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("date:T", title="From", format=DAY), "count:Q"],
        )
    )
    return alt.layer(band, line, _today(today)).properties(height=260)


# --- Data quality ----------------------------------------------------------------------------


def errors_line(frame: pd.DataFrame) -> alt.Chart:
    """Errors and warnings per stored sync run (columns id, finished_at, errors, warnings)."""
    long = frame.melt(["id", "finished_at"], ["errors", "warnings"], "kind", "count")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("id:O", title="Sync run", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count:Q", title="Problems", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=["errors", "warnings"], range=[VERMILLION, ORANGE]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "kind:N",
                scale=alt.Scale(domain=["errors", "warnings"], range=[[1, 0], [5, 3]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("id:O", title="Run"),
                alt.Tooltip("finished_at:T", title="Finished", format=DAY + " %H:%M"),
                "kind:N",
                "count:Q",
            ],
        )
        .properties(height=220)
    )


# --- Learning and impact ---------------------------------------------------------------------


def findings_by_year(frame: pd.DataFrame, by: str, title: str) -> alt.Chart:
    """Findings per year (columns year, `by`, findings), stacked by theme or source."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("findings:Q", title="Findings", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color(
                f"{by}:N",
                title=title,
                scale=alt.Scale(range=list(GOAL_COLOURS)),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320),
            ),
            tooltip=["year:O", alt.Tooltip(f"{by}:N", title=title), "findings:Q"],
        )
        .properties(height=260)
    )


def impact_bars(frame: pd.DataFrame, by: str, title: str) -> alt.Chart:
    """Impact statements per `by` (who benefits, or goal), one bar each."""
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{by}:N", sort=list(frame[by]), title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("statements:Q", title="Statements", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip(f"{by}:N", title=title), "statements:Q"],
    )
    bars = base.mark_bar(color=BLUE)
    text = base.mark_text(align="left", dx=4).encode(text="statements:Q")
    return (bars + text).properties(height=40 + 28 * len(frame))
