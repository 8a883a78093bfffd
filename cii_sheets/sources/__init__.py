"""Where raw tabs come from: the seam every source (local workbook, Google Sheets) plugs into.

A source reads cells and nothing more: no validation, no type guessing beyond what the
spreadsheet itself knows (a real date cell arrives as a ``datetime.date``, a number as a number,
text as text, a failed formula as its error text such as ``"#REF!"``, an empty cell as ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cii_sheets.problems import CiiSheetsError

if TYPE_CHECKING:
    from cii_sheets.config import Config

Cell = Any  # str | int | float | bool | datetime.date | datetime.datetime | None


@dataclass
class RawTab:
    """One tab as read: its header row (row 1) and its data rows with their sheet row numbers."""

    title: str
    header: list[Cell]
    rows: list[list[Cell]]
    row_numbers: list[int]
    sheet_id: int | None = None  # Google's numeric tab id, for links to a cell


@dataclass
class RawSpreadsheet:
    """Everything a source read in one go."""

    source: str  # a human description such as "workbook data/sample.xlsx"
    tabs: list[RawTab]
    timezone: str | None = None
    locale: str | None = None
    api_requests: int = 0
    url: str | None = None  # where staff open the spreadsheet, when it has an address
    extra: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    """Anything that can read the spreadsheet."""

    def describe(self) -> str:
        """A short human description, such as ``workbook sample.xlsx``."""
        ...

    def read(self) -> RawSpreadsheet:
        """Read every tab; raise ``CiiSheetsError`` with a one-line reason on failure."""
        ...


def from_config(settings: Config, key: Mapping[str, Any] | None = None) -> Source:
    """The one source the configuration names: its spreadsheet or its workbook, never both.

    ``key`` is a service-account key as a table of its fields (a hosted dashboard's secrets),
    used when no key file is configured. The command line and the dashboard both call this.
    """
    if settings.spreadsheet and settings.workbook:
        raise CiiSheetsError(
            "Both a spreadsheet and a workbook are configured "
            f"({settings.origins.get('spreadsheet', 'default')}; "
            f"{settings.origins.get('workbook', 'default')}). "
            "Keep one, or choose with --spreadsheet or --workbook."
        )
    if settings.spreadsheet:
        from cii_sheets.sources.google import GoogleSource

        return GoogleSource(settings.spreadsheet, settings.credentials or key)
    if settings.workbook:
        from cii_sheets.sources.workbook import WorkbookSource

        return WorkbookSource(settings.workbook)
    raise CiiSheetsError(
        "No source is configured: give --spreadsheet or --workbook, or set `spreadsheet` or "
        "`workbook` in cii_sheets.toml (see cii_sheets.example.toml), or CII_SPREADSHEET / "
        "CII_WORKBOOK."
    )
