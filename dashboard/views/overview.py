"""Overview: where the Initiative stands today, in a minute."""

from __future__ import annotations

import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import metrics
from dashboard import charts, data, ui


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Overview",
        "Fundraising against the target, secondments running today, achievements towards the "
        "three goals and milestones, as of today.",
    )
    if ui.no_data(ctx):
        return
    f = ctx.figures
    settings = ctx.snapshot.settings

    st.subheader("Fundraising")
    st.progress(
        min(1.0, max(0.0, f.percent_of_target / 100)),
        text=f"{f.percent_of_target:g}% of the {figs.gbp(f.target_gbp)} target pledged "
        f"(confirmed pledges)",
    )
    cols = st.columns(5)
    cols[0].metric(
        "Pledged",
        figs.gbp(f.pledged_gbp),
        help="Confirmed pledges. Expected ones are the pipeline; withdrawn ones are not counted.",
    )
    cols[1].metric("Received", figs.gbp(f.received_gbp), help="Every payment recorded.")
    cols[2].metric(
        "Outstanding", figs.gbp(f.outstanding_gbp), help="Confirmed but not yet received."
    )
    cols[3].metric(
        "Overdue", figs.gbp(f.overdue_gbp), help="Outstanding on pledges whose Due by has passed."
    )
    cols[4].metric("Expected pipeline", figs.gbp(f.expected_gbp), help="Pledges marked Expected.")
    if f.granted_gbp:
        st.caption(f"Granted to projects outside the GLA so far: {figs.gbp(f.granted_gbp)}.")

    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Secondments today")
        c = st.columns(2)
        c[0].metric("Secondments active", f"{f.active_secondments}")
        c[1].metric("FTE active", f"{f.active_fte:g}")
        low, high = settings.min_secondments, settings.max_secondments
        band = metrics.outside_band(ctx.snapshot, ctx.as_of)  # as the alert decides
        if band is not None:
            st.warning(
                f"{band[0]} secondments are running; the Settings tab asks for "
                f"between {low} and {high} at once.",
                icon=":material/warning:",
            )
        elif settings.programme_start <= ctx.as_of <= settings.programme_end:
            st.caption(f"Within the band of {low} to {high} at once set in the Settings tab.")
        else:
            st.caption(
                f"The band of {low} to {high} at once set in the Settings tab applies from "
                f"{figs.uk_date(settings.programme_start)} to "
                f"{figs.uk_date(settings.programme_end)}, the programme's dates."
            )
        st.subheader("Milestones")
        m = f.milestones
        c = st.columns(3)
        c[0].metric("Milestones overdue", m["overdue"])
        c[1].metric("Milestones done", m["done"])
        c[2].metric("Milestones upcoming", m["upcoming"])
        overdue = figs.milestone_points(ctx.snapshot, ctx.as_of)
        overdue = overdue[overdue["state"] == "overdue"]
        for row in overdue.itertuples():
            st.markdown(
                f"- :red[Overdue] **{ui.plain(row.milestone)}**, "
                f"planned {figs.uk_date(row.planned_date)}"
            )
    with right:
        period = figs.this_financial_year(settings, ctx.as_of)
        label = figs.fy_label(ctx.as_of, settings.fy_start_month)
        st.subheader(f"Achievements this financial year ({label})")
        table = figs.achievements_table(ctx.snapshot, period)
        counts = figs.count_by_goal(table, ctx.goal_labels)
        c = st.columns(len(counts)) if len(counts) else []
        for col, row in zip(c, counts.itertuples(), strict=True):
            col.metric(ui.plain(row.goal), row.achievements)
        if table.empty:
            ui.empty(
                f"No achievements recorded for {label} yet — add them in the Achievements tab."
            )
        else:
            ui.chart(charts.goal_bars(counts, list(ctx.goal_labels.values())))
        since = ", ".join(f"{g} {n}" for g, n in f.achievements_by_goal.items())
        st.caption(f"Since the programme started: {ui.plain(since)}.")

    alerts = ctx.loaded.alerts
    if not alerts.empty:
        with st.expander(f"Alerts for leadership ({len(alerts)})", expanded=True):
            st.markdown("\n".join(f"- {ui.plain(m)}" for m in alerts["message"].head(SHOW_ALERTS)))
            if len(alerts) > SHOW_ALERTS:
                st.caption(f"The first {SHOW_ALERTS} of {len(alerts)}.")
                st.page_link(
                    "views/data_quality.py", label="See every alert", icon=":material/list:"
                )


SHOW_ALERTS = 8


main()
