"""The command line: parses arguments, calls sync or the writers, prints, sets the exit code."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from typing import Any

from cii_sheets import __version__, config, logs, metrics, sources, sync
from cii_sheets.problems import CiiSheetsError, Problem
from cii_sheets.report import to_fix_counts

log = logging.getLogger("cii_sheets")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.configure(args.log_format, args.verbose)
    try:
        return int(args.handler(args))
    except CiiSheetsError as exc:
        return _failed(args, str(exc))
    except Exception as exc:  # a bug or an unforeseen failure: schedulers must see 2, never 1
        log.debug("the details", exc_info=True)
        return _failed(args, sync.unexpected(exc))


def _failed(args: argparse.Namespace, message: str) -> int:
    """A run that could not happen: one line on stderr, or the one JSON object under --json."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
    else:
        print(f"cii-sheets: {message}", file=sys.stderr)
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

    for name, handler, text in (
        ("demo", _demo, "write the illustrative sample workbook"),
        ("init-workbook", _init_workbook, "write a blank workbook to fill in"),
    ):
        writer = commands.add_parser(name, help=text, description=text)
        writer.add_argument("path", type=Path)
        writer.add_argument(
            "--force", action="store_true", help="replace the file if it is already there"
        )
        writer.set_defaults(handler=handler)

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
    init_sheet.add_argument(
        "--tabs",
        metavar="TAB,TAB",
        help="only the tabs this spreadsheet should hold, like Pledges,Payments,Funders "
        "(default: every contract tab)",
    )
    _credentials_argument(init_sheet)
    init_sheet.set_defaults(handler=_init_sheet)

    for name, handler, text in (
        ("check", _check, "validate the spreadsheet and print what to fix; store nothing"),
        ("sync", _sync, "validate the spreadsheet and store a snapshot for the dashboard"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument(
            "--workbook",
            type=Path,
            action="append",
            help="a local .xlsx file (repeatable, and may be mixed with --spreadsheet: each tab "
            "is read from the source that has it; default: from the configuration)",
        )
        command.add_argument(
            "--spreadsheet",
            metavar="KEY_OR_URL",
            action="append",
            help="a Google Spreadsheet: its address from the browser, or its key (repeatable)",
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
    pack = commands.add_parser(
        "board-pack",
        help="write the board pack (A4 PDF) from the stored snapshot",
        description="Write an A4 PDF for trustees from the stored snapshot (never from Google): "
        "the headline, fundraising pace, funders, secondments, milestones, achievements, "
        "learning and impact.",
    )
    pack.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    pack.add_argument(
        "--store",
        help="SQLAlchemy URL of the store (default: CII_STORE, the configuration, "
        f"else {config.Config.store})",
    )
    pack.add_argument(
        "--as-of", type=_date, help="the date the figures are for (YYYY-MM-DD; default today)"
    )
    pack.add_argument(
        "--since",
        type=_date,
        help="show changes since this date (YYYY-MM-DD; default: the end of the last quarter)",
    )
    pack.add_argument(
        "--notify",
        action="append",
        metavar="URL",
        help="send the PDF as an attachment to this apprise URL (repeatable)",
    )
    pack.set_defaults(handler=_board_pack)
    _watch_parser(commands)
    _export_360giving_parser(commands)
    return parser


def _watch_parser(commands: Any) -> None:
    from cii_sheets.watch import DEFAULT_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS

    text = "keep running: sync each change to the spreadsheet within an interval (fix and see)"
    command = commands.add_parser(
        "watch",
        help=text,
        description=f"{text.capitalize()}. Each interval reads the spreadsheet once; only when "
        "its values changed does it validate, store, rewrite the Sync report and notify. "
        "Stops cleanly on Ctrl+C or SIGTERM.",
    )
    command.add_argument(
        "--workbook", type=Path, action="append", help="a local .xlsx file (repeatable)"
    )
    command.add_argument(
        "--spreadsheet",
        metavar="KEY_OR_URL",
        action="append",
        help="a Google Spreadsheet (repeatable, and may be mixed with --workbook: each look "
        "reads every source once)",
    )
    _credentials_argument(command)
    command.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between looks (default {DEFAULT_INTERVAL_SECONDS}, at least "
        f"{MIN_INTERVAL_SECONDS})",
    )
    command.add_argument("--store", help="SQLAlchemy URL of the store (as for sync)")
    command.add_argument(
        "--notify", action="append", metavar="URL", help="apprise URL (as for sync)"
    )
    command.add_argument(
        "--notify-always", action="store_true", help="a digest after every change synced"
    )
    command.add_argument(
        "--no-report", action="store_true", help="do not write the Sync report tab back"
    )
    command.set_defaults(handler=_watch)


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
    # Sources given on the command line replace the configured ones, not join them.
    given = {name: flags[name] for name in ("workbook", "spreadsheet") if flags[name]}
    if given:
        settings = replace(
            settings,
            workbook=settings.workbook if "workbook" in given else (),
            spreadsheet=settings.spreadsheet if "spreadsheet" in given else (),
            sources=(),
        )
    return settings


def _as_of(args: argparse.Namespace, settings: config.Config) -> dt.date:
    return args.as_of or sync.today(settings.timezone)


def _show_config(args: argparse.Namespace) -> int:
    print(config.describe(config.load(args.config)))
    return sync.EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from cii_sheets.sample import write_sample

    _write(args.path, args.force, write_sample)
    print(f"Wrote the sample workbook to {args.path}")
    return sync.EXIT_OK


def _init_workbook(args: argparse.Namespace) -> int:
    from cii_sheets.template import write_template

    _write(args.path, args.force, write_template)
    print(f"Wrote a blank CII workbook to {args.path}")
    return sync.EXIT_OK


def _write(path: Path, force: bool, writer: Callable[[Path], object]) -> None:
    """Write a workbook, never over one by surprise; make a missing folder, and say so."""
    if path.is_dir():
        raise CiiSheetsError(f"{path} is a folder. Give the path of the .xlsx file to write.")
    if path.exists() and not force:
        raise CiiSheetsError(
            f"{path} already exists, so it was left as it is. Give another path, or add --force "
            "to replace it."
        )
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
            print(f"Created the folder {path.parent}")
        writer(path)
    except OSError as exc:  # a folder that cannot be made, no permission, a full disk
        raise CiiSheetsError(
            f"Could not write {exc.filename or path}: {exc.strerror or exc}. Choose a folder you "
            "can write to."
        ) from None


def _check(args: argparse.Namespace) -> int:
    settings = _config(args)
    outcome = sync.check(sources.from_config(settings), _as_of(args, settings))
    return _finish(outcome, args)


def _sync(args: argparse.Namespace) -> int:
    from cii_sheets.notify import Notifier
    from cii_sheets.writeback import report_steps

    settings = _config(args)
    source = sources.from_config(settings)
    after = report_steps(source, enabled=not args.no_report)
    notifier = Notifier(settings.notify, always=settings.notify_always)
    outcome = sync.run(
        source,
        settings.store,
        _as_of(args, settings),
        after_store=after,
        after_run=(notifier,),
    )
    return _finish(outcome, args)


def _watch(args: argparse.Namespace) -> int:
    import signal

    from cii_sheets.notify import Notifier
    from cii_sheets.watch import Watch

    settings = _config(args)
    watch = Watch(
        sources.from_config(settings),
        settings.store,
        interval=args.interval,
        write_report=not args.no_report,
        notifier=Notifier(settings.notify, always=settings.notify_always),
        today=lambda: sync.today(settings.timezone),
        on_look=None if args.log_format == "json" else _print_look,
    )

    def stop(signum: int, frame: object) -> None:
        if watch.stopping:  # asked twice: stop now (a store write in progress rolls back)
            raise KeyboardInterrupt
        log.warning("stopping after this step (%s)", signal.Signals(signum).name)
        watch.request_stop()

    handlers = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    if args.log_format != "json":  # under a scheduler the watch.started event says it
        print(f"Watching {watch.source.describe()} every {watch.interval:g} s. Ctrl+C stops.")
    try:
        return watch.run()
    except KeyboardInterrupt:  # asked twice: the store's transaction rolled back, lock freed
        print("cii-sheets: stopped at once; the store keeps its last snapshot.", file=sys.stderr)
        return sync.EXIT_FAILED
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _print_look(look: Any) -> None:
    """One line per change synced (a failed look is logged); an unchanged look prints nothing."""
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    validation = look.outcome.validation if look.outcome else None
    if look.state == "synced" and validation is not None:
        from cii_sheets.report import summary_line

        line = summary_line(validation, dt.datetime.now().astimezone()).split(" (synced")[0]
        print(f"{stamp} changed, stored as sync run {look.outcome.run_id}: {line}", flush=True)


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
    from cii_sheets.google_client import SHEET_URL, SheetsClient, spreadsheet_key
    from cii_sheets.sheet_setup import set_up, tab_names

    settings = _config(args)
    spreadsheets = [where for kind, where in settings.source_entries() if kind == "spreadsheet"]
    if not spreadsheets:
        raise CiiSheetsError(
            "Which spreadsheet? Give --spreadsheet, or set `spreadsheet` in the configuration."
        )
    if len(spreadsheets) > 1:
        raise CiiSheetsError(
            f"{len(spreadsheets)} spreadsheets are configured; set them up one at a time, each "
            "with the tabs it should hold: --spreadsheet KEY_OR_URL --tabs Pledges,Payments."
        )
    tabs = tab_names(args.tabs) if args.tabs else None
    key = spreadsheet_key(spreadsheets[0])
    url = SHEET_URL.format(key=key)
    changes = set_up(SheetsClient(settings.credentials), key, tabs)
    if changes:
        print(f"Set up {url}:")
        print("\n".join(f"  {line}" for line in changes))
    else:
        print(f"{url} is already set up: nothing to change.")
    return sync.EXIT_OK


def _board_pack(args: argparse.Namespace) -> int:
    from cii_sheets.exports import board_pack

    settings = _config(args)
    pdf = board_pack.build(settings.store, _as_of(args, settings), args.since)
    path = board_pack.write(args.out, pdf)
    print(f"Wrote the board pack to {path}")
    if args.notify and not board_pack.send(args.notify, path):
        raise CiiSheetsError(
            f"The board pack was written to {path} but not every --notify channel accepted it. "
            "Check the URL, then run this again."
        )
    return sync.EXIT_OK


def _finish(outcome: sync.Outcome, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(as_json(outcome), ensure_ascii=False))
    elif outcome.error is not None:  # one line on stderr, as for every other failure
        print(f"cii-sheets: {outcome.error}", file=sys.stderr)
    else:
        print(summary(outcome))
        kept = "keep their last good copy" if outcome.run_id is not None else "were not checked"
        for failure in outcome.failures:  # a partial run: one line per source not read
            print(
                f"cii-sheets: could not read {failure.source}, so its tabs {kept}: "
                f"{failure.reason}",
                file=sys.stderr,
            )
    return outcome.exit_code


def as_json(outcome: sync.Outcome) -> dict[str, Any]:
    """The one JSON object `--json` prints."""
    validation = outcome.validation
    problems = validation.problems if validation else []
    alerts = validation.alerts if validation else []
    body: dict[str, Any] = {
        "ok": outcome.exit_code == sync.EXIT_OK,
        "source": outcome.source,
        "sources": [i.to_dict() for i in outcome.raw.infos()] if outcome.raw else [],
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
    for failure in outcome.failures:
        lines.append(f"Could not read {failure.source}: {failure.reason}")
    lines += ["", "Figures (rows with errors are left out)", *_figure_lines(figures)]
    several = outcome.raw is not None and len(outcome.raw.infos()) > 1
    # As the Sync report reads: things to fix, then notes (warnings that ask for nothing).
    to_fix = [p for p in validation.problems if not p.is_note]
    notes = [p for p in validation.problems if p.is_note]
    if to_fix:
        lines += ["", f"To fix ({len(to_fix)}): {to_fix_counts(validation)}"]
        lines += _by_tab(to_fix, several)
    else:
        lines += ["", "All clear: nothing to fix."]
    if notes:
        lines += ["", f"Notes: nothing to fix ({len(notes)})", *_by_tab(notes, several)]
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


def _by_tab(problems: list[Problem], several: bool = False) -> list[str]:
    """Problems grouped by tab; with several sources, each tab says which source holds it."""
    lines = []
    for (tab, source), items in groupby(problems, key=lambda p: (p.tab, p.source)):
        lines.append(f"  {tab} ({source})" if several and source else f"  {tab}")
        for p in items:
            place = ", ".join(
                part for part in (f"row {p.row}" if p.row else "", p.column or "") if part
            )
            where = f"{place}: " if place else ""
            kind = "NOTE" if p.is_note else p.severity.upper()
            lines.append(f"    {kind:7} {where}{p.message}")
    return lines


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
