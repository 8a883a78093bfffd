"""Tests for cii_sheets.parse: each kind over the values staff really type, good and bad."""

from __future__ import annotations

import datetime as dt
import math
import time

import numpy as np
import pandas as pd
import pytest

from cii_sheets import schema
from cii_sheets.parse import GoalBook, ParsedColumn, parse_column
from cii_sheets.problems import Code

AMOUNT = schema.PLEDGES_TAB.column("amount_gbp")
DATE = schema.PLEDGES_TAB.column("date_pledged")
STATUS = schema.PLEDGES_TAB.column("status")
SECONDMENT_STATUS = schema.SECONDMENTS_TAB.column("status")
FTE = schema.SECONDMENTS_TAB.column("fte")
GOALS = schema.SECONDMENTS_TAB.column("goals")
GOAL = schema.ACHIEVEMENTS_TAB.column("goal_id")
LINK = schema.ACHIEVEMENTS_TAB.column("evidence_link")
PLEDGE_ID = schema.PLEDGES_TAB.column("pledge_id")
NOTES = schema.PLEDGES_TAB.column("notes")
MIN_SECONDMENTS = schema.Column("Minimum", "min", schema.Kind.NUMBER, example="2")

BOOK = GoalBook((gid, name) for gid, name, _ in schema.GOAL_DEFAULTS)
JARGON = ("nan", "none", "dtype", "parse", "regex", "NaT", "inf ")


def parse(column: schema.Column, cells: list[object], header: str | None = None) -> ParsedColumn:
    return parse_column(pd.Series(cells, dtype=object), column, header or column.name, BOOK)


def one(column: schema.Column, cell: object, header: str | None = None) -> tuple[object, dict]:
    """The typed value of one cell and its failure (an empty dict when it has none)."""
    result = parse(column, [cell], header)
    failure = result.failures.loc[0].to_dict() if 0 in result.failures.index else {}
    return result.values.iloc[0], failure


def assert_fails(column: schema.Column, cell: object, code: Code, *words: str) -> str:
    value, failure = one(column, cell)
    assert failure, f"{cell!r} should fail"
    assert failure["code"] == code
    assert pd.isna(value)
    for word in words:
        assert word in failure["message"], failure["message"]
    return failure["message"]


def assert_plain(message: str) -> None:
    words = message.replace("'", " ").replace(".", " ").split()
    for bad in ("nan", "None", "NaN", "NaT", "dtype", "parse", "regex", "inf"):
        assert bad not in words, message


# --- Money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (25000, 25000.0),
        (25000.5, 25000.5),
        ("25000", 25000.0),
        ("25,000", 25000.0),
        ("£25,000", 25000.0),
        ("£25,000.50", 25000.5),
        (" 25000 ", 25000.0),
        ("£ 25,000", 25000.0),
        ("£1,234,567.891", 1234567.89),
        ("25000 GBP", 25000.0),
        (0, 0.0),
    ],
)
def test_money_good(cell: object, expected: float) -> None:
    value, failure = one(AMOUNT, cell)
    assert failure == {}
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("cell", ["ten k", "twenty k", "2,5", "25.000,00", "1 2 3 x"])
def test_money_words_are_type_errors(cell: str) -> None:
    message = assert_fails(AMOUNT, cell, Code.TYPE_ERROR, "Amount (£)", "like 25000", f"'{cell}'")
    assert message == f"Amount (£) must be a number of pounds, like 25000. You entered '{cell}'."


@pytest.mark.parametrize("cell", ["$500", "€500", "500 EUR", "USD 500", "500 dollars", "500euros"])
def test_money_other_currency_says_pounds(cell: str) -> None:
    assert_fails(AMOUNT, cell, Code.TYPE_ERROR, "pounds", f"'{cell}'")


@pytest.mark.parametrize("cell", [-5, -0.01, "-5", "-£5", "£-5", "(500)", "- 500"])
def test_money_negative_is_out_of_range(cell: object) -> None:
    assert_fails(AMOUNT, cell, Code.OUT_OF_RANGE, "cannot be negative", "like 25000")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (True, "TRUE"),
        (False, "FALSE"),
        (math.inf, "infinity"),
        (-math.inf, "minus infinity"),
        (dt.date(2017, 4, 1), "01/04/2017"),
        (dt.datetime(2017, 4, 1, 9, 30), "01/04/2017 09:30"),
        (dt.datetime(2017, 4, 1), "01/04/2017"),
    ],
)
def test_money_non_numbers_are_type_errors(cell: object, shown: str) -> None:
    message = assert_fails(AMOUNT, cell, Code.TYPE_ERROR, f"You entered '{shown}'")
    assert_plain(message)


def test_money_nan_is_a_type_error_without_jargon() -> None:
    message = assert_fails(AMOUNT, float("nan"), Code.TYPE_ERROR, "Amount (£)", "like 25000")
    assert_plain(message)


def test_money_uses_the_header_staff_wrote() -> None:
    assert_fails(AMOUNT, "lots", Code.TYPE_ERROR)
    _, failure = one(AMOUNT, "lots", header="Amount £")
    assert failure["message"].startswith("Amount £ must be")


def test_number_allows_negative_but_not_pounds() -> None:
    result = parse(MIN_SECONDMENTS, [2, "3", "-1", "1,000", "£5", "two"])
    assert result.values.iloc[:4].tolist() == [2.0, 3.0, -1.0, 1000.0]
    assert result.failures["code"].tolist() == [Code.TYPE_ERROR, Code.TYPE_ERROR]
    assert result.failures.index.tolist() == [4, 5]
    assert "must be a number, like 2" in result.failures.loc[5, "message"]


# --- Dates ----------------------------------------------------------------------------------------

APRIL_1 = pd.Timestamp(2017, 4, 1)


@pytest.mark.parametrize(
    "cell",
    [
        dt.date(2017, 4, 1),
        dt.datetime(2017, 4, 1, 15, 45),
        pd.Timestamp("2017-04-01 08:00"),
        "01/04/2017",
        "1/4/2017",
        " 01/04/2017 ",
        "01-04-2017",
        "01.04.2017",
        "1 April 2017",
        "1 april 2017",
        "1 Apr 2017",
        "1st April 2017",
        "01-Apr-2017",
        "2017-04-01",
        "2017-04-01 00:00:00",
        "01/04/17",
    ],
)
def test_date_good(cell: object) -> None:
    value, failure = one(DATE, cell)
    assert failure == {}
    assert value == APRIL_1


def test_date_values_are_datetimes_at_midnight() -> None:
    result = parse(DATE, [dt.datetime(2017, 4, 1, 15, 45), "2/4/2017", None, "TBC"])
    assert pd.api.types.is_datetime64_dtype(result.values)
    assert result.values.iloc[0] == APRIL_1
    assert result.values.iloc[1] == pd.Timestamp(2017, 4, 2)
    assert pd.isna(result.values.iloc[2]) and pd.isna(result.values.iloc[3])


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("13/13/2017", ("month", "day/month/year", "like 01/04/2017", "'13/13/2017'")),
        ("31/02/2018", ("There is no 31 February 2018", "day/month/year")),
        ("29/02/2017", ("There is no 29 February 2017",)),
        ("April 2017", ("must include the day", "like 01/04/2017")),
        ("04/2017", ("must include the day",)),
        ("TBC", ("day/month/year", "like 01/04/2017", "'TBC'")),
        ("next week", ("day/month/year", "'next week'")),
        ("01/04/1850", ("between 1900 and 2100",)),
        ("01/04/2250", ("between 1900 and 2100",)),
        (42000, ("day/month/year", "'42000'")),
        (2017.5, ("day/month/year", "'2017.5'")),
        (True, ("day/month/year", "'TRUE'")),
        (dt.date(1850, 1, 1), ("between 1900 and 2100", "'01/01/1850'")),
    ],
)
def test_date_bad(cell: object, words: tuple[str, ...]) -> None:
    assert_fails(DATE, cell, Code.TYPE_ERROR, *words)


def test_date_leap_day_is_fine() -> None:
    assert one(DATE, "29/02/2020")[0] == pd.Timestamp(2020, 2, 29)


# --- FTE ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("0.6", 0.6), (0.6, 0.6), ("60%", 0.6), (" 60 % ", 0.6), ("0.5 FTE", 0.5), (1, 1.0)],
)
def test_fte_good(cell: object, expected: float) -> None:
    value, failure = one(FTE, cell)
    assert failure == {}
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("cell", [0, "0", -0.5, "-0.2", 1.5, "150%", 0.0])
def test_fte_out_of_range(cell: object) -> None:
    assert_fails(FTE, cell, Code.OUT_OF_RANGE, "above 0 and at most 1")


@pytest.mark.parametrize("cell", [60, "60"])
def test_fte_percentage_typed_as_number_gets_a_hint(cell: object) -> None:
    assert_fails(FTE, cell, Code.OUT_OF_RANGE, "for 60% write 0.6 or 60%".capitalize())


def test_fte_no_hint_beyond_a_hundred() -> None:
    message = assert_fails(FTE, 250, Code.OUT_OF_RANGE)
    assert "write" not in message


@pytest.mark.parametrize("cell", ["half", "full time", True, dt.date(2017, 1, 1)])
def test_fte_words_are_type_errors(cell: object) -> None:
    assert_fails(FTE, cell, Code.TYPE_ERROR, "like 0.6")


# --- Choices --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        (STATUS, "Confirmed", "Confirmed"),
        (STATUS, "confirmed ", "Confirmed"),
        (STATUS, "  EXPECTED", "Expected"),
        (SECONDMENT_STATUS, "ended early", "Ended early"),
        (SECONDMENT_STATUS, "Ended-early", "Ended early"),
        (SECONDMENT_STATUS, "ended  early", "Ended early"),
    ],
)
def test_choice_good(column: schema.Column, cell: str, expected: str) -> None:
    assert one(column, cell) == (expected, {})


def test_choice_bad_lists_the_choices() -> None:
    message = assert_fails(STATUS, "Pending", Code.INVALID_CHOICE)
    assert message == (
        "Status must be one of: Expected, Confirmed, Withdrawn. You entered 'Pending'."
    )


def test_choice_near_miss_suggests() -> None:
    assert_fails(STATUS, "Confimred", Code.INVALID_CHOICE, "Did you mean 'Confirmed'?")
    assert_fails(STATUS, 3, Code.INVALID_CHOICE, "You entered '3'")


# --- Goals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("G1", "G1"),
        ("g1", "G1"),
        (" G2 ", "G2"),
        ("civic engagement", "G1"),
        ("CIVIC  ENGAGEMENT", "G1"),
        ("Diversity, social contact and identity", "G3"),
        ("diversity,social contact and identity", "G3"),
    ],
)
def test_goal_good(cell: str, expected: str) -> None:
    assert one(GOAL, cell) == (expected, {})


def test_goal_near_miss_suggests_name_and_id() -> None:
    assert_fails(
        GOAL, "Civic engagment", Code.INVALID_CHOICE, "did you mean 'Civic engagement' (G1)?"
    )


@pytest.mark.parametrize("cell", ["G4", "Nonsense", 1])
def test_goal_unknown_lists_the_goals(cell: object) -> None:
    assert_fails(
        GOAL,
        cell,
        Code.INVALID_CHOICE,
        "G1 Civic engagement, G2 Young Londoners, G3 Diversity, social contact and identity",
    )


def test_goal_book_from_the_goals_tab() -> None:
    book = GoalBook([("G7", "Housing"), ("g8", "Work and skills")])
    assert book.ids == ["G7", "g8"]
    result = parse_column(pd.Series(["housing", "G8", "G1"], dtype=object), GOAL, "Goal", book)
    assert result.values.tolist() == ["G7", "g8", None]
    assert "G7 Housing, g8 Work and skills" in result.failures.loc[2, "message"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("G1", "G1"),
        ("G1, G3", "G1,G3"),
        ("G1;G3", "G1,G3"),
        ("g3; g1; G3", "G3,G1"),
        ("G1,", "G1"),
        ("Diversity, social contact and identity", "G3"),
        ("G1, Diversity, social contact and identity", "G1,G3"),
        ("Diversity, social contact and identity, G1", "G3,G1"),
        ("diversity, social contact and identity; young londoners", "G3,G2"),
        ("Civic engagement, Young Londoners", "G1,G2"),
    ],
)
def test_goals_good(cell: str, expected: str) -> None:
    assert one(GOALS, cell) == (expected, {})


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("G1, Civic engagment", ("'Civic engagment' is not a goal", "(G1)?")),
        ("G1, banana", ("'banana' is not a goal", "G2 Young Londoners", "'G1, banana'")),
        ("Diversity, social contact", ("'Diversity' is not a goal",)),
        (",;", ("G1 Civic engagement",)),
    ],
)
def test_goals_unknown_part_fails_the_cell(cell: str, words: tuple[str, ...]) -> None:
    assert_fails(GOALS, cell, Code.INVALID_CHOICE, *words)


# --- Links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["https://www.london.gov.uk/", "http://example.org/a?b=1#c", " HTTPS://WWW.X.ORG "],
)
def test_link_good(cell: str) -> None:
    assert one(LINK, cell) == (cell.strip(), {})


@pytest.mark.parametrize(
    "cell", ["www.x.org/a", "javascript:alert(1)", "ftp://x", "http://", "https:// x.org", 5]
)
def test_link_bad(cell: object) -> None:
    assert_fails(
        LINK,
        cell,
        Code.TYPE_ERROR,
        "must start with http:// or https://",
        "leave it empty if there is no link",
        "https://www.london",
    )


# --- Text, IDs, blanks, formulas ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (" P001 ", "P001"),
        (1001, "1001"),
        (1001.0, "1001"),
        (2.5, "2.5"),
        (np.int64(7), "7"),
        (dt.date(2017, 4, 1), "2017-04-01"),
        (True, "TRUE"),
    ],
)
def test_text_and_ids(cell: object, expected: str) -> None:
    assert one(PLEDGE_ID, cell) == (expected, {})


@pytest.mark.parametrize("column", [AMOUNT, DATE, FTE, STATUS, GOAL, GOALS, LINK, NOTES])
def test_blanks_are_not_failures(column: schema.Column) -> None:
    result = parse(column, [None, "", "   ", "\t"])
    assert result.blank.tolist() == [True] * 4
    assert result.failures.empty
    assert result.values.isna().all()


@pytest.mark.parametrize("column", [AMOUNT, DATE, FTE, STATUS, GOAL, GOALS, LINK, NOTES, PLEDGE_ID])
@pytest.mark.parametrize("cell", ["#REF!", " #N/A ", "#VALUE!", "#DIV/0!"])
def test_formula_errors(column: schema.Column, cell: str) -> None:
    _, failure = one(column, cell)
    assert failure["code"] == Code.FORMULA_ERROR
    assert failure["message"].startswith(
        f"This cell shows {cell.strip()}, a formula that no longer works. Type "
    )
    assert "fix the formula" not in failure["message"].lower()
    if column.example:  # what to type, with the column's own example
        assert failure["message"].endswith(f" instead, like {column.example}.")


@pytest.mark.parametrize(
    ("tab", "column", "says"),
    [
        ("Payments", schema.PAYMENTS_TAB.column("amount_gbp"), "the amount received in pounds"),
        ("Pledges", AMOUNT, "the amount pledged in pounds"),
        ("Pledges", DATE, "the Date pledged as a date (day/month/year)"),
        ("Secondments", FTE, "the FTE as a share of a full-time post"),
    ],
)
def test_a_failed_formula_says_what_to_type(tab: str, column: schema.Column, says: str) -> None:
    result = parse_column(pd.Series(["#REF!"], dtype=object), column, column.name, BOOK, tab=tab)
    assert result.failures.loc[0, "message"] == (
        f"This cell shows #REF!, a formula that no longer works. Type {says} instead, "
        f"like {column.example}."
    )


def test_another_currency_says_to_convert_on_the_day() -> None:
    payment = schema.PAYMENTS_TAB.column("amount_gbp")
    result = parse_column(pd.Series(["$100"], dtype=object), payment, "Amount", tab="Payments")
    assert result.failures.loc[0, "message"] == (
        "Enter the amount in pounds, converted at the rate on the day it was received (ask "
        "finance if unsure), as a number like 25000. You entered '$100'."
    )


@pytest.mark.parametrize(
    ("tab", "says"),
    [
        ("Pledges", "If the funder has reduced the pledge, enter the new, lower total here"),
        ("Payments", "If money was refunded, lower the amount of the payment it came from"),
    ],
)
def test_a_negative_amount_says_how_to_record_money_going_back(tab: str, says: str) -> None:
    column = schema.TAB_BY_NAME[tab].column("amount_gbp")
    result = parse_column(pd.Series(["-500"], dtype=object), column, "Amount", tab=tab)
    message = result.failures.loc[0, "message"]
    assert message.startswith(f"Amount cannot be negative. {says}")
    assert message.endswith("like 25000. You entered '-500'.") and "  " not in message


def test_mixed_column_keeps_the_index() -> None:
    raw = pd.Series(
        [25000, "£1,000", None, "ten k", dt.date(2017, 1, 1), "#REF!", 12.346, "  "],
        index=[2, 3, 4, 5, 6, 7, 8, 9],
        dtype=object,
    )
    result = parse_column(raw, AMOUNT, "Amount (£)")
    assert result.values.index.equals(raw.index)
    assert result.blank.index.equals(raw.index)
    assert result.blank.tolist() == [False, False, True, False, False, False, False, True]
    assert result.values.loc[[2, 3, 8]].tolist() == [25000.0, 1000.0, 12.35]
    assert result.failures.index.tolist() == [5, 6, 7]
    assert result.failures["code"].tolist() == [
        Code.TYPE_ERROR,
        Code.TYPE_ERROR,
        Code.FORMULA_ERROR,
    ]
    assert result.failures["value"].tolist() == ["ten k", "01/01/2017", "#REF!"]
    assert list(result.failures.columns) == ["code", "value", "message"]


def test_nan_in_a_numeric_column_is_blank() -> None:
    # pandas writes NaN for an empty cell when it reads a column as numbers.
    result = parse_column(pd.Series([1.5, np.nan]), AMOUNT, "Amount (£)")
    assert result.blank.tolist() == [False, True]
    assert result.failures.empty


def test_pandas_string_column() -> None:
    result = parse_column(pd.Series(["£5", None, "x"], dtype="string"), AMOUNT, "Amount")
    assert result.values.iloc[0] == 5.0
    assert result.blank.tolist() == [False, True, False]
    assert result.failures.index.tolist() == [2]


ODD = [
    float("nan"),
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    10**400,
    True,
    False,
    "x" * 100_000,
    "😀" * 50,
    "\x00",
    "£",
    "()",
    "-",
    "%",
    ",;,;",
    "1/1/1",
    "99/99/99999",
    "0/0/0",
    "31 Smarch 2017",
    "http://[::1",
    dt.time(9, 30),
    dt.date(1, 1, 1),
    dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
    pd.Timestamp("2017-01-01", tz="Europe/London"),
    pd.NaT,
    pd.NA,
    np.float32(2.5),
    object(),
]


@pytest.mark.parametrize("kind", list(schema.Kind))
def test_nothing_raises_on_odd_cells(kind: schema.Kind) -> None:
    column = schema.Column("Odd", "odd", kind, choices=("Yes", "No"), example="x")
    result = parse_column(pd.Series(ODD, dtype=object), column, "Odd")
    assert len(result.values) == len(ODD)
    for message in result.failures["message"]:
        assert len(message) < 600
        assert_plain(message)
    assert set(result.failures["code"]) <= set(Code)


def test_long_values_are_shortened_in_messages() -> None:
    _, failure = one(AMOUNT, "x" * 10_000)
    assert len(failure["message"]) < 300
    assert "…" in failure["message"]


def test_speed_of_a_hundred_thousand_rows() -> None:
    rng = np.random.default_rng(1)
    n = 100_000
    money = pd.Series([f"£{x:,}" for x in rng.integers(1, 10**6, n)], dtype=object)
    days, months, years = (
        rng.integers(1, 29, n),
        rng.integers(1, 13, n),
        rng.integers(2000, 2030, n),
    )
    dates = pd.Series([f"{d}/{m}/{y}" for d, m, y in zip(days, months, years, strict=True)])
    for column, raw in ((AMOUNT, money), (DATE, dates.astype(object))):
        start = time.perf_counter()
        result = parse_column(raw, column, column.name)
        took = time.perf_counter() - start
        print(f"{column.kind}: {n} rows in {took:.3f}s")
        assert result.failures.empty
        assert result.values.notna().all()
