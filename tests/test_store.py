"""The store: one transaction per sync, stale tabs keep their rows, syncs never interleave."""

from __future__ import annotations

import copy
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import pytest
import sqlalchemy as sa
from conftest import MESSY_AS_OF, MESSY_FIGURES, MESSY_TABS, write_workbook

from cii_sheets import metrics, sync
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import DATA_TABLES, Store


def _data_dump(db: Path) -> list[str]:
    """Every statement that rebuilds the data tables and settings, in order."""
    wanted = {*DATA_TABLES, "settings"}
    with sqlite3.connect(db) as conn:
        return [
            line
            for line in conn.iterdump()
            if any(f'"{name}"' in line.split("VALUES")[0] for name in wanted)
        ]


@pytest.fixture
def synced(messy_workbook: Path, tmp_path: Path) -> tuple[str, Path]:
    db = tmp_path / "cii.sqlite"
    url = f"sqlite:///{db}"
    assert sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF).run_id == 1
    return url, db


def test_a_sync_failing_midway_leaves_the_previous_snapshot_whole(
    synced: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, db = synced
    before = _data_dump(db)
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
    assert _data_dump(db) == before
    store = Store(url)
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
    synced: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = synced
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][0][2] = "Sum"  # someone renamed "Amount £"
    tabs["Milestones"] = tabs["Milestones"][:2]  # and, in the same sync, removed two milestones
    renamed = write_workbook(tmp_path / "renamed.xlsx", tabs)

    outcome = sync.run(WorkbookSource(renamed), url, MESSY_AS_OF)

    assert outcome.validation is not None
    missing = [p for p in outcome.validation.problems if p.code == "missing-column"]
    assert [(p.tab, p.row, p.column) for p in missing] == [("Pledges", None, "Amount (£)")]
    assert outcome.validation.stale_tabs == ["Pledges"]
    store = Store(url)
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
    synced: tuple[str, Path], messy_workbook: Path
) -> None:
    url, _ = synced
    with filelock.FileLock(str(sync.lock_path(url))):
        outcome = sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF, lock_timeout=0.2)
    assert outcome.exit_code == sync.EXIT_FAILED
    assert outcome.error is not None and "Another sync is already running" in outcome.error


def test_two_syncs_started_together_run_one_after_the_other(
    messy_workbook: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    Store(url).dispose()
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
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [1, 1]

    runs = Store(url).runs().sort_values("id")
    assert list(runs["outcome"]) == ["errors", "errors"]
    first, second = runs.iloc[0], runs.iloc[1]
    assert second["started_at"] >= first["finished_at"]
