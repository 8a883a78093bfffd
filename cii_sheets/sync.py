"""The one orchestrator: lock -> read -> validate -> store -> report -> notify.

The command line, the dashboard's "Sync now" button and the tests all call `run` (or `check`,
which stops before the store).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cii_sheets import metrics, schema
from cii_sheets.config import DEFAULT_TIMEZONE
from cii_sheets.problems import CiiSheetsError, Code, Problem, Severity
from cii_sheets.raw import RawSpreadsheet, Source, SourceFailure
from cii_sheets.validate import (
    Validation,
    alerts_for,
    name_sources,
    sort_problems,
    unreadable_problem,
    validate,
)

if TYPE_CHECKING:  # the store and its lock are imported by `run` only: `check` needs neither
    from cii_sheets.store import Store

log = logging.getLogger(__name__)

TIMEZONE = DEFAULT_TIMEZONE
LOCK_TIMEOUT_SECONDS = 10.0

# Exit codes shared by the CLI and the scheduler recipes. Partial: of several sources, some
# could not be read; the others were checked (and stored), the unread ones' tabs kept as stale.
EXIT_OK, EXIT_DATA_ERRORS, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 2, 3


def today(timezone: str = TIMEZONE) -> dt.date:
    """Today's date where the Initiative works."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


@dataclass
class Outcome:
    """What one check or sync found, and the exit code it means."""

    source: str
    as_of: dt.date
    validation: Validation | None = None
    figures: metrics.Figures | None = None
    raw: RawSpreadsheet | None = None
    run_id: int | None = None
    error: str | None = None  # why the run could not happen
    store_url: str | None = None
    api_requests: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[SourceFailure]:
        """The sources that could not be read while the others were."""
        return list(self.raw.failures) if self.raw is not None else []

    @property
    def exit_code(self) -> int:
        if self.error is not None or self.validation is None:
            return EXIT_FAILED
        if self.failures:
            return EXIT_PARTIAL
        return EXIT_DATA_ERRORS if self.validation.errors else EXIT_OK


# A step run after the run: the Sync report write-back (after_store: only once a snapshot is
# stored) and notifications (after_run: also when the run failed).
AfterStore = Callable[[Outcome], None]


def check(source: Source, as_of: dt.date | None = None) -> Outcome:
    """Read and validate; store nothing."""
    as_of = as_of or today()
    started = time.perf_counter()
    outcome = Outcome(source.describe(), as_of)
    try:
        raw = source.read()
    except CiiSheetsError as exc:
        outcome.error = str(exc)
        return outcome
    _validate(outcome, raw)
    assert outcome.validation is not None
    outcome.figures = metrics.figures(
        outcome.validation.snapshot, as_of, outcome.validation.left_out
    )
    outcome.seconds = time.perf_counter() - started
    return outcome


def run(
    source: Source,
    store: str | None = None,
    as_of: dt.date | None = None,
    *,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    after_store: tuple[AfterStore, ...] = (),
    after_run: tuple[AfterStore, ...] = (),
) -> Outcome:
    """Read, validate and store one snapshot, under a lock so that syncs never interleave."""
    from cii_sheets.locks import sync_lock
    from cii_sheets.store import Store, prepare_store_folder, store_url

    as_of = as_of or today()
    url = store_url(store)
    outcome = Outcome(source.describe(), as_of, store_url=url)
    started = time.perf_counter()
    try:
        prepare_store_folder(url)
        with sync_lock(url, lock_timeout):
            started_at = dt.datetime.now(dt.UTC)
            opened = Store(url)
            try:
                _sync_locked(source, opened, outcome, started_at)
            except Exception as exc:
                _note_failure(opened, outcome, started_at, exc)
                raise
            finally:
                opened.dispose()
    except CiiSheetsError as exc:
        outcome.error = str(exc)
        log.error("sync could not run: %s", exc, extra={"event": "sync.failed"})
    except Exception as exc:  # a bug or an unforeseen failure: still exit 2, never 1
        outcome.error = unexpected(exc)
        log.error("sync could not run: %s", outcome.error, extra={"event": "sync.failed"})
        log.debug("the details", exc_info=True)
    outcome.seconds = time.perf_counter() - started
    if outcome.error is None:
        for step in after_store:
            _run_quietly(step, outcome)
    for step in after_run:
        _run_quietly(step, outcome)
    return outcome


def unexpected(exc: BaseException) -> str:
    """The one line shown for an exception nobody foresaw."""
    return f"unexpected error: {type(exc).__name__}: {exc}; run again with -v for the details"


def _note_failure(store: Store, outcome: Outcome, started_at: dt.datetime, exc: Exception) -> None:
    """Record a failed run so the dashboard can say so; the snapshot itself is untouched."""
    outcome.api_requests = max(outcome.api_requests, getattr(exc, "api_requests", 0))
    message = str(exc) if isinstance(exc, CiiSheetsError) else unexpected(exc)
    try:
        store.record_failure(outcome.source, started_at, message, outcome.api_requests)
    except CiiSheetsError as also:
        log.error("could not record the failed run either: %s", also)


def _sync_locked(source: Source, store: Store, outcome: Outcome, started_at: dt.datetime) -> None:
    log.info("sync started: %s", outcome.source, extra={"event": "sync.started"})
    raw = source.read()
    log.info(
        "read %d tabs",
        len(raw.tabs),
        extra={"event": "sync.read", "tabs": len(raw.tabs), "api_requests": raw.api_requests},
    )
    for failure in raw.failures:
        log.warning(
            "could not read %s: %s",
            failure.source,
            failure.reason,
            extra={"event": "sync.source_failed", "source": failure.source},
        )
    _validate(outcome, raw)
    assert outcome.validation is not None
    _keep_last_good(outcome.validation, store, raw)
    infos = raw.infos()
    # The first spreadsheet read gives the run's address (the notification's report link).
    linked = next((i for i in infos if i.url and i.error is None), infos[0])
    outcome.run_id = store.save(
        outcome.validation,
        started_at=started_at,
        api_requests=raw.api_requests,
        spreadsheet_url=linked.url,
        sheet_ids=linked.sheet_ids,
        sources=[i.to_dict() for i in infos] if len(infos) > 1 else None,
    )
    # Figures come from the stored snapshot: a stale tab shows its last good rows there.
    outcome.figures = metrics.figures(
        store.load_snapshot(), outcome.as_of, outcome.validation.left_out
    )
    validation = outcome.validation
    for p in validation.problems:  # where, never what: cell values may hold personal data
        log.info(
            "%s %s in %s row %s, %s",
            p.severity,
            p.code,
            p.tab,
            p.row,
            p.column,
            extra={
                "event": "problem",
                "severity": str(p.severity),
                "code": str(p.code),
                "tab": p.tab,
                "row": p.row,
                "column": p.column,
            },
        )
    log.info(
        "stored run %s: %d errors, %d warnings, %d alerts",
        outcome.run_id,
        len(validation.errors),
        len(validation.warnings),
        len(validation.alerts),
        extra={
            "event": "sync.stored",
            "run_id": outcome.run_id,
            "errors": len(validation.errors),
            "warnings": len(validation.warnings),
            "alerts": len(validation.alerts),
            "rows_left_out": sum(validation.left_out.values()),
            "stale_tabs": validation.stale_tabs,
            "api_requests": outcome.api_requests,
        },
    )


def _keep_last_good(validation: Validation, store: Store, raw: RawSpreadsheet) -> None:
    """Tabs that cannot be read this time keep their last good rows, for alerts as for figures.

    A tab that was there at the last sync but is missing now (renamed, deleted) is treated like
    a tab with a broken header: a warning, and its stored rows are kept, so a renamed Payments
    tab never makes every pledge look unpaid. When a source could not be read, its tabs (as
    the store remembers them) are kept the same way, with an error naming that source.
    """
    stored_tabs = store.tabs()
    had = {
        row.tab: (row.source if isinstance(row.source, str) else None)
        for row in stored_tabs.itertuples()
        if isinstance(row.title, str)
    }
    failed = {f.source: f for f in raw.failures}
    for name, result in validation.tabs.items():
        if result.title is not None or name not in had:
            continue
        result.source = result.source or had[name]
        if raw.failures:
            # Name the source the tab came from when it is the one that failed.
            last = had[name]
            why = [failed[last]] if last in failed else raw.failures
            validation.problems = [
                p
                for p in validation.problems
                if not (p.tab == name and p.code is Code.SOURCE_UNREADABLE)
            ]
            validation.problems.append(unreadable_problem(name, why))
            result.broken = True
        elif not result.broken:
            result.broken = True
            validation.problems.append(
                Problem(
                    Severity.WARNING,
                    Code.MISSING_TAB,
                    name,
                    None,
                    None,
                    None,
                    f"The '{name}' tab was there at the last sync but is missing now. If it was "
                    f"renamed, rename it back to '{name}'; until then its last good copy is kept.",
                )
            )
    sort_problems(validation.problems)
    stale = validation.stale_tabs
    if not stale:
        return
    stored = store.load_snapshot()
    snapshot = validation.snapshot
    for name in stale:
        tab = schema.TAB_BY_NAME[name]
        if tab is schema.SETTINGS_TAB:
            snapshot.settings = stored.settings
            continue
        snapshot.tables[tab.table] = stored[tab.table]
        if tab is schema.SECONDMENTS_TAB:
            goals = schema.SECONDMENT_GOALS_TABLE
            snapshot.tables[goals] = stored[goals]
    titles = {name: result.title or name for name, result in validation.tabs.items()}
    validation.alerts = alerts_for(snapshot, validation.as_of, titles, validation.places)
    name_sources(validation, None if raw.parts else raw.source)


def _validate(outcome: Outcome, raw: RawSpreadsheet) -> None:
    outcome.raw = raw
    outcome.api_requests = raw.api_requests
    outcome.validation = validate(raw, outcome.as_of)


def _run_quietly(step: AfterStore, outcome: Outcome) -> None:
    """A failing report or notification is logged; it never undoes the stored snapshot."""
    try:
        step(outcome)
    except Exception as exc:  # any failure here must not fail the sync
        log.warning(
            "after-sync step %s failed: %s",
            getattr(step, "__name__", type(step).__name__),
            exc,
            extra={"event": "step.failed"},
        )
