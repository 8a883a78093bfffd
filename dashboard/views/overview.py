"""Overview: five answers on the first screen, in words and numbers, drawn on the server.

How much of the target, are we on pace, who is seconded now, what has been achieved per goal,
and can the figures be trusted. No interactive chart here: the one picture (pledged and received
against the target) is a small SVG drawn on the server, so the page opens about as fast as a
one-line page.
"""

from __future__ import annotations

import base64
from html import escape

import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines, metrics
from dashboard import data, ui


def progress_svg(pledged: float, received: float, target: float) -> str:
    """Pledged and received as two bars against the target: an SVG image drawn here.

    An <img> of a data URI, because Streamlit's HTML sanitiser removes inline <svg>; its alt
    text says what the picture shows.
    """
    width = 100.0

    def part(amount: float) -> float:
        return round(min(1.0, max(0.0, amount / target)) * width, 2) if target else 0.0

    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} 10" '
        'preserveAspectRatio="none">'
        f'<rect width="{width:g}" height="10" fill="#E4E7EC"/>'
        f'<rect width="{part(pledged)}" height="10" fill="#0072B2"/>'
        f'<rect y="6.5" width="{part(received)}" height="3.5" fill="#1F1F1F"/></svg>'
    )
    label = (
        f"Pledged {metrics.gbp(pledged)} and received {metrics.gbp(received)} "
        f"of the {metrics.gbp(target)} target."
    )
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="cii-bar" alt="{escape(label)}" src="data:image/svg+xml;base64,{data}">'


def card(label: str, value: str, *notes: str) -> str:
    lines = "".join(f'<p class="cii-note">{escape(n)}</p>' for n in notes if n)
    return (
        f'<div class="cii-card"><p class="cii-label">{escape(label)}</p>'
        f'<p class="cii-value">{escape(value)}</p>{lines}</div>'
    )


def main() -> None:
    ctx = data.current()
    st.title("Overview")
    if ui.no_data(ctx):
        ui.freshness(ctx)
        return
    f, snapshot = ctx.figures, ctx.snapshot
    target = f.target_gbp
    answers = data.overview(ctx)  # worked out once per sync and day
    change, verdict = answers.changes, answers.pace
    aim = headlines.about_gbp(target)

    def share(amount: float) -> str:
        return f"{100 * amount / target:.0f}% of the {aim} target" if target else ""

    # 1. How much of the target? 2. Are we on pace? (each figure with its change since the
    # quarter's end)
    cards = [
        card(
            "Pledged",
            figs.gbp(f.pledged_gbp),
            share(f.pledged_gbp),
            change["pledged"].words(money=True),
        ),
        card(
            "Received",
            figs.gbp(f.received_gbp),
            share(f.received_gbp),
            change["received"].words(money=True),
        ),
        card(
            "Seconded now",
            headlines.plural(f.active_secondments, "secondment"),
            f"{f.active_fte:g} FTE",
            change["secondments"].words(),
        ),
        card(
            "Achievements",
            f"{len(snapshot['achievements']):,}",
            "since the programme started",
            change["achievements"].words(),
        ),
    ]
    # 3. Who is seconded now?
    now = answers.running
    seconded = (
        ui.html_table(now, "Secondments running today", nowrap=["FTE", "Ends"])
        if not now.empty
        else "<p>No secondment is running today.</p>"
    )
    band = answers.outside_band
    if band is not None:
        seconded += (
            f"<p><strong>Outside the band:</strong> {band[0]} running; Settings asks for "
            f"{band[1]} to {band[2]} at once.</p>"
        )
    # 4. What has been achieved, per goal?
    table = answers.goals
    notes = [
        ""
        if not quiet
        else f"Quiet: none since {figs.uk_date(last)}"
        if not _missing(last)
        else "Quiet: none recorded yet"
        for quiet, last in zip(table["quiet"], table["last"], strict=True)
    ]
    achieved = ui.html_table(
        table[["goal", "since_start", "last_12_months"]].rename(
            columns={
                "goal": "Goal",
                "since_start": "Since the start",
                "last_12_months": "Last 12 months",
            }
        ),
        "Achievements per goal, since the start and in the last 12 months",
        notes=notes,
    )
    if table["quiet"].any():
        achieved += '<p class="cii-note">Quiet: no achievement recorded in the last six months.</p>'
    # 5. Can I trust it? (a failed or old sync is also a warning above the answers)
    for warning in ctx.freshness.warnings:
        st.warning(ui.plain(warning), icon=":material/warning:")
    left_out = headlines.left_out_sentence(ctx.loaded.tabs, ctx.loaded.left_out_money)
    trust = f"<p>{escape(ctx.freshness.line)}</p>" + (
        f"<p><strong>Left out:</strong> {escape(left_out)}</p>"
        if left_out
        else "<p>Every row of the spreadsheet is counted: the last sync found no errors.</p>"
    )
    # One block of HTML for the first screen: it opens about as fast as a one-line page.
    st.html(
        '<section class="cii-answers" aria-label="Headline figures">'
        f'<div class="cii-cards">{"".join(cards)}</div>'
        f"{progress_svg(f.pledged_gbp, f.received_gbp, target)}"
        '<p class="cii-legend"><span class="cii-key cii-key-pledged"></span>Pledged '
        '<span class="cii-key cii-key-received"></span>Received, against the '
        f"{escape(figs.gbp(target))} target</p>"
        f'<p class="cii-verdict"><strong>Pace:</strong> {escape(verdict.sentence)}</p>'
        "</section>"
        '<div class="cii-three">'
        f"<section><h2>Who is seconded now</h2>{seconded}</section>"
        f"<section><h2>Achievements by goal</h2>{achieved}</section>"
        f"<section><h2>Can I trust it?</h2>{trust}</section>"
        "</div>"
    )
    if left_out:
        st.page_link("views/data_quality.py", label="See what to fix", icon=":material/build:")

    alerts = ctx.loaded.alerts
    if not alerts.empty:
        st.header("Alerts for leadership")
        st.markdown("\n".join(f"- {ui.plain(m)}" for m in alerts["message"].head(SHOW_ALERTS)))
        if len(alerts) > SHOW_ALERTS:
            st.caption(f"The first {SHOW_ALERTS} of {len(alerts)}.")
            st.page_link("views/data_quality.py", label="See every alert", icon=":material/list:")


def _missing(value: object) -> bool:
    return value is None or str(value) == "NaT"


SHOW_ALERTS = 8


main()
