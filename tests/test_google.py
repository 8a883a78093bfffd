"""The Google source end to end against the fake Sheets API: auth, reading, the report, faults."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import MESSY_ALERTS, MESSY_AS_OF, MESSY_FIGURES, MESSY_PROBLEMS, MESSY_TABS
from cryptography.exceptions import InvalidSignature
from fake_sheets import (
    GOOGLE_TOKEN_AUDIENCE,
    TOKEN_URI,
    World,
    fake_world,
    new_private_key,
    service_account_info,
    session_private_key,
    verify_jwt,
)

from cii_sheets import cli, report, sync
from cii_sheets.google_client import (
    Retry,
    SheetsClient,
    load_credentials,
    retry_after_seconds,
    spreadsheet_key,
)
from cii_sheets.problems import CiiSheetsError
from cii_sheets.sources.google import GoogleSource, grid_rows, serial_to_date
from cii_sheets.store import Store
from cii_sheets.writeback import ReportWriter

CLI = str(Path(sys.executable).with_name("cii-sheets"))
INJECTED = '=IMPORTXML("http://x","//a")'
LINK = re.compile(r'=HYPERLINK\("#gid=\d+&range=[A-Z]{1,3}[1-9][0-9]*","Open"\)')


@pytest.fixture
def world(tmp_path: Path) -> Any:
    with fake_world(tmp_path, MESSY_TABS) as w:
        yield w


def problems_of(outcome: sync.Outcome) -> list[tuple[object, ...]]:
    assert outcome.validation is not None, outcome.error
    return [(p.severity, p.code, p.tab, p.row, p.column) for p in outcome.validation.problems]


def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cii.sqlite'}"


def report_cells(world: World) -> list[list[dict[str, Any]]]:
    """The Sync report's cells as stored by the fake, row by row."""
    rows = world.fake.sheet("Sync report").row_data()
    return [row.get("values", []) for row in rows]


def entered(cell: dict[str, Any]) -> dict[str, Any]:
    return dict(cell.get("userEnteredValue", {}))


# --- credentials and the token exchange ----------------------------------------------------------


def test_the_jwt_grant_is_really_signed_and_exchanged(world: World) -> None:
    raw = world.source().read()

    tokens = world.fake.requests_of("token")
    assert len(tokens) == 1
    form = tokens[0].body
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    with pytest.raises(InvalidSignature):  # a different key does not verify it...
        verify_jwt(form["assertion"], new_private_key().public_key())
    claims = verify_jwt(form["assertion"], session_private_key().public_key())  # ...ours does
    assert claims["iss"] == world.info["client_email"]
    assert claims["aud"] == GOOGLE_TOKEN_AUDIENCE
    assert claims["scope"] == "https://www.googleapis.com/auth/spreadsheets"
    assert tokens[0].url == TOKEN_URI
    assert raw.api_requests == 1


def test_credentials_from_a_dict_work_too(world: World) -> None:
    source = GoogleSource(world.fake.key, dict(world.info), retry=world.retry())
    assert len(source.read().tabs) == len(MESSY_TABS)


def test_a_key_google_does_not_know_is_one_line_error(world: World, tmp_path: Path) -> None:
    stranger = service_account_info(new_private_key())
    source = GoogleSource(world.fake.key, stranger, retry=world.retry())
    with pytest.raises(CiiSheetsError, match="refused the service-account key") as caught:
        source.read()
    assert "invalid_grant" in str(caught.value) and "\n" not in str(caught.value)
    assert world.clock.sleeps == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No service-account key file at"),
        ("not json {", "it is not JSON"),
        ("[1, 2]", "is not a service-account key"),
        ('{"type": "authorized_user", "client_id": "x"}', "not a service-account key"),
        ('{"type": "service_account", "client_email": "a@b"}', "no private_key, token_uri"),
        (
            '{"type": "service_account", "client_email": "a@b", "token_uri": "https://t", '
            '"private_key": "-----BEGIN PRIVATE KEY-----\\nnope\\n-----END PRIVATE KEY-----\\n"}',
            "private key that cannot be used",
        ),
    ],
)
def test_bad_key_files_are_one_line_errors(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CiiSheetsError, match=re.escape(message)) as caught:
        load_credentials(path)
    assert "\n" not in str(caught.value)


def test_credentials_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CII_CREDENTIALS", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(CiiSheetsError, match="No Google service-account key given"):
        load_credentials(None)
    path = tmp_path / "k.json"
    path.write_text(json.dumps(service_account_info(new_private_key())), encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    assert load_credentials(None).service_account_email.startswith("cii-sync@")
    monkeypatch.setenv("CII_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(CiiSheetsError, match=r"missing\.json"):
        load_credentials(None)  # CII_CREDENTIALS wins


def test_spreadsheet_key_from_url_or_key() -> None:
    key = "1AbCdEfGhIjKlMnOpQrStUvWxYz_0123-456789"
    assert spreadsheet_key(key) == key
    assert spreadsheet_key(f"https://docs.google.com/spreadsheets/d/{key}/edit#gid=0") == key
    assert spreadsheet_key(f" https://docs.google.com/spreadsheets/d/{key} ") == key
    with pytest.raises(CiiSheetsError, match="not a Google Sheets address"):
        spreadsheet_key("https://example.org/my sheet")


# --- reading ---------------------------------------------------------------------------------


def test_messy_expectations_hold_through_google(world: World) -> None:
    outcome = sync.check(world.source(), MESSY_AS_OF)

    assert problems_of(outcome) == MESSY_PROBLEMS
    assert outcome.figures is not None and outcome.figures.to_dict() == MESSY_FIGURES
    assert outcome.validation is not None
    assert [(a.code, a.tab, a.row) for a in outcome.validation.alerts] == MESSY_ALERTS
    assert outcome.exit_code == sync.EXIT_DATA_ERRORS
    by_place = {(p.tab, p.row, p.column): p for p in outcome.validation.problems}
    assert by_place[("Pledges", 3, "Amount £")].cell == "C3"
    assert by_place[("Pledges", 8, "Amount £")].value == "#REF!"
    assert [r.kind for r in world.fake.log] == ["token", "read"]


def test_one_read_asks_for_values_formats_and_properties(world: World) -> None:
    raw = world.source().read()

    (read,) = world.fake.requests_of("read")
    assert read.method == "GET" and read.path == world.fake.key
    assert read.params["includeGridData"] == "true"
    for part in ("effectiveValue", "numberFormat", "timeZone", "locale", "sheetId"):
        assert part in read.params["fields"]
    assert raw.timezone == "Europe/London" and raw.locale == "en_GB"
    assert raw.url == f"https://docs.google.com/spreadsheets/d/{world.fake.key}/edit"
    ids = {t.title: t.sheet_id for t in raw.tabs}
    assert ids == {s.title: s.sheet_id for s in world.fake.sheets}
    pledges = next(t for t in raw.tabs if t.title == "Pledges")
    assert pledges.row_numbers == [2, 3, 5, 6, 7, 8, 9]  # row 4 is the blank one
    assert pledges.rows[0] == [
        "Confirmed",
        "P001",
        "£25,000",
        "Trust for London",
        "01/04/2017",
        dt.date(2018, 3, 31),
    ]
    assert pledges.rows[5][2] == "#REF!"


def test_cells_are_converted_like_the_workbook_source() -> None:
    def cell(value: dict[str, Any], kind: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"effectiveValue": value}
        if kind:
            out["effectiveFormat"] = {"numberFormat": {"type": kind}}
        return out

    sheet = {
        "data": [
            {
                "rowData": [
                    {"values": [cell({"stringValue": "h"})]},
                    {},
                    {
                        "values": [
                            cell({"numberValue": 43101}, "DATE"),
                            cell({"numberValue": 43101.75}, "DATE_TIME"),
                            cell({"numberValue": 43101.5}, "DATE"),
                            cell({"numberValue": 0.6}, "PERCENT"),
                            cell({"numberValue": 25000}),
                            cell({"boolValue": True}),
                            cell({"errorValue": {"type": "N_A", "message": "x"}}),
                            cell({"errorValue": {"type": "DIVIDE_BY_ZERO", "message": "x"}}),
                            cell({"stringValue": "01/04/2017"}),
                            {},
                            cell({"stringValue": ""}),
                        ]
                    },
                    {"values": [{}, {}]},
                ]
            }
        ]
    }
    rows, numbers = grid_rows(sheet)
    assert numbers == [1, 3]
    assert rows[1] == [
        dt.date(2018, 1, 1),
        dt.datetime(2018, 1, 1, 18, 0),
        dt.date(2018, 1, 1),
        0.6,
        25000,
        True,
        "#N/A",
        "#DIV/0!",
        "01/04/2017",
    ]
    assert serial_to_date(2) == dt.date(1900, 1, 1)
    assert serial_to_date(-1) == dt.date(1899, 12, 29)


# --- request counts and the Sync report ----------------------------------------------------------


def pledge_tabs(n: int) -> dict[str, list[list[object]]]:
    tabs = {k: v for k, v in MESSY_TABS.items() if k != "Pledges"}
    header = ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Status"]
    rows: list[list[object]] = [header]
    for i in range(n):
        rows.append([f"P{i:05d}", "Trust for London", 1000 + i, dt.date(2018, 1, 1), "Expected"])
    tabs["Pledges"] = rows
    return tabs


@pytest.mark.parametrize("n", [1, 10_000])
def test_one_read_and_one_write_per_sync_whatever_the_size(tmp_path: Path, n: int) -> None:
    with fake_world(tmp_path, pledge_tabs(n)) as world:
        source = world.source()
        url = store_url(tmp_path)
        for _ in range(2):  # the first sync creates the report tab, the second rewrites it
            before = len(world.fake.log)
            outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
            assert outcome.error is None
            kinds = [r.kind for r in world.fake.log[before:] if r.kind != "token"]
            assert kinds == ["read", "write"]
        store = Store(url)
        run = store.latest_run()
        assert run is not None and run["api_requests"] == 1
        assert len(store.load_snapshot().tables["pledges"]) == n
        store.dispose()


def test_report_writes_only_its_own_tab_and_says_what_to_fix(world: World, tmp_path: Path) -> None:
    others_before = [world.fake.snapshot()]
    source = world.source()
    now = dt.datetime(2019, 6, 30, 7, 5)
    outcome = sync.run(source, store_url(tmp_path), MESSY_AS_OF)
    ReportWriter(source)(outcome, now=now)

    (write,) = world.fake.requests_of("write")
    report_id = world.fake.sheet("Sync report").sheet_id
    assert write.batch[0]["addSheet"]["properties"]["sheetId"] == report.REPORT_SHEET_ID
    assert report_id == report.REPORT_SHEET_ID
    touched = {json.dumps(sorted(_sheet_ids(r))) for r in write.batch}
    assert touched == {json.dumps([report_id])}
    # Every other tab is exactly as it was.
    world.fake.sheets = [s for s in world.fake.sheets if s.sheet_id != report_id]
    assert world.fake.snapshot() == others_before[0]


def _sheet_ids(value: Any) -> set[int]:
    """Every sheetId mentioned anywhere in a request."""
    found: set[int] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sheetId":
                found.add(item)
            else:
                found |= _sheet_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _sheet_ids(item)
    return found


def test_report_rows_and_links(world: World, tmp_path: Path) -> None:
    source = world.source()
    outcome = sync.run(source, store_url(tmp_path), MESSY_AS_OF)
    ReportWriter(source)(outcome, now=dt.datetime(2019, 6, 30, 7, 5))

    sheet = world.fake.sheet("Sync report")
    assert sheet.frozen == 1
    values = sheet.values()
    assert values[0][0].startswith("9 things to fix, as of 30 Jun 2019 (synced 30 Jun 2019 07:05")
    assert values[1] == ["To fix (9)"]
    assert values[2] == list(report.HEADER)
    # three groups, each with a heading and its column names
    assert len(values) == 1 + 3 * 2 + len(MESSY_PROBLEMS) + len(MESSY_ALERTS)
    cells = report_cells(world)
    pledges_id = world.fake.sheet("Pledges").sheet_id
    amount = cells[3]  # the first thing to fix: Pledges row 3, 'ten k'
    assert [entered(c).get("stringValue") for c in amount[:2]] == ["Error", "Pledges"]
    assert entered(amount[2]) == {"numberValue": 3}
    assert entered(amount[4]) == {"stringValue": "ten k"}
    assert entered(amount[6]) == {
        "formulaValue": f'=HYPERLINK("#gid={pledges_id}&range=C3","Open")'
    }
    alerts = [r for r in cells if len(r) > 5 and entered(r[0]).get("stringValue") == "Alert"]
    overdue = next(r for r in alerts if "P006" in entered(r[5])["stringValue"])
    assert entered(overdue[0]) == {"stringValue": "Alert"}
    assert "P006" in entered(overdue[5])["stringValue"]
    assert entered(overdue[6])["formulaValue"].endswith('&range=F9","Open")')  # its Due by


def test_an_injected_formula_arrives_as_text(tmp_path: Path) -> None:
    tabs = dict(MESSY_TABS)
    tabs["Pledges"] = [row[:] for row in MESSY_TABS["Pledges"]]
    tabs["Pledges"][2][2] = INJECTED  # the Amount of row 3
    tabs["Pledges"][0][6] = '=HYPERLINK("http://evil.example","x")'  # an extra column's header
    with fake_world(tmp_path, tabs) as world:
        source = world.source()
        outcome = sync.run(
            source, store_url(tmp_path), MESSY_AS_OF, after_store=(ReportWriter(source),)
        )
        assert outcome.error is None

        cells = [c for row in report_cells(world) for c in row]
        formulas = [entered(c)["formulaValue"] for c in cells if "formulaValue" in entered(c)]
        assert formulas and all(LINK.fullmatch(f) for f in formulas)
        texts = [entered(c).get("stringValue", "") for c in cells]
        assert INJECTED in texts  # the Value column, verbatim, as a string
        assert any(INJECTED in t and t != INJECTED for t in texts)  # quoted in the message
        assert '=HYPERLINK("http://evil.example","x")' in texts
        (write,) = world.fake.requests_of("write")
        sent = json.dumps(write.body)
        assert sent.count('"formulaValue"') == len(formulas)


def test_all_clear_and_the_report_shrinks(tmp_path: Path) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        source = world.source()
        url = store_url(tmp_path)
        sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))
        assert len(world.fake.sheet("Sync report").values()) > 10
        clean = _clean_tabs()
        world.fake.sheets = [s for s in world.fake.sheets if s.title == "Sync report"]
        for title, rows in clean.items():
            world.fake.add_tab(title, rows)
        outcome = sync.run(source, url, MESSY_AS_OF, after_store=(ReportWriter(source),))

        assert outcome.exit_code == sync.EXIT_OK, problems_of(outcome)
        values = world.fake.sheet("Sync report").values()
        assert values[0][0].startswith("All clear: nothing to fix.")
        alerts = len(outcome.validation.alerts if outcome.validation else [])
        assert len(values) == 1 + (2 + alerts if alerts else 0)
        writes = world.fake.requests_of("write")
        assert "updateSheetProperties" in writes[-1].batch[0]  # no second addSheet


def _clean_tabs() -> dict[str, list[list[object]]]:
    return {
        "Goals": MESSY_TABS["Goals"],
        "Pledges": [
            ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Status"],
            ["P001", "Trust for London", 25000, dt.date(2018, 1, 1), "Confirmed"],
        ],
        "Secondments": MESSY_TABS["Secondments"][:2],
        "Achievements": [
            MESSY_TABS["Achievements"][0],
            [dt.date(2018, 2, 1), "Young Londoners Forum", "G2", None, None],
        ],
        # Tabs the first sync saw stay, emptied: a tab that disappears is a warning.
        "Funders": MESSY_TABS["Funders"],
        "Payments": MESSY_TABS["Payments"][:1],
        "Milestones": MESSY_TABS["Milestones"][:1],
    }


def test_a_failing_report_write_never_fails_the_sync(world: World, tmp_path: Path) -> None:
    source = world.source(tries=1)

    def read_then_break() -> Any:
        raw = GoogleSource.read(source)
        world.fake.fail("500")
        return raw

    source.read = read_then_break  # type: ignore[method-assign]
    outcome = sync.run(
        source, store_url(tmp_path), MESSY_AS_OF, after_store=(ReportWriter(source),)
    )

    assert outcome.error is None and outcome.run_id == 1
    assert not world.fake.has("Sync report")


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "times", "retry_after", "slept"),
    [
        ("429", 1, "7", [7.0]),
        ("429", 2, None, [2.0, 4.0]),
        ("500", 1, None, [2.0]),
        ("503", 3, "1", [2.0, 4.0, 8.0]),
        ("connection", 1, None, [2.0]),
        ("timeout", 2, None, [2.0, 4.0]),
        ("malformed", 1, None, [2.0]),
    ],
)
def test_transient_faults_recover_within_the_bound(
    world: World,
    tmp_path: Path,
    fault: str,
    times: int,
    retry_after: str | None,
    slept: list[float],
) -> None:
    world.fake.fail(fault, times, retry_after)
    source = world.source()
    outcome = sync.run(
        source, store_url(tmp_path), MESSY_AS_OF, after_store=(ReportWriter(source),)
    )

    assert outcome.error is None
    assert problems_of(outcome) == MESSY_PROBLEMS
    assert world.clock.sleeps == slept
    assert outcome.api_requests == times + 1
    assert len(world.fake.requests_of("read")) == times + 1
    assert len(world.fake.requests_of("write")) == 1


PERSISTENT = [
    ("429", "Sheets API quota was exceeded (HTTP 429), after"),
    ("500", "server error (HTTP 500), after"),
    ("503", "server error (HTTP 503), after"),
    ("connection", "Could not reach Google (the connection dropped), after"),
    ("timeout", "did not answer in time, after"),
    ("malformed", "could not be read (not valid JSON), after"),
    ("403", "not shared with the service account cii-sync@cii-test.iam.gserviceaccount.com"),
    ("403-disabled", "Google Sheets API is not enabled"),
    ("404", "No spreadsheet with the key"),
]


@pytest.mark.parametrize(("fault", "message"), PERSISTENT)
def test_lasting_faults_exit_2_with_one_line_and_keep_the_snapshot(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    message: str,
) -> None:
    url = store_url(tmp_path)
    args = ["sync", "--spreadsheet", world.fake.key, "--credentials", str(world.key_file)]
    args += ["--store", url, "--as-of", "2019-06-30"]
    good = sync.run(world.source(), url, MESSY_AS_OF)
    assert good.run_id == 1
    store = Store(url)
    snapshot_before = {k: v.to_dict() for k, v in store.load_snapshot().tables.items()}
    capsys.readouterr()

    world.fake.fail(fault, times=20)
    retry = world.retry()
    _use_retry(monkeypatch, retry)
    code = cli.main(args)
    out, err = capsys.readouterr()

    assert code == sync.EXIT_FAILED
    lines = [line for line in err.splitlines() if line.startswith("cii-sheets:")]
    assert out == "" and len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in out + err
    assert sum(world.clock.sleeps) <= retry.budget_seconds
    assert len(world.clock.sleeps) < retry.tries
    assert {k: v.to_dict() for k, v in store.load_snapshot().tables.items()} == snapshot_before
    assert store.latest_run(stored_only=True)["id"] == 1  # type: ignore[index]
    failed = store.latest_run()
    assert failed is not None and failed["outcome"] == "failed" and failed["api_requests"] >= 1
    assert not world.fake.requests_of("write")
    store.dispose()


def _use_retry(monkeypatch: pytest.MonkeyPatch, retry: Retry) -> None:
    """Make the CLI's own Google client use the fake clock."""
    original = SheetsClient.__init__

    def init(self: SheetsClient, credentials: Any = None, *_: Any, **__: Any) -> None:
        original(self, credentials, retry)

    monkeypatch.setattr(SheetsClient, "__init__", init)


def test_retry_after_is_honoured_and_the_budget_bounds_the_waiting(world: World) -> None:
    world.fake.fail("429", times=20, retry_after="100")
    with pytest.raises(CiiSheetsError, match=r"after 2 tries over 100 seconds"):
        world.source().read()
    assert world.clock.sleeps == [100.0]  # a second 100 s wait would pass the 120 s budget


def test_backoff_has_full_jitter_and_a_cap() -> None:
    draws = iter([0.5, 0.25, 1.0, 1.0, 0.0])
    retry = Retry(jitter=lambda: next(draws), cap_seconds=10)
    assert [retry.delay(n, None) for n in range(5)] == [1.0, 1.0, 8.0, 10.0, 0.0]
    assert Retry(jitter=lambda: 0.0).delay(0, 3.0) == 3.0


def test_retry_after_as_an_http_date() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_no_network_at_all(tmp_path: Path) -> None:
    info = service_account_info(new_private_key(), token_uri="https://oauth2.fake-google.test/t")
    clock_sleeps: list[float] = []
    with fake_world(tmp_path) as world:
        # Nothing answers the token endpoint: responses refuses the connection.
        source = GoogleSource(world.fake.key, info, retry=world.retry(sleep=clock_sleeps.append))
        with pytest.raises(CiiSheetsError, match="Could not reach Google to sign in") as caught:
            source.read()
    assert "after 5 tries" in str(caught.value)
    assert not world.fake.requests_of("read")


# --- the command line --------------------------------------------------------------------------


def test_cli_sync_on_the_spreadsheet(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = store_url(tmp_path)
    sheet_url = f"https://docs.google.com/spreadsheets/d/{world.fake.key}/edit#gid=0"
    code = cli.main(
        [
            "sync",
            "--spreadsheet",
            sheet_url,
            "--credentials",
            str(world.key_file),
            "--store",
            url,
            "--as-of",
            "2019-06-30",
            "--json",
        ]
    )
    body = json.loads(capsys.readouterr().out)

    assert code == sync.EXIT_DATA_ERRORS
    keys = ("severity", "code", "tab", "row", "column")
    assert [tuple(p[k] for k in keys) for p in body["problems"]] == MESSY_PROBLEMS
    assert body["figures"] == MESSY_FIGURES
    assert [r.kind for r in world.fake.log if r.kind != "token"] == ["read", "write"]
    assert world.fake.has("Sync report")


def test_cli_no_report_and_check_write_nothing(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CII_CREDENTIALS", str(world.key_file))
    url = store_url(tmp_path)
    assert cli.main(["sync", "--spreadsheet", world.fake.key, "--store", url, "--no-report"]) == 1
    assert cli.main(["check", "--spreadsheet", world.fake.key]) == 1
    assert "cii-sheets:" not in capsys.readouterr().err
    assert [r.kind for r in world.fake.log if r.kind != "token"] == ["read", "read"]


def test_cli_workbook_and_spreadsheet_mix_and_fail_together_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CII_CREDENTIALS", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    code = cli.main(["check", "--workbook", str(tmp_path / "a.xlsx"), "--spreadsheet", "k" * 20])
    err = capsys.readouterr().err
    assert code == sync.EXIT_FAILED
    assert len(err.strip().splitlines()) == 1
    assert "No source could be read" in err
    assert f"Google spreadsheet {'k' * 20}: No Google service-account key given" in err
    assert "a.xlsx: No workbook at" in err


def test_console_script_takes_a_spreadsheet(tmp_path: Path) -> None:
    """The real entry point; it cannot see the fake, so it stops at the missing key file."""
    done = subprocess.run(
        [
            CLI,
            "sync",
            "--spreadsheet",
            "1AbCdEfGhIjKlMnOpQrStUvWxYz",
            "--credentials",
            str(tmp_path / "nope.json"),
            "--store",
            store_url(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("cii-sheets:")]
    assert "No service-account key file at" in line and "nope.json" in line
    helps = subprocess.run([CLI, "sync", "--help"], capture_output=True, text=True, timeout=60)
    assert "--spreadsheet" in helps.stdout and "--no-report" in helps.stdout


def test_each_try_gets_only_the_time_left_in_the_budget(world: World) -> None:
    timeouts: list[object] = []
    world.fake.fail("429", times=20, retry_after="50")
    source = world.source()
    client = source.client
    original = client._http().set_timeout

    def spy(timeout: object) -> None:
        timeouts.append(timeout)
        original(timeout)  # type: ignore[arg-type]

    client._http().set_timeout = spy  # type: ignore[method-assign]
    with pytest.raises(CiiSheetsError, match="after 3 tries over 100 seconds"):
        source.read()
    assert timeouts == [(10.0, 60.0), (10.0, 60.0), (10.0, 20.0)]


def test_the_example_key_has_the_shape_and_no_secret() -> None:
    example = Path(__file__).resolve().parents[1] / "credentials.example.json"
    info = json.loads(example.read_text(encoding="utf-8"))
    real = service_account_info(new_private_key())
    assert set(info) == set(real)
    assert info["type"] == "service_account"
    assert "PLACEHOLDER" in info["private_key"] and "YOUR-PROJECT-ID" in info["client_email"]
    with pytest.raises(CiiSheetsError, match="private key that cannot be used"):
        load_credentials(example)


def test_the_fake_answers_in_googles_shapes(tmp_path: Path) -> None:
    import requests

    tabs: dict[str, list[list[object]]] = {
        "Data": [["a", "b", None], [None, None], [dt.date(2017, 4, 1), "#REF!", None]],
        "Sync report": [],
    }
    with fake_world(tmp_path, tabs) as world:
        world.fake.tokens.add("t")
        auth = {"Authorization": "Bearer t"}
        base = f"https://sheets.googleapis.com/v4/spreadsheets/{world.fake.key}"
        fields = "sheets(properties(title),data(rowData(values(effectiveValue,formattedValue))))"
        body = requests.get(
            base, params={"includeGridData": "true", "fields": fields}, headers=auth, timeout=5
        ).json()
        data, empty = body["sheets"][0]["data"][0], body["sheets"][1]["data"][0]
        assert body["sheets"][0]["properties"] == {"title": "Data"}
        assert data["rowData"][0]["values"] == [
            {"effectiveValue": {"stringValue": "a"}, "formattedValue": "a"},
            {"effectiveValue": {"stringValue": "b"}, "formattedValue": "b"},
        ]  # trailing empty cells left out
        assert data["rowData"][1] == {}  # an empty row in the middle
        assert data["rowData"][2]["values"] == [
            {"effectiveValue": {"numberValue": 42826}, "formattedValue": "01/04/2017"},
            {
                "effectiveValue": {
                    "errorValue": {"type": "REF", "message": "Reference does not exist."}
                },
                "formattedValue": "#REF!",
            },
        ]
        assert empty == {}
        values = requests.get(f"{base}/values/'Data'", headers=auth, timeout=5).json()
        assert values == {
            "range": "'Data'!A1:B3",
            "majorDimension": "ROWS",
            "values": [["a", "b"], [], ["01/04/2017", "#REF!"]],
        }
        nothing = requests.get(f"{base}/values/'Sync report'", headers=auth, timeout=5).json()
        assert "values" not in nothing and nothing["range"].startswith("'Sync report'!")
        assert requests.get(base, timeout=5).status_code == 401  # no token, no answer


def test_gspreads_backoff_client_is_not_used(world: World) -> None:
    client = world.source().client
    assert type(client._http().http_client).__name__ == "HTTPClient"
