"""Problem and Alert records, their closed sets of codes, and the operational error base class."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """An error keeps its row out of the figures; a warning keeps it in."""

    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    """Every kind of data problem, as a stable slug (in the style of frictionless' error codes)."""

    MISSING_TAB = "missing-tab"
    MISSING_COLUMN = "missing-column"
    EXTRA_COLUMN = "extra-column"
    DUPLICATE_COLUMN = "duplicate-column"
    MISSING_VALUE = "missing-value"
    TYPE_ERROR = "type-error"
    INVALID_CHOICE = "invalid-choice"
    OUT_OF_RANGE = "out-of-range"
    DATE_ORDER = "date-order"
    UNKNOWN_REFERENCE = "unknown-reference"
    DUPLICATE_ID = "duplicate-id"
    FORMULA_ERROR = "formula-error"
    OVERPAID_PLEDGE = "overpaid-pledge"
    OUTSIDE_PROGRAMME = "outside-programme"
    STATUS_MISMATCH = "status-mismatch"
    UNKNOWN_SETTING = "unknown-setting"
    CONTROL_CHARACTER = "control-character"
    DUPLICATE_TAB = "duplicate-tab"
    PLACEHOLDER = "placeholder"  # e.g. TBC where a value may wait: a note, nothing to fix
    # Grants as 360Giving open data: the checks 360Giving's own tools make.
    NEEDED_TO_PUBLISH = "needed-to-publish"  # empty Description, Recipient Org:Identifier...
    GRANT_IDENTIFIER = "grant-identifier"  # without the prefix, or with spaces or slashes
    ORGANISATION_IDENTIFIER = "organisation-identifier"  # not in org-id form
    LONG_TITLE = "long-title"  # over 140 characters
    FUTURE_AWARD = "future-award"  # Award Date still to come
    NOT_PUBLISHABLE = "not-publishable"  # the export itself: too many grants, schema failures
    TAB_IN_TWO_SOURCES = "tab-in-two-sources"  # one contract tab in two spreadsheets/workbooks
    SOURCE_UNREADABLE = "source-unreadable"  # the source holding a tab could not be read


# Warnings that ask for nothing now ("that is fine", or only before the grants are published):
# the Sync report lists them as notes, and they never stand in the way of "All clear".
NOTE_CODES = frozenset(
    {Code.EXTRA_COLUMN, Code.PLACEHOLDER, Code.NEEDED_TO_PUBLISH, Code.LONG_TITLE}
)


class AlertCode(StrEnum):
    """Things leadership should know about; not mistakes in the sheet."""

    OVERDUE_PLEDGE = "overdue-pledge"
    OVERDUE_MILESTONE = "overdue-milestone"
    SECONDMENTS_OUTSIDE_BAND = "secondments-outside-band"


# What each alert is called where people read it (dashboard tables, downloads).
ALERT_TITLES = {
    AlertCode.OVERDUE_PLEDGE: "Overdue pledge",
    AlertCode.OVERDUE_MILESTONE: "Overdue milestone",
    AlertCode.SECONDMENTS_OUTSIDE_BAND: "Secondments outside the band",
}


@dataclass(slots=True)
class Problem:
    """One thing staff should fix, located by tab, sheet row and the header as staff wrote it."""

    severity: Severity
    code: Code
    tab: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    # The cell's A1 address ("C5") in the tab, for links; not part of the JSON contract.
    cell: str | None = field(default=None, compare=False)
    # Which source (spreadsheet or workbook) holds the tab; None for a tab in none of them.
    source: str | None = field(default=None, compare=False)

    @property
    def is_note(self) -> bool:
        """A warning that asks for nothing, such as an extra column kept for staff's own notes."""
        return self.severity is Severity.WARNING and self.code in NOTE_CODES

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cell")
        d["severity"] = str(self.severity)
        d["code"] = str(self.code)
        return d


@dataclass(slots=True)  # not frozen: tens of thousands may be made at once, and frozen is slow
class Alert:
    """Something leadership should act on, such as an overdue pledge."""

    code: AlertCode
    tab: str
    row: int | None
    message: str
    # Where to act, for the report's link: an A1 cell or range ("E9", "B6:B7"), in ``link_tab``
    # when that is not ``tab`` (the band alert links to the Settings rows). Not in the JSON.
    cell: str | None = field(default=None, compare=False)
    link_tab: str | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False)  # which source holds the tab

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "tab": self.tab,
            "row": self.row,
            "message": self.message,
            "source": self.source,
        }


def column_letters(index: int) -> str:
    """Spreadsheet column letters for a 0-based column index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# Invisible control characters (not tab, line feed or carriage return) that a copy and paste can
# bring in: Excel files cannot hold them and PostgreSQL refuses NUL, so they are never stored.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(CONTROL_CHARACTERS)


def without_control_characters(text: str) -> str:
    """``text`` with its invisible control characters removed."""
    return _CONTROL.sub("", text)


def sentence_start(text: str) -> str:
    """A message whose first word is capitalised: a header written 'pledge id' may open it."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def show_value(value: object, limit: int = 80) -> str:
    """A cell value as staff would recognise it in a message, shortened if long."""
    if isinstance(value, dt.date):  # as staff see it in the sheet: day first
        shown = f"{value.day:02d}/{value.month:02d}/{value.year}"
        if isinstance(value, dt.datetime) and value.time() != dt.time():
            shown += f" {value:%H:%M}"
        return shown
    text = str(value).strip() if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CiiSheetsError(Exception):
    """An operational failure (no file, no access, no network): the sync could not run.

    The message is one line that says what happened and how to fix it.
    """
