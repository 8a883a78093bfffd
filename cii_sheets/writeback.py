"""Write the Sync report back into each Google spreadsheet: one batchUpdate per spreadsheet.

Each spreadsheet's report lists only the problems of its own tabs (and the alerts about them),
with links into that spreadsheet: a cross-source problem is on the row holding the cell to fix,
so it goes to that row's spreadsheet. Problems of no source's tab (a required tab found in none
of them) go to every spreadsheet's report, since any of them could hold it. A spreadsheet that
could not be read this run gets no report. The rows themselves are built in ``report``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from cii_sheets import report
from cii_sheets.raw import Source
from cii_sheets.validate import Validation

if TYPE_CHECKING:
    from cii_sheets.sync import Outcome


def own_part(validation: Validation, source: str) -> Validation:
    """The part of a validation one source's report shows: its tabs' problems and alerts."""
    return dataclasses.replace(
        validation,
        problems=[p for p in validation.problems if p.source in (source, None)],
        alerts=[a for a in validation.alerts if a.source in (source, None)],
        tabs={n: t for n, t in validation.tabs.items() if t.source == source},
    )


class ReportWriter:
    """The after-store step of a sync: rewrite each Google spreadsheet's Sync report."""

    def __init__(self, source: Source) -> None:
        from cii_sheets.sources import google_sources

        self.spreadsheets = google_sources(source)
        self.writes = 0  # reports written, over every call
        self.missed = 0  # reports due in the last call that could not be written

    def __call__(self, outcome: Outcome, now: dt.datetime | None = None) -> None:
        raw, validation = outcome.raw, outcome.validation
        if raw is None or validation is None:
            return
        several = len(raw.infos()) > 1
        failed: list[str] = []
        self.missed = 0
        for info in raw.infos():
            spreadsheet = next((s for s in self.spreadsheets if s.describe() == info.source), None)
            if spreadsheet is None or info.error is not None:
                continue
            try:
                part = own_part(validation, info.source) if several else validation
                body = report.sync_report_requests(
                    part, sheet_ids=info.sheet_ids, timezone=info.timezone or raw.timezone, now=now
                )
                spreadsheet.client.batch_update(spreadsheet.key, body)
            except Exception as exc:  # one spreadsheet's failure never stops the others'
                failed.append(f"{info.source}: {exc}")
                self.missed += 1
                continue
            self.writes += 1
        if failed:
            raise RuntimeError("; ".join(failed))


def report_steps(source: Source, *, enabled: bool = True) -> tuple[Any, ...]:
    """The after-store steps for a source: the report writer when it has a Google spreadsheet."""
    writer = ReportWriter(source)
    return (writer,) if enabled and writer.spreadsheets else ()
