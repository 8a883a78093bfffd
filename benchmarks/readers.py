"""Time openpyxl against python-calamine reading a large Pledges-like sheet into raw tabs.

    .venv/bin/python benchmarks/readers.py [--rows 100000] [--keep PATH]

Writes a workbook with openpyxl (text, money numbers, real date cells, some UK text dates and a
failed-formula cell every 1,000 rows), then reads it with each reader in a fresh process (so peak
memory is that reader's alone: resource's ru_maxrss, which also sees calamine's Rust allocations
that tracemalloc cannot) and checks the values each reader gives for a date cell and an error cell.
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
    from cii_sheets.sources.workbook import WorkbookSource

    return WorkbookSource(path).read().tabs


def read_calamine(path: Path) -> Any:
    """python-calamine into the same RawTab shape, with the same cell normalisation."""
    import python_calamine

    from cii_sheets.sources import RawTab
    from cii_sheets.sources.workbook import trim_row

    def fix(value: Any) -> Any:
        if value == "":
            return None
        if type(value) is float and value.is_integer():
            return int(value)
        return value

    tabs = []
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        data = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header: list[Any] = []
        rows, numbers = [], []
        for number, values in enumerate(data, start=1):
            cells = trim_row([fix(v) for v in values])
            if number == 1:
                header = cells
            elif cells:
                rows.append(cells)
                numbers.append(number)
        tabs.append(RawTab(title=name, header=header, rows=rows, row_numbers=numbers))
    book.close()
    return tabs


READERS = {"openpyxl": read_openpyxl, "calamine": read_calamine}


def measure(reader: str, path: Path) -> dict[str, Any]:
    """Run in a child process: time one reader and check two cells."""
    import openpyxl  # noqa: F401  imports are not part of the timing
    import python_calamine  # noqa: F401

    import cii_sheets.sources.workbook  # noqa: F401

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
        "errors_ok": first[2] == "#REF!",
        "error_cell_read_as": repr(first[2]),
        "number": repr(second[2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the generated workbook here")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "pledges.xlsx"
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"wrote {args.rows:,} rows to {path} "
            f"({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
        )
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
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

    print(f"{'reader':<10} {'rows':>8} {'seconds':>8} {'peak MB':>8}  dates ok  errors ok")
    for r in results:
        print(
            f"{r['reader']:<10} {r['rows']:>8,} {r['seconds']:>8.2f} {r['peak_mb']:>8}  "
            f"{'yes' if r['dates_ok'] else 'NO':<8}  {'yes' if r['errors_ok'] else 'NO'}"
            f"  (error cell read as {r['error_cell_read_as']}, number {r['number']})"
        )


if __name__ == "__main__":
    main()
