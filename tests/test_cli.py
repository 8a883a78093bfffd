"""The command line through the real console script: exit codes 0/1/2 and the JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import MESSY_FIGURES, MESSY_PROBLEMS

CLI = str(Path(sys.executable).with_name("cii-sheets"))


def cii(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_messy_workbook_exits_1_with_one_json_object(messy_workbook: Path) -> None:
    done = cii("check", "--workbook", messy_workbook, "--as-of", "2019-06-30", "--json")

    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)  # exactly one JSON object: loads fails on trailing text
    assert set(body) >= {"ok", "source", "as_of", "counts", "problems", "alerts", "figures"}
    assert body["ok"] is False
    assert body["as_of"] == "2019-06-30"
    assert body["counts"] == {"errors": 8, "warnings": 2, "alerts": 3}
    keys = ("severity", "code", "tab", "row", "column")
    assert [tuple(p[k] for k in keys) for p in body["problems"]] == MESSY_PROBLEMS
    assert all(
        set(p) == {"severity", "code", "tab", "row", "column", "value", "message", "source"}
        for p in body["problems"]
    )
    assert all(set(a) == {"code", "tab", "row", "message", "source"} for a in body["alerts"])
    # One source: every problem and alert names it.
    named = {p["source"] for p in body["problems"] + body["alerts"]}
    assert named == {f"workbook {messy_workbook}"}
    assert body["figures"] == MESSY_FIGURES


def test_clean_template_exits_0_and_sync_stores_it(tmp_path: Path) -> None:
    book = tmp_path / "blank.xlsx"
    assert cii("init-workbook", book).returncode == 0
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"

    done = cii("sync", "--workbook", book, "--store", store, "--json")

    assert done.returncode == 0, done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["ok"] is True and body["counts"]["errors"] == 0
    assert body["run_id"] == 1
    assert body["figures"]["pledged_gbp"] == 0


def test_missing_workbook_exits_2_with_one_line(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    done = cii("sync", "--workbook", tmp_path / "nope.xlsx", "--store", store)

    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("cii-sheets: No workbook at")
    assert len(done.stderr.strip().splitlines()) == 1
    json_done = cii("check", "--workbook", tmp_path / "nope.xlsx", "--json")
    assert json_done.returncode == 2
    body = json.loads(json_done.stdout)
    assert body["ok"] is False and "No workbook at" in body["error"]


def test_not_a_workbook_exits_2(tmp_path: Path) -> None:
    fake = tmp_path / "pledges.xlsx"
    fake.write_text("Pledge ID,Amount\nP001,25000\n")
    done = cii("check", "--workbook", fake)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr


def test_readable_summary_groups_problems_by_tab(messy_workbook: Path) -> None:
    done = cii("check", "--workbook", messy_workbook, "--as-of", "2019-06-30")
    assert done.returncode == 1
    out = done.stdout
    assert out.index("  Pledges\n") < out.index("  Payments\n") < out.index("  Achievements\n")
    assert "row 3, Amount £: Amount £ must be a number of pounds" in out
    assert "Pledged (confirmed)    £65,000 (6.5% of target)" in out


def test_demo_then_sync_runs_on_the_sample(tmp_path: Path) -> None:
    sample = tmp_path / "sample.xlsx"
    assert cii("demo", sample).returncode == 0
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    done = cii("sync", "--workbook", sample, "--store", store, "--json")
    assert done.returncode == 1, done.stderr  # the sample holds deliberate mistakes
    body = json.loads(done.stdout)
    assert body["counts"]["errors"] >= 5
    assert body["figures"]["pledged_gbp"] > 0


def test_demo_makes_the_folder_and_a_bad_target_is_one_line(tmp_path: Path) -> None:
    assert cii("demo", tmp_path / "new" / "folder" / "sample.xlsx").returncode == 0
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = cii("init-workbook", blocker / "blank.xlsx")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_sync_from_a_config_file_notifies_and_logs_json(tmp_path: Path) -> None:
    from test_notify import Receiver

    receiver = Receiver()
    try:
        assert cii("demo", tmp_path / "sample.xlsx").returncode == 0
        (tmp_path / "cii_sheets.toml").write_text(
            'workbook = "sample.xlsx"\n'
            f'store = "sqlite:///{tmp_path / "store.sqlite"}"\n'
            f'notify = ["{receiver.url}"]\n'
        )
        done = cii("--log-format", "json", "sync", "--as-of", "2026-11-23", cwd=tmp_path)
    finally:
        receiver.close()

    assert done.returncode == 1, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert [e["event"] for e in events if e["event"].startswith(("sync.", "notify."))] == [
        "sync.started",
        "sync.read",
        "sync.stored",
        "notify.sent",
    ]
    assert len(receiver.bodies) == 1 and "things to fix" in str(receiver.bodies[0]["title"])


def test_config_command_masks_secrets_and_names_origins(tmp_path: Path) -> None:
    (tmp_path / "cii_sheets.toml").write_text(
        'store = "postgresql+psycopg://cii:hunter2@db/cii"\nnotify = ["slack://a/b/c"]\n'
    )
    done = cii("config", cwd=tmp_path)
    assert done.returncode == 0
    assert "hunter2" not in done.stdout and "slack://a/b/c" not in done.stdout
    assert "file cii_sheets.toml" in done.stdout

    (tmp_path / "cii_sheets.toml").write_text('stor = "x"\n')
    done = cii("config", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "unknown setting 'stor'" in done.stderr


def test_no_source_anywhere_is_a_one_line_error(tmp_path: Path) -> None:
    done = cii("check", cwd=tmp_path)
    assert done.returncode == 2
    assert "No source is configured" in done.stderr
