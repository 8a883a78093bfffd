"""What an operator meets when things go wrong: exit 2 with one line, never a traceback or exit 1.

Schedulers read exit 1 as "data errors, snapshot stored", so a crash must never end there. Each
test here reproduces a failure found by the security and reliability review (issue 8).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MESSY_AS_OF, MESSY_TABS, write_workbook

from cii_sheets import cli, metrics, sync, validate
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store

CLI = str(Path(sys.executable).with_name("cii-sheets"))


def cii(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [CLI, *map(str, args)], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )


def one_line_failure(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a run that could not happen (exit 2, nothing on stdout)."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


# --- bad store URLs (finding 3 and 8) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("notaurl", "is not a database address"),
        ("postgresql+psycopg://u:secret@h:notaport/db", "a port is a number"),
        ("sqlite:///", "in-memory database, which keeps nothing"),
        ("sqlite:///:memory:", "in-memory database, which keeps nothing"),
        ("nosuchdb://nowhere", "cannot use here"),
    ],
)
def test_a_bad_store_url_is_one_line_exit_2(messy_workbook: Path, url: str, says: str) -> None:
    line = one_line_failure(cii("sync", "--workbook", messy_workbook, "--store", url))
    assert says in line
    assert "secret" not in line  # a password in the URL is never echoed


def test_a_bad_store_url_from_the_environment_is_one_line_too(
    messy_workbook: Path, tmp_path: Path
) -> None:
    import os

    env = {**os.environ, "CII_STORE": "notaurl"}
    line = one_line_failure(cii("sync", "--workbook", messy_workbook, env=env, cwd=tmp_path))
    assert "'notaurl' is not a database address" in line


def test_a_typo_in_the_store_folder_creates_nothing(messy_workbook: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'cii.sqlite'}"
    line = one_line_failure(cii("sync", "--workbook", messy_workbook, "--store", url))
    assert f"The folder {tmp_path / 'typo'} for the store cii.sqlite does not exist" in line
    assert not (tmp_path / "typo").exists()


def test_a_store_where_no_file_can_be_made_says_so_at_once(messy_workbook: Path) -> None:
    # /proc exists but takes no new files: the lock used to wait 11 s, then blame another sync.
    line = one_line_failure(
        cii("sync", "--workbook", messy_workbook, "--store", "sqlite:////proc/cii.sqlite")
    )
    assert "Cannot create the lock file /proc/cii.sqlite.lock" in line
    assert "Another sync" not in line


# --- any exception anywhere ends as exit 2 (finding 3) -------------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise KeyError("boom")


# Places across a sync where a bug could surface: reading, checking, storing, the figures.
FAULTS: dict[str, tuple[object, str]] = {
    "read": (WorkbookSource, "read"),
    "validate": (sync, "validate"),
    "store": (Store, "save"),
    "figures": (metrics, "figures"),
    "load": (Store, "load_snapshot"),
}


@pytest.mark.parametrize("where", sorted(FAULTS))
@pytest.mark.parametrize("command", ["sync", "check"])
def test_any_exception_anywhere_exits_2_with_one_line(
    where: str,
    command: str,
    messy_workbook: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target, name = FAULTS[where]
    monkeypatch.setattr(target, name, _boom)
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    args = [command, "--workbook", str(messy_workbook), "--as-of", "2019-06-30"]
    if command == "sync":
        args += ["--store", url]

    code = cli.main(args)
    out, err = capsys.readouterr()
    if command == "check" and where in ("store", "load"):  # check never opens the store
        assert code == 1
        return
    assert code == 2
    assert out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [
        "cii-sheets: unexpected error: KeyError: 'boom'; run again with -v for the details"
    ]

    assert cli.main([*args, "--json"]) == 2
    out, err = capsys.readouterr()
    body = json.loads(out)  # exactly one JSON object
    assert body["ok"] is False and "unexpected error: KeyError" in body["error"]

    assert cli.main(["-v", *args]) == 2
    _, err = capsys.readouterr()
    assert "Traceback" in err and "KeyError: 'boom'" in err  # the details, only under -v


def test_a_crash_leaves_the_previous_snapshot_and_notes_the_failure(
    messy_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    first = sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF)
    assert first.exit_code == 1
    monkeypatch.setattr(sync, "validate", _boom)

    second = sync.run(WorkbookSource(messy_workbook), url, MESSY_AS_OF)

    assert second.exit_code == 2
    with Store(url) as opened:
        runs = opened.runs()
        assert list(runs["outcome"]) == ["failed", "errors"]
        assert "unexpected error: KeyError" in runs.iloc[0]["message"]
        assert opened.latest_run(stored_only=True)["id"] == first.run_id  # type: ignore[index]


def test_a_store_locked_by_another_program_after_the_commit_is_one_line(
    messy_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 7: reads after the commit are guarded like the write."""
    path = tmp_path / "cii.sqlite"
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    saved = Store.save

    def save_then_lock(self: Store, *args: object, **kwargs: object) -> int:
        run_id = saved(self, *args, **kwargs)  # type: ignore[arg-type]
        holder.execute("BEGIN EXCLUSIVE")  # another program takes the whole database
        return run_id

    monkeypatch.setattr(Store, "save", save_then_lock)
    try:
        outcome = sync.run(WorkbookSource(messy_workbook), f"sqlite:///{path}", MESSY_AS_OF)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outcome.exit_code == 2
    assert outcome.error is not None
    assert outcome.error.startswith("Could not read the snapshot from the store")
    assert "\n" not in outcome.error


# --- workbooks (findings 4 and 8) ----------------------------------------------------------------


def test_a_zip_that_is_not_a_workbook_says_so(tmp_path: Path) -> None:
    docx = tmp_path / "report.xlsx"  # a Word document renamed .xlsx
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    url = f"sqlite:///{tmp_path / 'cii.sqlite'}"

    line = one_line_failure(cii("sync", "--workbook", docx, "--store", url))
    assert line == (
        f"cii-sheets: {docx} is not an Excel workbook (.xlsx). Open it in Excel or Google "
        "Sheets and save it as an .xlsx file."
    )
    done = cii("sync", "--workbook", docx, "--store", url, "--json")
    assert done.returncode == 2
    assert "is not an Excel workbook" in json.loads(done.stdout)["error"]
    with Store(url) as opened:
        assert opened.latest_run(stored_only=True) is None  # no snapshot was stored


def test_demo_and_init_workbook_never_overwrite_without_force(tmp_path: Path) -> None:
    for command in ("demo", "init-workbook"):
        target = tmp_path / f"{command}.xlsx"
        target.write_bytes(b"staff's own file")
        line = one_line_failure(cii(command, target))
        assert f"{target} already exists, so it was left as it is" in line
        assert "--force" in line
        assert target.read_bytes() == b"staff's own file"

        done = cii(command, target, "--force")
        assert done.returncode == 0, done.stderr
        assert zipfile.is_zipfile(target)


def test_demo_says_when_it_made_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "sample.xlsx"
    done = cii("demo", target)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"Created the folder {target.parent}",
        f"Wrote the sample workbook to {target}",
    ]


def test_a_tab_that_duplicates_another_by_case_is_a_warning_naming_both(tmp_path: Path) -> None:
    # Excel and Google refuse two titles equal but for case; a trailing space gets past them.
    tabs = {**MESSY_TABS, "PLEDGES ": MESSY_TABS["Pledges"]}
    outcome = sync.check(WorkbookSource(write_workbook(tmp_path / "x.xlsx", tabs)), MESSY_AS_OF)

    assert outcome.validation is not None
    found = [p for p in outcome.validation.problems if p.code == "duplicate-tab"]
    assert [(p.severity, p.tab) for p in found] == [("warning", "PLEDGES ")]
    assert "'Pledges' and 'PLEDGES ' both stand for Pledges" in found[0].message


def test_tabs_outside_the_contract_are_not_read_cell_by_cell(tmp_path: Path) -> None:
    notes = [["Note", "Value"], *[[f"n{i}", i] for i in range(2000)]]
    book = write_workbook(tmp_path / "x.xlsx", {**MESSY_TABS, "Staff notes": notes})

    raw = WorkbookSource(book).read()

    by_title = {t.title: t for t in raw.tabs}
    assert by_title["Staff notes"].rows == [] and by_title["Staff notes"].header == []
    assert len(by_title["Pledges"].rows) > 0


# --- control characters (finding 5) --------------------------------------------------------------


def test_control_characters_are_removed_with_a_warning_and_excel_still_builds(
    store_url: str, open_store: Callable[[str], Store], tmp_path: Path
) -> None:
    from fake_sheets import fake_world  # the Google source can deliver such characters

    tabs = {name: [list(row) for row in rows] for name, rows in MESSY_TABS.items()}
    tabs["Funders"][1][1] = "Tr\x0bust\x00"  # Funders row 2, Type
    tabs["Goals"][1][2] = "\x1b[31mred\x01"  # Goals row 2, Description
    with fake_world(tmp_path, tabs) as world:
        outcome = sync.run(world.source(), store_url, MESSY_AS_OF)

    assert outcome.exit_code == 1, outcome.error  # the messy data's errors, and nothing worse
    assert outcome.validation is not None
    found = [
        (p.severity, p.tab, p.row, p.column, p.value)
        for p in outcome.validation.problems
        if p.code == "control-character"
    ]
    assert found == [
        ("warning", "Goals", 2, "Description", "[31mred"),
        ("warning", "Funders", 2, "Type", "Trust"),
    ]
    snapshot = open_store(store_url).load_snapshot()
    assert snapshot["funders"]["type"].iloc[0] == "Trust"
    assert snapshot["goals"]["description"].iloc[0] == "[31mred"

    from cii_sheets.dashboard_figures import to_excel

    assert to_excel({"Funders": snapshot["funders"], "Goals": snapshot["goals"]})[:2] == b"PK"


def test_control_characters_in_a_header_are_not_kept(tmp_path: Path) -> None:
    from cii_sheets.sources import RawSpreadsheet, RawTab

    goals = RawTab("Goals", ["Goal ID", "Goal", "Notes\x07"], [["G1", "Civic", "x"]], [2])
    found = validate.validate(RawSpreadsheet("test", [goals]), dt.date(2019, 1, 1)).problems
    extra = [p for p in found if p.code == "extra-column"]
    assert [(p.column, p.value) for p in extra] == [("Notes", "Notes")]
