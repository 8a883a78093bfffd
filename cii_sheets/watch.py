"""The fix-and-see loop: look at the spreadsheet every interval, and sync only when it changed.

Each look reads the spreadsheet once (one Sheets API request; for a workbook, its modification
time first and the file only when that changed) and compares a hash of the values read (not of
their formatting) with the last look's. Only when they differ (or the date rolled over, as the
alerts depend on it) does it validate, store, rewrite the Sync report and notify, through the same
`sync.run` as `cii-sheets sync`. So an unchanged spreadsheet costs one read request per interval
and no write. A failed look is logged and tried again after a growing wait (bounded by
MAX_BACKOFF_SECONDS). Every look leaves a heartbeat row in the store for the dashboard.

Stopping: `request_stop` (called by the CLI's SIGINT/SIGTERM handler) ends the wait at once; a
sync in progress finishes first, so the store is never half-written and the lock is released.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cii_sheets import sync
from cii_sheets.problems import CiiSheetsError
from cii_sheets.raw import RawSpreadsheet, Source
from cii_sheets.report import is_report_title
from cii_sheets.writeback import ReportWriter

if TYPE_CHECKING:  # imported by `run`: the command line builds its parser from this module
    from cii_sheets.store import Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 60
MIN_INTERVAL_SECONDS = 15
MAX_BACKOFF_SECONDS = 600  # after failures in a row, never wait longer than this


def fingerprint(raw: RawSpreadsheet, as_of: dt.date) -> str:
    """A hash of every value read (tabs, headers, cells, row numbers) and the date checked for.

    The Sync report tab is left out: the watch writes it, and that must not count as a change.
    """
    tabs = [
        [tab.title, tab.sheet_id, tab.header, tab.rows, tab.row_numbers]
        for tab in raw.tabs
        if not is_report_title(tab.title)
    ]
    body = json.dumps([as_of, raw.timezone, tabs], default=_plain, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _plain(value: object) -> str:
    """Dates and anything else JSON does not know, in a form that tells them from text."""
    return f"{type(value).__name__}:{value}"


class _Read:
    """The source, as `sync.run` sees it, with the spreadsheet already read by this look."""

    def __init__(self, source: Source, raw: RawSpreadsheet) -> None:
        self.source, self.raw = source, raw

    def describe(self) -> str:
        return self.source.describe()

    def read(self) -> RawSpreadsheet:
        return self.raw


@dataclass
class Look:
    """What one look found: unchanged, synced (a change stored) or failed."""

    state: str
    reads: int = 0  # Sheets API read requests this look made (0 for a workbook)
    outcome: sync.Outcome | None = None
    message: str | None = None


class Watch:
    """Looks at one source every interval; syncs each change into the store."""

    def __init__(
        self,
        source: Source,
        store: str | None = None,
        *,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        write_report: bool = True,
        notifier: Callable[[sync.Outcome], None] | None = None,
        today: Callable[[], dt.date] = sync.today,
        wait: Callable[[float], bool] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        on_look: Callable[[Look], None] | None = None,
    ) -> None:
        if interval < MIN_INTERVAL_SECONDS:
            raise CiiSheetsError(
                f"The interval must be at least {MIN_INTERVAL_SECONDS} seconds (you gave "
                f"{interval:g}): Google counts every read. Use --interval 60, the default."
            )
        self.source = source
        self.store_url = store
        self.interval = float(interval)
        # Each Google spreadsheet's Sync report, as `cii-sheets sync` writes them.
        writer = ReportWriter(source)
        self.writer = writer if write_report and writer.spreadsheets else None
        self.notifier = notifier
        self.today = today
        self.now = now
        self.on_look = on_look  # e.g. the command line printing each change
        self._stop = threading.Event()
        self.wait = wait or self._stop.wait  # True once a stop was asked for
        self.last_hash: str | None = None  # of the values last synced
        self.last_day: dt.date | None = None  # the date they were checked for
        self.last_stamp: tuple[int, int] | None = None  # a workbook's (mtime_ns, size)
        self.failures = 0  # failed looks in a row
        self.looks = 0

    def request_stop(self) -> None:
        """Stop after the current step (called from a signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> int:
        """Look every interval until asked to stop; the exit code is 0."""
        log.info(
            "watching %s every %gs",
            self.source.describe(),
            self.interval,
            extra={"event": "watch.started", "interval_seconds": self.interval},
        )
        from cii_sheets.store import Store

        heartbeat = Store(self.store_url)
        try:
            while not self.stopping:
                look = self.look()
                self._heartbeat(heartbeat, look)
                if self.on_look is not None:
                    self.on_look(look)
                if self.wait(self.next_wait()):
                    break
            self._heartbeat(heartbeat, Look("stopped"))
        finally:
            heartbeat.dispose()
        log.info("watch stopped", extra={"event": "watch.stopped", "looks": self.looks})
        return sync.EXIT_OK

    def next_wait(self) -> float:
        """The interval, doubled for each failure in a row, up to MAX_BACKOFF_SECONDS."""
        if not self.failures:
            return self.interval
        return min(
            self.interval * 2 ** (self.failures - 1), max(self.interval, MAX_BACKOFF_SECONDS)
        )

    def look(self) -> Look:
        """One interval's work: read, compare, and sync only if the values changed."""
        self.looks += 1
        as_of = self.today()
        if self._workbook_unchanged(as_of):
            log.debug("workbook unchanged", extra={"event": "watch.unchanged", "reads": 0})
            return Look("unchanged")
        try:
            raw = self.source.read()
        except CiiSheetsError as exc:
            return self._failed(
                str(exc), sync.Outcome(self.source.describe(), as_of, error=str(exc))
            )
        digest = fingerprint(raw, as_of)
        if digest == self.last_hash:
            self.failures = 0
            log.debug(
                "spreadsheet unchanged",
                extra={"event": "watch.unchanged", "reads": raw.api_requests},
            )
            return Look("unchanged", reads=raw.api_requests)
        log.info("the spreadsheet changed: syncing", extra={"event": "watch.changed"})
        outcome = sync.run(
            _Read(self.source, raw),
            self.store_url,
            as_of,
            after_store=(self._write_report,) if self.writer else (),
            after_run=(self._notify,),
        )
        if outcome.error is not None:
            return self._failed(outcome.error, None, reads=raw.api_requests)
        if self.writer is not None and self.writer.missed:
            # A report due was not written (logged by sync): look again, and write it then. A
            # spreadsheet that could not be read has no report due, so it does not count here.
            return self._failed("the Sync report could not be written", None, raw.api_requests)
        self.last_hash, self.last_day = digest, as_of
        self.failures = 0
        return Look("synced", reads=raw.api_requests, outcome=outcome)

    def _notify(self, outcome: sync.Outcome) -> None:
        """Notify as `sync` does; a failure only when it starts a run of failures, not each time."""
        if self.notifier is None or (outcome.error is not None and self.failures):
            return
        self.notifier(outcome)

    def _write_report(self, outcome: sync.Outcome) -> None:
        """The report writer, given the outcome with the raw read by this look."""
        assert self.writer is not None
        self.writer(outcome)

    def _workbook_unchanged(self, as_of: dt.date) -> bool:
        """For a workbook: its modification time and size, before reading the file at all."""
        path = getattr(self.source, "path", None)
        if path is None:
            return False
        try:
            info = path.stat()
        except OSError:
            return False  # reading it says why, once
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self.last_stamp and self.last_day == as_of:
            return True
        self.last_stamp = stamp
        return False

    def _failed(self, reason: str, outcome: sync.Outcome | None, reads: int = 0) -> Look:
        self.failures += 1
        self.last_stamp = None  # read the workbook again next time, whatever its time
        log.error(
            "watch could not sync: %s (next try in %gs)",
            reason,
            self.next_wait(),
            extra={"event": "watch.failed", "failures_in_a_row": self.failures},
        )
        # sync.run tells about failures it meets; a failed read is ours to tell, as it starts.
        if outcome is not None and self.failures == 1:
            self._notify_failure(outcome)
        return Look("failed", reads=reads, message=reason)

    def _notify_failure(self, outcome: sync.Outcome) -> None:
        if self.notifier is not None:
            try:
                self.notifier(outcome)
            except Exception as exc:  # a channel failing must not stop the watch
                log.warning("notification failed: %s", exc, extra={"event": "step.failed"})

    def _heartbeat(self, store: Store, look: Look) -> None:
        values: dict[str, Any] = {
            "looked_at": self.now(),
            "interval_seconds": int(self.interval),
            "state": look.state,
            "message": look.message,
        }
        if look.outcome is not None:
            values["changed_at"] = values["looked_at"]
            values["run_id"] = look.outcome.run_id
        try:
            store.record_watch(self.source.describe(), **values)
        except CiiSheetsError as exc:  # the heartbeat is a courtesy: never stop watching for it
            log.warning("%s", exc, extra={"event": "watch.heartbeat_failed"})
