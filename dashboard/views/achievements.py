"""Achievements: by goal, by quarter, by host organisation; quiet goals; a searchable list."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import metrics
from dashboard import charts, data, filters, ui

TITLES = {
    "date": "Date",
    "achievement": "Achievement",
    "goal": "Goal",
    "host_organisation": "Host organisation",
    "secondment_id": "Secondment ID",
    "type": "Type",
    "evidence_link": "Evidence",
}


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Achievements",
        "What the secondees and their hosts achieved towards the Initiative's three goals.",
    )
    if ui.no_data(ctx):
        return
    snapshot = ctx.snapshot
    achievements = snapshot["achievements"]
    if achievements.empty:
        ui.empty("No achievements recorded yet — add them in the Achievements tab, then sync.")
        return

    quiet = figs.quiet_goals(snapshot, ctx.as_of)
    if not quiet.empty:
        gone = "; ".join(
            f"{ui.plain(row.goal)} ("
            + (
                f"last on {figs.uk_date(row.last_achievement)}"
                if not pd.isna(row.last_achievement)
                else "none recorded yet"
            )
            + ")"
            for row in quiet.itertuples()
        )
        st.warning(
            f"Quiet goals, with no achievement in the last six months: {gone}.",
            icon=":material/flag:",
        )

    st.sidebar.header("Filters")
    period = filters.period(snapshot.settings, achievements["date"])
    goals = filters.goals(ctx.goal_labels)
    table = figs.achievements_table(snapshot, period, goals)
    labels = list(ctx.goal_labels.values())

    counts = figs.count_by_goal(table, ctx.goal_labels)
    cols = st.columns(len(counts) + 1)
    cols[0].metric("Achievements", len(table))
    for col, row in zip(cols[1:], counts.itertuples(), strict=True):
        col.metric(ui.plain(row.goal), row.achievements)
    if table.empty:
        ui.empty("No achievements in this period or for these goals.")
        return

    left, right = st.columns(2, gap="large")
    with left:
        st.header("By goal")
        ui.chart(
            charts.goal_bars(counts, labels),
            "Achievements per goal: "
            + "; ".join(
                f"{g} {n}" for g, n in zip(counts["goal"], counts["achievements"], strict=True)
            )
            + ".",
        )
        st.header("By host organisation")
        hosts = figs.count_by_host(table)
        no_host = figs.without_host(table)
        if hosts.empty:
            ui.empty("No achievement in this selection is linked to a host organisation.")
        else:
            per_host = hosts.groupby("host_organisation", sort=False)["achievements"].sum()
            ui.chart(
                charts.host_bars(hosts, labels),
                f"{len(per_host)} host organisations; the most, {per_host.iloc[0]}, at "
                f"{per_host.index[0]}."
                + (
                    f" {no_host} achievements have no known host and are not shown."
                    if no_host
                    else ""
                ),
                ui.titled(hosts, TITLES | {"achievements": "Achievements"}),
                key=charts.goal_key(labels),
            )
    with right:
        st.header("By quarter")
        by_quarter = metrics.achievements_by_quarter(table, by="goal")
        quarters = figs.quarter_labels(table["date"])
        per_quarter = by_quarter.groupby("quarter")["achievements"].sum()
        ui.chart(
            charts.quarter_stack(by_quarter, labels, quarters),
            f"Achievements in each of {len(quarters)} quarters, from {quarters[0]} to "
            f"{quarters[-1]}; the busiest, {per_quarter.idxmax()}, had {per_quarter.max()}.",
            ui.titled(
                by_quarter, {"quarter": "Quarter", "goal": "Goal", "achievements": "Achievements"}
            ),
            key=charts.goal_key(labels),
            explore="quarters",
        )

    st.header("All achievements")
    query = filters.search()
    found = figs.achievements_table(snapshot, period, goals, query)
    if found.empty:
        ui.empty(f"Nothing matches '{ui.plain(query)}'. Try fewer words.")
    else:
        ui.table(
            ui.titled(found[list(TITLES)], TITLES),
            "achievements",
            label="achievements",
            links={"Evidence": "Open evidence"},
            height=400,
            # Every column on a 1366x768 screen, the Evidence link included.
            widths={
                "Date": 88,
                "Achievement": 230,
                "Goal": 165,
                "Host organisation": 150,
                "Secondment ID": 82,
                "Type": 85,
                "Evidence": 105,
            },
        )


main()
