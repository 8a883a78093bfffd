"""init-sheet against the fake: what it sets up, that data rows stay as they were, idempotence."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import MESSY_TABS
from fake_sheets import World, fake_world

from cii_sheets import cli, schema, sheet_setup
from cii_sheets.writeback import ReportWriter


def set_up_sheet(source: Any, tabs: list[str] | None = None) -> list[str]:
    """init-sheet through the shared client, as the command line runs it."""
    return sheet_setup.set_up(source.client, source.key, tabs)


def data_cells(world: World) -> dict[tuple[str, int, int], Any]:
    """Every value staff typed below a header row (what init-sheet must never change)."""
    return {
        (s.title, r, c): copy.deepcopy(cell.get("userEnteredValue"))
        for s in world.fake.sheets
        for (r, c), cell in s.cells.items()
        if r >= 1 and "userEnteredValue" in cell
    }


def rule_at(world: World, title: str, header: str) -> dict[str, Any]:
    sheet = world.fake.sheet(title)
    row = sheet.row_data()
    col = [c.get("userEnteredValue", {}).get("stringValue") for c in row[0]["values"]].index(header)
    # The rule covers every row below the header, down to the end of the grid.
    assert "dataValidation" in sheet.cells[(sheet.row_count - 1, col)]
    return dict(sheet.cells[(1, col)]["dataValidation"])


def test_a_new_spreadsheet_gets_every_tab_and_a_second_run_sends_nothing(tmp_path: Path) -> None:
    with fake_world(tmp_path, {"Sheet1": []}) as world:
        source = world.source()
        changes = set_up_sheet(source)

        assert [r.kind for r in world.fake.log if r.kind != "token"] == ["read", "write"]
        for tab in schema.TABS:
            sheet = world.fake.sheet(tab.name)
            assert sheet.values()[0] == [c.name for c in tab.columns]
            assert sheet.frozen == 1
            assert all(
                c["userEnteredFormat"]["textFormat"]["bold"] for c in sheet.row_data()[0]["values"]
            )
            assert [p["range"] for p in sheet.protected] == [
                {"sheetId": sheet.sheet_id, "endRowIndex": 1}
            ]
            assert all(p["warningOnly"] for p in sheet.protected)
        goals = world.fake.sheet("Goals").values()
        assert [row[0] for row in goals[1:]] == ["G1", "G2", "G3"]
        raw = source.read()  # the defaults read back as the sync reads them: dates as dates
        settings = next(t for t in raw.tabs if t.title == "Settings")
        assert ["Programme start", dt.date(2017, 1, 1)] in settings.rows
        assert ["Fundraising target (£)", 1_000_000] in settings.rows
        report = world.fake.sheet("Sync report")
        assert report.protected[0]["warningOnly"] and report.protected[0]["range"] == {
            "sheetId": report.sheet_id
        }
        assert any("Created the tab 'Pledges'" in c for c in changes)

        before = len(world.fake.log)
        assert set_up_sheet(source) == []
        assert [r.kind for r in world.fake.log[before:]] == ["read"]


def test_the_rules_are_warnings_with_the_right_sources(tmp_path: Path) -> None:
    with fake_world(tmp_path, {"Sheet1": []}) as world:
        set_up_sheet(world.source())

        status = rule_at(world, "Pledges", "Status")
        assert status["condition"] == {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": s} for s in schema.PLEDGE_STATUSES],
        }
        assert status["strict"] is False and status["showCustomUi"] is True
        ranges = {
            ("Achievements", "Goal"): "='Goals'!A2:A",
            ("Secondments", "Goals"): "='Goals'!A2:A",
            ("Grants", "Goal"): "='Goals'!A2:A",
            ("Pledges", "Funder"): "='Funders'!A2:A",
            ("Payments", "Pledge ID"): "='Pledges'!A2:A",
            ("Achievements", "Secondment ID"): "='Secondments'!A2:A",
        }
        for (title, header), source in ranges.items():
            rule = rule_at(world, title, header)
            assert rule["condition"] == {
                "type": "ONE_OF_RANGE",
                "values": [{"userEnteredValue": source}],
            }, (title, header)
            assert rule["strict"] is False
        assert rule_at(world, "Pledges", "Date pledged")["condition"] == {"type": "DATE_IS_VALID"}
        money = rule_at(world, "Payments", "Amount (£)")
        assert money["condition"]["type"] == "NUMBER_GREATER_THAN_EQ" and not money["strict"]
        assert rule_at(world, "Secondments", "FTE")["condition"]["type"] == "NUMBER_BETWEEN"


def test_an_existing_sheet_keeps_its_data_and_its_column_order(tmp_path: Path) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        typed = data_cells(world)
        headers = {s.title: s.values()[0] for s in world.fake.sheets}
        source = world.source()
        changes = set_up_sheet(source)

        # Staff's cells are untouched; new tabs' rows are new.
        after = {k: v for k, v in data_cells(world).items() if k[0] in MESSY_TABS}
        assert after == typed
        assert {t: world.fake.sheet(t).values()[0] for t in MESSY_TABS} == headers
        assert any("Created the tab 'Settings'" in c for c in changes)
        assert any("Created the tab 'Grants'" in c for c in changes)
        # Status is column A of the messy Pledges tab; the dropdown follows the header.
        assert rule_at(world, "Pledges", "Status")["condition"]["type"] == "ONE_OF_LIST"
        assert (
            rule_at(world, "Pledges", "Amount £")["condition"]["type"] == "NUMBER_GREATER_THAN_EQ"
        )
        assert "dataValidation" not in world.fake.sheet("Pledges").cells.get((1, 6), {})  # Contact
        assert rule_at(world, "Achievements", "Goal")["condition"]["values"] == [
            {"userEnteredValue": "='goals'!A2:A".replace("goals", "Goals")}
        ]

        writes_before = len(world.fake.requests_of("write"))
        assert set_up_sheet(source) == []
        assert len(world.fake.requests_of("write")) == writes_before


def test_an_empty_contract_tab_gets_its_header(tmp_path: Path) -> None:
    with fake_world(tmp_path, {"Funders": []}) as world:
        changes = set_up_sheet(world.source())
        assert "Wrote the header row of the empty tab 'Funders'" in changes
        assert world.fake.sheet("Funders").values()[0] == ["Funder", "Type", "Notes"]


def test_the_plan_tolerates_how_google_echoes_rules_and_ranges() -> None:
    wanted = {
        "condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "='Goals'!A2:A"}]},
        "inputMessage": "x",
        "strict": False,
        "showCustomUi": True,
    }
    echoed = {
        "condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "=Goals!$A$2:$A"}]},
        "inputMessage": "x",
        "showCustomUi": True,  # false booleans are left out
    }
    assert sheet_setup.same_rule(echoed, wanted)
    assert not sheet_setup.same_rule({**echoed, "strict": True}, wanted)
    assert not sheet_setup.same_rule(None, wanted)


def test_cli_init_sheet_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_world(tmp_path, MESSY_TABS) as world:
        monkeypatch.setenv("CII_CREDENTIALS", str(world.key_file))
        assert cli.main(["init-sheet", "--spreadsheet", world.fake.key]) == 0
        first = capsys.readouterr().out
        assert first.startswith("Set up https://docs.google.com/spreadsheets/d/")
        assert "Protected 'Sync report' with a warning" in first
        assert cli.main(["init-sheet", "--spreadsheet", world.fake.key]) == 0
        assert "already set up: nothing to change" in capsys.readouterr().out
        world.fake.shared = False
        assert cli.main(["init-sheet", "--spreadsheet", world.fake.key]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Share the spreadsheet with it as Editor" in err


def test_a_freshly_set_up_sheet_syncs_clean_and_takes_the_report(tmp_path: Path) -> None:
    from cii_sheets import sync

    with fake_world(tmp_path, {"Sheet1": []}) as world:
        source = world.source()
        set_up_sheet(source)
        outcome = sync.run(
            source, f"sqlite:///{tmp_path / 's.sqlite'}", after_store=(ReportWriter(source),)
        )

        assert outcome.exit_code == sync.EXIT_OK, outcome.error
        write = world.fake.requests_of("write")[-1]
        assert next(iter(write.batch[0])) == "updateSheetProperties"
        report = world.fake.sheet("Sync report")
        assert report.values()[0][0].startswith("All clear: nothing to fix.")
        assert report.protected  # the sync's rewrite keeps the warning protection
