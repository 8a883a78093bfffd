"""Several sources read together: each contract tab comes from the source that holds it.

Finance may keep Pledges and Payments in one spreadsheet and the programme team Secondments,
Milestones and Achievements in another. Each source is read once (one request per Google
spreadsheet); every tab keeps the name of its source, so that validation can check across
sources and each problem can be sent back to the spreadsheet holding the cell to fix. A source
that cannot be read is a failure of that source only: the others are still read, and the run is
partial. Only when no source can be read does the read fail as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from cii_sheets.problems import CiiSheetsError
from cii_sheets.raw import RawSpreadsheet, Source, SourceFailure, SourceInfo


class SeveralSources:
    """Spreadsheets and workbooks read together as one programme."""

    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = list(sources)
        names = [s.describe() for s in self.sources]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise CiiSheetsError(f"The {twice} is given twice. Give each source once.")

    def describe(self) -> str:
        return f"{len(self.sources)} sources: " + ", ".join(s.describe() for s in self.sources)

    def read(self) -> RawSpreadsheet:
        """Read each source in turn; a source that fails is noted, and the others still read."""
        combined = RawSpreadsheet(source=self.describe(), tabs=[])
        for source in self.sources:
            name = source.describe()
            try:
                raw = source.read()
            except CiiSheetsError as exc:
                reason = str(exc)
                combined.failures.append(SourceFailure(name, reason))
                combined.parts.append(SourceInfo(name, getattr(source, "url", None), error=reason))
                combined.api_requests += int(getattr(exc, "api_requests", 0) or 0)
                continue
            for tab in raw.tabs:
                tab.source = name
            combined.tabs += raw.tabs
            combined.api_requests += raw.api_requests
            ids = {t.title: t.sheet_id for t in raw.tabs if t.sheet_id is not None}
            combined.parts.append(SourceInfo(name, raw.url, ids, timezone=raw.timezone))
            # The first spreadsheet with a time zone and locale gives them for all.
            combined.timezone = combined.timezone or raw.timezone
            combined.locale = combined.locale or raw.locale
        if len(combined.failures) == len(self.sources):
            error = CiiSheetsError(
                "No source could be read: "
                + " ".join(f"{f.source}: {f.reason}" for f in combined.failures)
            )
            error.api_requests = combined.api_requests  # type: ignore[attr-defined]
            raise error
        return combined
