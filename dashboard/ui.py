"""Rendering pieces every page shares: the freshness line, empty states, tables with downloads."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets import headlines
from dashboard import data
from dashboard.data import Context

ROW_LIMIT = 1_000
NO_DATA = (
    "Nothing has been synced into the store yet. Run `cii-sheets sync --workbook PATH` "
    "(or `make run` for the sample data), or press **Sync now** on the Data quality page."
)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$])")


def plain(text: object) -> str:
    """Text from the spreadsheet (or any outside source) shown as typed, never as markdown.

    Every character markdown gives a meaning (links, emphasis, lists, colours such as :red[...],
    LaTeX between $...$) is backslash-escaped, and line breaks become spaces, so a milestone
    named [click](http://evil) reads exactly that. Use it for every value that goes into
    st.markdown, st.caption, st.warning, st.info, st.error, st.success or a metric's label.
    """
    one_line = " ".join(str(text).splitlines())
    return _MARKDOWN.sub(r"\\\1", one_line)


def header(
    ctx: Context, title: str, caption: str | None = None, *, link_to_fixes: bool = True
) -> None:
    """The page title, then the freshness line and any warning about the data's age."""
    st.title(title)
    if caption:
        st.caption(caption)
    freshness(ctx, link_to_fixes)


def freshness(ctx: Context, link_to_fixes: bool = True, *, compact: bool = False) -> None:
    """When the data were synced, what should worry the reader, and what errors leave out.

    One line each, no coloured boxes (compact): banners that fill the first screen hide the
    figures they are about.
    """
    fresh = ctx.freshness
    line = plain(fresh.line)  # the source's kind only; warnings quote failures and tab names
    if fresh.has_data and not compact:
        line += f" Figures are worked out for today, {figs.uk_date(ctx.as_of)}."
    if compact:
        st.markdown(line)
    else:
        st.caption(line)
    for warning in fresh.warnings:
        st.warning(plain(warning), icon=":material/warning:")
    if not fresh.has_data:
        return
    left_out = headlines.left_out_sentence(ctx.loaded.tabs, ctx.loaded.left_out_money)
    if left_out:
        st.markdown(f"**Left out:** {plain(left_out)}")
        if link_to_fixes:
            st.page_link("views/data_quality.py", label="See what to fix", icon=":material/build:")
    elif compact:
        st.markdown("Every row of the spreadsheet is counted: the last sync found no errors.")


def no_data(ctx: Context) -> bool:
    """Show the empty-store state; True when the page has nothing else to show."""
    if ctx.has_data:
        return False
    st.info(NO_DATA, icon=":material/info:")
    return True


def empty(message: str) -> None:
    st.info(message, icon=":material/info:")


def money_format(series: pd.Series) -> str:
    """'£%,.0f' for whole pounds, '£%,.2f' when pennies appear."""
    values = pd.to_numeric(series, errors="coerce").dropna()
    whole = values.empty or bool(((values * 100).round() % 100 == 0).all())
    return "£%,.0f" if whole else "£%,.2f"


def column_config(
    frame: pd.DataFrame,
    links: Mapping[str, str] | None = None,
    widths: Mapping[str, Any] | None = None,
) -> dict:
    """£ for money columns, UK dates for date columns, links clickable, chosen widths."""
    config: dict = {}
    widths = widths or {}
    for column in frame.columns:
        name = str(column)
        width = widths.get(name)
        if "(£)" in name or name.endswith("_gbp") or name == "£":
            config[name] = st.column_config.NumberColumn(
                name, format=money_format(frame[column]), width=width
            )
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            config[name] = st.column_config.DateColumn(name, format="D MMM YYYY", width=width)
        elif width is not None:
            config[name] = st.column_config.Column(name, width=width)
    for name, text in (links or {}).items():
        config[name] = st.column_config.LinkColumn(
            name, display_text=text, width=widths.get(name, "small")
        )
    return config


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values shown as empty cells (never 'None', 'nan' or 'NaT')."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.isna().any() and not pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.astype(object).where(values.notna(), "")
    return out


def table(
    frame: pd.DataFrame,
    name: str,
    *,
    label: str,
    links: Mapping[str, str] | None = None,
    height: int | str = "auto",
    widths: Mapping[str, Any] | None = None,
) -> None:
    """A table with a CSV download of all its rows; long tables show their first rows only.

    Sending tens of thousands of rows to the browser slows every page down for a table nobody
    scrolls through; the CSV holds them all.
    """
    shown = for_display(frame.head(ROW_LIMIT))
    if len(frame) > ROW_LIMIT:
        st.caption(
            f"Showing the first {ROW_LIMIT:,} of {len(frame):,} rows; the CSV below has them all."
        )
    st.dataframe(
        shown,
        hide_index=True,
        column_config=column_config(shown, links, widths),
        height=height,
        width="stretch",
    )
    st.download_button(
        f"Download {label} (CSV)",
        data=lambda: figs.to_csv(frame),
        file_name=f"cii-{name}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"csv_{name}",
    )


def titled(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Rename columns for display."""
    return frame.rename(columns=dict(names))


def goal_key(pairs: Sequence[tuple[str, str]], title: str = "Goal") -> None:
    """A colour key for goal-coloured charts, in HTML so long names wrap."""
    items = "".join(
        f'<li><span class="cii-swatch" style="background:{escape(colour)}"></span>'
        f"{escape(goal)}</li>"
        for goal, colour in pairs
    )
    st.html(f'<p class="cii-keytitle">{escape(title)}</p><ul class="cii-goalkey">{items}</ul>')


def html_table(
    frame: pd.DataFrame,
    caption: str,
    *,
    nowrap: Sequence[str] = (),
    notes: Sequence[str] | None = None,
) -> str:
    """A small table as plain HTML (no grid component to load), its caption for screen readers.

    `nowrap` names columns kept on one line; `notes` adds a short line under each row's first
    cell (such as "quiet: none since 14 Sep 2023").
    """
    keep = {i for i, c in enumerate(frame.columns) if c in set(nowrap)}
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for n, row in enumerate(frame.itertuples(index=False)):
        cells = []
        for i, value in enumerate(row):
            text = escape(_cell(value))
            if i == 0 and notes and notes[n]:
                text += f'<span class="cii-quiet">{escape(notes[n])}</span>'
            attr = ' class="cii-nowrap"' if i in keep else ""
            cells.append(f"<td{attr}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="cii-table"><caption class="cii-sr">{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(value: object) -> str:
    """A table cell as a reader would write it: '' for missing, £ for money, UK dates."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return figs.uk_date(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def picture_spec(built: alt.TopLevelMixin, width: int) -> str:
    """The chart's Vega-Lite spec for drawing on the server: `width` pixels wide in all (labels
    included), in the dashboard's fonts and greys, as Streamlit's theme draws it in a browser."""
    grey, light = "#3D4150", "#E4E7EC"
    sized = built.properties(
        width=width, autosize=alt.AutoSizeParams(type="fit", contains="padding")
    )
    return str(
        sized.configure(font="Source Sans Pro, Arial, sans-serif")
        .configure_view(strokeWidth=0)
        .configure_axis(
            labelFontSize=12,
            titleFontSize=12,
            titleFontWeight="normal",
            labelColor=grey,
            titleColor=grey,
            gridColor=light,
            domainColor="#BFC4CE",
            tickColor="#BFC4CE",
        )
        .configure_legend(labelFontSize=12, titleFontSize=12, labelColor=grey, titleColor=grey)
        .to_json(validate=False)  # the builders' specs are checked in the tests
    )


def chart(
    built: alt.TopLevelMixin,
    summary: str,
    frame: pd.DataFrame | None = None,
    *,
    key: Sequence[tuple[str, str]] = (),
    key_title: str = "Goal",
    width: int = 460,
    explore: str | None = None,
) -> None:
    """A chart drawn on the server as an SVG picture, with its text alternative.

    A picture, not an interactive chart, because the browser then loads no chart library and
    the page opens about as fast as text (see the README's benchmark). `explore` names a toggle
    that swaps in the interactive chart (tooltips) for those who want it. The one-sentence
    summary (with the key numbers) is the picture's alt text and the caption under it; the
    chart's data follow as a table on request (a plain HTML <details>, so a screen reader
    reaches it and nothing heavy loads). `key` is a colour key (label, colour) under the chart.
    """
    described = built.properties(description=summary)
    if explore and st.toggle("Explore: tooltips on hover", key=f"explore_{explore}"):
        st.altair_chart(described, width="stretch")
    else:
        svg = data.chart_svg(picture_spec(described, width))
        picture = base64.b64encode(svg.encode()).decode()
        st.html(
            f'<img class="cii-chart" style="max-width:{width}px" alt="{escape(summary)}" '
            f'src="data:image/svg+xml;base64,{picture}">'
        )
    if key:
        goal_key(key, key_title)
    st.caption(plain(summary))
    if frame is not None and not frame.empty:
        st.html(
            f'<details class="cii-data"><summary>Chart data as a table</summary>'
            f"{html_table(frame.head(60), summary)}</details>"
        )


# The dashboard's own styles: less empty space so the Overview's answers fit a 1366x768 screen,
# captions dark enough for WCAG AA contrast (Streamlit's grey is 4.2:1 on the sidebar), section
# headings (h2) sized as sections, and the phone layout (metrics two to a row).
STYLE = """<style>
[data-testid='stMainBlockContainer']{padding-top:2.2rem;padding-bottom:2rem}
[data-testid='stCaptionContainer'],[data-testid='stCaptionContainer'] p,
[data-testid='stWidgetLabel'] p,[data-testid='stMetricLabel'] p{color:#3D4150 !important;
 opacity:1 !important}
h1{padding-top:0 !important;padding-bottom:.3rem !important;font-size:2.2rem !important}
h2{font-size:1.3rem !important;padding:.5rem 0 .2rem !important}
[data-testid='stMetricLabel'] *{white-space:normal !important;overflow:visible !important;
 text-overflow:clip !important}
[data-testid='stAlertContainer']{padding:.5rem .8rem !important}
.cii-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
 white-space:nowrap}
.cii-cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:.75rem}
.cii-card{background:#F3F5F8;border-radius:.5rem;padding:.55rem .8rem}
.cii-card p{margin:0;line-height:1.35}
.cii-label{font-size:.9rem;color:#3D4150}
.cii-value{font-size:1.6rem;font-weight:600;color:#1F1F1F}
.cii-note{font-size:.85rem;color:#3D4150}
.cii-bar{width:100%;height:.9rem;margin:.6rem 0 .1rem;display:block}
.cii-legend{font-size:.85rem;color:#3D4150;margin:0}
.cii-key{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .6rem;
 vertical-align:-1px}
.cii-key-pledged{background:#0072B2}.cii-key-received{background:#1F1F1F;height:.35rem}
.cii-three{display:grid;grid-template-columns:1.2fr 1.25fr .9fr;gap:1.2rem;margin-top:.6rem}
.cii-three h2{margin:0;font-weight:600}
.cii-three p{margin:.2rem 0 .5rem}
.cii-verdict{margin:.45rem 0 0;font-size:1rem}
.cii-table{border-collapse:collapse;width:100%;font-size:.85rem;line-height:1.3}
.cii-table th{text-align:left;font-weight:600;border-bottom:1px solid #BFC4CE;padding:.2rem .4rem}
.cii-table td{border-bottom:1px solid #E4E7EC;padding:.2rem .4rem;vertical-align:top}
.cii-table .cii-nowrap{white-space:nowrap}
.cii-quiet{display:block;font-size:.8rem;color:#3D4150}
.cii-keytitle{margin:0;font-size:.85rem;font-weight:600}
.cii-goalkey{list-style:none;margin:0 0 .3rem;padding:0;font-size:.85rem;display:flex;
 flex-wrap:wrap;gap:.1rem 1rem}
.cii-swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.35rem;vertical-align:-1px}
.cii-chart{display:block;width:100%;height:auto;margin:.2rem 0 .3rem}
.cii-data summary{cursor:pointer;font-size:.9rem;color:#1F1F1F}
@media (max-width:640px){
 .cii-three{grid-template-columns:1fr}
 [data-testid='stMainBlockContainer']{padding-top:3.8rem}
 .cii-cards{grid-template-columns:repeat(2,minmax(0,1fr))}
 .cii-value{font-size:1.3rem}
 [data-testid='stHorizontalBlock']:has([data-testid='stMetric']){flex-wrap:wrap !important;
  flex-direction:row !important;gap:.5rem}
 [data-testid='stHorizontalBlock']:has([data-testid='stMetric'])>[data-testid='stColumn']{
  min-width:calc(50% - .5rem) !important;width:calc(50% - .5rem) !important;
  flex:1 1 calc(50% - .5rem) !important}
}
</style>"""
