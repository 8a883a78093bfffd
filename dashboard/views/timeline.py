"""Timeline: secondments by host organisation, milestones planned against actual, concurrency.

The only page that shows secondees' names.
"""

from __future__ import annotations

import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets.headlines import plural
from dashboard import charts, data, filters, ui

SECONDMENT_TITLES = {
    "secondment_id": "Secondment ID",
    "secondee": "Secondee",
    "host_organisation": "Host organisation",
    "role": "Role",
    "goals": "Goals",
    "fte": "FTE",
    "start_date": "Start date",
    "end_date": "End date",
    "status": "Status",
}
MILESTONE_TITLES = {
    "milestone": "Milestone",
    "planned_date": "Planned date",
    "actual_date": "Actual date",
    "state": "State",
    "owner": "Owner",
}


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Timeline",
        "Secondments grouped by host organisation and coloured by goal, milestones planned "
        "against actual, and how many secondees are in post at once.",
    )
    if ui.no_data(ctx):
        return
    snapshot, settings, f = ctx.snapshot, ctx.snapshot.settings, ctx.figures
    secondments, milestones = snapshot["secondments"], snapshot["milestones"]

    st.sidebar.header("Filters")
    period = filters.period(
        settings,
        secondments["start_date"],
        secondments["end_date"],
        milestones["planned_date"],
    )
    goals = filters.goals(ctx.goal_labels)

    cols = st.columns(4)
    cols[0].metric(
        "Secondments active",
        f.active_secondments,
        help="Running today: Status Active and today between the start and end dates.",
    )
    cols[1].metric("FTE active", f"{f.active_fte:g}")
    cols[2].metric("Band (Settings)", f"{settings.min_secondments}–{settings.max_secondments}")
    cols[3].metric("Milestones overdue", f.milestones["overdue"])

    st.header("Secondments")
    bars = figs.secondment_bars(snapshot, period, goals)
    if secondments.empty:
        ui.empty("No secondments recorded yet — add them in the Secondments tab.")
    elif bars.empty:
        ui.empty("No secondments in this period or for these goals.")
    else:
        st.caption("Each bar is one secondment, labelled with its FTE; the dashed line is today.")
        ui.chart(
            charts.gantt(bars, list(ctx.goal_labels.values()), ctx.as_of),
            f"{plural(len(bars), 'secondment')} at "
            f"{plural(bars['host_organisation'].nunique(), 'host organisation')}, from "
            f"{figs.uk_date(bars['start_date'].min())} to "
            f"{figs.uk_date(bars['end_date'].max())}; {f.active_secondments} running today.",
            key=charts.goal_key(list(ctx.goal_labels.values())),
            key_title="Goal (first listed)",
            width=880,
            explore="gantt",
        )
        with st.expander("Secondments table"):
            ui.table(
                ui.titled(bars[list(SECONDMENT_TITLES)], SECONDMENT_TITLES),
                "secondments",
                label="secondments",
            )

    st.header("Milestones")
    points = figs.milestone_points(snapshot, ctx.as_of, period)
    if milestones.empty:
        ui.empty("No milestones recorded yet — add them in the Milestones tab.")
    elif points.empty:
        ui.empty("No milestones in this period.")
    else:
        st.caption(
            "Hollow marks are planned dates, filled marks actual dates. Done milestones are "
            "green circles, upcoming ones grey squares, and overdue ones (planned date passed, "
            "no actual date) orange triangles."
        )
        states = points["state"].value_counts()
        ui.chart(
            charts.milestones_chart(points, ctx.as_of),
            f"{plural(len(points), 'milestone')}: {states.get('Done', 0)} done, "
            f"{states.get('Overdue', 0)} overdue, {states.get('Upcoming', 0)} upcoming.",
            width=880,
        )
        ui.table(ui.titled(points, MILESTONE_TITLES), "milestones", label="milestones")

    st.header("Secondments at once")
    if secondments.empty:
        ui.empty("No secondments recorded yet — add them in the Secondments tab.")
    else:
        steps = figs.concurrency_steps(snapshot, settings, ctx.as_of)
        st.caption(
            f"The shaded band is the {settings.min_secondments} to {settings.max_secondments} "
            "secondments at once that the Settings tab asks for."
        )
        ui.chart(
            charts.concurrency_chart(
                steps, settings.min_secondments, settings.max_secondments, ctx.as_of
            ),
            f"At most {int(steps['count'].max())} secondments ran at once; "
            f"{f.active_secondments} are running today.",
            width=880,
        )


main()
