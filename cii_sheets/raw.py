"""The seam between sources and validation: the raw tabs every source returns, and ``Source``.

A source reads cells and nothing more: no validation, no type guessing beyond what the
spreadsheet itself knows (a real date cell arrives as a ``datetime.date``, a number as a number,
text as text, a failed formula as its error text such as ``"#REF!"``, an empty cell as ``None``).

These types sit below both sides: ``sources`` build them and ``validate`` reads them, and
neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

Cell = Any  # str | int | float | bool | datetime.date | datetime.datetime | None


@dataclass
class RawTab:
    """One tab as read: its header row (row 1) and its data rows with their sheet row numbers."""

    title: str
    header: list[Cell]
    rows: list[list[Cell]]
    row_numbers: list[int]
    sheet_id: int | None = None  # Google's numeric tab id, for links to a cell
    source: str | None = None  # which source it came from, when several are read together


@dataclass(frozen=True)
class SourceFailure:
    """A source that could not be read while others were: which, and the one-line reason."""

    source: str
    reason: str


@dataclass
class SourceInfo:
    """One source of a read: where staff open it and its tabs' ids, for links and the report."""

    source: str
    url: str | None = None
    sheet_ids: dict[str, int] = field(default_factory=dict)  # tab title -> Google tab id
    error: str | None = None  # why it could not be read; None when it was
    timezone: str | None = None  # a Google spreadsheet's own, for its Sync report's times

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "url": self.url,
            "sheet_ids": self.sheet_ids,
            "error": self.error,
        }


@dataclass
class RawSpreadsheet:
    """Everything a source (or several sources together) read in one go."""

    source: str  # a human description such as "workbook data/sample.xlsx"
    tabs: list[RawTab]
    timezone: str | None = None
    locale: str | None = None
    api_requests: int = 0
    url: str | None = None  # where staff open the spreadsheet, when it has an address
    extra: dict[str, Any] = field(default_factory=dict)
    # Sources that could not be read while others were (a partial read); empty when all were.
    failures: list[SourceFailure] = field(default_factory=list)
    # Each source of a combined read, in the order given; empty for a single source.
    parts: list[SourceInfo] = field(default_factory=list)

    def infos(self) -> list[SourceInfo]:
        """Each source read (or not), in the order given: for links, the store and reports."""
        if self.parts:
            return list(self.parts)
        ids = {t.title: t.sheet_id for t in self.tabs if t.sheet_id is not None}
        return [SourceInfo(self.source, self.url, ids, timezone=self.timezone)]


class Source(Protocol):
    """Anything that can read the spreadsheet."""

    def describe(self) -> str:
        """A short human description, such as ``workbook sample.xlsx``."""
        ...

    def read(self) -> RawSpreadsheet:
        """Read every tab; raise ``CiiSheetsError`` with a one-line reason on failure."""
        ...
