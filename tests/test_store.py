"""The store: one transaction per sync, stale tabs keep their rows, syncs never interleave."""

from __future__ import annotations

import copy
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import MESSY_AS_OF, MESSY_FIGURES, MESSY_TABS, write_workbook

from cii_sheets import locks, metrics, sync
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import DATA_TABLES, SETTINGS_TABLE, Store


def _data_dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the data tables and settings, as the database returns them, in order."""
    engine = sa.create_engine(url)
    tables = [*DATA_TABLES.values(), SETTINGS_TABLE]
    try:
        with engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.columns))]
                for t in tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def synced(messy_workbook: Path, store_url: str) -> str:
    assert sync.run(WorkbookSource(messy_workbook), store_url, MESSY_AS_OF).run_id == 1
    return store_url


def test_a_sync_failing_midway_leaves_the_previous_snapshot_whole(
    synced: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    open_store: Callable[[str], Store],
) -> None:
    url = synced
    before = _data_dump(url)
    assert len(before["pledges"]) == 3
    # A changed sheet whose save fails after some tables are already rewritten.
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][1][2] = 99_999
    changed = write_workbook(tmp_path / "changed.xlsx", tabs)
    real_insert = Store._insert_rows
    calls = {"n": 0}

    def failing_insert(self: Store, conn: sa.Connection, table: sa.Table, rows: list) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
        real_insert(self, conn, table, rows)

    monkeypatch.setattr(Store, "_insert_rows", failing_insert)
    outcome = sync.run(WorkbookSource(changed), url, MESSY_AS_OF)

    assert outcome.exit_code == sync.EXIT_FAILED
    assert outcome.error is not None and "previous snapshot is unchanged" in outcome.error
    assert "\n" not in outcome.error
    assert calls["n"] == 5
    assert _data_dump(url) == before
    store = open_store(url)
    assert (
        metrics.figures(
            store.load_snapshot(), MESSY_AS_OF, MESSY_FIGURES["rows_left_out"]
        ).to_dict()
        == MESSY_FIGURES
    )
    latest = store.latest_run()
    assert latest is not None and latest["outcome"] == "failed"
    assert store.latest_run(stored_only=True)["id"] == 1  # type: ignore[index]


def test_a_tab_missing_a_required_column_keeps_its_last_good_rows(
    synced: str, tmp_path: Path, open_store: Callable[[str], Store]
) -> None:
    url = synced
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][0][2] = "Sum"  # someone renamed "Amount £"
    tabs["Milestones"] = tabs["Milestones"][:2]  # and, in the same sync, removed two milestones
    renamed = write_workbook(tmp_path / "renamed.xlsx", tabs)

    outcome = sync.run(WorkbookSource(renamed), url, MESSY_AS_OF)

    assert outcome.validation is not None
    missing = [p for p in outcome.validation.problems if p.code == "missing-column"]
    assert [(p.tab, p.row, p.column) for p in missing] == [("Pledges", None, "Amount (£)")]
    assert outcome.validation.stale_tabs == ["Pledges"]
    store = open_store(url)
    snapshot = store.load_snapshot()
    assert sorted(snapshot["pledges"]["pledge_id"]) == ["P001", "P004", "P006"]
    assert len(snapshot["milestones"]) == 1  # fresh tabs did change
    assert outcome.figures is not None
    assert outcome.figures.pledged_gbp == MESSY_FIGURES["pledged_gbp"]
    run = store.latest_run()
    assert run is not None and run["stale_tabs"] == "Pledges"
    tabs_state = store.tabs().set_index("tab")
    assert bool(tabs_state.loc["Pledges", "stale"]) is True
    assert tabs_state.loc["Pledges", "last_good_run_id"] == 1
    assert tabs_state.loc["Milestones", "last_good_run_id"] == run["id"]


def test_a_second_sync_waits_then_gives_up_while_the_first_holds_the_lock(
    synced: str, messy_workbook: Path
) -> None:
    url = synced
    with locks.sync_lock(url, timeout=1):
        outcome = sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF, lock_timeout=0.2)
    assert outcome.exit_code == sync.EXIT_FAILED
    assert outcome.error is not None and "Another sync is already running" in outcome.error


def test_two_syncs_started_together_run_one_after_the_other(
    messy_workbook: Path, store_url: str, open_store: Callable[[str], Store], tmp_path: Path
) -> None:
    url = store_url
    open_store(url)  # creates the tables before the two processes race
    # Each process reads slowly, so that without the lock the two would overlap.
    script = textwrap.dedent(
        f"""
        import datetime as dt, time
        from cii_sheets import sync
        from cii_sheets.sources.workbook import WorkbookSource

        class Slow(WorkbookSource):
            def read(self):
                time.sleep(1.0)
                return super().read()

        out = sync.run(Slow({str(messy_workbook)!r}), {url!r}, dt.date(2019, 6, 30))
        raise SystemExit(out.exit_code)
        """
    )
    # Two hosts share nothing but the database: each process gets its own lock folder, so only a
    # lock inside the database (PostgreSQL) or beside the SQLite file can keep them apart.
    procs = []
    for n in range(2):
        folder = tmp_path / f"host{n}"
        folder.mkdir()
        env = {**os.environ, "TMPDIR": str(folder)}
        procs.append(subprocess.Popen([sys.executable, "-c", script], env=env))
    assert [p.wait(timeout=60) for p in procs] == [1, 1]

    runs = open_store(url).runs().sort_values("id")
    assert list(runs["outcome"]) == ["errors", "errors"]
    first, second = runs.iloc[0], runs.iloc[1]
    assert second["started_at"] >= first["finished_at"]
    assert len(open_store(url).load_snapshot()["goals"]) == 3  # never doubled by interleaving


def test_a_renamed_optional_tab_keeps_its_last_good_rows(
    synced: str, tmp_path: Path, open_store: Callable[[str], Store]
) -> None:
    url = synced
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Payments (old)"] = tabs.pop("Payments")  # renamed: no longer the Payments tab
    renamed = write_workbook(tmp_path / "renamed.xlsx", tabs)

    for _ in range(2):  # and still on the sync after
        outcome = sync.run(WorkbookSource(renamed), url, MESSY_AS_OF)
        assert outcome.validation is not None and outcome.figures is not None
        missing = [p for p in outcome.validation.problems if p.code == "missing-tab"]
        assert [(p.severity, p.tab) for p in missing] == [("warning", "Payments")]
        assert outcome.figures.received_gbp == MESSY_FIGURES["received_gbp"]
        assert outcome.validation.stale_tabs == ["Payments"]
    assert len(open_store(url).load_snapshot()["payments"]) == 2


def test_alerts_of_a_stale_tab_come_from_its_last_good_rows(synced: str, tmp_path: Path) -> None:
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][0][2] = "Sum"  # the Pledges header is broken: its last good rows are used
    broken = write_workbook(tmp_path / "broken.xlsx", tabs)

    outcome = sync.run(WorkbookSource(broken), synced, MESSY_AS_OF)

    assert outcome.validation is not None and outcome.figures is not None
    assert outcome.figures.overdue_gbp == 30_000
    overdue = [(a.code, a.row) for a in outcome.validation.alerts if a.tab == "Pledges"]
    assert overdue == [("overdue-pledge", 9)]


def test_a_store_made_when_date_pledged_was_required_takes_expected_pledges_without_one(
    tmp_path: Path, messy_workbook: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF)
    # Rebuild pledges as an older version made it: Date pledged NOT NULL.
    with sqlite3.connect(tmp_path / "old.sqlite") as db:
        db.execute("ALTER TABLE pledges RENAME TO pledges_new")
        db.execute(
            "CREATE TABLE pledges (sheet_row INTEGER NOT NULL, pledge_id TEXT NOT NULL, "
            "funder TEXT NOT NULL, amount_gbp NUMERIC(14, 2) NOT NULL, date_pledged DATE NOT "
            "NULL, due_by DATE, status TEXT NOT NULL, notes TEXT)"
        )
        db.execute("INSERT INTO pledges SELECT * FROM pledges_new")
        db.execute("DROP TABLE pledges_new")
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][5][4] = None  # P004, Expected: no Date pledged yet
    outcome = sync.run(WorkbookSource(write_workbook(tmp_path / "b.xlsx", tabs)), url, MESSY_AS_OF)

    assert outcome.error is None, outcome.error
    store = Store(url)
    try:
        pledges = store.load_snapshot()["pledges"].set_index("pledge_id")
        assert pledges.loc["P004", "date_pledged"] is pd.NaT
        assert sorted(pledges.index) == ["P001", "P004", "P006"]
    finally:
        store.dispose()
