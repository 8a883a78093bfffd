"""Learning and impact: findings by theme and source over time, impact by who benefits and goal."""

from __future__ import annotations

import streamlit as st

from cii_sheets import learning_impact as li
from cii_sheets import schema
from dashboard import charts, data, filters, ui

LEARNING_TITLES = {
    "date": "Date",
    "finding": "Finding",
    "source": "Source",
    "theme": "Theme",
    "goals": "Goals",
    "evidence_link": "Evidence",
}
IMPACT_TITLES = {
    "date": "Date",
    "statement": "Statement",
    "who_benefits": "Who benefits",
    "goal": "Goal",
    "evidence_link": "Evidence",
}


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Learning and impact",
        "What the Initiative has learnt, from its learning partner and its own people, and the "
        "difference it makes, and for whom.",
    )
    if ui.no_data(ctx):
        return
    snapshot = ctx.snapshot
    learning, impact = snapshot["learning"], snapshot["impact"]
    if learning.empty and impact.empty:
        ui.empty(
            "No learning or impact recorded yet — add rows to the Learning and Impact tabs, "
            "then sync."
        )
        return

    st.sidebar.header("Filters")
    period = filters.period(snapshot.settings, learning["date"], impact["date"])
    goals = filters.goals(ctx.goal_labels)
    query = filters.search(
        "Search findings and statements", "Words from a finding, statement, source, theme…"
    )
    findings = li.learning_table(snapshot, period, goals, query)
    statements = li.impact_table(snapshot, period, goals, query)

    cols = st.columns(2)
    cols[0].metric("Learning findings", len(findings))
    cols[1].metric("Impact statements", len(statements))

    st.subheader("Learning")
    if findings.empty:
        ui.empty("No findings match these filters.")
    else:
        left, right = st.columns(2, gap="large")
        with left:
            ui.chart(
                charts.findings_by_year(li.findings_by_year(findings, "theme"), "theme", "Theme")
            )
        with right:
            st.caption("Findings each year, by source")
            sources = li.findings_by_year(findings, "source")
            ui.chart(charts.findings_by_year(sources, "source", "Source"))
        ui.table(
            ui.titled(findings[list(LEARNING_TITLES)], LEARNING_TITLES),
            "learning",
            label="findings",
            links={"Evidence": "Open evidence"},
        )

    st.subheader("Impact")
    if statements.empty:
        ui.empty("No impact statements match these filters.")
    else:
        left, right = st.columns(2, gap="large")
        with left:
            st.caption("Statements by who benefits")
            who = li.impact_counts(statements, "who_benefits", schema.IMPACT_BENEFICIARIES)
            ui.chart(charts.impact_bars(who, "who_benefits", "Who benefits"))
        with right:
            st.caption("Statements by goal")
            by_goal = li.impact_counts(statements, "goal", [*ctx.goal_labels.values(), li.NO_GOAL])
            ui.chart(charts.impact_bars(by_goal, "goal", "Goal"))
        ui.table(
            ui.titled(statements[list(IMPACT_TITLES)], IMPACT_TITLES),
            "impact",
            label="impact statements",
            links={"Evidence": "Open evidence"},
        )


main()
