"""Data quality: the last sync, what staff should fix, alerts, stale tabs, and "Sync now"."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines
from cii_sheets.problems import ALERT_TITLES
from dashboard import charts, data, ui

log = logging.getLogger(__name__)
PROBLEM_TITLES = {
    "severity": "Severity",
    "tab": "Tab",
    "row": "Row",
    "column": "Column",
    "value": "Value",
    "message": "What to do",
    "source": "Source",
    "link": "Cell",
}
OUTCOMES = {
    "ok": "No errors",
    "errors": "Stored, with errors to fix",
    "failed": "Failed: nothing stored",
}


def sync_panel() -> None:
    """The "Sync now" button, or why it cannot run here."""
    choice = data.configured_source()
    note = st.session_state.pop("sync_note", None)
    if note:
        kind, text = note
        (st.success if kind == "ok" else st.warning if kind == "errors" else st.error)(
            ui.plain(text)
        )
    clicked = st.button(
        "Sync now",
        type="primary",
        disabled=choice.source is None,
        icon=":material/sync:",
        help="Read the spreadsheet, check it and store a new snapshot, as the scheduled sync does.",
    )
    if choice.source is not None:
        st.caption(f"Reads {figs.source_kind(choice.description)}, as the scheduled sync does.")
    else:  # the reason names files and settings: for the admin's log, not the page
        log.info("Sync now is off: %s", choice.description)
        st.caption(
            "Sync now is not set up here: the admin names the spreadsheet in the dashboard's "
            "configuration (see the README)."
        )
    if clicked and choice.source is not None:
        with st.spinner("Syncing: reading and checking the spreadsheet…"):
            outcome = data.sync_now(choice.source)
        if outcome.error:
            st.session_state["sync_note"] = ("failed", f"The sync failed: {outcome.error}")
        else:
            v = outcome.validation
            errors = len(v.errors) if v else 0
            st.session_state["sync_note"] = (
                "errors" if errors else "ok",
                f"Stored sync run {outcome.run_id}: "
                f"{headlines.plural(errors, 'error')}, "
                f"{headlines.plural(len(v.warnings) if v else 0, 'warning')}, "
                f"in {outcome.seconds:.1f} seconds.",
            )
        st.rerun()


def main() -> None:
    ctx = data.current()
    ui.header(
        ctx,
        "Data quality",
        "What the last sync found in the spreadsheet, and what staff should fix. Rows with "
        "errors are left out of the figures until they are fixed; warnings are kept in.",
        link_to_fixes=False,
    )
    loaded = ctx.loaded
    latest, good = loaded.latest, loaded.last_good

    st.header("Last sync")
    if latest is None:
        ui.empty(
            "No sync has run yet. Press Sync now (when a source is configured), or run "
            "`cii-sheets sync --workbook PATH` from a terminal."
        )
    else:
        cols = st.columns([2, 1, 1, 1])
        cols[0].markdown(
            f"**Finished:** {figs.uk_datetime(latest['finished_at'])}  \n"
            f"**Outcome:** {OUTCOMES.get(latest['outcome'], latest['outcome'])}  \n"
            f"**Source:** {figs.source_kind(latest['source']).capitalize()}"
        )
        cols[1].metric("Errors", int(latest["errors"] or 0))
        cols[2].metric("Warnings", int(latest["warnings"] or 0))
        cols[3].metric("Rows left out", int(latest["rows_left_out"] or 0))
        if latest["outcome"] == "failed":
            st.error(f"Why it failed: {ui.plain(latest['message'] or 'not recorded')}")
    st.caption(ui.plain(figs.watch_line(data.watch_status(ctx.url))))
    sync_panel()

    if good is None:
        return
    problems = figs.problem_table(loaded.problems, good)
    errors = int((problems["severity"] == "error").sum())
    warnings = int((problems["severity"] == "warning").sum())
    st.header(
        f"To fix: {headlines.plural(errors, 'error')}, {headlines.plural(warnings, 'warning')}"
    )
    st.caption(f"From sync run {good['id']}, finished {figs.uk_datetime(good['finished_at'])}.")
    if problems.empty:
        st.success("All clear: nothing to fix in the spreadsheet.")
    else:
        has_links = problems["link"].notna().any()
        shown = problems if has_links else problems.drop(columns=["link"])
        shown = shown.assign(severity=shown["severity"].str.capitalize())
        ui.table(
            ui.titled(shown, PROBLEM_TITLES),
            "problems",
            label="problems",
            links={"Cell": "Open cell"} if has_links else None,
            widths={
                "Severity": "small",
                "Tab": "small",
                "Row": "small",
                "Column": "small",
                "Value": "small",
                "What to do": "large",
            },
        )

    st.header("Alerts for leadership")
    alerts = loaded.alerts
    if alerts.empty:
        st.caption("No alerts: nothing overdue and secondments within the band.")
    else:
        ui.table(
            ui.titled(
                alerts[["code", "tab", "row", "message"]]
                .astype({"row": "Int64"})
                .assign(code=alerts["code"].map(ALERT_TITLES).fillna("Alert")),
                {"code": "Alert", "tab": "Tab", "row": "Row", "message": "Message"},
            ),
            "alerts",
            label="alerts",
        )

    left, right = st.columns(2, gap="large")
    with left:
        st.header("Problems over past syncs")
        history = figs.errors_by_run(loaded.runs)
        if len(history) < 2:
            st.caption("The line appears after two syncs.")
        else:
            last = history.iloc[-1]
            ui.chart(
                charts.errors_line(history),
                f"Errors and warnings in each of the last {len(history)} syncs; the latest had "
                f"{headlines.plural(int(last['errors']), 'error')} and "
                f"{headlines.plural(int(last['warnings']), 'warning')}.",
            )
    with right:
        st.header("Tabs")
        stale = figs.stale_tabs(loaded.tabs)
        if stale:
            st.warning(
                "Could not be read, so their last good copy is used: "
                + ui.plain(", ".join(stale))
                + "."
            )
        tabs = loaded.tabs.assign(stale=loaded.tabs["stale"].map({True: "Yes", False: "No"}))
        ui.table(
            ui.titled(
                tabs[["tab", "rows", "left_out", "stale", "last_good_run_id"]],
                {
                    "tab": "Tab",
                    "rows": "Rows in the snapshot",
                    "left_out": "Rows left out",
                    "stale": "Stale",
                    "last_good_run_id": "Last good run",
                },
            ),
            "tabs",
            label="tabs",
        )

    with st.expander("Sync history"):
        runs = loaded.runs.copy()
        runs["finished_at"] = pd.to_datetime(runs["finished_at"]).map(figs.uk_datetime)
        runs["outcome"] = runs["outcome"].map(OUTCOMES).fillna(runs["outcome"])
        runs["source"] = runs["source"].map(figs.source_kind).str.capitalize()
        ui.table(
            ui.titled(
                runs[
                    [
                        "id",
                        "finished_at",
                        "source",
                        "outcome",
                        "errors",
                        "warnings",
                        "alerts",
                        "rows_left_out",
                        "message",
                    ]
                ],
                {
                    "id": "Run",
                    "finished_at": "Finished",
                    "source": "Source",
                    "outcome": "Outcome",
                    "errors": "Errors",
                    "warnings": "Warnings",
                    "alerts": "Alerts",
                    "rows_left_out": "Rows left out",
                    "message": "Message",
                },
            ),
            "sync-runs",
            label="sync history",
        )


main()
