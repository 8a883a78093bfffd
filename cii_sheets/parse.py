"""Turn one raw column of cells into typed values and per-row failures, a column at a time.

A source hands over cells as the spreadsheet holds them (``str``, ``int``, ``float``, ``bool``,
``datetime.date``/``datetime.datetime``, ``None``; a failed formula as its text, like ``"#REF!"``).
:func:`parse_column` reads a whole column with pandas' column operations and returns the typed
values, which cells are blank, and one failure (code, the value as typed, a plain-English message)
for each cell that cannot be used. Blank cells are never failures here: whether a blank is allowed
is the caller's business. Nothing in a cell can make this module raise.

A float NaN is only treated as a blank cell when the column is not of ``object`` dtype (pandas
uses NaN for missing there); in an ``object`` column the sources write ``None`` for an empty cell,
so a NaN is a real, unusable value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import numbers
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cii_sheets import schema
from cii_sheets.problems import Code, show_value

__all__ = ["FAILURE_COLUMNS", "GoalBook", "ParsedColumn", "parse_column"]

FAILURE_COLUMNS = ["code", "value", "message"]

# Longest value kept in the failures' "value" column; messages use show_value's shorter default.
_VALUE_LIMIT = 200
_MIN_YEAR, _MAX_YEAR = 1900, 2100


@dataclass
class ParsedColumn:
    """One column after parsing; every Series shares the input's index."""

    values: pd.Series  # typed value, or missing (None/NaN/NaT) where blank or invalid
    blank: pd.Series  # bool: the cell is empty after trimming spaces
    failures: pd.DataFrame  # index = failing rows; columns "code", "value", "message"


def _key(text: str) -> str:
    """Case-, space- and punctuation-insensitive form used to match goals and choices."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _series_key(text: pd.Series) -> pd.Series:
    return text.str.casefold().str.replace(r"[\W_]+", "", regex=True)


class GoalBook:
    """The goals known from the Goals tab (or schema.GOAL_DEFAULTS), for resolving IDs and names."""

    def __init__(self, goals: Iterable[tuple[str, str]]) -> None:
        self.ids: list[str] = []
        self.names: dict[str, str] = {}  # goal ID -> name
        for goal_id, name in goals:
            gid = str(goal_id).strip()
            if not gid or gid in self.names:
                continue
            self.ids.append(gid)
            self.names[gid] = str(name).strip() if name is not None else ""
        # Match keys: IDs win over names when the two collide.
        self.lookup: dict[str, str] = {}
        for gid in self.ids:
            name_key = _key(self.names[gid])
            if name_key:
                self.lookup.setdefault(name_key, gid)
        for gid in self.ids:
            if _key(gid):
                self.lookup[_key(gid)] = gid
        self._name_pattern = self._compile_names()

    @classmethod
    def defaults(cls) -> GoalBook:
        return cls((gid, name) for gid, name, _ in schema.GOAL_DEFAULTS)

    def _compile_names(self) -> re.Pattern[str] | None:
        """One pattern matching any known goal name whole, however it is cased or spaced."""
        alternatives = []
        names = sorted(
            ((n, gid) for gid, n in self.names.items() if _key(n)), key=lambda p: -len(p[0])
        )
        for name, _gid in names:
            pieces = re.split(r"(\W+)", name.strip())
            out = []
            for piece in pieces:
                if not piece:
                    continue
                if re.fullmatch(r"\W+", piece):
                    punct = "".join(re.escape(c) + "?" for c in piece if not c.isspace())
                    out.append(r"\s*" + punct + r"\s*")
                else:
                    out.append(re.escape(piece))
            alternatives.append("".join(out))
        if not alternatives:
            return None
        return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)

    def listing(self) -> str:
        return ", ".join(f"{gid} {self.names[gid]}".strip() for gid in self.ids)

    def suggest(self, text: str) -> str | None:
        """The goal a near miss most likely meant, as "'Name' (ID)", or None."""
        wanted = text.casefold().strip()
        by_name = {self.names[g].casefold(): g for g in self.ids if self.names[g]}
        hit = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=0.8)
        if hit:
            gid = by_name[hit[0]]
            return f"'{self.names[gid]}' ({gid})"
        by_id = {g.casefold(): g for g in self.ids}
        hit = difflib.get_close_matches(wanted, list(by_id), n=1, cutoff=0.75)
        if hit:
            gid = by_id[hit[0]]
            return f"'{gid}' ({self.names[gid]})" if self.names[gid] else f"'{gid}'"
        return None


# --- Cells ----------------------------------------------------------------------------------------

_STR_TYPES = (str, np.str_)
_BOOL_TYPES = (bool, np.bool_)
_NUM_TYPES = (int, float, np.int64, np.int32, np.float64, np.float32)
_DATE_TYPES = (dt.date, dt.datetime, pd.Timestamp)


@dataclass
class _Cells:
    """A column split by what each cell holds, on a positional index."""

    raw: pd.Series  # object dtype, RangeIndex
    is_str: pd.Series
    is_bool: pd.Series
    is_num: pd.Series
    is_date: pd.Series
    blank: pd.Series
    formula: pd.Series
    text: pd.Series  # trimmed text of str cells, "" elsewhere (string dtype)
    _nums: pd.Series | None = field(default=None, repr=False)

    @property
    def nums(self) -> pd.Series:
        """Numeric cells as floats (NaN elsewhere)."""
        if self._nums is None:
            self._nums = _to_float(self.raw, self.is_num)
        return self._nums


def _bools(values: pd.Series) -> pd.Series:
    """A mask as plain bools, with missing read as False."""
    return values.fillna(False).astype(bool)


def _to_float(raw: pd.Series, mask: pd.Series) -> pd.Series:
    out = pd.Series(np.nan, index=raw.index, dtype="float64")
    if not mask.any():
        return out
    try:
        out[mask] = raw[mask].astype("float64")
    except (OverflowError, TypeError, ValueError):
        out[mask] = [_safe_float(v) for v in raw[mask]]  # only a huge int gets here
    return out


def _safe_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (OverflowError, TypeError, ValueError):
        return math.inf if isinstance(value, int) and value > 0 else -math.inf


def _classify(raw: pd.Series) -> _Cells:
    object_input = raw.dtype == object
    s = pd.Series(raw.to_numpy(dtype=object), dtype=object)
    # A column holds a handful of distinct types: number them once, then compare small ints.
    codes, kinds_seen = pd.factorize(s.map(type))

    def of(kinds: tuple[type, ...]) -> pd.Series:
        wanted = [i for i, kind in enumerate(kinds_seen) if kind in kinds]
        return pd.Series(np.isin(codes, wanted), index=s.index)

    is_str, is_bool, is_num, is_date = (
        of(_STR_TYPES),
        of(_BOOL_TYPES),
        of(_NUM_TYPES),
        of(_DATE_TYPES),
    )
    is_none = s.isna() & ~is_num  # None, pd.NA, NaT
    if not object_input:
        is_none |= s.isna()
    known = is_str | is_bool | is_num | is_date | is_none
    if not known.all():  # rare subclasses (numpy scalars, Decimal, ...): classify one by one
        for i in np.flatnonzero(~known.to_numpy()):
            v = s.iat[i]
            if isinstance(v, str):
                is_str.iat[i] = True
            elif isinstance(v, bool | np.bool_):
                is_bool.iat[i] = True
            elif isinstance(v, numbers.Real):
                is_num.iat[i] = True
            elif isinstance(v, dt.date | np.datetime64):
                is_date.iat[i] = True
    text = s.where(is_str, "").astype("string").str.strip().fillna("")
    blank = is_none | (is_str & (text == ""))
    formula = is_str & text.str.upper().isin(schema.FORMULA_ERRORS)
    return _Cells(s, is_str, is_bool, is_num, is_date, _bools(blank), _bools(formula), text)


def _show(value: object) -> str:
    """A cell as staff would see it in the sheet: 'TRUE', '1001', '01/04/2017', 'ten k'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        try:
            return str(int(value))
        except ValueError:  # more digits than Python will print
            return "a very large number"
    if isinstance(value, numbers.Real):
        f = _safe_float(value)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "infinity" if f > 0 else "minus infinity"
        return str(int(f)) if abs(f) < 1e16 and f.is_integer() else repr(f)
    if isinstance(value, dt.datetime):
        shown = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return shown + value.strftime(" %H:%M") if value.time() != dt.time() else shown
    if isinstance(value, dt.date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    try:
        return str(value)
    except Exception:
        return ""


def _entered(shown: str) -> str:
    if not shown:
        return " The cell does not hold a value that can be used; type it again."
    return f" You entered '{show_value(shown)}'."


# --- Failures -------------------------------------------------------------------------------------

Message = Callable[[int, str], str]  # (position, shown value) -> message


class _Failures:
    """Failures in the order they are checked; the first to claim a row keeps it."""

    def __init__(self, cells: _Cells) -> None:
        self.cells = cells
        self.taken = cells.blank.copy()
        self.rows: list[tuple[int, str, str, str]] = []

    def add(self, mask: pd.Series, code: Code, message: Message) -> None:
        todo = _bools(mask) & ~self.taken
        if not todo.any():
            return
        self.taken |= todo
        for i in np.flatnonzero(todo.to_numpy()).tolist():
            shown = _show(self.cells.raw.iat[i])
            self.rows.append((i, str(code), show_value(shown, _VALUE_LIMIT), message(i, shown)))

    @property
    def failed(self) -> pd.Series:
        return self.taken & ~self.cells.blank

    def frame(self, index: pd.Index) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame(
                {c: pd.Series([], dtype=object) for c in FAILURE_COLUMNS}, index=index[:0]
            )
        self.rows.sort()
        positions = [r[0] for r in self.rows]
        return pd.DataFrame(
            {
                "code": pd.Series([r[1] for r in self.rows], dtype=object),
                "value": pd.Series([r[2] for r in self.rows], dtype=object),
                "message": pd.Series([r[3] for r in self.rows], dtype=object),
            }
        ).set_axis(index[positions])


# --- Text -----------------------------------------------------------------------------------------


def _natural_text(cells: _Cells) -> pd.Series:
    """Every non-blank cell as text: numbers as typed (1001, 2.5), dates as 2017-04-01."""
    out = cells.text.astype(object).where(cells.is_str, None)
    if cells.is_num.any():
        nums = cells.nums
        with np.errstate(invalid="ignore"):
            whole = (
                cells.is_num & np.isfinite(nums) & (nums == np.floor(nums)) & (nums.abs() < 1e16)
            )
        frac = cells.is_num & ~whole
        if whole.any():
            out[whole] = nums[whole].astype("int64").astype(str).astype(object)
        if frac.any():
            out[frac] = [_show(v) for v in cells.raw[frac]]  # rare: fractions, NaN, inf
    if cells.is_bool.any():
        out[cells.is_bool] = np.where(cells.raw[cells.is_bool].astype(bool), "TRUE", "FALSE")
    if cells.is_date.any():
        stamps = _real_dates(cells)
        dated = cells.is_date & stamps.notna()
        midnight = dated & (stamps == stamps.dt.normalize())
        out[midnight] = stamps[midnight].dt.strftime("%Y-%m-%d").astype(object)
        timed = dated & ~midnight
        out[timed] = stamps[timed].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)
        odd = cells.is_date & ~dated
        out[odd] = [_show(v) for v in cells.raw[odd]]
    rest = out.isna() & ~cells.blank
    if rest.any():
        out[rest] = [_show(v) for v in cells.raw[rest]]
    out[cells.blank] = None
    return out


# --- Money and numbers ----------------------------------------------------------------------------

_AMOUNT_SHAPE = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
# Written for lower-cased text, without look-arounds so pyarrow can run it.
_OTHER_CURRENCY = (
    r"[$€¥₹¢₩₽]|(?:^|[^a-z])(?:usd|eur|euros?|dollars?|yen|cad|aud|chf|jpy|inr|cents?)(?:[^a-z]|$)"
)


# Per tab: when the money changed hands (for exchange rates), and how to record money going back.
_MONEY_DAY = {"Pledges": "pledged", "Payments": "received", "Grants": "awarded"}
_MONEY_BACK = {
    "Pledges": "If the funder has reduced the pledge, enter the new, lower total here and say "
    "why in Notes.",
    "Payments": "If money was refunded, lower the amount of the payment it came from (or delete "
    "that row if all of it went back), and note the refund in Reference.",
    "Grants": "If the grant was reduced, enter the new, lower amount awarded here.",
}


def _parse_amount(
    cells: _Cells, fails: _Failures, header: str, example: str, pounds: bool, tab: str = ""
) -> pd.Series:
    text = cells.text
    if pounds:
        what = f"{header} must be a number of pounds, like {example}."
    else:
        what = f"{header} must be a number, like {example}."
    # Fast path: the plain forms nearly every cell takes (25000, 25,000, £25,000.50).
    plain_shape = (r"£?\s*" if pounds else "") + "(?:" + _AMOUNT_SHAPE + ")"
    plain = cells.is_str & _bools(text.str.fullmatch(plain_shape))
    from_text = pd.to_numeric(
        text.where(plain, None).str.replace(r"[£,\s]", "", regex=True), errors="coerce"
    ).astype("float64")
    # Slow path for the rest: signs, brackets, "GBP", stray spaces, and everything wrong.
    rest = cells.is_str & ~plain & ~cells.blank
    if rest.any():
        cleaned = text[rest].str.replace(r"\s+", "", regex=True)
        if pounds:
            cleaned = cleaned.str.lower().str.replace(r"£|gbp|pounds?", "", regex=True)
        in_brackets = _bools(cleaned.str.fullmatch(r"\([^()]*\)"))
        cleaned = cleaned.where(~in_brackets, cleaned.str.slice(1, -1))
        minus = _bools(cleaned.str.match(r"[-−–]"))
        cleaned = cleaned.str.replace(r"^[-−–+]", "", regex=True)
        shaped = _bools(cleaned.str.fullmatch(_AMOUNT_SHAPE))
        number = pd.to_numeric(
            cleaned.where(shaped, None).str.replace(",", "", regex=False), errors="coerce"
        ).astype("float64")
        number = number.where(~(minus | in_brackets), -number)
        from_text[rest] = number

    values = cells.nums.where(cells.is_num, from_text)
    finite = pd.Series(np.isfinite(values.to_numpy()), index=values.index)

    if pounds:
        other = cells.is_str & _bools(text.str.lower().str.contains(_OTHER_CURRENCY))
        day = f" on the day it was {_MONEY_DAY[tab]}" if tab in _MONEY_DAY else ""
        fails.add(
            other,
            Code.TYPE_ERROR,
            lambda i, v: (
                f"Enter the amount in pounds, converted at the rate{day} (ask finance if "
                f"unsure), as a number like {example}.{_entered(v)}"
            ),
        )
    fails.add(~finite, Code.TYPE_ERROR, lambda i, v: what + _entered(v))
    if pounds:
        fails.add(
            values < 0,
            Code.OUT_OF_RANGE,
            lambda i, v: (
                f"{header} cannot be negative. {_MONEY_BACK.get(tab, '')} Enter the amount in "
                f"pounds as a number, like {example}.{_entered(v)}"
            ).replace(".  ", ". "),
        )
        small = values.abs() < 1e13
        values = values.where(~small, values.where(small, 0).round(2))
    return values


# --- Dates ----------------------------------------------------------------------------------------

_MONTH_NUMBERS: dict[str, int] = {}
for _n, _name in enumerate(schema.MONTHS, start=1):
    _MONTH_NUMBERS[_name.lower()] = _n
    _MONTH_NUMBERS[_name[:3].lower()] = _n
_MONTH_NUMBERS["sept"] = 9

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})" + _TIME
_YMD = r"(?P<y>\d{4})[/.\-](?P<m>\d{1,2})[/.\-](?P<d>\d{1,2})" + _TIME
_D_MONTH_Y = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-]*(?P<m>[a-z]+)\.?,?[\s\-]*(?P<y>\d{4})"
_MONTH_D_Y = r"(?P<m>[a-z]+)\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
_NO_DAY = r"(?:[a-z]+\.?,?\s*(?:\d{4}|\d{2})|\d{1,2}[/.\-]\d{4}|\d{4}[/.\-]\d{1,2})"


def _real_dates(cells: _Cells) -> pd.Series:
    """Real date cells as timestamps (NaT elsewhere, and for dates pandas cannot hold)."""
    out = pd.Series(pd.NaT, index=cells.raw.index, dtype="datetime64[ns]")
    mask = cells.is_date
    if not mask.any():
        return out
    picked = cells.raw[mask]
    try:
        stamps = pd.to_datetime(picked, errors="coerce")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_localize(None)
    except (TypeError, ValueError, OverflowError):
        stamps = pd.Series(
            [_one_date(v) for v in picked], index=picked.index, dtype="datetime64[ns]"
        )
    years = stamps.dt.year
    stamps = stamps.where((years >= _MIN_YEAR) & (years <= _MAX_YEAR))
    out[mask] = stamps.astype("datetime64[ns]")
    return out


def _one_date(value: object) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if stamp is pd.NaT or not _MIN_YEAR <= stamp.year <= _MAX_YEAR:
        return None
    return stamp.tz_localize(None) if stamp.tzinfo else stamp


def _date_parts(text: pd.Series) -> pd.DataFrame:
    """Day, month and year of text dates as floats (NaN where the text is not such a date)."""
    lower = text.str.lower()
    parts = pd.DataFrame(
        {"d": np.nan, "m": np.nan, "y": np.nan, "y2": False}, index=text.index
    ).astype({"d": "float64", "m": "float64", "y": "float64", "y2": bool})
    for pattern, named_month in (
        (_DMY, False),
        (_YMD, False),
        (_D_MONTH_Y, True),
        (_MONTH_D_Y, True),
    ):
        todo = parts["y"].isna()
        if not todo.any():
            break
        found = lower[todo].str.extract("^(?:" + pattern + ")$")
        hit = found["y"].notna()
        if not hit.any():
            continue
        found = found[hit]
        if named_month:
            month = found["m"].astype(object).map(_MONTH_NUMBERS).astype("float64")
            hit_rows = found.index[month.notna().to_numpy()]
            found, month = found.loc[hit_rows], month.loc[hit_rows]
        else:
            month = pd.to_numeric(found["m"], errors="coerce").astype("float64")
        rows = found.index
        parts.loc[rows, "d"] = pd.to_numeric(found["d"], errors="coerce").astype("float64")
        parts.loc[rows, "m"] = month
        year_text = found["y"].astype(object)
        parts.loc[rows, "y"] = pd.to_numeric(year_text, errors="coerce").astype("float64")
        parts.loc[rows, "y2"] = (year_text.str.len() == 2).astype(bool)
    parts.loc[parts["y2"], "y"] += 2000
    return parts


def _parse_date(cells: _Cells, fails: _Failures, header: str, example: str) -> pd.Series:
    form = f"{header} must be a date in the form day/month/year, like {example}."
    real = _real_dates(cells)
    # Fast path: the usual forms, each read by one pass of pandas' date reader.
    fast = pd.Series(pd.NaT, index=cells.raw.index, dtype="datetime64[ns]")
    todo = cells.is_str & ~cells.blank
    for form_ in ("%d/%m/%Y", "%Y-%m-%d"):
        if not todo.any():
            break
        read = pd.to_datetime(cells.text.where(todo, ""), format=form_, errors="coerce")
        read = read.where(read.dt.year.between(_MIN_YEAR, _MAX_YEAR)).astype("datetime64[ns]")
        got = todo & read.notna()
        fast = fast.where(~got, read)
        todo &= ~got
    # Slow path for the rest: other separators and month names, and everything wrong.
    parts = _date_parts(cells.text[todo]).reindex(cells.raw.index)
    d, m, y = parts["d"], parts["m"], parts["y"]
    good_parts = (
        d.between(1, 31) & m.between(1, 12) & y.between(_MIN_YEAR, _MAX_YEAR) & cells.is_str
    )
    from_text = pd.Series(pd.NaT, index=cells.raw.index, dtype="datetime64[ns]")
    if good_parts.any():
        built = pd.to_datetime(
            pd.DataFrame(
                {
                    "year": y[good_parts].astype("int64"),
                    "month": m[good_parts].astype("int64"),
                    "day": d[good_parts].astype("int64"),
                }
            ),
            errors="coerce",
        )
        from_text[good_parts] = built.astype("datetime64[ns]")
    from_text = from_text.where(~fast.notna(), fast)
    values = real.where(cells.is_date, from_text).dt.normalize()

    has_parts = y.notna()
    fails.add(
        has_parts & ~y.between(_MIN_YEAR, _MAX_YEAR),
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} must have a year between {_MIN_YEAR} and {_MAX_YEAR}. Enter it in the "
            f"form day/month/year, like {example}.{_entered(v)}"
        ),
    )
    fails.add(
        has_parts & ~m.between(1, 12),
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} must be a real date, with the month from 1 to 12 and the day first. "
            f"Enter it in the form day/month/year, like {example}.{_entered(v)}"
        ),
    )

    def impossible(i: int, v: str) -> str:
        day, month, year = int(d.iat[i]), int(m.iat[i]), int(y.iat[i])
        return (
            f"{header} must be a real date. There is no {day} {schema.MONTHS[month - 1]} "
            f"{year}. Enter it in the form day/month/year, like {example}.{_entered(v)}"
        )

    fails.add(good_parts & from_text.isna(), Code.TYPE_ERROR, impossible)
    fails.add(
        cells.is_date & real.isna(),
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} must be a date between {_MIN_YEAR} and {_MAX_YEAR}, like {example}."
            f"{_entered(v)}"
        ),
    )
    # Only text that is still not a date can be "a month and year without a day".
    unread = cells.is_str & ~has_parts & values.isna()
    text = cells.text[unread].str.lower()
    month_first = text.str.extract(r"^([a-z]+)", expand=False).astype(object).map(_MONTH_NUMBERS)
    no_day = _bools(text.str.fullmatch(_NO_DAY)) & (
        _bools(month_first.notna()) | _bools(text.str.fullmatch(r"\d.*"))
    )
    no_day = no_day.reindex(cells.raw.index, fill_value=False)
    fails.add(
        no_day,
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} must include the day as well as the month and year, in the form "
            f"day/month/year, like {example}.{_entered(v)}"
        ),
    )
    fails.add(values.isna(), Code.TYPE_ERROR, lambda i, v: form + _entered(v))
    return values


# --- FTE ------------------------------------------------------------------------------------------


def _parse_fte(cells: _Cells, fails: _Failures, header: str, example: str) -> pd.Series:
    found = cells.text.str.lower().str.extract(
        r"^(?P<sign>[-−–]?)\s*(?P<n>\d+(?:\.\d*)?|\.\d+)\s*(?P<pct>%?)\s*(?:fte)?$"
    )
    shaped = _bools(found["n"].notna()) & cells.is_str
    number = pd.to_numeric(found["n"].where(shaped, None), errors="coerce").astype("float64")
    number = number.where(~_bools(found["sign"].str.len() > 0), -number)
    percent = shaped & _bools(found["pct"] == "%")
    number = number.where(~percent, number / 100)
    values = cells.nums.where(cells.is_num, number)
    finite = pd.Series(np.isfinite(values.to_numpy()), index=values.index)

    what = (
        f"{header} must be the share of a full-time post, as a number above 0 and at most 1 "
        f"or a percentage, like {example} or 60%."
    )
    fails.add(~finite, Code.TYPE_ERROR, lambda i, v: what + _entered(v))

    def out_of_range(i: int, v: str) -> str:
        x = float(values.iat[i])
        if 5 <= x <= 100 and not percent.iat[i]:  # "60" meant 60%; "1.5" did not
            shown = f"{x:g}"
            hint = f" For {shown}% write {x / 100:g} or {shown}%."
        else:
            hint = ""
        return (
            f"{header} must be above 0 and at most 1 (a full-time post is 1), like {example}."
            f"{hint}{_entered(v)}"
        )

    fails.add((values <= 0) | (values > 1), Code.OUT_OF_RANGE, out_of_range)
    return values


# --- Choices and goals ----------------------------------------------------------------------------


def _parse_choice(
    cells: _Cells, fails: _Failures, header: str, choices: tuple[str, ...]
) -> pd.Series:
    text = _natural_text(cells)
    if not choices:
        return text
    lookup = {_key(c): c for c in choices}
    # A choice column holds a handful of distinct texts: match each once, then spread.
    codes, distinct = pd.factorize(text.where(~cells.blank, None))
    matched = np.array([lookup.get(_key(str(d))) for d in distinct] + [None], dtype=object)
    values = pd.Series(matched[codes], index=text.index, dtype=object)

    by_fold = {c.casefold(): c for c in choices}

    def message(i: int, v: str) -> str:
        hit = difflib.get_close_matches(v.casefold(), list(by_fold), 1, 0.75)
        near = f" Did you mean '{by_fold[hit[0]]}'?" if hit else ""
        return f"{header} must be one of: {', '.join(choices)}.{_entered(v)}{near}"

    fails.add(values.isna(), Code.INVALID_CHOICE, message)
    return values


def _goal_message(header: str, goals: GoalBook, part: str, whole: str) -> str:
    near = goals.suggest(part)
    if near:
        return (
            f"{header} must be a goal ID or name from the Goals tab. "
            f"'{show_value(part)}' is not a goal: did you mean {near}?{_entered(whole)}"
            if part != whole
            else f"{header} must be a goal ID or name from the Goals tab: did you mean {near}?"
            f"{_entered(whole)}"
        )
    known = goals.listing() or "there are no goals in the Goals tab yet"
    named = f" '{show_value(part)}' is not a goal." if part != whole else ""
    return (
        f"{header} must be a goal ID or name from the Goals tab: {known}.{named}{_entered(whole)}"
    )


def _parse_goal(cells: _Cells, fails: _Failures, header: str, goals: GoalBook) -> pd.Series:
    text = _natural_text(cells)
    keys = _series_key(text.where(~cells.blank, "").astype("string"))
    values = keys.astype(object).map(goals.lookup)
    fails.add(values.isna(), Code.INVALID_CHOICE, lambda i, v: _goal_message(header, goals, v, v))
    return values


def _parse_goals(cells: _Cells, fails: _Failures, header: str, goals: GoalBook) -> pd.Series:
    text = _natural_text(cells)
    values = pd.Series(None, index=text.index, dtype=object)
    todo = ~cells.blank & ~cells.formula
    if not todo.any():
        return values
    # Lists repeat a lot, so each distinct cell text is read once.
    cell_text = text[todo].astype(str)
    distinct = pd.Series(pd.unique(cell_text.to_numpy()), dtype="string")
    replaced = distinct
    if goals._name_pattern is not None:
        ids_by_name = {_key(goals.names[g]): g for g in reversed(goals.ids) if goals.names[g]}
        replaced = replaced.str.replace(
            goals._name_pattern,
            lambda match: ids_by_name.get(_key(match.group(0)), match.group(0)),
            regex=True,
        )
    parts = replaced.str.split(r"[,;]", regex=True).explode().astype("string").str.strip()
    parts = parts[_bools(parts != "")]
    ids = _series_key(parts).astype(object).map(goals.lookup)
    unknown = parts[ids.isna().to_numpy()]
    unknown = unknown[~unknown.index.duplicated()]
    found = pd.DataFrame({"pos": ids.index, "id": ids.to_numpy()}).dropna().drop_duplicates()
    joined = found.groupby("pos", sort=True)["id"].agg(",".join)
    joined = joined.drop(unknown.index, errors="ignore")  # any unknown part fails the cell
    lookup = dict(zip(distinct.to_numpy()[joined.index.to_numpy()], joined.to_numpy(), strict=True))
    values[todo] = cell_text.map(lookup).astype(object)
    first_unknown = dict(zip(distinct.to_numpy()[unknown.index.to_numpy()], unknown, strict=True))

    def message(i: int, v: str) -> str:
        part = str(first_unknown.get(str(text.iat[i]), v))
        return _goal_message(header, goals, part, v)

    # A cell of only separators, or with any unknown part, fails whole.
    fails.add(todo & values.isna(), Code.INVALID_CHOICE, message)
    return values


# --- Links ----------------------------------------------------------------------------------------

_LINK = r"(?i)https?://[^\s/?#@]*[^\W_][^\s/?#]*(?:[/?#]\S*)?"


def _parse_link(cells: _Cells, fails: _Failures, header: str, example: str) -> pd.Series:
    text = _natural_text(cells)
    ok = cells.is_str & _bools(cells.text.str.fullmatch(_LINK))
    fails.add(
        ~ok,
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} must start with http:// or https://, like {example}, or leave it "
            f"empty if there is no link.{_entered(v)}"
        ),
    )
    return text


# --- Entry point ----------------------------------------------------------------------------------


def _what_to_type(column: schema.Column, header: str, tab: str) -> str:
    """What a cell of this column holds, in words, for "Type ... instead"."""
    kind = column.kind
    if kind is schema.Kind.MONEY:
        day = _MONEY_DAY.get(tab)
        return f"the amount {day} in pounds" if day else f"the {header} in pounds"
    if kind is schema.Kind.DATE:
        return f"the {header} as a date (day/month/year)"
    if kind is schema.Kind.FTE:
        return f"the {header} as a share of a full-time post"
    if kind is schema.Kind.GOAL:
        return "the goal's ID or name"
    if kind is schema.Kind.GOALS:
        return "the goal IDs or names"
    if kind is schema.Kind.LINK:
        return "the web address"
    if kind is schema.Kind.CHOICE and column.choices:
        return f"one of {', '.join(column.choices)}"
    return f"the {header}"


def _formula_message(what: str, example: str) -> Message:
    like = f", like {example}" if example else ""

    def message(i: int, v: str) -> str:
        return f"This cell shows {v}, a formula that no longer works. Type {what} instead{like}."

    return message


_DEFAULT_EXAMPLES = {
    schema.Kind.MONEY: "25000",
    schema.Kind.NUMBER: "2",
    schema.Kind.DATE: "01/04/2017",
    schema.Kind.FTE: "0.6",
    schema.Kind.LINK: "https://www.london.gov.uk/",
}


_TEXT_KINDS = frozenset(
    {
        schema.Kind.TEXT,
        schema.Kind.ID,
        schema.Kind.CHOICE,
        schema.Kind.GOAL,
        schema.Kind.GOALS,
        schema.Kind.LINK,
    }
)


def _first_checks(cells: _Cells, fails: _Failures, header: str, example: str, what: str) -> None:
    """Failures every kind shares: a failed formula, and a cell holding no usable value."""
    fails.add(cells.formula, Code.FORMULA_ERROR, _formula_message(what, example))
    like = f", like {example}" if example else ""
    fails.add(
        cells.is_num & cells.nums.isna(),
        Code.TYPE_ERROR,
        lambda i, v: (
            f"{header} does not hold a value that can be used. Type the value again{like}."
        ),
    )


def parse_column(
    raw: pd.Series,
    column: schema.Column,
    header: str,
    goals: GoalBook | None = None,
    *,
    tab: str = "",
) -> ParsedColumn:
    """Typed values, blanks and failures for one column of cells.

    ``header`` is the header as staff wrote it and is quoted in messages; ``goals`` is needed
    for GOAL and GOALS columns (the schema's default goals are used when it is left out);
    ``tab`` (the contract tab's name) lets money messages say pledged, received or awarded.
    """
    index = raw.index
    cells = _classify(raw)
    fails = _Failures(cells)
    example = column.example or _DEFAULT_EXAMPLES.get(column.kind, "")
    kind = column.kind
    if kind in (schema.Kind.GOAL, schema.Kind.GOALS) and goals is None:
        goals = GoalBook.defaults()

    _first_checks(cells, fails, header, example, _what_to_type(column, header, tab))
    values: pd.Series
    if kind is schema.Kind.MONEY:
        values = _parse_amount(cells, fails, header, example, pounds=True, tab=tab)
    elif kind is schema.Kind.NUMBER:
        values = _parse_amount(cells, fails, header, example, pounds=False)
    elif kind is schema.Kind.DATE:
        values = _parse_date(cells, fails, header, example)
    elif kind is schema.Kind.FTE:
        values = _parse_fte(cells, fails, header, example)
    elif kind is schema.Kind.CHOICE:
        values = _parse_choice(cells, fails, header, column.choices)
    elif kind is schema.Kind.GOAL:
        assert goals is not None
        values = _parse_goal(cells, fails, header, goals)
    elif kind is schema.Kind.GOALS:
        assert goals is not None
        values = _parse_goals(cells, fails, header, goals)
    elif kind is schema.Kind.LINK:
        values = _parse_link(cells, fails, header, example)
    else:  # TEXT and ID
        values = _natural_text(cells)

    missing = cells.blank | fails.failed
    if kind in _TEXT_KINDS:
        values = values.astype(object).where(~missing, None)
    else:
        values = values.where(~missing)
    return ParsedColumn(
        values=values.set_axis(index),
        blank=cells.blank.astype(bool).set_axis(index),
        failures=fails.frame(index),
    )
