"""Raw tabs -> typed frames, problems and alerts, by the contract in schema.py (pure: no IO)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field, replace
from itertools import zip_longest

import pandas as pd

from cii_sheets import metrics, schema
from cii_sheets.parse import GoalBook, parse_column
from cii_sheets.problems import (
    CONTROL_CHARACTERS,
    Alert,
    AlertCode,
    Code,
    Problem,
    Severity,
    column_letters,
    sentence_start,
    show_value,
    without_control_characters,
)
from cii_sheets.raw import RawSpreadsheet, RawTab, SourceFailure
from cii_sheets.schema import Kind
from cii_sheets.snapshot import Settings, Snapshot, empty_frame, empty_secondment_goals

ERROR, WARNING = Severity.ERROR, Severity.WARNING
_CONTROL_RE = re.compile(CONTROL_CHARACTERS)


@dataclass
class TabResult:
    """One contract tab after validation."""

    tab: schema.Tab
    title: str | None = None  # the tab's title in the sheet; None when missing
    sheet_id: int | None = None
    source: str | None = None  # the source (spreadsheet or workbook) it was read from
    broken: bool = False  # missing, or a required column missing: keep the last good rows
    rows: int = 0  # non-blank data rows read
    left_out: int = 0  # rows kept out of the figures because of an error
    # Of those rows, the pounds in their money column, and how many had no readable amount.
    left_out_gbp: float = 0.0
    left_out_unread: int = 0


@dataclass
class Places:
    """Where things are in the sheet, so that an alert can link to the cell to act on."""

    titles: dict[str, str] = field(default_factory=dict)  # contract tab -> title in the sheet
    columns: dict[str, dict[str, int]] = field(default_factory=dict)  # tab -> key -> 0-based
    setting_rows: dict[str, int] = field(default_factory=dict)  # setting key -> sheet row


@dataclass
class Validation:
    """Everything validation found, plus the snapshot of the rows fit for the figures."""

    source: str
    as_of: dt.date
    snapshot: Snapshot
    tabs: dict[str, TabResult]
    problems: list[Problem] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    places: Places = field(default_factory=Places)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is WARNING]

    @property
    def stale_tabs(self) -> list[str]:
        return [name for name, t in self.tabs.items() if t.broken]

    @property
    def left_out(self) -> dict[str, int]:
        return {name: t.left_out for name, t in self.tabs.items() if t.left_out}

    @property
    def left_out_money(self) -> dict[str, tuple[float, int]]:
        """Tab -> (pounds on its rows left out, rows left out whose amount could not be read)."""
        return {
            name: (t.left_out_gbp, t.left_out_unread)
            for name, t in self.tabs.items()
            if t.left_out and any(c.kind is Kind.MONEY for c in t.tab.columns)
        }


class _TabFrame:
    """A tab's cells by contract column, with the bookkeeping to report problems on them."""

    def __init__(self, tab: schema.Tab, raw: RawTab, problems: list[Problem]) -> None:
        self.tab = tab
        self.raw = raw
        self.problems = problems
        self.headers: dict[str, str] = {}  # column key -> header as staff wrote it
        self.positions: dict[str, int] = {}  # column key -> 0-based column index in the sheet
        self.cells = pd.DataFrame()
        self.typed = pd.DataFrame()
        self.bad = pd.Series(dtype=bool)  # rows with an error

    def add(
        self,
        severity: Severity,
        code: Code,
        message: str,
        row: int | None = None,
        key: str | None = None,
        value: object = None,
        header: str | None = None,
        index: int | None = None,
    ) -> None:
        """Report a problem; ``index`` is the 0-based sheet column when there is no ``key``."""
        column = header if header is not None else (self.headers.get(key) if key else None)
        if key in self.positions:
            index = self.positions[key]
        cell = None
        if row is not None:
            cell = f"{column_letters(index or 0)}{row}"
        self.problems.append(
            Problem(
                severity,
                code,
                self.raw.title,
                row,
                column,
                None if value is None else show_value(value),
                sentence_start(message),
                cell,
                self.raw.source,
            )
        )

    def flag(
        self,
        mask: pd.Series,
        severity: Severity,
        code: Code,
        key: str | None,
        message: str | pd.Series,
        value: pd.Series | None = None,
    ) -> None:
        """Report a problem on every row in ``mask``; errors keep those rows out of the figures."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = self.cells.loc[mask, "sheet_row"]
        # A Series of messages need only hold the flagged rows.
        messages = message.reindex(rows.index) if isinstance(message, pd.Series) else None
        values = value[mask] if value is not None else self.cells.loc[mask, key] if key else None
        for i in range(len(rows)):
            self.add(
                severity,
                code,
                messages.iloc[i] if messages is not None else str(message),
                int(rows.iloc[i]),
                key,
                None if values is None else values.iloc[i],
            )
        if severity is ERROR:
            self.bad |= mask


def validate(raw: RawSpreadsheet, as_of: dt.date) -> Validation:
    """Check every tab against the contract and build the snapshot of good rows."""
    problems: list[Problem] = []
    by_tab, clashing = _match_tabs(raw, problems)
    results = {t.name: TabResult(t) for t in schema.TABS}
    single = None if raw.parts else raw.source  # a lone source holds every tab
    for tab in schema.TABS:
        found = by_tab.get(tab.name)
        if found is not None:
            results[tab.name].title = found.title
            results[tab.name].sheet_id = found.sheet_id
            results[tab.name].source = found.source or single
            results[tab.name].broken = tab.name in clashing
        elif tab.required and raw.failures:
            results[tab.name].broken = True
            problems.append(unreadable_problem(tab.name, raw.failures))
        elif tab.required:
            results[tab.name].broken = True
            problems.append(
                Problem(
                    ERROR,
                    Code.MISSING_TAB,
                    tab.name,
                    None,
                    None,
                    None,
                    (
                        f"The spreadsheet has no '{tab.name}' tab. Add a tab called '{tab.name}' "
                        if single
                        else f"None of the {len(raw.parts)} sources has a '{tab.name}' tab. Add "
                        f"a tab called '{tab.name}' to the one that should hold it, "
                    )
                    + f"with the header row: {', '.join(c.name for c in tab.columns)}.",
                )
            )
    by_tab = {name: found for name, found in by_tab.items() if name not in clashing}

    frames: dict[str, _TabFrame] = {}
    for tab in schema.TABS:
        found = by_tab.get(tab.name)
        if found is None:
            continue
        frame = _TabFrame(tab, found, problems)
        if not _read_header(frame):
            results[tab.name].broken = True
            continue
        _read_cells(frame)
        frames[tab.name] = frame
        results[tab.name].rows = len(frame.cells)

    places = Places(
        titles={n: f.raw.title for n, f in frames.items()},
        columns={n: dict(f.positions) for n, f in frames.items()},
    )
    settings = _settings(frames.pop("Settings", None), places.setting_rows)
    goal_book = _goal_book(frames.get("Goals"))

    for frame in frames.values():
        _parse_columns(frame, goal_book)
        _check_unique(frame)
        _check_date_order(frame)
    _check_references(frames, goal_book)
    _check_window(frames, settings)
    _check_status(frames, as_of)
    _check_grants(frames.get("Grants"), settings, as_of)

    snapshot = Snapshot(settings=settings)
    for name, frame in frames.items():
        good = frame.typed.loc[~frame.bad].reset_index(drop=True)
        snapshot.tables[frame.tab.table] = good
        results[name].left_out = int(frame.bad.sum())
        money = next((c.key for c in frame.tab.columns if c.kind is Kind.MONEY), None)
        if money is not None and money in frame.typed:
            amounts = frame.typed.loc[frame.bad, money]
            results[name].left_out_gbp = round(float(amounts.sum()), 2)
            results[name].left_out_unread = int(amounts.isna().sum())
    snapshot.tables[schema.SECONDMENT_GOALS_TABLE] = _secondment_goals(snapshot)
    _check_overpaid(frames, snapshot)

    sort_problems(problems)
    alerts = alerts_for(snapshot, as_of, places.titles, places)
    validation = Validation(raw.source, as_of, snapshot, results, problems, alerts, places)
    name_sources(validation, single)
    return validation


def name_sources(validation: Validation, default: str | None = None) -> None:
    """Give each problem and alert without one the source of its tab (``default`` if none)."""
    where: dict[str, str] = {}
    for name, result in validation.tabs.items():
        if result.source:
            where.setdefault(name, result.source)
            if result.title:
                where[result.title] = result.source
    items: list[Problem | Alert] = [*validation.problems, *validation.alerts]
    for item in items:
        if item.source is None:
            item.source = where.get(item.tab, default)


def unreadable_problem(tab: str, failures: list[SourceFailure]) -> Problem:
    """A tab not found because the source that may hold it could not be read."""
    names = "; ".join(f"{f.source} ({f.reason.rstrip('.')})" for f in failures)
    return Problem(
        ERROR,
        Code.SOURCE_UNREADABLE,
        tab,
        None,
        None,
        None,
        f"The '{tab}' tab could not be read: {names}. Its last good copy is kept until a sync "
        "can read it again.",
        source=failures[0].source if len(failures) == 1 else None,
    )


# --- Structure --------------------------------------------------------------------------------


def sort_problems(problems: list[Problem]) -> None:
    """In the order staff meet them: by tab (contract order), row, column."""
    problems.sort(key=lambda p: (_tab_order(p.tab), p.row or 0, p.column or "", p.code))


def _tab_order(title: str) -> int:
    tab = schema.match_tab(title)
    return schema.TABS.index(tab) if tab else len(schema.TABS)


def _match_tabs(raw: RawSpreadsheet, problems: list[Problem]) -> tuple[dict[str, RawTab], set[str]]:
    """Contract tab name -> the sheet tab standing for it, and the tabs found in two sources.

    Within one source the first tab is read, with a warning on others. A tab in two sources is
    an error of that tab naming both, and neither is read: which is right is staff's call.
    """
    found: dict[str, RawTab] = {}
    clashing: set[str] = set()
    for raw_tab in raw.tabs:
        tab = schema.match_tab(raw_tab.title)
        if tab is None:
            continue  # other tabs (notes, the Sync report, scratch work) are staff's own
        first_tab = found.get(tab.name)
        if first_tab is not None and first_tab.source != raw_tab.source:
            places = (raw_tab,) if tab.name in clashing else (first_tab, raw_tab)
            clashing.add(tab.name)
            for here in places:
                problems.append(
                    Problem(
                        ERROR,
                        Code.TAB_IN_TWO_SOURCES,
                        here.title,
                        None,
                        None,
                        None,
                        f"{tab.name} is in two places: the '{first_tab.title}' tab of "
                        f"{first_tab.source} and the '{raw_tab.title}' tab of {raw_tab.source}. "
                        f"Keep it in one of them (delete or rename the other tab); until then "
                        "its last good copy is kept.",
                        source=here.source,
                    )
                )
            continue
        if first_tab is not None:
            first = first_tab.title
            problems.append(
                Problem(
                    WARNING,
                    Code.DUPLICATE_TAB,
                    raw_tab.title,
                    None,
                    None,
                    raw_tab.title,
                    f"The tabs '{first}' and '{raw_tab.title}' both stand for {tab.name}. Only "
                    f"'{first}' (the first) is read: delete '{raw_tab.title}', or rename it to "
                    "something else if it is for your own notes.",
                    source=raw_tab.source,
                )
            )
            continue
        found[tab.name] = raw_tab
    return found, clashing


def _read_header(frame: _TabFrame) -> bool:
    """Match header cells to contract columns; False when a required column is missing."""
    tab, raw = frame.tab, frame.raw
    normalised = [schema.normalise_header(h) if h is not None else "" for h in raw.header]
    # Exact names first, then aliases, so an alias never steals a column from its own header.
    for use_aliases in (False, True):
        for column in tab.columns:
            if column.key in frame.positions:
                continue
            names = (column.name, *column.aliases) if use_aliases else (column.name,)
            wanted = {schema.normalise_header(n) for n in names}
            for i, norm in enumerate(normalised):
                if norm and norm in wanted and i not in frame.positions.values():
                    frame.positions[column.key] = i
                    frame.headers[column.key] = _header_text(raw.header[i])
                    break
    used = set(frame.positions.values())
    keys_by_norm = {
        schema.normalise_header(n): c.key for c in tab.columns for n in (c.name, *c.aliases)
    }
    for i, norm in enumerate(normalised):
        if i in used or not norm:
            continue
        header = _header_text(raw.header[i])
        if norm in keys_by_norm and keys_by_norm[norm] in frame.positions:
            first = frame.headers[keys_by_norm[norm]]
            frame.add(
                WARNING,
                Code.DUPLICATE_COLUMN,
                f"'{header}' is the same column as '{first}', which comes first. Only "
                f"'{first}' is read: delete or rename one of them.",
                1,
                header=header,
                index=i,
                value=header,
            )
        else:
            frame.add(
                WARNING,
                Code.EXTRA_COLUMN,
                f"The column '{header}' is not used by the tool, so it is ignored. That is fine "
                f"if it is for your own notes.",
                1,
                header=header,
                index=i,
                value=header,
            )
    missing = [c for c in tab.required_columns if c.key not in frame.positions]
    for column in missing:
        frame.add(
            ERROR,
            Code.MISSING_COLUMN,
            f"The '{tab.name}' tab has no '{column.name}' column, so none of its rows can be "
            f"read. Add '{column.name}' to the header row (row 1), or put back the header if "
            f"it was renamed. The last good copy of this tab is kept until then.",
            header=column.name,
        )
    return not missing


def _read_cells(frame: _TabFrame) -> None:
    """The tab's cells by column key, trimmed of blank rows, with their sheet row numbers."""
    raw = frame.raw
    # Rows may be ragged (trailing empty cells left out); zip_longest pads them in C.
    columns = list(zip_longest(*raw.rows)) if raw.rows else []
    cells = pd.DataFrame(
        {i: pd.Series(col, dtype=object) for i, col in enumerate(columns)},
        index=pd.RangeIndex(len(raw.rows)),
    )
    width = max([len(raw.header), cells.shape[1], *[i + 1 for i in frame.positions.values()]])
    cells = cells.reindex(columns=range(width))
    # A row is kept once any cell has content; most rows are decided by their first cell,
    # so later columns are only looked at for the few rows still undecided.
    keep = pd.Series(False, index=cells.index)
    for i in range(width):
        undecided = ~keep
        if not undecided.any():
            break
        keep[undecided] = ~_blank_cells(cells.loc[undecided, i])
    # Data under a column with no header would be silently lost: say so once per column.
    for i in range(len(raw.header), width):
        if (~_blank_cells(cells[i]) & keep).any():
            frame.add(
                WARNING,
                Code.EXTRA_COLUMN,
                f"Column {column_letters(i)} has values but no header, so it is ignored. Give "
                f"it a header in row 1 if it should be read.",
                1,
                header=column_letters(i),
                index=i,
            )
    out = pd.DataFrame(
        {key: cells[i] for key, i in frame.positions.items()}, index=cells.index
    ).loc[keep]
    out.insert(0, "sheet_row", pd.Series(raw.row_numbers, index=cells.index, dtype="int64")[keep])
    frame.cells = out.reset_index(drop=True)
    frame.bad = pd.Series(False, index=frame.cells.index)
    _remove_control_characters(frame)


def _header_text(cell: object) -> str:
    return without_control_characters(str(cell)).strip()


def _remove_control_characters(frame: _TabFrame) -> None:
    """Take invisible control characters out of text cells, with a warning on each cell."""
    for key in frame.positions:
        column = frame.cells[key]
        if column.dtype != object:
            continue
        # One search over the column's text joined by newlines (not a control character here)
        # clears almost every column at once: a tenth of the time of a search cell by cell.
        joined = "\n".join(v for v in column.to_numpy() if isinstance(v, str))
        if _CONTROL_RE.search(joined) is None:
            continue
        try:
            found = column.str.contains(CONTROL_CHARACTERS, regex=True, na=False)
        except AttributeError:  # no text in this column
            continue
        found = found.astype(bool)
        if not found.any():
            continue
        cleaned = column[found].map(without_control_characters)
        frame.cells.loc[found, key] = cleaned
        frame.flag(
            found,
            WARNING,
            Code.CONTROL_CHARACTER,
            key,
            f"This cell held invisible control characters (often brought in by copying from "
            f"another program), which were left out of the snapshot. Retype the "
            f"{frame.headers[key]} here to remove them.",
            cleaned,
        )


def _blank_cells(column: pd.Series) -> pd.Series:
    """True where a cell is empty or only spaces."""
    blank = column.isna()
    try:
        stripped = column.str.strip()
    except AttributeError:  # no text in this column at all
        return blank
    return blank | stripped.eq("").fillna(False).astype(bool)


# --- Cells ------------------------------------------------------------------------------------


def _parse_columns(frame: _TabFrame, goals: GoalBook) -> None:
    typed = empty_frame(frame.tab).reindex(frame.cells.index)
    typed["sheet_row"] = frame.cells["sheet_row"]
    noun = _noun(frame.tab)
    for column in frame.tab.columns:
        if column.key not in frame.positions:
            continue
        header = frame.headers[column.key]
        parsed = parse_column(frame.cells[column.key], column, header, goals, tab=frame.tab.name)
        typed[column.key] = parsed.values
        waits = _may_wait(frame, column)
        for index, failure in parsed.failures.iterrows():
            if waits[index]:
                _placeholder_note(frame, column, header, index, failure["value"])
                continue
            frame.add(
                ERROR,
                Code(failure["code"]),
                str(failure["message"]),
                int(frame.cells.at[index, "sheet_row"]),
                column.key,
                failure["value"],
            )
            frame.bad.loc[index] = True
        if column.required:
            example = f", like {column.example}" if column.example else ""
            only = ""
            if column.may_wait_while is not None:
                key, choice = column.may_wait_while
                status = frame.headers.get(key, key)
                only = f" Only a {noun} whose {status} is {choice} may leave it empty."
            frame.flag(
                parsed.blank & ~waits,
                ERROR,
                Code.MISSING_VALUE,
                column.key,
                f"Enter the {header} for this {noun}{example}. This cell is empty.{only}",
                value=pd.Series("", index=frame.cells.index),
            )
    frame.typed = typed


def _may_wait(frame: _TabFrame, column: schema.Column) -> pd.Series:
    """Rows where this column may stay empty for now (Date pledged while a pledge is Expected)."""
    if column.may_wait_while is None or column.may_wait_while[0] not in frame.positions:
        return pd.Series(False, index=frame.cells.index)
    key, choice = column.may_wait_while
    cells = frame.cells[key].astype("object").where(frame.cells[key].notna(), "")
    return cells.map(lambda v: str(v).strip().casefold() == choice.casefold())


def _placeholder_note(
    frame: _TabFrame, column: schema.Column, header: str, index: int, value: object
) -> None:
    """A value that may wait, typed as something like TBC: a note; the row stays in."""
    assert column.may_wait_while is not None
    key, choice = column.may_wait_while
    status = frame.headers.get(key, key)
    noun = _noun(frame.tab)
    frame.add(
        WARNING,
        Code.PLACEHOLDER,
        f"{header} can wait while the {status} is {choice}: leave it empty until the {noun} "
        f"is confirmed, then enter the date, like {column.example}. You entered "
        f"'{show_value(value)}'.",
        int(frame.cells.at[index, "sheet_row"]),
        column.key,
        value,
    )


def _noun(tab: schema.Tab) -> str:
    nouns = {
        "Goals": "goal",
        "Funders": "funder",
        "Pledges": "pledge",
        "Payments": "payment",
        "Secondments": "secondment",
        "Milestones": "milestone",
        "Achievements": "achievement",
        "Grants": "grant",
        "Learning": "finding",
        "Impact": "impact statement",
    }
    return nouns.get(tab.name, "row")


def _check_unique(frame: _TabFrame) -> None:
    id_column = frame.tab.id_column
    if id_column is None or id_column.key not in frame.positions:
        return
    ids = frame.typed[id_column.key]
    folded = ids.astype("object").str.casefold()
    present = folded.notna()
    duplicated = folded.duplicated(keep="first") & present
    if not duplicated.any():
        return
    first_rows = (
        frame.cells.loc[present & ~duplicated]
        .assign(_id=folded[present & ~duplicated])
        .set_index("_id")["sheet_row"]
    )
    header = frame.headers[id_column.key]
    noun = _noun(frame.tab)
    free = _free_ids(ids.dropna().astype(str).tolist(), int(duplicated.sum()))
    hints = iter(free)

    def message(v: str) -> str:
        first = f"{header} is already used in row {first_rows.get(v)}."
        hint = next(hints, None)
        if hint is None:
            return f"{first} Give each {noun} its own {header}."
        return f"{first} Give each {noun} its own {header}, like {hint}, which is not used yet."

    messages = folded[duplicated].map(message)
    frame.flag(duplicated, ERROR, Code.DUPLICATE_ID, id_column.key, messages.reindex(ids.index))


_NUMBERED_ID = re.compile(r"(.*?)(\d+)")


def _free_ids(taken: list[str], count: int) -> list[str]:
    """``count`` IDs not used yet, numbered on from the highest, in the tab's own style.

    P001..P014 -> P015, P016; IDs without a number in them give nothing to suggest.
    """
    numbered = [m for m in map(_NUMBERED_ID.fullmatch, taken) if m]
    if not numbered:
        return []
    # Follow the most common prefix (P, S, 360G-CII-...) and its widest zero-padding.
    prefixes = [m.group(1) for m in numbered]
    prefix = max(set(prefixes), key=prefixes.count)
    same = [m for m in numbered if m.group(1) == prefix]
    width = max(len(m.group(2)) for m in same)
    used = {t.casefold() for t in taken}
    out: list[str] = []
    number = max(int(m.group(2)) for m in same)
    while len(out) < count:
        number += 1
        candidate = f"{prefix}{number:0{width}d}"
        if candidate.casefold() not in used:
            out.append(candidate)
    return out


def _check_date_order(frame: _TabFrame) -> None:
    for earlier, later in frame.tab.date_order:
        if earlier not in frame.positions or later not in frame.positions:
            continue
        first, second = frame.typed[earlier], frame.typed[later]
        wrong = (second < first) & ~frame.bad
        h1, h2 = frame.headers[earlier], frame.headers[later]
        messages = first[wrong.fillna(False)].map(
            lambda d, h1=h1, h2=h2: (
                f"{h2} is before {h1} ({_uk(d)}). Check both dates: {h2} must be on or after {h1}."
            )
        )
        frame.flag(wrong, ERROR, Code.DATE_ORDER, later, messages)


def _uk(value: object) -> str:
    """A date the way people in the UK write it: 1 Apr 2017."""
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return ""
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return f"{stamp.day} {stamp.strftime('%b %Y')}"


# --- Across tabs --------------------------------------------------------------------------------


def _goal_book(goals: _TabFrame | None) -> GoalBook:
    """Goals from the Goals tab, or the contract's defaults if the tab is missing or broken."""
    if goals is None:
        return GoalBook((gid, name) for gid, name, _ in schema.GOAL_DEFAULTS)
    text = schema.GOALS_TAB.column("goal_id")
    ids = parse_column(goals.cells["goal_id"], text, "Goal ID").values
    names = parse_column(goals.cells["goal"], schema.GOALS_TAB.column("goal"), "Goal").values
    pairs = [(i, n) for i, n in zip(ids, names, strict=True) if isinstance(i, str) and i]
    if not pairs:
        return GoalBook((gid, name) for gid, name, _ in schema.GOAL_DEFAULTS)
    return GoalBook((i, n if isinstance(n, str) else i) for i, n in pairs)


def _check_references(frames: dict[str, _TabFrame], goals: GoalBook) -> None:
    for frame in frames.values():
        for column in frame.tab.columns:
            if column.references is None or column.key not in frame.positions:
                continue
            target_tab, target_key = column.references
            target = frames.get(target_tab)
            if target is None:
                continue  # an optional tab left out: nothing to check against
            # Every ID typed in the target counts, even on rows with errors, so that one
            # mistake is reported once rather than again on every row that points at it.
            known_values = target.typed[target_key].dropna()
            known = {str(v).casefold(): str(v) for v in known_values}
            values = frame.typed[column.key]
            folded = values.astype("object").str.casefold()
            present = values.notna() & ~frame.bad
            unknown = present & ~folded.isin(known.keys())
            # Same name in another case: use the spelling of the tab it comes from.
            frame.typed.loc[present & ~unknown, column.key] = folded[present & ~unknown].map(known)
            header = frame.headers[column.key]
            target_header = target.headers.get(target_key, target_key)

            spellings = list(known.values())
            if (target_tab, target_key) == ("Pledges", "pledge_id"):
                messages = _pledge_reference_messages(frame, target, unknown, header)
            else:
                empty = "" if column.required else _noun(frame.tab)
                messages = values[unknown].map(
                    lambda v, h=header, th=target_header, tt=target_tab, sp=spellings, e=empty: (
                        _reference_message(v, h, th, tt, sp, e)
                    )
                )
            frame.flag(
                unknown, ERROR, Code.UNKNOWN_REFERENCE, column.key, messages.reindex(values.index)
            )


def _reference_message(
    value: object,
    header: str,
    target_header: str,
    target_tab: str,
    spellings: list[str],
    may_be_empty: str = "",
) -> str:
    """``may_be_empty``: the noun of a row that may leave this column empty (it is optional)."""
    close = difflib.get_close_matches(str(value), spellings, n=1, cutoff=0.75)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    fixes = f"Correct the {header}, or add it to the {target_tab} tab first."
    if may_be_empty:
        fixes = (
            f"Correct the {header}, add it to the {target_tab} tab first, or leave the cell "
            f"empty if this {may_be_empty} has none."
        )
    where = f"the {target_header} column of the {target_tab} tab"
    return f"There is no '{value}' in {where}.{hint} {fixes}"


def _pledge_reference_messages(
    frame: _TabFrame, pledges: _TabFrame, unknown: pd.Series, header: str
) -> pd.Series:
    """Unknown pledge IDs on payments: a guess only among the pledges of the funder it names.

    A wrong guess would tie money to the wrong pledge without anyone noticing, so the message
    always asks for the payment record to be checked first.
    """
    by_funder: dict[str, list[str]] = {}
    for pledge, funder in zip(pledges.typed["pledge_id"], pledges.typed["funder"], strict=True):
        if isinstance(pledge, str) and isinstance(funder, str):
            by_funder.setdefault(funder.casefold(), []).append(pledge)
    spelling = {
        str(f).casefold(): str(f) for f in pledges.typed["funder"].dropna() if isinstance(f, str)
    }
    every = [p for ps in by_funder.values() for p in ps]
    target = pledges.headers.get("pledge_id", "Pledge ID")
    messages = {}
    for index in unknown[unknown].index:
        value = str(frame.typed.at[index, "pledge_id"])
        funder = _funder_named(frame, index, spelling)
        text = f"There is no '{value}' in the {target} column of the Pledges tab."
        if funder is not None:
            theirs = by_funder.get(funder.casefold(), [])
            close = difflib.get_close_matches(value, theirs, n=1, cutoff=0.5)
            guess = close[0] if close else theirs[0] if len(theirs) == 1 else None
            listed = ", ".join(theirs) if theirs else "none"
            text += f" {funder}'s pledges: {listed}."
            if guess:
                text += f" Did you mean '{guess}'?"
        else:
            close = difflib.get_close_matches(value, every, n=1, cutoff=0.75)
            if close:
                text += f" Did you mean '{close[0]}'?"
        text += (
            " Check the payment record first (who paid, and for which pledge): money put "
            f"against the wrong pledge is not noticed later. Then correct the {header}, or add "
            "the pledge to the Pledges tab."
        )
        messages[index] = text
    return pd.Series(messages, dtype=object).reindex(frame.typed.index)


def _funder_named(frame: _TabFrame, index: int, funders: dict[str, str]) -> str | None:
    """The funder a payment row names: in a Funder column of staff's own, or in its Reference."""
    raw = frame.raw
    sheet_row = int(frame.cells.at[index, "sheet_row"])
    cells = raw.rows[raw.row_numbers.index(sheet_row)]
    used = set(frame.positions.values())
    for i, head in enumerate(raw.header):
        if i in used or head is None or schema.normalise_header(head) != "funder":
            continue
        named = str(cells[i]).strip().casefold() if i < len(cells) and cells[i] else ""
        if named in funders:
            return funders[named]
    reference = frame.cells.at[index, "reference"] if "reference" in frame.cells else None
    if isinstance(reference, str):
        text = reference.casefold()
        for folded, name in funders.items():
            if re.search(rf"\b{re.escape(folded)}\b", text):
                return name
    return None


def _check_window(frames: dict[str, _TabFrame], settings: Settings) -> None:
    """Dates outside the programme are allowed but probably a typing slip: warn."""
    start = pd.Timestamp(settings.programme_start)
    end = pd.Timestamp(settings.programme_end)
    checked = {
        "Payments": ("date_received",),
        "Secondments": ("start_date", "end_date"),
        "Milestones": ("planned_date", "actual_date"),
        "Achievements": ("date",),
        "Grants": ("award_date",),
        "Learning": ("date",),
        "Impact": ("date",),
    }
    for name, keys in checked.items():
        frame = frames.get(name)
        if frame is None:
            continue
        for key in keys:
            if key not in frame.positions:
                continue
            dates = frame.typed[key]
            outside = ((dates < start) | (dates > end)) & ~frame.bad
            header = frame.headers[key]
            message = (
                f"{header} is outside the programme ({_uk(start)} to {_uk(end)}). Check the "
                f"year; if the date is right, change Programme start or Programme end in Settings."
            )
            frame.flag(outside, WARNING, Code.OUTSIDE_PROGRAMME, key, message)


def _check_status(frames: dict[str, _TabFrame], as_of: dt.date) -> None:
    """Secondment statuses that the dates contradict; the warning names both cells."""
    frame = frames.get("Secondments")
    if frame is None:
        return
    today = pd.Timestamp(as_of)
    typed, ok = frame.typed, ~frame.bad
    status, start, end = typed["status"], typed["start_date"], typed["end_date"]
    checks = [  # (mask, date column, what the date says, the fix)
        (
            (status == "Planned") & (start <= today),
            "start_date",
            "has passed",
            "Change it to Active, or correct the {date}.",
        ),
        (
            (status == "Completed") & (end > today),
            "end_date",
            "is still to come",
            "Change it to Active or Ended early, or correct the {date}.",
        ),
        (
            (status == "Active") & (end < today),
            "end_date",
            "has passed",
            "Change it to Completed or Ended early, or correct the {date}.",
        ),
    ]
    status_col = column_letters(frame.positions.get("status", 0))
    for mask, key, says, fix in checks:
        mask = mask & ok
        if not mask.any():
            continue
        date_col = column_letters(frame.positions.get(key, 0))
        rows = frame.cells.loc[mask, "sheet_row"]
        s_head, d_head = frame.headers["status"], frame.headers[key]
        messages = pd.Series(
            [
                f"{s_head} ({status_col}{r}) says {st} but {d_head} ({date_col}{r}), "
                f"{_uk(d)}, {says}. " + fix.format(date=d_head)
                for r, st, d in zip(rows, status[mask], typed.loc[mask, key], strict=True)
            ],
            index=rows.index,
        )
        frame.flag(mask, WARNING, Code.STATUS_MISMATCH, "status", messages)


def _check_overpaid(frames: dict[str, _TabFrame], snapshot: Snapshot) -> None:
    """Flag each pledge whose payments add up to more than was pledged (a warning)."""
    frame = frames.get("Pledges")
    if frame is None or "Payments" not in frames:
        return
    pledges = metrics.pledge_payments(snapshot)
    over = pledges[pledges["received_gbp"] > pledges["amount_gbp"] + 0.005]
    header = frame.headers["amount_gbp"]
    for row in over.itertuples():
        frame.add(
            WARNING,
            Code.OVERPAID_PLEDGE,
            f"Payments for {row.pledge_id} add up to {metrics.gbp(row.received_gbp)}, more than "
            f"the {metrics.gbp(row.amount_gbp)} pledged. Check the Payments tab for a "
            f"payment entered twice, or correct the {header}.",
            int(row.sheet_row),
            "amount_gbp",
            row.amount_gbp,
        )


def _secondment_goals(snapshot: Snapshot) -> pd.DataFrame:
    secondments = snapshot["secondments"]
    if secondments.empty:
        return empty_secondment_goals()
    pairs = secondments[["secondment_id", "goals"]].assign(
        goal_id=secondments["goals"].str.split(",")
    )
    pairs = pairs.explode("goal_id")[["secondment_id", "goal_id"]].dropna()
    return pairs.reset_index(drop=True)


# --- Settings ---------------------------------------------------------------------------------


def _settings(frame: _TabFrame | None, rows: dict[str, int] | None = None) -> Settings:
    """Settings from the Settings tab; a bad or missing value keeps its default.

    ``rows`` is filled with the sheet row of each setting found, for links to it.
    """
    if frame is None:
        return Settings()
    values: dict[str, object] = {}
    for _, row in frame.cells.iterrows():  # a handful of rows: a loop is clearest
        name, value = row.get("setting"), row.get("value")
        sheet_row = int(row["sheet_row"])
        if name is None or not str(name).strip():
            frame.add(
                ERROR,
                Code.MISSING_VALUE,
                "Enter the name of the setting in the Setting column, like Programme end. "
                "This cell is empty, so the value beside it is not used.",
                sheet_row,
                "setting",
                "",
            )
            continue
        setting = schema.SETTING_BY_HEADER.get(schema.normalise_header(name))
        if setting is None:
            known = ", ".join(s.name for s in schema.SETTINGS)
            frame.add(
                WARNING,
                Code.UNKNOWN_SETTING,
                f"'{name}' is not a setting the tool knows, so it is ignored. The settings "
                f"are: {known}.",
                sheet_row,
                "setting",
                name,
            )
            continue
        if rows is not None:
            rows.setdefault(setting.key, sheet_row)
        column = schema.Column(
            frame.headers["value"],
            "value",
            setting.kind,
            required=True,
            choices=schema.MONTHS if setting.kind is Kind.CHOICE else (),
            example=setting.example,
        )
        parsed = parse_column(pd.Series([value], dtype=object), column, f"{setting.name} (Value)")
        if parsed.blank.iloc[0] and setting.default == "":
            continue  # a 360Giving key left blank: not set yet, which is fine until publishing
        if not parsed.failures.empty or parsed.blank.iloc[0]:
            message = (
                parsed.failures["message"].iloc[0]
                if not parsed.failures.empty
                else f"Enter a value for {setting.name}, like {setting.example}."
            )
            frame.add(ERROR, Code.TYPE_ERROR, message, sheet_row, "value", value)
            continue
        typed_value = parsed.values.iloc[0]
        if setting.kind is Kind.NUMBER and not (typed_value >= 0 and typed_value % 1 == 0):
            frame.add(
                ERROR,
                Code.OUT_OF_RANGE,
                f"{setting.name} must be a whole number of secondments, like {setting.example}. "
                f"The default ({setting.default}) is used until this is fixed.",
                sheet_row,
                "value",
                value,
            )
            continue
        values[setting.key] = typed_value
        publishing = _check_publishing_setting(setting.key, str(typed_value))
        if publishing is not None:
            frame.add(WARNING, publishing[0], publishing[1], sheet_row, "value", value)
    settings = Settings()
    typed: dict[str, object] = {}
    for key, value in values.items():
        default = getattr(settings, key)
        if isinstance(default, dt.date):
            typed[key] = pd.Timestamp(value).date()  # type: ignore[arg-type]
        elif key == "fy_start_month":
            typed[key] = schema.MONTHS.index(str(value)) + 1
        elif isinstance(default, int):
            typed[key] = int(value)  # type: ignore[call-overload]
        else:
            typed[key] = value
    result = Settings(**{**settings.to_dict(), **typed})  # type: ignore[arg-type]
    if result.min_secondments > result.max_secondments:
        frame.add(
            ERROR,
            Code.OUT_OF_RANGE,
            f"Minimum concurrent secondments ({result.min_secondments}) is more than Maximum "
            f"concurrent secondments ({result.max_secondments}). Correct one of them; the "
            f"defaults are used until then.",
            None,
            "value",
        )
        result = replace(
            result,
            min_secondments=settings.min_secondments,
            max_secondments=settings.max_secondments,
        )
    if result.programme_end <= result.programme_start:
        frame.add(
            ERROR,
            Code.DATE_ORDER,
            f"Programme end ({_uk(result.programme_end)}) must be after Programme start "
            f"({_uk(result.programme_start)}). The defaults are used until this is fixed.",
            None,
            "value",
        )
        result = Settings(
            **{
                **result.to_dict(),
                "programme_start": settings.programme_start,
                "programme_end": settings.programme_end,
            }  # type: ignore[arg-type]
        )
    return result


# --- 360Giving ---------------------------------------------------------------------------------

# The org-id.guide lists UK grant recipients mostly come from, with the form of their numbers.
# Any other list in the org-id form (country code, list code, number) is accepted unchecked.
_ORG_ID_FORMS: dict[str, str] = {
    "GB-CHC": r"\d{6,7}",  # Charity Commission for England and Wales
    "GB-COH": r"[A-Z0-9]{8}",  # Companies House: 8 characters, like 01234567 or SC123456
    "GB-SC": r"SC\d{6}",  # Scottish Charity Regulator
    "GB-NIC": r"\d{5,6}",  # Charity Commission for Northern Ireland
    "GB-LAE": r"[A-Z]{3,4}",  # local authorities in England
    "GB-LAS": r"[A-Z]{3,4}",  # local authorities in Scotland
    "GB-PLA": r"[A-Z]{3,4}",  # principal local authorities in Wales
    "GB-GOR": r"[A-Z]{1,3}\d+",  # government organisations
    "GB-EDU": r"\d{6}",  # schools' URNs
    "GB-UKPRN": r"\d{8}",  # UK register of learning providers
    "GB-MPR": r"[A-Z0-9]+",  # mutual societies
    "GB-REV": r"[A-Z0-9]+",  # HMRC-recognised charities
    "GB-NHS": r"[A-Z0-9]+",
}
_ORG_ID_SHAPE = r"[A-Z]{2}-[A-Z0-9]{2,}-\S+"
_ORG_ID_HELP = (
    "A charity in England and Wales is GB-CHC- and its number, like GB-CHC-1234567; a company "
    "is GB-COH- and its 8-character number, like GB-COH-01234567; a Scottish charity is "
    "GB-SC-SC012345. Find the right one at https://org-id.guide"
)
TITLE_LIMIT = 140


def org_id_fits(ids: pd.Series, prefix: str = "") -> pd.Series:
    """True where an organisation identifier is in org-id form (or the publisher's own prefix)."""
    text = ids.astype("object").astype(str).str.strip()
    fits = pd.Series(False, index=ids.index)
    known = pd.Series(False, index=ids.index)
    for code, number in _ORG_ID_FORMS.items():
        of_list = text.str.startswith(code + "-")
        known |= of_list
        fits |= of_list & text.str.fullmatch(f"{re.escape(code)}-{number}")
    fits |= ~known & text.str.fullmatch(_ORG_ID_SHAPE) & ~text.str.startswith("GB-")
    if prefix:  # an internal identifier built on the publisher's 360Giving prefix
        fits |= text.str.startswith(prefix) & ~text.str.contains(r"\s", regex=True)
    return fits.fillna(False).astype(bool)


def _check_publishing_setting(key: str, value: str) -> tuple[Code, str] | None:
    """A warning for a 360Giving Settings value in the wrong form, else None."""
    if key == "giving360_prefix" and not re.fullmatch(r"360G-[A-Za-z0-9-]+", value):
        return (
            Code.GRANT_IDENTIFIER,
            "360Giving prefixes start with 360G- and have no spaces, like 360G-cii. Ask "
            "360Giving for your prefix (support@threesixtygiving.org) and enter it here.",
        )
    if key == "funding_org_identifier" and not org_id_fits(pd.Series([value])).iloc[0]:
        return (
            Code.ORGANISATION_IDENTIFIER,
            f"Funding organisation identifier is not in the form 360Giving expects. "
            f"{_ORG_ID_HELP}.",
        )
    return None


def _check_grants(frame: _TabFrame | None, settings: Settings, as_of: dt.date) -> None:
    """The checks 360Giving's own tools make, so grants can be published as they are."""
    if frame is None or frame.cells.empty:
        return
    _check_currency(frame)
    _check_needed_to_publish(frame)
    _check_identifiers(frame, settings.giving360_prefix)
    _check_grant_values(frame, as_of)


def _check_currency(frame: _TabFrame) -> None:
    """A Currency, when given, is an ISO 4217 code of the standard's list (upper-cased)."""
    if "currency" not in frame.positions:
        return
    codes = frame.typed["currency"].astype("object").str.strip().str.upper()
    wrong = codes.notna() & ~codes.isin(schema.currency_codes())
    frame.typed["currency"] = codes.where(~wrong, None)
    frame.flag(
        wrong,
        ERROR,
        Code.INVALID_CHOICE,
        "currency",
        f"Enter the three-letter code of the currency, like GBP for pounds or EUR for euros, "
        f"or leave {frame.headers['currency']} empty for pounds.",
    )


def _check_needed_to_publish(frame: _TabFrame) -> None:
    """Description and Recipient Org:Identifier: optional for the figures, needed to publish."""
    for key, why in (
        ("description", "a short description of what the grant is for"),
        ("recipient_org_identifier", "the recipient's organisation identifier"),
    ):
        column = schema.GRANTS_TAB.column(key)
        if key not in frame.positions:
            frame.add(
                WARNING,
                Code.NEEDED_TO_PUBLISH,
                f"The Grants tab has no '{column.name}' column. 360Giving needs {why} before "
                f"the grants can be published: add a '{column.name}' column to the header row.",
                header=column.name,
            )
            continue
        like = f", like {column.example}" if column.example else ""
        frame.flag(
            frame.typed[key].isna() & ~frame.bad,
            WARNING,
            Code.NEEDED_TO_PUBLISH,
            key,
            f"Enter {why}{like}. {frame.headers[key]} is needed before the grants can be "
            f"published as 360Giving data.",
            value=pd.Series("", index=frame.typed.index),
        )


def _check_identifiers(frame: _TabFrame, prefix: str) -> None:
    """Grant identifiers with the prefix and nothing awkward; recipients in org-id form."""
    typed = frame.typed
    ids = typed["identifier"].astype("object").astype(str)
    present = typed["identifier"].notna() & ~frame.bad
    header = frame.headers["identifier"]
    example = prefix or "360G-cii"
    odd = present & ids.str.contains(r"[\s/\\]", regex=True)
    frame.flag(
        odd,
        WARNING,
        Code.GRANT_IDENTIFIER,
        "identifier",
        f"{header} must have no spaces, line breaks or slashes. Use hyphens instead, like "
        f"{example}-2018-001.",
    )
    if prefix:
        frame.flag(
            present & ~odd & ~ids.str.startswith(prefix),
            WARNING,
            Code.GRANT_IDENTIFIER,
            "identifier",
            f"{header} must start with your 360Giving prefix, like {prefix}-001, so that no "
            f"other funder's grant has the same identifier. The prefix is set in Settings "
            f"(360Giving prefix).",
        )
    if "recipient_org_identifier" in frame.positions:
        orgs = typed["recipient_org_identifier"]
        frame.flag(
            orgs.notna() & ~frame.bad & ~org_id_fits(orgs.fillna(""), prefix),
            WARNING,
            Code.ORGANISATION_IDENTIFIER,
            "recipient_org_identifier",
            f"{frame.headers['recipient_org_identifier']} is not in the form 360Giving expects. "
            f"{_ORG_ID_HELP}; or, for an organisation with no registered number, use your "
            f"360Giving prefix and your own reference, like {example}-ORG-12.",
        )


def _check_grant_values(frame: _TabFrame, as_of: dt.date) -> None:
    """Titles at most 140 characters, amounts above 0, award dates not still to come."""
    typed, ok = frame.typed, ~frame.bad
    lengths = typed["title"].astype("object").astype(str).str.len()
    long = typed["title"].notna() & ok & (lengths > TITLE_LIMIT)
    frame.flag(
        long,
        WARNING,
        Code.LONG_TITLE,
        "title",
        lengths[long].map(
            lambda n: (
                f"{frame.headers['title']} is {n} characters long. 360Giving asks for at most "
                f"{TITLE_LIMIT}: shorten it, and put the detail in the Description."
            )
        ),
    )
    frame.flag(
        (typed["amount_awarded_gbp"] == 0) & ok,
        ERROR,
        Code.OUT_OF_RANGE,
        "amount_awarded_gbp",
        f"{frame.headers['amount_awarded_gbp']} must be more than 0. Enter the amount awarded, "
        f"like 20000, or delete the row if the grant was not made.",
    )
    awarded = typed["award_date"]
    future = (awarded > pd.Timestamp(as_of)) & ok
    frame.flag(
        future,
        WARNING,
        Code.FUTURE_AWARD,
        "award_date",
        awarded[future].map(
            lambda d: (
                f"{frame.headers['award_date']} is {_uk(d)}, still to come. Enter the date the "
                f"decision to award the grant was made; a grant not yet awarded cannot be "
                f"published."
            )
        ),
    )


# --- Alerts -----------------------------------------------------------------------------------


def alerts_for(
    snapshot: Snapshot, as_of: dt.date, titles: dict[str, str], places: Places | None = None
) -> list[Alert]:
    """What leadership should act on: overdue pledges and milestones, secondments off band.

    Each links to the cell to act on (``places``): a pledge's Due by, a milestone's Actual date,
    the Settings rows that set the band of secondments.
    """
    places = places or Places()
    pledges = metrics.overdue_pledges(snapshot, as_of)
    pledges_tab = titles.get("Pledges", "Pledges")
    due_by = _letter(places, "Pledges", "due_by")
    alerts = [
        Alert(
            AlertCode.OVERDUE_PLEDGE,
            pledges_tab,
            int(row),
            f"{funder}'s pledge {pledge} was due by {due}: {received} of {amount} received, "
            f"{outstanding} outstanding. Chase the payment, or agree a new Due by date and "
            f"enter it.",
            cell=f"{due_by}{int(row)}" if due_by else None,
        )
        for row, funder, pledge, due, received, amount, outstanding in zip(
            pledges["sheet_row"],
            pledges["funder"],
            pledges["pledge_id"],
            metrics.uk_dates(pledges["due_by"]),
            metrics.gbp_column(pledges["received_gbp"]),
            metrics.gbp_column(pledges["amount_gbp"]),
            metrics.gbp_column(pledges["outstanding_gbp"]),
            strict=True,
        )
    ]
    milestones = metrics.milestone_status(snapshot, as_of)
    milestones = milestones[milestones["state"] == "overdue"]
    milestones_tab = titles.get("Milestones", "Milestones")
    actual = _letter(places, "Milestones", "actual_date")
    alerts += [
        Alert(
            AlertCode.OVERDUE_MILESTONE,
            milestones_tab,
            int(row),
            f"'{name}' was planned for {planned} and has no Actual date yet. Enter the date it "
            f"was done, or move its Planned date.",
            cell=f"{actual}{int(row)}" if actual else None,
        )
        for row, name, planned in zip(
            milestones["sheet_row"],
            milestones["milestone"],
            metrics.uk_dates(milestones["planned_date"]),
            strict=True,
        )
    ]
    band = _band_alert(snapshot, as_of, titles, places)
    if band is not None:
        alerts.append(band)
    return alerts


def _letter(places: Places, tab: str, key: str) -> str | None:
    index = places.columns.get(tab, {}).get(key)
    return None if index is None else column_letters(index)


def _band_alert(
    snapshot: Snapshot, as_of: dt.date, titles: dict[str, str], places: Places
) -> Alert | None:
    """Secondments active on the date outside the Settings band: which ones, and where it is set."""
    band = metrics.outside_band(snapshot, as_of)
    if band is None:
        return None
    count, low, high = band
    active = metrics.active_secondments(snapshot, as_of)["secondment_id"].astype(str).tolist()
    counted = f" ({', '.join(active)})" if active else ""
    rows = [
        places.setting_rows[k]
        for k in ("min_secondments", "max_secondments")
        if k in places.setting_rows
    ]
    settings_tab = titles.get("Settings")
    if rows and settings_tab:
        value = _letter(places, "Settings", "value") or "B"
        cell: str | None = f"{value}{min(rows)}:{value}{max(rows)}" if len(rows) > 1 else None
        cell = cell or f"{value}{rows[0]}"
        where = (
            f"set in the Settings tab, row{'s' * (len(rows) > 1)} "
            f"{' and '.join(str(r) for r in sorted(rows))}"
        )
    else:
        cell = "A1" if settings_tab else None
        where = (
            "the default; to change it, add the rows Minimum concurrent secondments and "
            f"Maximum concurrent secondments to {'the' if settings_tab else 'a'} Settings tab"
        )
    return Alert(
        AlertCode.SECONDMENTS_OUTSIDE_BAND,
        titles.get("Secondments", "Secondments"),
        None,
        f"{count} secondment{'s' if count != 1 else ''} active on {_uk(as_of)}{counted}, "
        f"counted from the Start date and End date of rows without errors; the agreed range "
        f"is {low} to {high} ({where}).",
        cell=cell,
        link_tab=settings_tab,
    )
