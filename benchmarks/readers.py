"""Workbook readers, and the whole `check` process against frictionless, on a large Pledges sheet.

    .venv/bin/python benchmarks/readers.py [--rows 100000] [--keep PATH]

Writes a workbook with openpyxl (text, money numbers, real date cells, some UK text dates and a
failed-formula cell every 1,000 rows), then:

1. reads it with each reader in a fresh process (so peak memory is that reader's alone:
   resource's ru_maxrss, which also sees the Rust readers' allocations that tracemalloc cannot),
   checking the values each gives for a date cell, a number and an error cell: openpyxl
   (read-only), python-calamine alone, fastexcel (when installed: it brings pyarrow, so it is not
   in the ``bench`` extra) and the project's reader (calamine plus the XML's error cells);
2. times whole processes, start-up included, with their peak memory: ``cii-sheets check
   --workbook`` on that workbook against ``frictionless validate`` of the same sheet, then
   ``cii-sheets check`` on the sample workbook (``cii-sheets demo``), best of three (frictionless
   reads every row: ``--trusted`` for a temporary path, ``--skip-errors missing-cell`` as an empty
   trailing Notes cell is fine, and no error limit to stop it early);
3. times the Google path's conversion of a 100,000-row ``spreadsheets.get`` answer
   (``json.loads`` with the collector paused, then ``to_raw_tabs``), best of three.

The result chose the reader in ``cii_sheets/sources/workbook.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FUNDERS = (
    "Trust for London",
    "Unbound Philanthropy",
    "Paul Hamlyn Foundation",
    "Barrow Cadbury Trust",
    "Esmée Fairbairn Foundation",
    "John Lyon's Charity",
)
STATUSES = ("Expected", "Confirmed", "Withdrawn")
HEADER = ("Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Notes")
ERROR_EVERY = 1000
ERRORS = ("#REF!", "#DIV/0!", "#N/A")


def generate(path: Path, rows: int) -> None:
    """A Pledges sheet of ``rows`` data rows; deterministic."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Pledges")
    sheet.append(HEADER)
    start = dt.date(2017, 1, 1)
    for i in range(rows):
        pledged = WriteOnlyCell(sheet, value=start + dt.timedelta(days=i % 3650))
        pledged.number_format = "DD/MM/YYYY"
        due_date = start + dt.timedelta(days=i % 3650 + 365)
        if i % 7 == 0:  # some dates typed as UK text
            due: Any = due_date.strftime("%d/%m/%Y")
        else:
            due = WriteOnlyCell(sheet, value=due_date)
            due.number_format = "DD/MM/YYYY"
        amount: Any = 1000 + (i * 37) % 50000 + (0.5 if i % 3 == 0 else 0)
        if i % ERROR_EVERY == 0:
            amount = WriteOnlyCell(sheet, value=ERRORS[(i // ERROR_EVERY) % len(ERRORS)])
            amount.data_type = "e"  # how a workbook stores a failed formula's cached result
        sheet.append(
            (
                f"P{i + 1:06d}",
                FUNDERS[i % len(FUNDERS)],
                amount,
                pledged,
                due,
                STATUSES[i % len(STATUSES)],
                "first instalment" if i % 5 == 0 else None,
            )
        )
    book.save(path)


def read_openpyxl(path: Path) -> Any:
    import openpyxl

    from cii_sheets.sources.workbook import read_openpyxl_sheet

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [read_openpyxl_sheet(sheet) for sheet in book.worksheets]
    finally:
        book.close()


def read_calamine(path: Path) -> Any:
    """python-calamine alone, into the same RawTab shape with the same cell normalisation."""
    import python_calamine

    from cii_sheets.raw import RawTab
    from cii_sheets.sources.workbook import calamine_row

    tabs = []
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        data = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header: list[Any] = []
        rows, numbers = [], []
        for number, values in enumerate(data, start=1):
            cells = calamine_row(values)
            if number == 1:
                header = cells
            elif cells:
                rows.append(cells)
                numbers.append(number)
        tabs.append(RawTab(title=name, header=header, rows=rows, row_numbers=numbers))
    book.close()
    return tabs


def read_fastexcel(path: Path) -> Any:
    """fastexcel: typed Arrow columns (a mixed column becomes text), into RawTabs."""
    import fastexcel

    from cii_sheets.raw import RawTab
    from cii_sheets.sources.workbook import trim_row

    tabs = []
    reader = fastexcel.read_excel(str(path))
    for name in reader.sheet_names:
        table = reader.load_sheet_by_name(name, header_row=None).to_arrow()
        columns = [column.to_pylist() for column in table.columns]
        data = list(zip(*columns, strict=True)) if columns else []
        header: list[Any] = []
        rows, numbers = [], []
        for number, values in enumerate(data, start=1):
            cells = trim_row(list(values))
            if number == 1:
                header = cells
            elif cells:
                rows.append(cells)
                numbers.append(number)
        tabs.append(RawTab(title=name, header=header, rows=rows, row_numbers=numbers))
    return tabs


def read_project(path: Path) -> Any:
    from cii_sheets.sources.workbook import WorkbookSource

    return WorkbookSource(path).read().tabs


READERS = {
    "openpyxl": read_openpyxl,
    "calamine": read_calamine,
    "fastexcel": read_fastexcel,
    "calamine + XML errors (used)": read_project,
}


def measure(reader: str, path: Path) -> dict[str, Any]:
    """Run in a child process: time one reader and check three cells."""
    import importlib

    for module in ("openpyxl", "python_calamine", "fastexcel", "cii_sheets.sources.workbook"):
        try:  # imports are not part of the timing
            importlib.import_module(module)
        except ImportError:
            if module == "fastexcel" and reader == "fastexcel":
                return {"reader": reader, "missing": True}

    started = time.perf_counter()
    tabs = READERS[reader](path)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tab = tabs[0]
    by_number = dict(zip(tab.row_numbers, tab.rows, strict=True))
    first = by_number[2]  # data row i = 0: error cell in Amount, real date in Date pledged
    second = by_number[3]  # i = 1: real dates, plain number
    return {
        "reader": reader,
        "rows": len(tab.rows),
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_kb / 1024),
        "dates_ok": first[3] == dt.date(2017, 1, 1) and second[4] == dt.date(2018, 1, 2),
        "numbers_ok": second[2] == 1037 and type(second[2]) is int,
        "errors_ok": first[2] == "#REF!",
        "error_cell_read_as": repr(first[2]),
        "number": repr(second[2]),
    }


# frictionless reads every row: a temporary path is allowed (--trusted), an empty trailing Notes
# cell is not an error (as in the contract), and no error limit stops it early.
FRICTIONLESS = ["validate", "--trusted", "--json", "--skip-errors", "missing-cell"]
FRICTIONLESS += ["--limit-errors", "10000000"]

# Runs one command and prints its wall-clock seconds and its own peak RSS (KB): the wrapper's only
# child, so RUSAGE_CHILDREN is that command's alone.
TIMER = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    ".returncode\n"
    "seconds = time.perf_counter() - started\n"
    "print(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def whole_process(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Best of three wall-clock seconds, start-up included; peak RSS in MB; the exit code."""
    best, peak, code = float("inf"), 0, 0
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", TIMER, *command],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        best = min(best, float(out[0]))
        peak = max(peak, int(out[1]))
        code = int(out[2])
    return best, round(peak / 1024), code


def google_conversion(rows: int) -> tuple[float, float]:
    """Seconds to parse and convert a ``rows``-row Google answer: (json.loads, to_raw_tabs)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from google_requests import batch_body, best_of

    from cii_sheets.google_client import gc_paused, parse_json
    from cii_sheets.sources.google import to_raw_tabs

    content = json.dumps(batch_body(rows)).encode()
    parse, body = best_of(3, lambda: parse_json(content))

    def convert() -> Any:
        with gc_paused():
            return to_raw_tabs(body)

    seconds, _ = best_of(3, convert)
    return parse, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the generated workbook here")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "pledges.xlsx"
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"wrote {args.rows:,} rows to {path} "
            f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s\n"
        )
        results = []
        for reader in READERS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", reader, str(path)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            ).stdout
            results.append(json.loads(out))

        print(f"Reading {args.rows:,} rows (the read alone, each reader in a fresh process)\n")
        print("| reader | seconds | peak MB | dates ok | numbers ok | errors ok |")
        print("|---|---:|---:|---|---|---|")
        for r in results:
            if r.get("missing"):
                print(f"| {r['reader']} | not installed | | | | |")
                continue
            print(
                f"| {r['reader']} | {r['seconds']:.2f} | {r['peak_mb']} | "
                + " | ".join(
                    "yes" if r[k] else "NO" for k in ("dates_ok", "numbers_ok", "errors_ok")
                )
                + f" |  <!-- error cell read as {r['error_cell_read_as']}, number {r['number']} -->"
            )

        sample = Path(tmp) / "sample.xlsx"
        cii = str(bin_dir / "cii-sheets")
        subprocess.run([cii, "demo", str(sample)], check=True, capture_output=True, env=env)
        runs = [
            (f"cii-sheets check --workbook ({args.rows:,} rows)", [cii, "check", "--workbook"]),
            (
                f"frictionless validate ({args.rows:,} rows)",
                [str(bin_dir / "frictionless"), *FRICTIONLESS],
            ),
        ]
        print("\nWhole process, start-up included (best of 3)\n")
        print("| command | seconds | peak MB |")
        print("|---|---:|---:|")
        timed: dict[str, float] = {}
        for label, command in runs:
            if not Path(command[0]).exists():
                print(f"| {label} | not installed | |")
                continue
            seconds, peak, _ = whole_process([*command, str(path)], env)
            timed[label.split()[0]] = seconds
            print(f"| {label} | {seconds:.2f} | {peak} |")
        seconds, peak, _ = whole_process([cii, "check", "--workbook", str(sample)], env)
        print(f"| cii-sheets check --workbook (the sample workbook) | {seconds:.2f} | {peak} |")
        if len(timed) == 2:
            ratio = timed["cii-sheets"] / timed["frictionless"]
            print(f"\ncii-sheets / frictionless at {args.rows:,} rows: {ratio:.2f}x")

    parse, convert = google_conversion(args.rows)
    print(
        f"\nGoogle path, {args.rows:,}-row answer (best of 3): json.loads {parse:.2f} s, "
        f"to_raw_tabs {convert:.2f} s, together {parse + convert:.2f} s"
    )


if __name__ == "__main__":
    main()
