"""The board pack: an A4 PDF for trustees, built from the stored snapshot (typst + vl-convert).

Every figure comes from `metrics` and `dashboard_figures`, the functions `sync --json` and the
dashboard use, so the pack's numbers are theirs. The content is gathered here as plain data
(`pack_content`), turned into JSON and handed to a fixed typst template (`board_pack.typ`) through
`sys.inputs`; the template reads it with `json()` and sets every value as text. Staff text is
therefore never parsed as typst markup: a cell holding `#set page(...)`, `<b>` or `]` prints as
written. Charts are Vega-Lite specs (altair) rendered to SVG by vl-convert, so they stay vector
graphics in the PDF. Fonts are typst's own embedded ones (system fonts ignored), so the pack looks
the same on every machine and every font is embedded in the file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines, metrics
from cii_sheets.problems import CiiSheetsError
from cii_sheets.snapshot import Snapshot
from cii_sheets.store import Store, sqlite_path, store_url
from cii_sheets.validate import alerts_for

log = logging.getLogger(__name__)

FONT = "Libertinus Serif"  # embedded in typst, so no system font is needed
# Okabe & Ito (2008), as on the dashboard: distinct for the common forms of colour blindness.
BLUE, ORANGE, PURPLE, GREEN = "#0072B2", "#E69F00", "#CC79A7", "#009E73"
SKY, VERMILLION, GREY, BLACK = "#56B4E9", "#D55E00", "#7F7F7F", "#000000"
GOAL_COLOURS = (BLUE, ORANGE, PURPLE, GREEN, SKY, VERMILLION, BLACK)
CHART_WIDTH = 470  # pixels of the SVG; the template scales it to the text width
MONEY_AXIS = "'£' + format(datum.value, ',.0f')"
LATEST = 6  # learning findings and impact statements shown when the period has none
MAX_LISTED = 12  # achievements and milestones listed before "and N more"


def default_since(as_of: dt.date) -> dt.date:
    """The end of the calendar quarter before the one `as_of` falls in (as on the Overview)."""
    return headlines.last_quarter_end(as_of)


@dataclass(frozen=True)
class Stored:
    """What the pack reads from the store."""

    snapshot: Snapshot
    last_good: dict[str, Any]
    latest: dict[str, Any]
    tabs: pd.DataFrame
    left_out_money: pd.DataFrame  # of the last good run: tab, amount_gbp, unreadable_rows


def read_store(url: str | None) -> Stored:
    """The latest stored snapshot; a missing or empty store is a one-line CiiSheetsError."""
    url = store_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():  # opening it would create an empty file
        raise CiiSheetsError(
            f"There is no store at {path}. Run `cii-sheets sync` first, or give --store."
        )
    with Store(url) as store:
        last_good = store.latest_run(stored_only=True)
        latest = store.latest_run()
        if last_good is None or latest is None:
            raise CiiSheetsError(
                "The store has no snapshot yet, so there is nothing to report. Run "
                "`cii-sheets sync` first."
            )
        return Stored(
            store.load_snapshot(),
            last_good,
            latest,
            store.tabs(),
            store.left_out_money(last_good["id"]),
        )


# --- Content ---------------------------------------------------------------------------------


def pack_content(
    stored: Stored, as_of: dt.date, since: dt.date, now: dt.datetime
) -> dict[str, Any]:
    """Everything the pack says, as plain strings and lists (the template only lays it out)."""
    snapshot = stored.snapshot
    settings = snapshot.settings
    left_out = figs.rows_left_out(stored.tabs)
    figures = metrics.figures(snapshot, as_of, left_out)
    period = figs.Period(since + dt.timedelta(days=1), as_of, f"since {figs.uk_date(since)}")
    change = figs.fundraising_selection(snapshot, as_of, period)
    everything = figs.fundraising_selection(snapshot, as_of)
    cumulative = metrics.cumulative(everything.pledges, everything.payments)
    pace = headlines.pace(cumulative, everything.expected_gbp, settings, as_of)
    stale = figs.stale_tabs(stored.tabs)
    fresh = figs.freshness(stored.latest, stored.last_good, stale, now)
    titles = {
        str(t): str(title) if isinstance(title, str) else str(t)
        for t, title in zip(stored.tabs["tab"], stored.tabs["title"], strict=True)
    }
    alerts = alerts_for(snapshot, as_of, titles)
    labels = figs.goal_labels(snapshot)
    in_period = figs.achievements_table(snapshot, period)
    counts = figs.count_by_goal(in_period, labels)
    since_text = figs.uk_date(since)

    def plus(amount: float) -> str:
        return f"+{metrics.gbp(amount)}"

    headline = [
        ["Fundraising target", metrics.gbp(figures.target_gbp), ""],
        [
            "Pledged (confirmed)",
            f"{metrics.gbp(figures.pledged_gbp)} ({figures.percent_of_target}% of target)",
            plus(change.pledged_gbp),
        ],
        ["Received", metrics.gbp(figures.received_gbp), plus(change.received_gbp)],
        ["Expected (pipeline)", metrics.gbp(figures.expected_gbp), ""],
        ["Outstanding", metrics.gbp(figures.outstanding_gbp), ""],
        ["Overdue", metrics.gbp(figures.overdue_gbp), ""],
    ]
    if figures.granted_gbp:
        headline.append(["Granted", metrics.gbp(figures.granted_gbp), ""])
    return {
        "title": f"{settings.initiative_name}: board pack",
        "initiative": settings.initiative_name,
        "as_of": figs.uk_date(as_of),
        "since": since_text,
        "subtitle": f"Figures as of {figs.uk_date(as_of)}; changes since {since_text}.",
        "stale_tabs": stale,
        "headline": headline,
        "pace": pace.sentence,
        "secondments": _secondments_line(snapshot, figures, as_of),
        "achievements": [
            [row.goal, str(figures.achievements_by_goal.get(row.goal_id, 0)), str(row.achievements)]
            for row in counts.itertuples()
        ],
        "milestones": (
            f"{figures.milestones['done']} done, {figures.milestones['upcoming']} upcoming, "
            f"{figures.milestones['overdue']} overdue"
        ),
        "alerts": [a.message for a in alerts],
        "freshness": fresh.line,
        "warnings": list(fresh.warnings),
        "left_out": _left_out_line(left_out, stored.left_out_money),
        "funders": _funder_rows(everything),
        "achievements_listed": _achievements_listed(in_period, labels),
        "milestones_listed": _milestones_listed(snapshot, as_of),
        "learning": _latest(snapshot["learning"], period, "finding", _learning_row),
        "impact": _latest(snapshot["impact"], period, "statement", _impact_row(labels)),
        "footer": (
            f"Figures as of {figs.uk_date(as_of)}. Data from "
            f"{figs.source_kind(stored.last_good['source'])}, "
            f"synced {figs.uk_datetime(stored.last_good['finished_at'])}."
        ),
        "generated": figs.uk_datetime(now),
    }


def _secondments_line(snapshot: Snapshot, figures: metrics.Figures, as_of: dt.date) -> str:
    count = figures.active_secondments
    line = (
        f"{headlines.plural(count, 'secondment')} running on {figs.uk_date(as_of)} "
        f"({figures.active_fte:g} FTE)"
    )
    settings = snapshot.settings
    band = metrics.outside_band(snapshot, as_of)
    low, high = settings.min_secondments, settings.max_secondments
    if band is not None:
        return f"{line}: outside the agreed range of {low} to {high} at once."
    if settings.programme_start <= as_of <= settings.programme_end:
        return f"{line}, within the agreed range of {low} to {high} at once."
    return f"{line}."


def _left_out_line(left_out: dict[str, int], money: pd.DataFrame) -> str:
    """How many rows each tab has left out and, for money tabs, how much money they hold."""
    if not left_out:
        return "No rows are left out: every row passed its checks."
    by_tab = {str(r.tab): (float(r.amount_gbp), int(r.unreadable_rows)) for r in money.itertuples()}
    parts = []
    for tab, rows in left_out.items():
        part = f"{tab} {rows}"
        if tab in by_tab:
            amount, unread = by_tab[tab]
            if unread == rows:
                part += f" (amount{'s' * (rows != 1)} not readable)"
            elif unread:
                part += f" ({metrics.gbp(amount)}, and {unread} without a readable amount)"
            else:
                part += f" ({metrics.gbp(amount)})"
        parts.append(part)
    total = sum(left_out.values())
    return (
        f"{headlines.plural(total, 'row')} with errors {'are' if total != 1 else 'is'} left out "
        f"of these figures until staff fix them: {'; '.join(parts)}. The Sync report lists them."
    )


def _funder_rows(selection: figs.Selection) -> list[list[str]]:
    table = metrics.by_funder(selection.pledges, selection.payments)
    return [
        [
            str(row.funder),
            metrics.gbp(row.pledged_gbp),
            metrics.gbp(row.received_gbp),
            metrics.gbp(row.outstanding_gbp),
            metrics.gbp(row.expected_gbp),
        ]
        for row in table.itertuples()
    ]


def _achievements_listed(table: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Achievements in the period, grouped by goal in the Goals tab's order."""
    groups = []
    for goal_id, label in labels.items():
        rows = table[table["goal_id"] == goal_id].sort_values("date")
        items = [
            [figs.uk_date(r.date), str(r.achievement), _text(r.host_organisation)]
            for r in rows.head(MAX_LISTED).itertuples()
        ]
        more = max(0, len(rows) - MAX_LISTED)
        groups.append({"goal": label, "items": items, "more": more})
    return groups


def _milestones_listed(snapshot: Snapshot, as_of: dt.date) -> list[list[str]]:
    """Overdue milestones first, then the next upcoming ones, then the latest done."""
    points = figs.milestone_points(snapshot, as_of)
    overdue = points[points["state"] == "Overdue"]
    upcoming = points[points["state"] == "Upcoming"].head(4)
    done = points[points["state"] == "Done"].sort_values("actual_date").tail(3)
    return [
        [
            str(r.state),
            str(r.milestone),
            figs.uk_date(r.planned_date),
            figs.uk_date(r.actual_date),
            _text(r.owner),
        ]
        for part in (overdue, upcoming, done)
        for r in part.itertuples()
    ]


def _latest(frame: pd.DataFrame, period: figs.Period, noun: str, row: Any) -> dict[str, Any]:
    """Rows dated in the period, topped up with the latest earlier ones to show at least a few."""
    frame = frame[frame["date"] <= pd.Timestamp(period.end)] if period.end else frame
    new = int(period.mask(frame["date"]).sum())
    chosen = frame.sort_values(["date", "sheet_row"]).tail(max(LATEST, new))
    note = (
        f"{headlines.plural(new, f'new {noun}')} dated {period.label}; showing the latest "
        f"{len(chosen)} of {len(frame)}, newest last."
    )
    return {"rows": [row(r) for r in chosen.itertuples()], "note": note, "total": len(frame)}


def _learning_row(r: Any) -> list[str]:
    return [figs.uk_date(r.date), str(r.finding), str(r.source), _text(r.theme)]


def _impact_row(labels: dict[str, str]) -> Any:
    def row(r: Any) -> list[str]:
        goal = labels.get(r.goal_id, _text(r.goal_id))
        return [figs.uk_date(r.date), str(r.statement), str(r.who_benefits), goal]

    return row


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


# --- Charts ----------------------------------------------------------------------------------


def pack_charts(stored: Stored, as_of: dt.date) -> dict[str, str]:
    """The pack's charts as SVG text: fundraising pace, funders, secondment timeline."""
    import vl_convert

    specs = chart_specs(stored.snapshot, as_of)
    return {name: vl_convert.vegalite_to_svg(spec) for name, spec in specs.items()}


def chart_specs(snapshot: Snapshot, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs (as dicts) for the pack's charts, sized for an A4 column."""
    import altair as alt

    settings = snapshot.settings
    selection = figs.fundraising_selection(snapshot, as_of)
    cumulative = figs.up_to(metrics.cumulative(selection.pledges, selection.payments), as_of)
    cumulative = cumulative[cumulative["date"] <= pd.Timestamp(as_of)]
    series = cumulative.melt("date", ["pledged_gbp", "received_gbp"], "series", "gbp")
    series["series"] = series["series"].map(
        {"pledged_gbp": "Pledged (confirmed)", "received_gbp": "Received"}
    )
    pace = figs.pace_line(settings).rename(columns={"pace_gbp": "gbp"})
    pace = pace.assign(series="Pace to target")
    domain = ["Pledged (confirmed)", "Received", "Pace to target"]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[BLUE, GREEN, GREY]),
        legend=alt.Legend(orient="bottom"),
    )
    dash = alt.StrokeDash(
        "series:N", scale=alt.Scale(domain=domain, range=[[1, 0], [1, 0], [6, 4]]), legend=None
    )
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%Y"))
    y = alt.Y("gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS))
    steps = alt.Chart(series).mark_line(interpolate="step-after", strokeWidth=2)
    line = alt.Chart(pace).mark_line(strokeWidth=1.5)
    target = alt.Chart(pd.DataFrame({"gbp": [settings.target_gbp], "label": ["Target"]}))
    today = alt.Chart(pd.DataFrame({"date": [pd.Timestamp(as_of)], "label": ["Today"]}))
    pace_chart = alt.layer(
        steps.encode(x=x, y=y, color=colour, strokeDash=dash),
        line.encode(x=x, y=y, color=colour, strokeDash=dash),
        target.mark_rule(color=BLACK, strokeWidth=0.8).encode(y="gbp:Q"),
        target.mark_text(align="left", dx=4, dy=-7, x=0).encode(y="gbp:Q", text="label:N"),
        today.mark_rule(color=BLACK, strokeDash=[3, 3]).encode(x="date:T"),
    ).properties(width=CHART_WIDTH, height=210)

    funders = metrics.by_funder(selection.pledges, selection.payments)
    long = funders.melt("funder", ["pledged_gbp", "received_gbp"], "series", "gbp")
    long["series"] = long["series"].map({"pledged_gbp": "Pledged", "received_gbp": "Received"})
    funder_chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(
                "funder:N", sort=list(funders["funder"]), title=None, axis=alt.Axis(labelLimit=200)
            ),
            yOffset=alt.YOffset("series:N", sort=["Pledged", "Received"]),
            x=alt.X("gbp:Q", title=None, axis=alt.Axis(labelExpr=MONEY_AXIS)),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["Pledged", "Received"], range=[BLUE, GREEN]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
        .properties(width=CHART_WIDTH - 180, height=22 * max(1, len(funders)))
    )

    # Host organisation and role only: the pack is mailed out, so no secondee's name is in it.
    bars = figs.secondment_bars(snapshot).drop(columns=["secondee"])
    labels = list(figs.goal_labels(snapshot).values())
    order = list(bars["label"])
    timeline = alt.layer(
        alt.Chart(bars)
        .mark_bar(height={"band": 0.7})
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=230)),
            x=alt.X("start_date:T", title=None, axis=alt.Axis(format="%Y", orient="top")),
            x2="end_date:T",
            color=alt.Color(
                "goal:N",
                title="Goal (first listed)",
                scale=alt.Scale(
                    domain=labels,
                    range=[GOAL_COLOURS[i % len(GOAL_COLOURS)] for i in range(len(labels))],
                ),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=320),
            ),
        ),
        today.mark_rule(color=BLACK, strokeDash=[3, 3]).encode(x="date:T"),
    ).properties(width=CHART_WIDTH - 200, height=14 * max(1, len(bars)))

    config = {
        "font": FONT,
        "axis": {"labelFontSize": 10, "titleFontSize": 10},
        "legend": {"labelFontSize": 10, "titleFontSize": 10},
        "view": {"stroke": None},
        # No ARIA text: it would copy data values into the SVG for no reader.
        "aria": False,
    }
    specs = {"pace": pace_chart, "funders": funder_chart, "timeline": timeline}
    out: dict[str, dict[str, Any]] = {}
    for name, chart in specs.items():
        spec = chart.to_dict()
        spec["config"] = {**spec.get("config", {}), **config}
        out[name] = spec
    return out


# --- Typesetting -----------------------------------------------------------------------------


def render(content: dict[str, Any], charts: dict[str, str], now: dt.datetime) -> bytes:
    """Typeset the pack with typst; staff text arrives as JSON data, never as markup."""
    import typst

    template = resources.files("cii_sheets.exports").joinpath("board_pack.typ").read_bytes()
    inputs = {"data": json.dumps(content, ensure_ascii=False), **charts}
    compiler = typst.Compiler(ignore_system_fonts=True)
    pdf = compiler.compile(
        input=template, format="pdf", sys_inputs=inputs, timestamp=now.replace(microsecond=0)
    )
    assert isinstance(pdf, bytes)
    return pdf


def build(
    store: str | None,
    as_of: dt.date,
    since: dt.date | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The board pack as PDF bytes, from the store at `store` (None: the configured one)."""
    try:
        import typst  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError as exc:
        raise CiiSheetsError(
            f"The board pack needs {exc.name}: install it with "
            "`pip install 'cii-sheets[board-pack]'`."
        ) from exc
    now = now or dt.datetime.now(dt.UTC)
    since = since or default_since(as_of)
    if since >= as_of:
        raise CiiSheetsError(
            f"--since ({since.isoformat()}) must be before --as-of ({as_of.isoformat()})."
        )
    stored = read_store(store)
    return render(pack_content(stored, as_of, since, now), pack_charts(stored, as_of), now)


def write(path: Path, pdf: bytes) -> Path:
    """Write the PDF, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    return path


def send(urls: list[str], path: Path) -> bool:
    """Send the PDF as an attachment to every apprise URL; True if all accepted it."""
    import apprise

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            log.warning("notification channel not understood, skipped: %s", url.split("://")[0])
    if len(sender) < len(urls):
        return False
    attachment = apprise.AppriseAttachment()
    attachment.add(str(path))
    try:
        return bool(
            sender.notify(
                title="CII board pack",
                body=f"The board pack is attached ({path.name}).",
                attach=attachment,
            )
        )
    except Exception as exc:  # a channel's library raising is a failed send, not a crash
        log.warning("sending the board pack failed: %s", exc.__class__.__name__)
        return False
