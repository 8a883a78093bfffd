"""Rendering pieces every page shares: the freshness line, empty states, tables with downloads."""

from __future__ import annotations

import re
from collections.abc import Mapping

import altair as alt
import pandas as pd
import streamlit as st

from cii_sheets import dashboard_figures as figs
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


def freshness(ctx: Context, link_to_fixes: bool = True) -> None:
    fresh = ctx.freshness
    line = plain(fresh.line)  # names the source; warnings quote failures and tab names
    if fresh.has_data:
        line += f" Figures are worked out for today, {figs.uk_date(ctx.as_of)}."
    st.caption(line)
    for warning in fresh.warnings:
        st.warning(plain(warning), icon=":material/warning:")
    left_out = ctx.figures.rows_left_out
    if fresh.has_data and left_out:
        total = sum(left_out.values())
        tabs = plain(", ".join(f"{tab} {n}" for tab, n in left_out.items()))
        text = (
            f"{total} row{'s' if total != 1 else ''} left out of these figures because of "
            f"errors in the spreadsheet ({tabs})."
        )
        if not link_to_fixes:
            st.info(text, icon=":material/info:")
            return
        cols = st.columns([4, 1], vertical_alignment="center")
        cols[0].info(text, icon=":material/info:")
        cols[1].page_link("views/data_quality.py", label="See what to fix", icon=":material/build:")


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


def column_config(frame: pd.DataFrame, links: Mapping[str, str] | None = None) -> dict:
    """£ for money columns, UK dates for date columns, links clickable."""
    config: dict = {}
    for column in frame.columns:
        name = str(column)
        if "(£)" in name or name.endswith("_gbp") or name == "£":
            config[name] = st.column_config.NumberColumn(name, format=money_format(frame[column]))
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            config[name] = st.column_config.DateColumn(name, format="D MMM YYYY")
    for name, text in (links or {}).items():
        config[name] = st.column_config.LinkColumn(name, display_text=text)
    return config


def table(
    frame: pd.DataFrame,
    name: str,
    *,
    label: str,
    links: Mapping[str, str] | None = None,
    height: int | str = "auto",
) -> None:
    """A table with a CSV download of all its rows; long tables show their first rows only.

    Sending tens of thousands of rows to the browser slows every page down for a table nobody
    scrolls through; the CSV holds them all.
    """
    shown = frame.head(ROW_LIMIT)
    if len(frame) > ROW_LIMIT:
        st.caption(
            f"Showing the first {ROW_LIMIT:,} of {len(frame):,} rows; the CSV below has them all."
        )
    st.dataframe(
        shown,
        hide_index=True,
        column_config=column_config(shown, links),
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


def chart(built: alt.TopLevelMixin) -> None:
    """An altair chart, as wide as its column."""
    st.altair_chart(built, width="stretch")
