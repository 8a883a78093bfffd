"""`cii-sheets watch`: against the fake Sheets API with a fake clock, on a workbook, and stopped.

What it costs is counted at the HTTP level: an idle interval is one read and no write; a fix
between two intervals is one read and one write, and is reported fixed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import filelock
import pytest
import sqlalchemy as sa
from conftest import MESSY_AS_OF, MESSY_PROBLEMS, MESSY_TABS, write_workbook
from fake_sheets import FakeClock, cell_data, fake_world

from cii_sheets import cli, locks, sync
from cii_sheets.notify import Notifier
from cii_sheets.problems import CiiSheetsError
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store
from cii_sheets.watch import MAX_BACKOFF_SECONDS, Watch, fingerprint

CLI = str(Path(sys.executable).with_name("cii-sheets"))


def _intervals(
    clock: FakeClock, stop_after: int, between: dict[int, Callable[[], None]] | None = None
) -> Callable[[float], bool]:
    """A wait that moves the fake clock, makes the edits planned after interval i, and stops."""
    done = {"n": 0}

    def wait(seconds: float) -> bool:
        clock.sleep(seconds)
        done["n"] += 1
        (between or {}).get(done["n"], lambda: None)()
        return done["n"] >= stop_after

    return wait


def _now(clock: FakeClock) -> Callable[[], dt.datetime]:
    start = dt.datetime(2019, 6, 30, 9, 0, tzinfo=dt.UTC)
    return lambda: start + dt.timedelta(seconds=clock.now)


def test_idle_intervals_cost_one_read_each_and_no_write(tmp_path: Path) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        counted: list[tuple[int, int]] = []

        def count() -> None:
            counted.append(
                (len(world.fake.requests_of("read")), len(world.fake.requests_of("write")))
            )

        idle = 6
        watch = Watch(
            world.source(),
            url,
            interval=60,
            today=lambda: MESSY_AS_OF,
            wait=_intervals(world.clock, stop_after=1 + idle, between={1: count, 7: count}),
            now=_now(world.clock),
        )
        watch.run()

        # The first look syncs (nothing was read before): 1 read, 1 write. Then N idle looks
        # cost N reads and no write.
        assert counted == [(1, 1), (1 + idle, 1)]
        assert world.clock.sleeps == [60.0] * (1 + idle)
        store = Store(url)
        try:
            assert len(store.runs()) == 1
            beat = store.watch_status()
            assert beat is not None and beat["state"] == "stopped"
            assert beat["run_id"] == 1 and beat["interval_seconds"] == 60
            assert beat["looked_at"].replace(tzinfo=None) == dt.datetime(2019, 6, 30, 9, 7)
        finally:
            store.dispose()


def test_a_fix_between_intervals_is_synced_at_the_next_look_and_reported_fixed(
    tmp_path: Path,
) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        pledges = world.fake.sheet("Pledges")
        notifier = Notifier(["json://127.0.0.1:9/cii"])  # nothing listens: the digest is kept
        counted: list[tuple[int, int]] = []

        def count() -> None:
            counted.append(
                (len(world.fake.requests_of("read")), len(world.fake.requests_of("write")))
            )

        def fix() -> None:
            count()
            pledges.cells[(2, 2)] = cell_data(10000)  # Pledges row 3: 'ten k' -> 10000

        watch = Watch(
            world.source(),
            url,
            interval=60,
            today=lambda: MESSY_AS_OF,
            notifier=notifier,
            wait=_intervals(world.clock, stop_after=4, between={2: fix, 3: count, 4: count}),
            now=_now(world.clock),
        )
        watch.run()

        # Looks 1 (sync), 2 (idle), then the fix: look 3 is 1 read + 1 write, look 4 idle.
        assert counted == [(2, 1), (3, 2), (4, 2)]
        assert notifier.sent is not None
        fixed = [(p["tab"], p["row"], p["column"]) for p in notifier.sent.fixed]
        assert fixed == [("Pledges", 3, "Amount £")] and notifier.sent.new == []
        first = world.fake.sheet("Sync report").values()[0][0]
        assert first.startswith(f"{len(MESSY_PROBLEMS) - 2} things to fix")
        assert "ten k" not in json.dumps(world.fake.sheet("Sync report").values())


def test_a_failed_read_waits_longer_each_time_and_recovers(tmp_path: Path) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
        world.fake.fail("403", times=3)  # not retried by the client: each look fails at once
        looks: list[str] = []
        watch = Watch(
            world.source(),
            url,
            interval=60,
            today=lambda: MESSY_AS_OF,
            wait=_intervals(world.clock, stop_after=4),
            now=_now(world.clock),
            on_look=lambda look: looks.append(look.state),
        )
        watch.run()

        assert looks == ["failed", "failed", "failed", "synced"]
        assert world.clock.sleeps == [60.0, 120.0, 240.0, 60.0]
        assert len(world.fake.requests_of("write")) == 1
    watch.failures = 20
    assert watch.next_wait() == MAX_BACKOFF_SECONDS


def test_the_hash_is_of_values_and_the_date_not_of_the_report_tab(tmp_path: Path) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        raw = world.source().read()
    same = fingerprint(raw, MESSY_AS_OF)
    assert fingerprint(raw, MESSY_AS_OF) == same
    assert fingerprint(raw, MESSY_AS_OF + dt.timedelta(days=1)) != same  # alerts move on
    raw.tabs[0].rows[0][1] = "Civic Engagement"
    assert fingerprint(raw, MESSY_AS_OF) != same
    raw.tabs[0].rows[0][1] = "Civic engagement"
    raw.tabs.append(type(raw.tabs[0])("Sync report", ["anything"], [], [], 5))
    assert fingerprint(raw, MESSY_AS_OF) == same


class _CountedWorkbook(WorkbookSource):
    """A workbook source that counts how often the file is opened."""

    opened = 0

    def read(self) -> Any:
        self.opened += 1
        return super().read()


def test_a_workbook_is_opened_only_when_its_modification_time_changed(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "messy.xlsx", MESSY_TABS)
    source = _CountedWorkbook(path)
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    watch = Watch(source, url, interval=15, today=lambda: MESSY_AS_OF)

    assert [watch.look().state for _ in range(3)] == ["synced", "unchanged", "unchanged"]
    assert source.opened == 1
    later = path.stat().st_mtime + 10
    os.utime(path, (later, later))  # saved again, same values: read, not synced
    assert watch.look().state == "unchanged" and source.opened == 2
    tabs = {**MESSY_TABS, "Goals": [*MESSY_TABS["Goals"], ["G4", "Housing", ""]]}
    write_workbook(path, tabs)
    os.utime(path, (later + 10, later + 10))
    assert watch.look().state == "synced" and source.opened == 3


def test_an_interval_below_the_minimum_is_refused() -> None:
    assert cli.main(["watch", "--workbook", "x.xlsx", "--interval", "5"]) == sync.EXIT_FAILED


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_command_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    path = write_workbook(tmp_path / "messy.xlsx", MESSY_TABS)
    db = tmp_path / "cii.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CII_")}
    command = [CLI, "watch", "--workbook", str(path), "--store", f"sqlite:///{db}"]
    with subprocess.Popen(
        [*command, "--interval", "15"],
        cwd=tmp_path,  # no cii_sheets.toml here
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None and not _heartbeat(db):
                time.sleep(0.2)
            assert _heartbeat(db), process.stderr.read() if process.stderr else ""
            process.send_signal(sig)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, err
    assert "changed, stored as sync run 1" in out
    store = Store(f"sqlite:///{db}")
    try:
        beat = store.watch_status()
        assert beat is not None and beat["state"] == "stopped"
        assert len(store.runs()) == 1
    finally:
        store.dispose()
    filelock.FileLock(str(locks.lock_path(f"sqlite:///{db}")), timeout=0).acquire()  # released


def _heartbeat(db: Path) -> bool:
    """True once the watch has stored its first sync (the store may still be being made)."""
    if not db.exists():
        return False
    try:
        store = Store(f"sqlite:///{db}")
    except CiiSheetsError:
        return False
    try:
        beat = store.watch_status()
        return beat is not None and beat["run_id"] is not None
    except sa.exc.OperationalError:  # the watch holds the database for a moment
        return False
    finally:
        store.dispose()
