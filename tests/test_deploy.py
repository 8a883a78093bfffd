"""The deploy recipes parse, call commands that exist, and the crontab line really runs."""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from cii_sheets import cli
from cii_sheets.sample import write_sample

DEPLOY = Path(__file__).parent.parent / "deploy"
CLI = str(Path(sys.executable).with_name("cii-sheets"))


def _cii_args(command: str) -> list[list[str]]:
    """The arguments of every cii-sheets call in a shell command line."""
    calls = []
    for part in command.replace("||", "\n").replace("&&", "\n").replace(";", "\n").splitlines():
        words = shlex.split(part.split(">")[0])
        for i, word in enumerate(words):
            if word == "cii-sheets" or word.endswith("bin/cii-sheets"):
                calls.append(words[i + 1 :])
    return calls


def _parses(args: list[str]) -> None:
    """The arguments are ones our command line accepts (argparse exits on anything else)."""
    parsed = cli._parser().parse_args(args)
    assert callable(parsed.handler)


def _cron_command() -> str:
    lines = [
        line
        for line in (DEPLOY / "crontab").read_text().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert len(lines) == 1
    return lines[0].split(None, 5)[5]


def test_the_crontab_line_runs(tmp_path: Path) -> None:
    command = _cron_command()
    for args in _cii_args(command):
        _parses(args)
    home = tmp_path / "opt-cii-sheets"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / ".venv" / "bin" / "cii-sheets").symlink_to(CLI)
    write_sample(home / "data" / "sample.xlsx")
    (home / "cii_sheets.toml").write_text(
        'workbook = "data/sample.xlsx"\nstore = "sqlite:///data/cii.sqlite"\n'
    )

    done = subprocess.run(
        ["bash", "-c", command.replace("/opt/cii-sheets", str(home))],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1  # the sample's planted mistakes: data errors, snapshot stored
    events = [json.loads(line) for line in (home / "data" / "sync.log").read_text().splitlines()]
    stored = [e for e in events if e["event"] == "sync.stored"]
    assert len(stored) == 1 and stored[0]["run_id"] == 1
    assert all("value" not in e for e in events if e["event"] == "problem")
    assert (home / "data" / "cii.sqlite").is_file()


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def test_the_systemd_units_are_well_formed() -> None:
    service = _unit("cii-sheets-sync.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["SuccessExitStatus"] == "1"
    [args] = _cii_args(service["Service"]["ExecStart"])
    _parses(args)
    assert "--log-format" in args

    timer = _unit("cii-sheets-sync.timer")
    assert timer["Install"]["WantedBy"] == "timers.target"
    calendar = timer["Timer"]["OnCalendar"]
    if shutil.which("systemd-analyze"):
        checked = subprocess.run(
            ["systemd-analyze", "calendar", calendar], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        checked = subprocess.run(
            [
                "systemd-analyze",
                "verify",
                "--man=no",
                str(DEPLOY / "systemd" / "cii-sheets-sync.timer"),
            ],
            capture_output=True,
            text=True,
        )
        # The service's binary is not installed here; nothing else may be wrong.
        problems = [
            line
            for line in checked.stderr.splitlines()
            if line.strip()
            and "/opt/cii-sheets" not in line
            and "cii-sheets-sync.service" not in line
        ]
        assert problems == []


def test_the_github_actions_workflow_is_well_formed() -> None:
    workflow = yaml.safe_load((DEPLOY / "github-actions" / "nightly-sync.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"].count(" ") == 4
    steps = workflow["jobs"]["sync"]["steps"]
    calls = [args for step in steps if "run" in step for args in _cii_args(step["run"])]
    assert calls, "the workflow never runs cii-sheets"
    for args in calls:
        _parses(args)
    env = workflow["jobs"]["sync"]["env"]
    assert {"CII_SPREADSHEET", "CII_STORE", "CII_CREDENTIALS"} <= set(env)


def test_the_watch_unit_is_well_formed() -> None:
    from cii_sheets.google_client import Retry

    service = _unit("cii-sheets-watch.service")
    unit = service["Service"]
    assert unit["Type"] == "simple"  # it keeps running; the nightly one is a oneshot
    [args] = _cii_args(unit["ExecStart"])
    _parses(args)
    assert args[args.index("watch") - 2 : args.index("watch")] == ["--log-format", "json"]
    assert float(args[args.index("--interval") + 1]) >= 15
    assert unit["KillSignal"] == "SIGTERM" and unit["Restart"] == "on-failure"
    # A sync in progress may spend Google's whole retry budget before it can stop.
    stop = unit["TimeoutStopSec"]
    assert stop.endswith("min") and int(stop[:-3]) * 60 > Retry().budget_seconds
    assert service["Install"]["WantedBy"] == "multi-user.target"
    # Beside the nightly units, with the same user, folders and hardening.
    nightly = _unit("cii-sheets-sync.service")["Service"]
    for key in ("User", "WorkingDirectory", "Environment", "ReadWritePaths", "ProtectSystem"):
        assert unit[key] == nightly[key], key
    if shutil.which("systemd-analyze"):
        checked = subprocess.run(
            [
                "systemd-analyze",
                "verify",
                "--man=no",
                str(DEPLOY / "systemd" / "cii-sheets-watch.service"),
            ],
            capture_output=True,
            text=True,
        )
        problems = [
            line
            for line in checked.stderr.splitlines()
            if line.strip() and "/opt/cii-sheets" not in line
        ]
        assert problems == []
