"""The one Excel file with every table of the dashboard (whole snapshot, no secondees' names)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import metrics, schema
from cii_sheets.problems import ALERT_TITLES
from dashboard.data import Context


def all_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """Every table the pages show, unfiltered; secondees' names are left out (Timeline only)."""
    snapshot, as_of = ctx.snapshot, ctx.as_of
    selection = figs.fundraising_selection(snapshot, as_of)
    f = ctx.figures.to_dict()
    headline = pd.DataFrame(
        {
            "figure": [FIGURE_TITLES.get(k, k) for k, v in f.items() if not isinstance(v, dict)],
            "value": [
                figs.uk_date(ctx.as_of) if k == "as_of" else v
                for k, v in f.items()
                if not isinstance(v, dict)
            ],
        }
    )
    labels = ctx.goal_labels
    achievements = figs.achievements_table(snapshot)
    secondments = figs.secondment_bars(snapshot).drop(columns=["secondee", "label", "fte_label"])
    loaded = ctx.loaded
    problems = figs.problem_table(loaded.problems, loaded.last_good)
    alerts = loaded.alerts.drop(columns=["run_id"])
    tables = {
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
        "Problems": problems.assign(severity=problems["severity"].str.capitalize()),
        "Alerts": alerts.assign(code=alerts["code"].map(ALERT_TITLES).fillna(alerts["code"])),
        "Sync runs": loaded.runs.drop(columns=["sheet_ids"]),
        "Settings": pd.DataFrame(
            {
                "setting": list(snapshot.settings.to_dict()),
                "value": [str(v) for v in snapshot.settings.to_dict().values()],
            }
        ),
    }
    return {name: with_headers(frame) for name, frame in tables.items()}


# Headers of the columns the dashboard works out (the sheet's own columns keep their headers).
DERIVED_TITLES = {
    "received_gbp": "Received (£)",
    "outstanding_gbp": "Outstanding (£)",
    "pledged_gbp": "Pledged (£)",
    "expected_gbp": "Expected (£)",
    "payment_status": "Payment status",
    "financial_year": "Financial year",
    "host_organisation": "Host organisation",
    "goal": "Goal",
    "goal_id": "Goal ID",
    "goals": "Goals",
    "achievements": "Achievements",
    "quarter": "Quarter",
    "state": "State",
    "figure": "Figure",
    "value": "Value",
    "setting": "Setting",
    "link": "Link to the cell",
    "severity": "Severity",
    "tab": "Tab",
    "row": "Row",
    "column": "Column",
    "message": "Message",
    "code": "Alert",
    "id": "Run",
    "started_at": "Started",
    "finished_at": "Finished",
    "as_of": "Figures for",
    "outcome": "Outcome",
    "errors": "Errors",
    "warnings": "Warnings",
    "alerts": "Alerts",
    "rows_left_out": "Rows left out",
    "api_requests": "Google requests",
    "stale_tabs": "Tabs not read",
    "spreadsheet_url": "Spreadsheet",
    "source": "Source",
    "funder": "Funder",
}
FIGURE_TITLES = {
    "as_of": "Figures for",
    "target_gbp": "Fundraising target (£)",
    "pledged_gbp": "Pledged (£)",
    "expected_gbp": "Expected pipeline (£)",
    "received_gbp": "Received (£)",
    "outstanding_gbp": "Outstanding (£)",
    "overdue_gbp": "Overdue (£)",
    "granted_gbp": "Granted (£)",
    "percent_of_target": "Pledged, % of the target",
    "active_secondments": "Secondments running today",
    "active_fte": "FTE running today",
}


def sheet_titles() -> dict[str, str]:
    """Column key -> the header staff see in the sheet (Amount (£), Date pledged, ...)."""
    titles: dict[str, str] = {}
    for tab in schema.TABS:
        for column in tab.columns:
            titles.setdefault(column.key, column.name)
    return titles


def with_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """The sheet's own headers, or plain words for derived columns; no snake_case."""
    titles = sheet_titles() | DERIVED_TITLES
    return frame.rename(
        columns=lambda c: titles.get(str(c), str(c).replace("_gbp", " (£)").replace("_", " "))
    )


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
