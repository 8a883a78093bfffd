"""The 360Giving export: round trips, real published data, bad files refused by row, the schema."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from cii_sheets import metrics, schema, sync
from cii_sheets.cli import main
from cii_sheets.exports import giving360
from cii_sheets.problems import Code, Severity
from cii_sheets.sample import GRANTS, write_sample
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store
from cii_sheets.validate import org_id_fits, validate

FIXTURES = Path(__file__).parent / "fixtures" / "360giving"
AS_OF = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
INDIGO_SETTINGS = {
    "Initiative name": "Indigo Trust",
    "360Giving prefix": "360G-indigotrust",
    "Funding organisation identifier": "GB-CHC-1075920",
    "Funding organisation name": "Indigo Trust",
    "Publisher website": "https://indigotrust.org.uk/",
}
E, W = Severity.ERROR, Severity.WARNING


def write_book(path: Path, grants: list[list[Any]], settings: dict[str, Any]) -> Path:
    """A workbook with Settings, Goals and a Grants tab (header first), as staff would keep it."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("Settings")
    sheet.append(["Setting", "Value"])
    for name, value in settings.items():
        sheet.append([name, value])
    goals = book.create_sheet("Goals")
    goals.append(["Goal ID", "Goal"])
    for gid, name, _ in schema.GOAL_DEFAULTS:
        goals.append([gid, name])
    tab = book.create_sheet("Grants")
    for row in grants:
        tab.append(row)
    book.save(path)
    return path


def export_book(path: Path, out: Path) -> giving360.Export:
    outcome = sync.check(WorkbookSource(path), AS_OF)
    assert outcome.validation is not None
    return giving360.export(giving360.from_validation(outcome.validation), out, now=NOW)


def read_csv(name: str) -> list[list[str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def xlsx_sheet(path: Path, name: str) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- Round trips -------------------------------------------------------------------------------


def test_sample_grants_round_trip_through_the_command(tmp_path: Path) -> None:
    write_sample(tmp_path / "sample.xlsx")
    out = tmp_path / "out"
    command = ["export-360giving", "--out", str(out), "--as-of", AS_OF.isoformat()]
    code = main([*command, "--workbook", str(tmp_path / "sample.xlsx")])
    assert code == sync.EXIT_OK
    package = json.loads((out / "360G-CII-grants.json").read_text(encoding="utf-8"))
    assert giving360.validator().is_valid(package)
    grants = package["grants"]
    # The same grants as the Grants tab rows, the same total, dates as ISO dates.
    assert [g["id"] for g in grants] == [row[0] for row in GRANTS]
    assert [g["amountAwarded"] for g in grants] == [row[5] for row in GRANTS]
    assert sum(g["amountAwarded"] for g in grants) == sum(row[5] for row in GRANTS)
    assert grants[2]["plannedDates"] == [{"startDate": "2022-04-01", "endDate": "2023-03-31"}]
    assert grants[0]["classifications"][0]["code"] == "G2"
    assert grants[0]["classifications"][0]["title"] == "Young Londoners"
    assert grants[0]["grantProgramme"] == [{"title": "Citizenship and Integration Initiative"}]
    assert grants[0]["fundingOrganization"] == [{"id": "GB-CHC-205629", "name": "Trust for London"}]
    assert package["publisher"]["website"] == "https://trustforlondon.org.uk/"
    assert package["license"] == schema.OPEN_LICENCE
    # The spreadsheet form holds the same grants under the standard's titles.
    sheet = xlsx_sheet(out / "360G-CII-grants.xlsx", "grants")
    assert [r["Identifier"] for r in sheet] == [g["id"] for g in grants]
    assert [r["Amount Awarded"] for r in sheet] == [g["amountAwarded"] for g in grants]
    assert [r["Award Date"] for r in sheet] == [g["awardDate"] for g in grants]
    book = openpyxl.load_workbook(out / "360G-CII-grants.xlsx")
    meta = {row[0]: row[1] for row in book["Meta"].iter_rows(values_only=True)}
    assert meta["Publisher:Name"] == "Trust for London"
    assert meta["License"] == schema.OPEN_LICENCE
    classified = xlsx_sheet(out / "360G-CII-grants.xlsx", "Classifications")
    assert [r["Classifications:Code"] for r in classified] == [row[9] for row in GRANTS]


def test_a_grants_tab_on_the_standards_own_template_round_trips(tmp_path: Path) -> None:
    """Staff paste the template's header and type dates and amounts their way."""
    header = [*giving360.template_titles()["grants"], "Goal"]
    typed = [
        {
            "Identifier": "360G-cii-001",
            "Title": "Citizenship advice sessions",
            "Description": "Drop-in advice on citizenship applications",
            "Amount Awarded": "£25,000",
            "Award Date": "24/07/2014",
            "Planned Dates:Start Date": "1 September 2014",
            "Planned Dates:End Date": "31/08/2015",
            "Recipient Org:Identifier": "GB-CHC-1234567",
            "Recipient Org:Name": "Example Advice Centre",
            "Goal": "Civic engagement",
        },
        {
            "Identifier": "360G-cii-002",
            "Title": "Youth legal rights project",
            "Description": "Legal advice for young Londoners with insecure status",
            "Currency": "eur",
            "Amount Awarded": 12000.5,
            "Award Date": dt.datetime(2015, 3, 2),
            "Recipient Org:Identifier": "GB-COH-01234567",
            "Recipient Org:Name": "Example Law Centre Ltd",
            "Goal": "g2",
        },
    ]
    rows = [header, *([cell.get(title) for title in header] for cell in typed)]
    settings = {**INDIGO_SETTINGS, "360Giving prefix": "360G-cii"}
    book = write_book(tmp_path / "template.xlsx", rows, settings)

    result = export_book(book, tmp_path / "out")

    assert result.ok, giving360.summary(result)
    grants = json.loads((tmp_path / "out" / "360G-cii-grants.json").read_text())["grants"]
    assert [(g["id"], g["amountAwarded"], g["awardDate"]) for g in grants] == [
        ("360G-cii-001", 25000, "2014-07-24"),
        ("360G-cii-002", 12000.5, "2015-03-02"),
    ]
    assert [g["currency"] for g in grants] == ["GBP", "EUR"]
    assert grants[0]["plannedDates"] == [{"startDate": "2014-09-01", "endDate": "2015-08-31"}]
    assert grants[1]["classifications"][0]["code"] == "G2"
    sheet = xlsx_sheet(tmp_path / "out" / "360G-cii-grants.xlsx", "grants")
    assert sum(r["Amount Awarded"] for r in sheet) == 37000.5
    # The template's other columns are left to the Sync report (extra columns): nothing to say.
    assert result.problems == []


def test_a_real_published_file_of_hundreds_of_grants_exports_whole(tmp_path: Path) -> None:
    """The Indigo Trust's 269 published grants, typed into a Grants tab, come out the same."""
    rows = read_csv("indigo-trust-2015.csv")
    header, data = rows[0], rows[1:]
    when = header.index("Award Date")
    amount = header.index("Amount Awarded")
    # A UK spreadsheet turns the published '26/03/2001 00:00' into a date cell, and amounts
    # into numbers, when the CSV is opened or pasted.
    cells = [
        [
            dt.datetime.strptime(v, "%d/%m/%Y %H:%M")
            if i == when
            else float(v)
            if i == amount
            else v
            for i, v in enumerate(row)
        ]
        + ["G1"]
        for row in data
    ]
    book = write_book(tmp_path / "indigo.xlsx", [[*header, "Goal"], *cells], INDIGO_SETTINGS)

    result = export_book(book, tmp_path / "out")

    assert result.ok, giving360.summary(result)
    package = json.loads((tmp_path / "out" / "360G-indigotrust-grants.json").read_text())
    grants = package["grants"]
    assert len(grants) == 269
    assert [g["id"] for g in grants] == [row[0] for row in data]
    assert round(sum(g["amountAwarded"] for g in grants), 2) == 8_053_545.40
    assert [g["description"] for g in grants] == [row[2] for row in data]
    by_id = {g["id"]: g for g in grants}
    assert by_id["360G-indigotrust:IND99"]["awardDate"] == "2010-02-02"  # '02/02/2010 15:32'
    assert by_id["360G-indigotrust:IND165"]["recipientOrganization"][0]["id"] == (
        "GB-CHC-CA-99,314"
    )
    # The publisher's own slips are named by row, as warnings that do not stop publishing.
    org_rows = {p.row for p in result.problems if p.code is Code.ORGANISATION_IDENTIFIER}
    row_of = {row[0]: n for n, row in enumerate(data, start=2)}
    for slip in ("IND185", "IND165", "IND67", "IND49", "IND213", "IND292"):
        assert row_of[f"360G-indigotrust:{slip}"] in org_rows
    assert row_of["360G-indigotrust:IND1"] not in org_rows
    assert row_of["360G-indigotrust:IND2"] not in org_rows  # the publisher's own 360G- id
    assert all(p.severity is W for p in result.problems)
    xlsx = xlsx_sheet(tmp_path / "out" / "360G-indigotrust-grants.xlsx", "grants")
    assert len(xlsx) == 269
    assert round(sum(r["Amount Awarded"] for r in xlsx), 2) == 8_053_545.40


# --- Refused, with the rows named ------------------------------------------------------------


def test_a_bad_file_is_refused_with_each_mistake_named_by_row(tmp_path: Path) -> None:
    rows = read_csv("bad-grants.csv")
    book = write_book(tmp_path / "bad.xlsx", rows, INDIGO_SETTINGS)
    out = tmp_path / "out"

    result = export_book(book, out)

    assert not result.ok
    assert not out.exists()  # nothing written, not even the folder
    found = {(p.row, p.code, p.severity) for p in result.problems if p.tab == "Grants"}
    expected = {
        (3, Code.DUPLICATE_ID, E),
        (4, Code.GRANT_IDENTIFIER, E),
        (5, Code.GRANT_IDENTIFIER, E),
        (6, Code.OUT_OF_RANGE, E),
        (7, Code.FUTURE_AWARD, E),
        (8, Code.DATE_ORDER, E),
        (9, Code.NEEDED_TO_PUBLISH, E),
        (10, Code.INVALID_CHOICE, E),
        (11, Code.ORGANISATION_IDENTIFIER, W),
        (12, Code.LONG_TITLE, W),
        (13, Code.NEEDED_TO_PUBLISH, E),
        (14, Code.TYPE_ERROR, E),
    }
    assert found == expected
    assert not any(p.row == 2 for p in result.problems)
    text = giving360.summary(result)
    assert "Nothing written" in text
    assert "Grants row 4, Identifier: Identifier must have no spaces" in text
    assert "Grants row 5, Identifier: Identifier must start with your 360Giving prefix" in text
    assert "row 9, Description: Enter a short description" in text
    assert "needed before the grants can be published" in text
    assert "row 12, Title: Title is 154 characters long" in text


def test_the_settings_for_publishing_are_asked_for_by_name(tmp_path: Path) -> None:
    rows = read_csv("bad-grants.csv")[:2]
    book = write_book(tmp_path / "book.xlsx", rows, {"Licence": "not a link"})

    result = export_book(book, tmp_path / "out")

    settings = [p for p in result.errors if p.tab == "Settings"]
    words = " ".join(p.message for p in settings)
    for name in (
        "360Giving prefix",
        "Funding organisation identifier",
        "Funding organisation name",
    ):
        assert f"Add the setting '{name}' to the Settings tab" in words
    assert any("Licence" in p.message and p.row == 2 for p in settings)  # kept default
    assert not (tmp_path / "out").exists()


def test_a_failed_export_leaves_the_last_good_file_alone(tmp_path: Path) -> None:
    good = write_book(tmp_path / "good.xlsx", read_csv("bad-grants.csv")[:2], INDIGO_SETTINGS)
    out = tmp_path / "out"
    assert export_book(good, out).ok
    before = (out / "360G-indigotrust-grants.json").read_bytes()
    bad = write_book(tmp_path / "bad.xlsx", read_csv("bad-grants.csv"), INDIGO_SETTINGS)

    assert not export_book(bad, out).ok
    assert (out / "360G-indigotrust-grants.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == [
        "360G-indigotrust-grants.json",
        "360G-indigotrust-grants.xlsx",
    ]


def test_the_command_exits_1_and_names_rows_when_grants_need_fixing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = write_book(tmp_path / "bad.xlsx", read_csv("bad-grants.csv"), INDIGO_SETTINGS)
    code = main(["export-360giving", "--out", str(tmp_path / "o"), "--workbook", str(book)])
    printed = capsys.readouterr().out
    assert code == sync.EXIT_DATA_ERRORS
    assert "ERROR   Grants row 6, Amount Awarded: Amount Awarded must be more than 0" in printed


def test_too_many_grants_for_one_file() -> None:
    rows = pd.DataFrame({"amount_awarded_gbp": [1.0] * (giving360.MAX_GRANTS + 1)})
    grants = giving360.Grants("memory", validate_settings(), rows, {})
    problems = giving360.readiness(grants)
    assert any("at most 50,000" in p.message and p.severity is E for p in problems)


def validate_settings() -> Any:
    rows = [list(pair) for pair in INDIGO_SETTINGS.items()]
    tab = RawTab("Settings", ["Setting", "Value"], rows, list(range(2, len(rows) + 2)))
    return validate(RawSpreadsheet("memory", [tab]), AS_OF).snapshot.settings


# --- The store ----------------------------------------------------------------------------------


def test_export_from_the_store_matches_the_export_from_the_workbook(tmp_path: Path) -> None:
    write_sample(tmp_path / "sample.xlsx")
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    sync.run(WorkbookSource(tmp_path / "sample.xlsx"), url, AS_OF)

    command = ["export-360giving", "--format", "json", "--as-of", AS_OF.isoformat()]
    assert main([*command, "--out", str(tmp_path / "a"), "--store", url]) == 0
    assert (
        main([*command, "--out", str(tmp_path / "b"), "--workbook", str(tmp_path / "sample.xlsx")])
        == 0
    )
    a = json.loads((tmp_path / "a" / "360G-CII-grants.json").read_text())
    b = json.loads((tmp_path / "b" / "360G-CII-grants.json").read_text())
    assert a["grants"] == b["grants"]
    assert not (tmp_path / "a" / "360G-CII-grants.xlsx").exists()  # --format json


def test_an_empty_store_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert main(["export-360giving", "--out", str(tmp_path), "--store", url]) == 2
    assert "Run `cii-sheets sync` first" in capsys.readouterr().err


# --- The standard's schema ----------------------------------------------------------------------


def sample_package(tmp_path: Path) -> dict[str, Any]:
    write_sample(tmp_path / "sample.xlsx")
    result = export_book(tmp_path / "sample.xlsx", tmp_path / "out")
    assert result.package is not None
    return result.package


def test_schema_failures_are_named_by_row_in_plain_words(tmp_path: Path) -> None:
    package = copy.deepcopy(sample_package(tmp_path))
    package["grants"][1]["awardDate"] = "24/07/2014"
    del package["grants"][2]["description"]
    package["grants"][0]["currency"] = "ZZZ"
    package["license"] = "CC BY"

    problems = giving360.schema_problems(package, [2, 3, 4])

    said = {(p.tab, p.row, p.column): p.message for p in problems}
    assert "Award Date must be a date written like 2018-12-04" in said[("Grants", 3, "Award Date")]
    assert "a grant needs Description" in said[("Grants", 4, None)]
    assert "'ZZZ' is not in the standard's list" in said[("Grants", 2, "Currency")]
    assert "Licence (in Settings) must be a web address" in said[("Settings", None, "Value")]
    assert all(p.severity is E for p in problems)


def test_date_formats_must_be_checked_or_every_award_date_fails(tmp_path: Path) -> None:
    """Why jsonschema[format-nongpl]: the standard's dates are oneOf(date-time, pattern)."""
    package = sample_package(tmp_path)
    assert giving360.validator().is_valid(package)
    unchecked = Draft202012Validator(giving360.validator().schema, registry=giving360.registry())
    errors = list(unchecked.iter_errors(package))
    assert errors and all(e.validator == "oneOf" for e in errors)


def test_every_title_written_is_one_of_the_templates() -> None:
    titles = giving360.template_titles()
    package: dict[str, Any] = {
        "version": "1.4",
        "title": "t",
        "description": "d",
        "issued": "2026-01-01",
        "modified": "2026-01-01T00:00:00Z",
        "identifier": "360G-x-grants",
        "publisher": {"name": "n", "identifier": "GB-CHC-1234567", "website": "https://x.org/"},
        "license": schema.OPEN_LICENCE,
        "grants": [
            {
                "id": "360G-x-1",
                "title": '=HYPERLINK("https://evil.example")',
                "description": "d",
                "currency": "GBP",
                "amountAwarded": 1,
                "awardDate": "2020-01-01",
                "plannedDates": [{"startDate": "2020-01-01", "endDate": "2020-12-31"}],
                "recipientOrganization": [{"id": "GB-CHC-1234567", "name": "r"}],
                "fundingOrganization": [{"id": "GB-CHC-7654321", "name": "f"}],
                "grantProgramme": [{"title": "p"}],
                "classifications": [{"vocabulary": "v", "code": "G1", "title": "Goal"}],
            }
        ],
    }
    sheets = giving360.spreadsheet_rows(package)
    assert set(sheets["grants"][0]) <= set(titles["grants"])
    assert set(sheets["Classifications"][0]) <= set(titles["Classifications"])
    assert [row[0] for row in sheets["Meta"]] == list(titles["Meta"])
    # Text that looks like a formula stays text in the file.
    book = openpyxl.load_workbook(io.BytesIO(giving360._xlsx_bytes(package)))
    title = book["grants"]["B2"]
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK")


# --- The checks in the Sync report -------------------------------------------------------------


def grants_validation(rows: list[list[Any]], settings: dict[str, Any] | None = None) -> Any:
    header = ["Identifier", "Title", "Description", "Recipient Org:Name"]
    header += ["Recipient Org:Identifier", "Amount Awarded", "Award Date", "Goal", "Currency"]
    tabs = [RawTab("Grants", header, rows, list(range(2, len(rows) + 2)))]
    pairs = [list(kv) for kv in (settings or {}).items()]
    tabs.append(RawTab("Settings", ["Setting", "Value"], pairs, list(range(2, len(pairs) + 2))))
    return validate(RawSpreadsheet("memory", tabs), AS_OF)


def test_sync_notes_what_is_needed_to_publish_but_keeps_the_grant() -> None:
    result = grants_validation([["360G-cii-1", "T", None, "R", None, 100, "01/04/2020", "G1"]])
    notes = [p for p in result.problems if p.code is Code.NEEDED_TO_PUBLISH]
    assert {(p.row, p.column, p.severity) for p in notes} == {
        (2, "Description", W),
        (2, "Recipient Org:Identifier", W),
    }
    assert all("needed before the grants can be published" in p.message for p in notes)
    assert len(result.snapshot["grants"]) == 1  # still counted in the figures


def test_sync_checks_the_grants_as_360givings_tools_do() -> None:
    ok = ["d", "R", "GB-CHC-1234567", 100, "01/04/2020", "G1"]
    rows = [
        ["360G-cii-1", "T", *ok, "eur"],
        ["360G-cii/2", "T", *ok],
        ["OTHER-3", "T", *ok],
        ["360G-cii-4", "x" * 141, *ok],
        ["360G-cii-5", "T", "d", "R", "GB-CHC-1234567", 0, "01/04/2020", "G1"],
        ["360G-cii-6", "T", "d", "R", "GB-CHC-1234567", 100, "01/04/2030", "G1"],
        ["360G-cii-7", "T", *ok, "pounds"],
    ]
    result = grants_validation(rows, {"360Giving prefix": "360G-cii"})
    found = {(p.row, p.code, p.severity) for p in result.problems if p.tab == "Grants"}
    assert found == {
        (3, Code.GRANT_IDENTIFIER, W),
        (4, Code.GRANT_IDENTIFIER, W),
        (5, Code.LONG_TITLE, W),
        (6, Code.OUT_OF_RANGE, E),
        (7, Code.FUTURE_AWARD, W),
        (7, Code.OUTSIDE_PROGRAMME, W),  # the programme's own check, as for any date
        (8, Code.INVALID_CHOICE, E),
    }
    assert result.snapshot["grants"]["currency"].iloc[0] == "EUR"


def test_settings_for_publishing_are_checked_and_may_start_blank() -> None:
    blank = grants_validation([], {"360Giving prefix": None, "Publisher website": ""})
    assert [p for p in blank.problems if p.tab in ("Settings", "Grants")] == []
    wrong = grants_validation(
        [], {"360Giving prefix": "cii", "Funding organisation identifier": "1234567"}
    )
    codes = {(p.row, p.code) for p in wrong.problems if p.tab == "Settings"}
    assert codes == {(2, Code.GRANT_IDENTIFIER), (3, Code.ORGANISATION_IDENTIFIER)}


@pytest.mark.parametrize(
    ("identifier", "fits"),
    [
        ("GB-CHC-1234567", True),
        ("GB-CHC-207782", True),
        ("GB-CHC-24377R", False),
        ("GB-CHC-IT/4002/09", False),
        ("GB-COH-01234567", True),
        ("GB-COH-SC123456", True),
        ("GB-COH-IP", False),
        ("GB-SC-SC012345", True),
        ("GB-NIC-100012", True),
        ("GB-LAE-BNE", True),
        ("GB-GOR-PB825", True),
        ("US-EIN-123456789", True),
        ("DUMMY01", False),
        ("1234567", False),
        ("Charity 1234567", False),
        ("360G-cii-ORG-12", True),
    ],
)
def test_organisation_identifiers_in_org_id_form(identifier: str, fits: bool) -> None:
    assert bool(org_id_fits(pd.Series([identifier]), "360G-cii").iloc[0]) is fits


# --- Figures for the dashboard -----------------------------------------------------------------


def test_granted_by_goal_and_recipient_add_up_pounds_only() -> None:
    org, day = "GB-CHC-1234567", "01/04/2020"
    rows = [
        ["360G-cii-1", "T", "d", "Coram", org, 100, day, "G1"],
        ["360G-cii-2", "T", "d", "Coram", org, 50, day, "G2", "gbp"],
        ["360G-cii-3", "T", "d", "Citizens UK", org, 300, day, "G1"],
        ["360G-cii-4", "T", "d", "New Europeans", org, 999, day, "G1", "EUR"],
    ]
    snapshot = grants_validation(rows).snapshot
    by_goal = metrics.granted_by_goal(snapshot)
    assert by_goal[["goal_id", "granted_gbp", "grants"]].values.tolist() == [
        ["G1", 400.0, 2],
        ["G2", 50.0, 1],
        ["G3", 0.0, 0],
    ]
    by_recipient = metrics.granted_by_recipient(snapshot)
    assert by_recipient[["recipient", "granted_gbp", "grants"]].values.tolist() == [
        ["Citizens UK", 300.0, 1],
        ["Coram", 150.0, 2],
    ]
    assert metrics.figures(snapshot, AS_OF).granted_gbp == 450.0


def test_a_store_made_before_the_currency_column_gains_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the grants table as the first round made it
        conn.execute(
            sa.text(
                "CREATE TABLE grants (sheet_row INTEGER NOT NULL, identifier TEXT NOT NULL, "
                "title TEXT NOT NULL, description TEXT, recipient_org_name TEXT NOT NULL, "
                "recipient_org_identifier TEXT, amount_awarded_gbp NUMERIC(14, 2) NOT NULL, "
                "award_date DATE NOT NULL, planned_start_date DATE, planned_end_date DATE, "
                "goal_id TEXT NOT NULL)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO grants VALUES (2,'a','t',NULL,'r',NULL,1,'2020-01-01',NULL,NULL,'G1')"
            )
        )
    engine.dispose()
    write_sample(tmp_path / "sample.xlsx")

    outcome = sync.run(WorkbookSource(tmp_path / "sample.xlsx"), url, AS_OF)

    assert outcome.error is None
    with Store(url) as store:
        grants = store.load_snapshot()["grants"]
    assert list(grants["identifier"]) == [row[0] for row in GRANTS]
    assert "currency" in grants


def test_a_grants_tab_that_cannot_be_read_is_not_published_from_an_old_copy(
    tmp_path: Path,
) -> None:
    header = ["Identifier", "Title", "Recipient Org:Name", "Amount Awarded", "Award Date"]
    rows = [["360G-indigotrust:1", "T", "R", 100, "01/04/2020"]]  # no Goal column
    tabs = [
        RawTab("Grants", header, rows, [2]),
        RawTab(
            "Settings",
            ["Setting", "Value"],
            [list(kv) for kv in INDIGO_SETTINGS.items()],
            list(range(2, 2 + len(INDIGO_SETTINGS))),
        ),
    ]
    validation = validate(RawSpreadsheet("memory", tabs), AS_OF)

    result = giving360.export(giving360.from_validation(validation), tmp_path / "out", now=NOW)

    assert not result.ok and not (tmp_path / "out").exists()
    words = [p.message for p in result.errors]
    assert any("has no 'Goal' column" in m for m in words)
    assert any("could not be read" in m for m in words)


def test_the_same_grant_twice_is_refused_as_the_package_schema_says(tmp_path: Path) -> None:
    package = copy.deepcopy(sample_package(tmp_path))
    package["grants"].append(copy.deepcopy(package["grants"][0]))
    problems = giving360.schema_problems(package, [2, 3, 4, 5])
    assert [(p.row, p.severity) for p in problems] == [(5, E)]
    assert "same in every field as the one in row 2" in problems[0].message
    # The check the shipped package schema asks for, made by jsonschema itself, agrees.
    standard = json.loads(giving360._standard_file("360-giving-package-schema.json"))
    full = Draft202012Validator(
        standard,
        registry=giving360.registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    assert [e.validator for e in full.iter_errors(package)] == ["uniqueItems"]


def test_from_the_store_the_last_syncs_problems_still_stop_the_export(tmp_path: Path) -> None:
    book = write_book(tmp_path / "bad.xlsx", read_csv("bad-grants.csv"), INDIGO_SETTINGS)
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    sync.run(WorkbookSource(book), url, AS_OF)

    with Store(url) as store:
        result = giving360.export(giving360.from_store(store), tmp_path / "out", now=NOW)

    assert not result.ok and not (tmp_path / "out").exists()
    from_book = export_book(book, tmp_path / "unused")
    assert {(p.row, p.code, p.severity) for p in result.problems} == {
        (p.row, p.code, p.severity) for p in from_book.problems
    }
    assert "(sync run 1)" in giving360.summary(result)
