"""Time validation of generated Pledges tabs at 1k, 10k and 100k rows, beside frictionless-py.

Run: .venv/bin/python benchmarks/validate.py   (frictionless comes from the `bench` extra:
pip install -e '.[bench]'; without it that column says "not installed").

Validation time is `validate()` on rows already read (what `check` does after the source);
the reader's own time is measured separately in benchmarks/readers.py. Peak memory is the
tracemalloc peak of a separate run, so that tracing does not slow the timed one.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from cii_sheets import schema
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.validate import validate

AS_OF = dt.date(2026, 11, 23)
FUNDERS = [
    "Trust for London",
    "Unbound Philanthropy",
    "Paul Hamlyn Foundation",
    "City Bridge Trust",
]
HEADER = ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Notes"]


def pledge_rows(n: int, seed: int = 7) -> list[list[object]]:
    """Rows as staff type them: numbers and '£25,000', date cells and '01/04/2017', 1% mistakes."""
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        day = dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(0, 1800))
        amount: object = rng.randrange(1, 100) * 1000
        if i % 3 == 0:
            amount = f"£{amount:,}"
        pledged: object = day if i % 2 else day.strftime("%d/%m/%Y")
        if i % 100 == 0:
            amount = "ten k"
        rows.append(
            [
                f"P{i:06d}",
                FUNDERS[i % len(FUNDERS)],
                amount,
                pledged,
                day + dt.timedelta(days=365),
                "Confirmed" if i % 5 else "Expected",
                "",
            ]
        )
    return rows


def raw_sheet(rows: list[list[object]]) -> RawSpreadsheet:
    goals = RawTab("Goals", ["Goal ID", "Goal"], [["G1", "Civic engagement"]], [2])
    funders = RawTab("Funders", ["Funder"], [[f] for f in FUNDERS], list(range(2, 6)))
    pledges = RawTab("Pledges", HEADER, rows, list(range(2, len(rows) + 2)))
    # The other required tabs, present with their headers only.
    others = [
        RawTab(tab.name, [c.name for c in tab.columns], [], [])
        for tab in (schema.SECONDMENTS_TAB, schema.ACHIEVEMENTS_TAB)
    ]
    return RawSpreadsheet("generated", [goals, funders, pledges, *others])


def cii_check(rows: list[list[object]]) -> Callable[[], object]:
    sheet = raw_sheet(rows)
    return lambda: validate(sheet, AS_OF)


def frictionless_check(rows: list[list[object]], folder: Path) -> Callable[[], object] | None:
    try:
        import frictionless
    except ImportError:
        return None
    path = folder / f"pledges-{len(rows)}.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["pledge_id", "funder", "amount", "date_pledged", "due_by", "status"])
        for r in rows:
            amount = str(r[2]).replace("£", "")
            pledged = r[3].strftime("%d/%m/%Y") if isinstance(r[3], dt.date) else r[3]
            writer.writerow([r[0], r[1], amount, pledged, r[4].strftime("%d/%m/%Y"), r[5]])  # type: ignore[attr-defined]
    # The closest Table Schema to the contract's Pledges tab.
    schema = frictionless.Schema.from_descriptor(
        {
            "fields": [
                {
                    "name": "pledge_id",
                    "type": "string",
                    "constraints": {"required": True, "unique": True},
                },
                {
                    "name": "funder",
                    "type": "string",
                    "constraints": {"required": True, "enum": FUNDERS},
                },
                {
                    "name": "amount",
                    "type": "number",
                    "groupChar": ",",
                    "constraints": {"required": True, "minimum": 0},
                },
                {
                    "name": "date_pledged",
                    "type": "date",
                    "format": "%d/%m/%Y",
                    "constraints": {"required": True},
                },
                {"name": "due_by", "type": "date", "format": "%d/%m/%Y"},
                {
                    "name": "status",
                    "type": "string",
                    "constraints": {"enum": ["Expected", "Confirmed", "Withdrawn"]},
                },
            ],
            "primaryKey": ["pledge_id"],
        }
    )
    checklist = frictionless.Checklist()

    def run() -> object:
        resource = frictionless.Resource(path=path.name, basepath=str(folder), schema=schema)
        report = resource.validate(checklist, limit_errors=10**7)
        return report

    return run


def best_of(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(run: Callable[[], object]) -> float:
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(sizes: tuple[int, ...] = (1_000, 10_000, 100_000)) -> None:
    print(f"Python {sys.version.split()[0]}; validation only (rows already read); best of 3\n")
    head = (
        f"| {'rows':>7} | {'cii-sheets s':>12} | {'rows/s':>9} | {'peak MiB':>8} "
        f"| {'frictionless s':>14} | {'rows/s':>8} | {'errors found (cii / fl)':>23} "
        f"| {'alerts':>6} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            rows = pledge_rows(n)
            ours = cii_check(rows)
            seconds = best_of(ours, 3)
            found = validate(raw_sheet(rows), AS_OF)
            errors, alerts = len(found.errors), len(found.alerts)
            memory = peak_mib(ours)
            theirs = frictionless_check(rows, Path(folder))
            if theirs is None:
                fl, fl_rate, fl_errors = "not installed", "", "-"
            else:
                fl_seconds = best_of(theirs, 1 if n >= 100_000 else 3)
                fl_errors = str(len(theirs().tasks[0].errors))  # type: ignore[attr-defined]
                fl, fl_rate = f"{fl_seconds:.3f}", f"{n / fl_seconds:,.0f}"
            print(
                f"| {n:>7,} | {seconds:>12.3f} | {n / seconds:>9,.0f} | {memory:>8.1f} "
                f"| {fl:>14} | {fl_rate:>8} | {errors:>11} / {fl_errors:<9} | {alerts:>6,} |"
            )


if __name__ == "__main__":
    main()
