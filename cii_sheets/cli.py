"""The command line: parses arguments, calls sync or the writers, prints, sets the exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from typing import Any

from cii_sheets import __version__, config, logs, metrics, sources, sync
from cii_sheets.notify import Notifier
from cii_sheets.problems import CiiSheetsError

log = logging.getLogger("cii_sheets")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.configure(args.log_format, args.verbose)
    try:
        return int(args.handler(args))
    except CiiSheetsError as exc:
        print(f"cii-sheets: {exc}", file=sys.stderr)
        return sync.EXIT_FAILED
    except OSError as exc:  # writing a workbook: a folder that cannot be made, no permission
        print(f"cii-sheets: could not write {exc.filename}: {exc.strerror}.", file=sys.stderr)
        return sync.EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cii-sheets",
        description="Check the CII spreadsheet, keep a trusted snapshot, tell staff what to fix.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step to stderr")
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=f"configuration file (default: CII_CONFIG, else ./{config.DEFAULT_FILE} if present)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: one structured line per event on stderr, for schedulers",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    show = commands.add_parser(
        "config", help="print the effective configuration (secrets masked) and where it came from"
    )
    show.set_defaults(handler=_show_config)

    demo = commands.add_parser("demo", help="write the illustrative sample workbook")
    demo.add_argument("path", type=Path)
    demo.set_defaults(handler=_demo)

    template = commands.add_parser("init-workbook", help="write a blank workbook to fill in")
    template.add_argument("path", type=Path)
    template.set_defaults(handler=_init_workbook)

    init_sheet = commands.add_parser(
        "init-sheet",
        help="set up the Google Spreadsheet: tabs, headers, dropdowns, checks, protections",
        description="Create missing tabs with their header rows; freeze and bold headers; add "
        "warning-only dropdowns and checks; protect header rows and the Sync report with a "
        "warning. Never changes data rows; running it again changes nothing.",
    )
    init_sheet.add_argument(
        "--spreadsheet", metavar="KEY_OR_URL", help="default: `spreadsheet` in the configuration"
    )
    _credentials_argument(init_sheet)
    init_sheet.set_defaults(handler=_init_sheet)

    for name, handler, text in (
        ("check", _check, "validate the spreadsheet and print what to fix; store nothing"),
        ("sync", _sync, "validate the spreadsheet and store a snapshot for the dashboard"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        where = command.add_mutually_exclusive_group()
        where.add_argument(
            "--workbook", type=Path, help="a local .xlsx file (default: from the configuration)"
        )
        where.add_argument(
            "--spreadsheet",
            metavar="KEY_OR_URL",
            help="the Google Spreadsheet: its address from the browser, or its key",
        )
        _credentials_argument(command)
        command.add_argument(
            "--as-of",
            type=_date,
            help="the date figures and alerts are worked out for (YYYY-MM-DD; default today)",
        )
        command.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "sync":
            command.add_argument(
                "--store",
                help="SQLAlchemy URL of the store (default: CII_STORE, the configuration, "
                f"else {config.Config.store})",
            )
            command.add_argument(
                "--notify",
                action="append",
                metavar="URL",
                help="send a digest to this apprise URL (repeatable; default: CII_NOTIFY)",
            )
            command.add_argument(
                "--notify-always",
                action="store_true",
                help="send the digest after every sync, not only when something changed",
            )
            command.add_argument(
                "--no-report",
                action="store_true",
                help="do not write the Sync report tab back into the Google Spreadsheet",
            )
        command.set_defaults(handler=handler)
    _export_360giving_parser(commands)
    return parser


def _export_360giving_parser(commands: Any) -> None:
    text = "write the Grants tab as 360Giving open data (JSON package and spreadsheet)"
    command = commands.add_parser(
        "export-360giving",
        help=text,
        description=f"{text[0].upper()}{text[1:]}, checked against the 360Giving Data Standard. "
        "Reads the last sync from the store unless --workbook or --spreadsheet is given. "
        "Nothing is written while a grant or a 360Giving setting needs fixing.",
    )
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    where = command.add_mutually_exclusive_group()
    where.add_argument("--store", help="SQLAlchemy URL of the store (default: as for sync)")
    where.add_argument("--workbook", type=Path, help="read and check a local .xlsx file now")
    where.add_argument(
        "--spreadsheet", metavar="KEY_OR_URL", help="read and check the Google Spreadsheet now"
    )
    _credentials_argument(command)
    command.add_argument(
        "--format",
        type=_formats,
        default="json,xlsx",
        help="json, xlsx or json,xlsx (default: both)",
    )
    command.add_argument(
        "--as-of",
        type=_date,
        help="with --workbook or --spreadsheet: the date award dates are checked against "
        "(default today)",
    )
    command.set_defaults(handler=_export_360giving)


def _formats(text: str) -> tuple[str, ...]:
    from cii_sheets.exports.giving360 import FORMATS

    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not chosen or not set(chosen) <= set(FORMATS):
        raise argparse.ArgumentTypeError(f"'{text}' is not json, xlsx or json,xlsx")
    return chosen


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-23") from None


def _credentials_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--credentials",
        type=Path,
        metavar="PATH",
        help="the service-account JSON key for Google (default: CII_CREDENTIALS, "
        "else GOOGLE_APPLICATION_CREDENTIALS)",
    )


def _config(args: argparse.Namespace) -> config.Config:
    """The configuration, with this command's flags on top."""
    flags = {
        name: getattr(args, name, None)
        for name in ("workbook", "spreadsheet", "credentials", "store", "notify")
    }
    flags["notify_always"] = getattr(args, "notify_always", False) or None
    settings = config.load(args.config, flags={k: v for k, v in flags.items() if v is not None})
    # A source given on the command line replaces the configured one, not joins it.
    if getattr(args, "workbook", None):
        settings = replace(settings, spreadsheet=None)
    elif getattr(args, "spreadsheet", None):
        settings = replace(settings, workbook=None)
    return settings


def _as_of(args: argparse.Namespace, settings: config.Config) -> dt.date:
    return args.as_of or sync.today(settings.timezone)


def _show_config(args: argparse.Namespace) -> int:
    print(config.describe(config.load(args.config)))
    return sync.EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from cii_sheets.sample import write_sample

    write_sample(args.path)
    print(f"Wrote the sample workbook to {args.path}")
    return sync.EXIT_OK


def _init_workbook(args: argparse.Namespace) -> int:
    from cii_sheets.template import write_template

    write_template(args.path)
    print(f"Wrote a blank CII workbook to {args.path}")
    return sync.EXIT_OK


def _check(args: argparse.Namespace) -> int:
    settings = _config(args)
    outcome = sync.check(sources.from_config(settings), _as_of(args, settings))
    return _finish(outcome, args)


def _sync(args: argparse.Namespace) -> int:
    settings = _config(args)
    source = sources.from_config(settings)
    write_report = getattr(source, "write_report", None)
    after = (write_report,) if write_report is not None and not args.no_report else ()
    notifier = Notifier(settings.notify, always=settings.notify_always)
    outcome = sync.run(
        source,
        settings.store,
        _as_of(args, settings),
        after_store=after,
        after_run=(notifier,),
    )
    return _finish(outcome, args)


def _export_360giving(args: argparse.Namespace) -> int:
    from cii_sheets.exports import giving360
    from cii_sheets.store import Store

    settings = _config(args)
    if args.workbook or args.spreadsheet:
        outcome = sync.check(sources.from_config(settings), _as_of(args, settings))
        if outcome.validation is None:
            raise CiiSheetsError(outcome.error or "The spreadsheet could not be read.")
        grants = giving360.from_validation(outcome.validation)
    else:
        with Store(settings.store) as store:
            grants = giving360.from_store(store)
    result = giving360.export(grants, args.out, args.format)
    print(giving360.summary(result))
    return sync.EXIT_OK if result.ok else sync.EXIT_DATA_ERRORS


def _init_sheet(args: argparse.Namespace) -> int:
    from cii_sheets.sources.google import GoogleSource

    settings = _config(args)
    if not settings.spreadsheet:
        raise CiiSheetsError(
            "Which spreadsheet? Give --spreadsheet, or set `spreadsheet` in the configuration."
        )
    source = GoogleSource(settings.spreadsheet, settings.credentials)
    changes = source.init_sheet()
    if changes:
        print(f"Set up {source.url}:")
        print("\n".join(f"  {line}" for line in changes))
    else:
        print(f"{source.url} is already set up: nothing to change.")
    return sync.EXIT_OK


def _finish(outcome: sync.Outcome, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(as_json(outcome), ensure_ascii=False))
    elif outcome.error is not None:  # one line on stderr, as for every other failure
        print(f"cii-sheets: {outcome.error}", file=sys.stderr)
    else:
        print(summary(outcome))
    return outcome.exit_code


def as_json(outcome: sync.Outcome) -> dict[str, Any]:
    """The one JSON object `--json` prints."""
    validation = outcome.validation
    problems = validation.problems if validation else []
    alerts = validation.alerts if validation else []
    body: dict[str, Any] = {
        "ok": outcome.exit_code == sync.EXIT_OK,
        "source": outcome.source,
        "as_of": outcome.as_of.isoformat(),
        "counts": {
            "errors": len(validation.errors) if validation else 0,
            "warnings": len(validation.warnings) if validation else 0,
            "alerts": len(alerts),
        },
        "problems": [p.to_dict() for p in problems],
        "alerts": [a.to_dict() for a in alerts],
        "figures": outcome.figures.to_dict() if outcome.figures else None,
    }
    if validation:
        body["stale_tabs"] = validation.stale_tabs
    if outcome.run_id is not None:
        body["run_id"] = outcome.run_id
    if outcome.error:
        body["error"] = outcome.error
    return body


def summary(outcome: sync.Outcome) -> str:
    """A readable account of a check or sync, grouped by tab."""
    lines = [f"CII Sheets: {outcome.source}, as of {_uk(outcome.as_of)}"]
    validation, figures = outcome.validation, outcome.figures
    assert validation is not None and figures is not None
    lines += ["", "Figures (rows with errors are left out)", *_figure_lines(figures)]
    if validation.problems:
        lines += [
            "",
            f"To fix: {len(validation.errors)} error(s), {len(validation.warnings)} warning(s)",
        ]
        for tab, items in groupby(validation.problems, key=lambda p: p.tab):
            lines.append(f"  {tab}")
            for p in items:
                place = ", ".join(
                    part for part in (f"row {p.row}" if p.row else "", p.column or "") if part
                )
                where = f"{place}: " if place else ""
                lines.append(f"    {p.severity.upper():7} {where}{p.message}")
    else:
        lines += ["", "All clear: nothing to fix."]
    if validation.alerts:
        lines += ["", f"Alerts for leadership: {len(validation.alerts)}"]
        lines += [
            f"  {a.tab}{f' row {a.row}' if a.row else ''}: {a.message}" for a in validation.alerts
        ]
    if validation.stale_tabs:
        lines += ["", "Kept the last good copy of: " + ", ".join(validation.stale_tabs)]
    if outcome.run_id is not None:
        lines += ["", f"Stored as sync run {outcome.run_id}."]
    return "\n".join(lines)


def _figure_lines(f: metrics.Figures) -> list[str]:
    left_out = ", ".join(f"{tab} {n}" for tab, n in f.rows_left_out.items()) or "none"
    goals = ", ".join(f"{g} {n}" for g, n in f.achievements_by_goal.items())
    rows = [
        ("Target", metrics.gbp(f.target_gbp)),
        ("Pledged (confirmed)", f"{metrics.gbp(f.pledged_gbp)} ({f.percent_of_target}% of target)"),
        ("Expected (pipeline)", metrics.gbp(f.expected_gbp)),
        ("Received", metrics.gbp(f.received_gbp)),
        ("Outstanding", metrics.gbp(f.outstanding_gbp)),
        ("Overdue", metrics.gbp(f.overdue_gbp)),
        ("Granted", metrics.gbp(f.granted_gbp)),
        ("Secondments active", f"{f.active_secondments} ({f.active_fte:g} FTE)"),
        ("Achievements by goal", goals),
        (
            "Milestones",
            f"{f.milestones['done']} done, {f.milestones['upcoming']} upcoming, "
            f"{f.milestones['overdue']} overdue",
        ),
        ("Rows left out", left_out),
    ]
    return [f"  {label:22} {value}" for label, value in rows]


def _uk(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


if __name__ == "__main__":
    raise SystemExit(main())
