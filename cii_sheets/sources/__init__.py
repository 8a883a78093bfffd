"""Where raw tabs come from: the readers (workbook, Google) and the configured set of them.

The seam's types (``RawTab``, ``RawSpreadsheet``, ``Source``) live in ``cii_sheets.raw``, below
both the readers and validation; they are re-exported here for convenience.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cii_sheets.problems import CiiSheetsError
from cii_sheets.raw import Cell, RawSpreadsheet, RawTab, Source, SourceFailure, SourceInfo

if TYPE_CHECKING:
    from cii_sheets.config import Config

__all__ = [
    "Cell",
    "RawSpreadsheet",
    "RawTab",
    "Source",
    "SourceFailure",
    "SourceInfo",
    "from_config",
    "google_sources",
]


def from_config(settings: Config, key: Mapping[str, Any] | None = None) -> Source:
    """The source(s) the configuration names: one reader, or several read together.

    ``key`` is a service-account key as a table of its fields (a hosted dashboard's secrets),
    used when no key file is configured. The command line and the dashboard both call this.
    Readers are imported only when configured, so a workbook check never loads gspread.
    """
    entries = settings.source_entries()
    if not entries:
        raise CiiSheetsError(
            "No source is configured: give --spreadsheet or --workbook, or set `spreadsheet`, "
            "`workbook` or `sources` in cii_sheets.toml (see cii_sheets.example.toml), or "
            "CII_SPREADSHEET / CII_WORKBOOK."
        )
    client = None
    readers: list[Source] = []
    for kind, where in entries:
        if kind == "spreadsheet":
            from cii_sheets.google_client import SheetsClient
            from cii_sheets.sources.google import GoogleSource

            # One client for every spreadsheet: the service account signs in once.
            client = client or SheetsClient(settings.credentials or key)
            readers.append(GoogleSource(where, client=client))
        else:
            from cii_sheets.sources.workbook import WorkbookSource

            readers.append(WorkbookSource(where))
    if len(readers) == 1:
        return readers[0]
    from cii_sheets.sources.several import SeveralSources

    return SeveralSources(readers)


def google_sources(source: Source) -> list[Any]:
    """The Google spreadsheets among a source (itself, or the parts of several)."""
    from cii_sheets.sources.google import GoogleSource

    parts = getattr(source, "sources", None)
    found = parts if isinstance(parts, list) else [source]
    return [s for s in found if isinstance(s, GoogleSource)]
