"""The only module that caches: reads the store through cii_sheets, keyed on the latest run id.

Each rerun asks the store for its newest run id (one small query); everything else is cached on
that id, so a new sync (from the command line, the scheduler or the "Sync now" button) shows at
once, and nothing is read twice while it has not changed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from cii_sheets import config, headlines, metrics, sources, sync
from cii_sheets import dashboard_figures as figs
from cii_sheets.notify import Notifier
from cii_sheets.problems import CiiSheetsError
from cii_sheets.snapshot import Snapshot
from cii_sheets.store import Store

log = logging.getLogger(__name__)


def secrets() -> dict[str, Any]:
    """`.streamlit/secrets.toml` as a plain dict ({} when there is none or it cannot be read)."""
    try:
        if st.secrets.load_if_toml_exists():
            return st.secrets.to_dict()
    except Exception:  # a malformed secrets file must not hide the dashboard
        log.warning("could not read .streamlit/secrets.toml")
    return {}


def settings() -> config.Config:
    """The configuration: environment over secrets over cii_sheets.toml over the defaults.

    Raises CiiSheetsError (one line) for an unknown key or a wrong type.
    """
    found = secrets()
    extra = {k: v for k, v in found.items() if k in config.KEYS}
    if "CII_STORE" in found and "store" not in extra:  # the name the environment uses
        extra["store"] = found["CII_STORE"]
    return config.load(extra=extra)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


@dataclass(frozen=True)
class Loaded:
    """Everything the pages read, for one state of the store."""

    latest: dict[str, Any] | None  # the newest run, whatever its outcome
    last_good: dict[str, Any] | None  # the newest run that stored a snapshot
    snapshot: Snapshot
    tabs: pd.DataFrame
    problems: pd.DataFrame  # of the last good run
    alerts: pd.DataFrame  # of the last good run
    runs: pd.DataFrame
    # of the last good run: per tab with money, the pounds on rows left out, unreadable rows
    left_out_money: pd.DataFrame = field(default_factory=pd.DataFrame)


@st.cache_data(show_spinner="Reading the store…", max_entries=4)
def _load(url: str, latest_run_id: int | None) -> Loaded:
    store = _store(url)
    latest = store.latest_run()
    last_good = store.latest_run(stored_only=True)
    good_id = last_good["id"] if last_good else -1
    return Loaded(
        latest=latest,
        last_good=last_good,
        snapshot=store.load_snapshot(),
        tabs=store.tabs(),
        problems=store.problems(good_id),
        alerts=store.alerts(good_id),
        runs=store.runs(),
        left_out_money=store.left_out_money(good_id),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _figures(url: str, latest_run_id: int | None, as_of: dt.date) -> metrics.Figures:
    loaded = _load(url, latest_run_id)
    return metrics.figures(loaded.snapshot, as_of, figs.rows_left_out(loaded.tabs))


@dataclass(frozen=True)
class Context:
    """The store's state as the pages see it, worked out for today."""

    url: str
    as_of: dt.date
    loaded: Loaded
    figures: metrics.Figures
    freshness: figs.Freshness
    goal_labels: dict[str, str] = field(default_factory=dict)
    latest_id: int | None = None  # the store's newest run id: the caches' key

    @property
    def snapshot(self) -> Snapshot:
        return self.loaded.snapshot

    @property
    def has_data(self) -> bool:
        return self.loaded.last_good is not None


def _latest_id(store: Store) -> int | None:
    with store.engine.connect() as conn:
        value = conn.execute(sa.text("SELECT max(id) FROM sync_runs")).scalar()
    return int(value) if value is not None else None


def context() -> Context:
    """Read (or reuse) the store's latest state. Raises CiiSheetsError when it cannot be opened."""
    chosen = settings()
    url = chosen.store
    try:
        latest_id = _latest_id(_store(url))
    except sa.exc.SQLAlchemyError as exc:
        raise CiiSheetsError(f"Cannot read the store: {exc.__class__.__name__}") from exc
    loaded = _load(url, latest_id)
    as_of = sync.today(chosen.timezone)
    return Context(
        url=url,
        as_of=as_of,
        loaded=loaded,
        figures=_figures(url, latest_id, as_of),
        freshness=figs.freshness(
            loaded.latest,
            loaded.last_good,
            figs.stale_tabs(loaded.tabs),
            dt.datetime.now(dt.UTC),
        ),
        goal_labels=figs.goal_labels(loaded.snapshot),
        latest_id=latest_id,
    )


@st.cache_data(show_spinner=False, max_entries=128)
def chart_svg(spec_json: str) -> str:
    """A Vega-Lite chart drawn on the server as SVG (vl-convert), the same spec as in a browser.

    A page of pictures opens about as fast as a page of text: the browser loads no chart library.
    """
    import vl_convert

    return str(vl_convert.vegalite_to_svg(json.loads(spec_json)))


@st.cache_data(show_spinner=False, max_entries=8)
def _overview(url: str, latest_run_id: int | None, as_of: dt.date) -> Overview:
    loaded = _load(url, latest_run_id)
    snapshot = loaded.snapshot
    figures = _figures(url, latest_run_id, as_of)
    running = metrics.cumulative(snapshot["pledges"], snapshot["payments"])
    return Overview(
        changes=headlines.changes(snapshot, as_of, figures),
        pace=headlines.pace(running, figures.expected_gbp, snapshot.settings, as_of),
        running=headlines.running_table(snapshot, as_of),
        goals=headlines.goals_table(snapshot, as_of),
        outside_band=metrics.outside_band(snapshot, as_of),
    )


@dataclass(frozen=True)
class Overview:
    """The Overview's answers, worked out once per state of the store and day."""

    changes: dict[str, headlines.Change]
    pace: headlines.Pace
    running: pd.DataFrame
    goals: pd.DataFrame
    outside_band: tuple[int, int, int] | None


def overview(ctx: Context) -> Overview:
    return _overview(ctx.url, ctx.latest_id, ctx.as_of)


# --- Sync now --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceChoice:
    """The source the "Sync now" button would read, or why there is none."""

    source: Any | None
    description: str


def configured_source() -> SourceChoice:
    """The source the configuration names (as for `cii-sheets sync`), or why there is none."""
    try:
        chosen = settings()
        # On a hosted dashboard the key usually sits in the secrets, as a table of its fields.
        source = sources.from_config(chosen, key=secrets().get("gcp_service_account"))
    except CiiSheetsError as exc:
        return SourceChoice(None, str(exc))
    entries = chosen.source_entries()
    if all(kind == "workbook" for kind, _ in entries):
        absent = [where for _, where in entries if not Path(where).is_file()]
        if len(absent) == len(entries):
            return SourceChoice(None, f"The workbook {absent[0]} does not exist.")
    return SourceChoice(source, source.describe())


def sync_now(source: Any) -> sync.Outcome:
    """The same sync as the command line, run in this process against the dashboard's store.

    As `cii-sheets sync` does, a source that can write the Sync report back (Google) does so
    once the snapshot is stored.
    """
    from cii_sheets.writeback import report_steps

    chosen = settings()
    after = report_steps(source)
    notifier = Notifier(chosen.notify, always=chosen.notify_always)
    return sync.run(
        source,
        chosen.store,
        sync.today(chosen.timezone),
        after_store=after,
        after_run=(notifier,),
    )


def watch_status(url: str) -> dict[str, Any] | None:
    """The watch's heartbeat (one small row, read on every rerun so it is never stale)."""
    try:
        return _store(url).watch_status()
    except CiiSheetsError:  # the store maps its database errors to this
        return None


def current() -> Context:
    """The context app.py read for this run (pages call this; it reads again if run alone)."""
    ctx = st.session_state.get("ctx")
    return ctx if isinstance(ctx, Context) else context()
