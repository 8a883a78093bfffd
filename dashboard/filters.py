"""Filter widgets whose state lives in the URL's query string, so a view can be shared.

A filter starts from the URL when the URL names it, else from what the user chose on another
page in this session; whatever it shows is written back to the URL on every run. Values in a
URL that are not choices any more (a funder renamed, say) are dropped, never an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from cii_sheets import dashboard_figures as figs
from cii_sheets.dashboard_figures import Period
from cii_sheets.snapshot import Settings

ALL_TIME = "All time"
DATES = "Choose dates…"


def _start(name: str, parse: Callable[[], Any]) -> str:
    """Give the widget for `name` its first value (URL, else this session's choice)."""
    key = f"filter_{name}"
    if key not in st.session_state:
        value = parse()
        if value is None:
            value = st.session_state.get(f"keep_{name}")
        if value is not None:
            st.session_state[key] = value
    return key


def _publish(name: str, value: Any, url_value: str | list[str] | None) -> None:
    st.session_state[f"keep_{name}"] = value
    if url_value in (None, "", []):
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = url_value


def period(settings: Settings, *dates: Any) -> Period:
    """Financial year or a date range (`fy=2017/18`, or `from=2017-04-01&to=2018-03-31`)."""
    years = figs.financial_years(settings, *dates)
    options = [ALL_TIME, *years, DATES]

    def from_url() -> str | None:
        fy = st.query_params.get("fy")
        if fy in years:
            return fy
        if st.query_params.get("from") or st.query_params.get("to"):
            return DATES
        return None

    key = _start("period", from_url)
    if st.session_state.get(key) not in options:
        st.session_state[key] = ALL_TIME
    choice = st.sidebar.selectbox(
        "Period",
        options,
        key=key,
        format_func=lambda o: f"Financial year {o}" if o in years else o,
        help="Financial years run from "
        f"{dt.date(2000, settings.fy_start_month, 1).strftime('%B')}.",
    )
    if choice != DATES:
        _publish("period", choice, None if choice == ALL_TIME else choice)
        st.query_params.pop("from", None)
        st.query_params.pop("to", None)
        if choice == ALL_TIME:
            return figs.ALL_TIME
        return figs.fy_period(choice, settings.fy_start_month)
    st.query_params.pop("fy", None)
    st.session_state["keep_period"] = DATES
    default = (settings.programme_start, settings.programme_end)

    def dates_from_url() -> tuple[dt.date, dt.date] | None:
        start = figs.parse_date(st.query_params.get("from"))
        end = figs.parse_date(st.query_params.get("to"))
        if start is None and end is None:
            return None
        return (start or default[0], end or default[1])

    key = _start("dates", dates_from_url)
    if key not in st.session_state:
        st.session_state[key] = default
    chosen = st.sidebar.date_input("From – to", key=key, format="DD/MM/YYYY")
    picked = [d for d in (chosen if isinstance(chosen, Sequence) else [chosen]) if d]
    if len(picked) < 2:  # the second date is still being picked
        return figs.ALL_TIME
    start, end = picked[0], picked[1]
    st.session_state["keep_dates"] = (start, end)
    st.query_params["from"] = start.isoformat()
    st.query_params["to"] = end.isoformat()
    return figs.date_range_period(start, end)


def goals(labels: dict[str, str]) -> list[str]:
    """Goals to show (`goal=G1&goal=G3`); none chosen means all."""

    def from_url() -> list[str] | None:
        wanted = [g for g in st.query_params.get_all("goal") if g in labels]
        return wanted or None

    key = _start("goal", from_url)
    st.session_state[key] = [g for g in st.session_state.get(key, []) if g in labels]
    chosen: list[str] = st.sidebar.multiselect(
        "Goals",
        list(labels),
        key=key,
        format_func=lambda g: labels.get(g, g),
        placeholder="All goals",
    )
    _publish("goal", chosen, chosen)
    return chosen


def funders(names: Sequence[str]) -> list[str]:
    """Funders to show (`funder=Trust for London`); none chosen means all."""
    options = sorted(set(names))

    def from_url() -> list[str] | None:
        wanted = [f for f in st.query_params.get_all("funder") if f in options]
        return wanted or None

    key = _start("funder", from_url)
    st.session_state[key] = [f for f in st.session_state.get(key, []) if f in options]
    chosen: list[str] = st.sidebar.multiselect(
        "Funders", options, key=key, placeholder="All funders"
    )
    _publish("funder", chosen, chosen)
    return chosen


def search(
    label: str = "Search achievements", placeholder: str = "Words from the title, goal, host…"
) -> str:
    """Free text (`q=forum`)."""
    key = _start("q", lambda: st.query_params.get("q"))
    text: str = st.text_input(label, key=key, placeholder=placeholder)
    _publish("q", text, text.strip() or None)
    return text
