"""The command line: parses arguments, calls sync or the writers, prints, sets the exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from cii_sheets import __version__, metrics, sync
from cii_sheets.problems import CiiSheetsError
from cii_sheets.sources import Source

log = logging.getLogger("cii_sheets")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
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
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

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
    init_sheet.add_argument("--spreadsheet", required=True, metavar="KEY_OR_URL")
    _credentials_argument(init_sheet)
    init_sheet.set_defaults(handler=_init_sheet)

    for name, handler, text in (
        ("check", _check, "validate the spreadsheet and print what to fix; store nothing"),
        ("sync", _sync, "validate the spreadsheet and store a snapshot for the dashboard"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        where = command.add_mutually_exclusive_group(required=True)
        where.add_argument("--workbook", type=Path, help="a local .xlsx file")
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
                help=f"SQLAlchemy URL of the store (default: CII_STORE or {sync.store_url()})",
            )
            command.add_argument(
                "--no-report",
                action="store_true",
                help="do not write the Sync report tab back into the Google Spreadsheet",
            )
        command.set_defaults(handler=handler)
    return parser


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


def _source(args: argparse.Namespace) -> Source:
    if getattr(args, "spreadsheet", None):
        from cii_sheets.sources.google import GoogleSource

        return GoogleSource(args.spreadsheet, args.credentials)
    from cii_sheets.sources.workbook import WorkbookSource

    return WorkbookSource(args.workbook)


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
    outcome = sync.check(_source(args), args.as_of)
    return _finish(outcome, args)


def _sync(args: argparse.Namespace) -> int:
    source = _source(args)
    write_report = getattr(source, "write_report", None)
    after = (write_report,) if write_report is not None and not args.no_report else ()
    outcome = sync.run(source, args.store, args.as_of, after_store=after)
    return _finish(outcome, args)


def _init_sheet(args: argparse.Namespace) -> int:
    from cii_sheets.sources.google import GoogleSource

    source = GoogleSource(args.spreadsheet, args.credentials)
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
    if outcome.error:
        lines.append(f"Could not run: {outcome.error}")
        return "\n".join(lines)
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
