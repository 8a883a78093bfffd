"""Fundraising: pace against the target, funders, financial years, grants made, what is overdue."""

from __future__ import annotations

import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines, metrics
from cii_sheets.headlines import plural
from cii_sheets.snapshot import Snapshot
from dashboard import charts, data, filters, ui

TOP_FUNDERS = 20


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Fundraising",
        "Confirmed pledges count towards the target; Expected ones are the pipeline.",
    )
    if ui.no_data(ctx):
        return
    snapshot, settings = ctx.snapshot, ctx.snapshot.settings
    pledges, payments = snapshot["pledges"], snapshot["payments"]
    if pledges.empty:
        ui.empty(
            "No pledges recorded yet — add them in the Pledges tab, then sync. Payments go in "
            "the Payments tab."
        )
        return

    st.sidebar.header("Filters")
    period = filters.period(settings, pledges["date_pledged"], payments["date_received"])
    chosen = filters.funders(pledges["funder"])
    selection = figs.fundraising_selection(snapshot, ctx.as_of, period, chosen)

    scope = period.label if not period.is_all else "All time"
    if chosen:
        scope += " · " + ", ".join(chosen)
    st.caption(
        f"Showing: **{ui.plain(scope)}**. Pledges count by Date pledged, payments by Date received."
    )
    target = settings.target_gbp
    cols = st.columns(5)
    cols[0].metric(
        "Pledged",
        figs.gbp(selection.pledged_gbp),
        help=f"{100 * selection.pledged_gbp / target:.1f}% of the {figs.gbp(target)} target"
        if target
        else None,
    )
    cols[1].metric("Received", figs.gbp(selection.received_gbp))
    cols[2].metric("Outstanding", figs.gbp(selection.outstanding_gbp))
    cols[3].metric("Overdue", figs.gbp(selection.overdue_gbp))
    cols[4].metric("Expected pipeline", figs.gbp(selection.expected_gbp))

    st.header("Pace towards the target")
    whole = figs.fundraising_selection(snapshot, ctx.as_of, figs.ALL_TIME, chosen)
    running = metrics.cumulative(whole.pledges, whole.payments)
    outlook = headlines.pace(running, whole.expected_gbp, settings, ctx.as_of)
    if chosen:
        st.caption(
            "The pace line is for the whole target; the lines show only the chosen funders, so "
            "no projection is made. Clear the funder filter to see where the pace lands."
        )
    else:
        st.markdown(f"**Pace:** {ui.plain(outlook.sentence)}")
    ui.chart(
        charts.pace_chart(
            figs.up_to(figs.thin_steps(running), ctx.as_of),
            figs.pace_line(settings),
            target,
            ctx.as_of,
        ),
        f"Confirmed pledges reach {figs.gbp(whole.pledged_gbp)} and payments received "
        f"{figs.gbp(whole.received_gbp)} by {figs.uk_date(ctx.as_of)}, against a "
        f"{figs.gbp(target)} target and a straight line from "
        f"{figs.uk_date(settings.programme_start)} to {figs.uk_date(settings.programme_end)}.",
        width=880,
        explore="pace",
    )

    left, right = st.columns(2, gap="large")
    funder_totals = metrics.by_funder(selection.pledges, selection.payments)
    with left:
        st.header("By funder")
        if funder_totals.empty:
            ui.empty("No pledges or payments in this selection.")
        else:
            shown = funder_totals.head(TOP_FUNDERS)
            if len(funder_totals) > TOP_FUNDERS:
                st.caption(f"The {TOP_FUNDERS} largest of {len(funder_totals)} funders.")
            top = shown.iloc[0]
            ui.chart(
                charts.funder_bars(shown),
                f"{plural(len(funder_totals), 'funder')}; the largest, {top['funder']}, pledged "
                f"{figs.gbp(top['pledged_gbp'])} and paid {figs.gbp(top['received_gbp'])}.",
                ui.titled(shown[["funder", "pledged_gbp", "received_gbp"]], _TITLES),
            )
    years = metrics.by_financial_year(
        selection.pledges, selection.payments, settings.fy_start_month
    )
    with right:
        st.header("By financial year")
        if years.empty:
            ui.empty("No pledges or payments in this selection.")
        else:
            every = figs.financial_years(
                settings, pledges["date_pledged"], payments["date_received"]
            )
            if not period.is_all:
                every = [y for y in every if y in set(years["financial_year"])] or every
            best = years.loc[years["pledged_gbp"].idxmax()]
            ui.chart(
                charts.fy_bars(years, every),
                f"Pledged and received in each of {len(every)} financial years; the most "
                f"pledged was {figs.gbp(best['pledged_gbp'])} in {best['financial_year']}.",
                ui.titled(years, _TITLES),
            )

    with st.expander("Totals by funder and by financial year"):
        ui.table(
            ui.titled(funder_totals, _MONEY_TITLES | {"funder": "Funder"}),
            "by-funder",
            label="totals by funder",
        )
        ui.table(
            ui.titled(years, _MONEY_TITLES | {"financial_year": "Financial year"}),
            "by-financial-year",
            label="totals by financial year",
        )

    _grants(snapshot)

    st.header("Overdue pledges")
    overdue = figs.overdue_table(selection.pledges)
    if overdue.empty:
        st.caption("Nothing overdue: every confirmed pledge past its Due by date is paid in full.")
    else:
        ui.table(overdue, "overdue-pledges", label="overdue pledges")

    st.header("Pledges")
    pledge_rows = figs.pledge_table(selection.pledges)
    if pledge_rows.empty:
        ui.empty("No pledges in this selection. Choose another period or funder.")
    else:
        ui.table(pledge_rows, "pledges", label="pledges", height=380)
    if payments.empty:
        ui.empty("No payments recorded yet — add them in the Payments tab.")


_TITLES = {
    "funder": "Funder",
    "financial_year": "Financial year",
    "pledged_gbp": "Pledged (£)",
    "expected_gbp": "Expected (£)",
    "received_gbp": "Received (£)",
    "outstanding_gbp": "Outstanding (£)",
}


def _grants(snapshot: Snapshot) -> None:
    """What the fund has granted, by goal and by recipient (all grants: the filters are for
    pledges and payments)."""
    st.header("Grants made")
    grants = metrics.grants_in_pounds(snapshot)
    if grants.empty:
        st.caption("No grants recorded yet: the fund's own grants go in the Grants tab.")
        return
    total = metrics.gbp(float(grants["amount_awarded_gbp"].sum()))
    others = len(snapshot["grants"]) - len(grants)
    note = f" ({others} in other currencies not added in)" if others else ""
    st.caption(
        f"{plural(len(grants), 'grant')}, {total} awarded in all{note}, whatever the filters above."
    )
    by_goal = metrics.granted_by_goal(snapshot)
    by_recipient = metrics.granted_by_recipient(snapshot)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Granted by goal**")
        ui.chart(
            charts.grant_bars(by_goal, "goal", list(by_goal["goal"])),
            "Granted by goal: "
            + "; ".join(
                f"{g} {metrics.gbp(v)}"
                for g, v in zip(by_goal["goal"], by_goal["granted_gbp"], strict=True)
            )
            + ".",
        )
    with right:
        st.markdown("**Granted by recipient**")
        shown = by_recipient.head(TOP_FUNDERS)
        if len(by_recipient) > TOP_FUNDERS:
            st.caption(f"The {TOP_FUNDERS} largest of {len(by_recipient)} recipients.")
        top = shown.iloc[0]
        ui.chart(
            charts.grant_bars(shown, "recipient"),
            f"{plural(len(by_recipient), 'recipient')}; the largest, {top['recipient']}, was "
            f"granted {metrics.gbp(top['granted_gbp'])}.",
        )
    with st.expander("Granted by goal and by recipient"):
        titles = {"granted_gbp": "Granted (£)", "grants": "Grants"}
        ui.table(
            ui.titled(by_goal.drop(columns=["goal_id"]), titles | {"goal": "Goal"}),
            "granted-by-goal",
            label="grants by goal",
        )
        ui.table(
            ui.titled(by_recipient, titles | {"recipient": "Recipient"}),
            "granted-by-recipient",
            label="grants by recipient",
        )


_MONEY_TITLES = {
    "pledged_gbp": "Pledged (£)",
    "expected_gbp": "Expected (£)",
    "received_gbp": "Received (£)",
    "outstanding_gbp": "Outstanding (£)",
}

main()
