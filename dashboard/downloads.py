"""The one Excel file with every table of the dashboard (whole snapshot, no secondees' names)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import metrics
from dashboard.data import Context


def all_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """Every table the pages show, unfiltered; secondees' names are left out (Timeline only)."""
    snapshot, as_of = ctx.snapshot, ctx.as_of
    selection = figs.fundraising_selection(snapshot, as_of)
    f = ctx.figures.to_dict()
    headline = pd.DataFrame(
        {
            "figure": [k for k, v in f.items() if not isinstance(v, dict)],
            "value": [v for v in f.values() if not isinstance(v, dict)],
        }
    )
    labels = ctx.goal_labels
    achievements = figs.achievements_table(snapshot)
    secondments = figs.secondment_bars(snapshot).drop(columns=["secondee", "label", "fte_label"])
    loaded = ctx.loaded
    return {
        "Figures": headline,
        "Achievements by goal": figs.count_by_goal(achievements, labels),
        "Pledges": figs.pledge_table(selection.pledges),
        "Overdue pledges": figs.overdue_table(selection.pledges),
        "By funder": metrics.by_funder(selection.pledges, selection.payments),
        "By financial year": metrics.by_financial_year(
            selection.pledges, selection.payments, snapshot.settings.fy_start_month
        ),
        "Payments": selection.payments.drop(columns=["sheet_row"]),
        "Secondments": secondments,
        "Milestones": figs.milestone_points(snapshot, as_of),
        "Achievements": achievements,
        "Achievements by quarter": metrics.achievements_by_quarter(achievements, by="goal"),
        "Achievements by host": figs.count_by_host(achievements),
        "Problems": figs.problem_table(loaded.problems, loaded.last_good),
        "Alerts": loaded.alerts.drop(columns=["run_id"]),
        "Sync runs": loaded.runs.drop(columns=["sheet_ids"]),
        "Settings": pd.DataFrame(
            {
                "setting": list(snapshot.settings.to_dict()),
                "value": [str(v) for v in snapshot.settings.to_dict().values()],
            }
        ),
    }


def excel_button(ctx: Context) -> None:
    """A download button; the file is built only when it is clicked."""
    st.download_button(
        "Download all tables (Excel)",
        data=lambda: figs.to_excel(all_tables(ctx)),
        file_name=f"cii-dashboard-{ctx.as_of.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/table_view:",
        help="Every table of the dashboard for the whole snapshot, one sheet each. "
        "Secondees' names are left out; they are shown only in the Timeline.",
        key="excel_all",
    )


def board_pack_button(ctx: Context) -> None:
    """The board pack as cron mails it, for today; built only when clicked."""
    from cii_sheets.exports import board_pack

    st.download_button(
        "Board pack (PDF)",
        data=lambda: board_pack.build(ctx.url, ctx.as_of),
        file_name=f"cii-board-pack-{ctx.as_of.isoformat()}.pdf",
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        help="The A4 board pack for trustees, from the same snapshot: the headline, "
        f"fundraising, secondments, milestones, learning and impact since "
        f"{figs.uk_date(board_pack.default_since(ctx.as_of))}.",
        key="board_pack",
    )
