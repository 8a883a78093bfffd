"""Time `export-360giving` on generated Grants tabs of 1k, 10k and 50k grants (360Giving's limit).

Run: .venv/bin/python benchmarks/giving360.py

Each row of the table is one export from a Grants tab already validated (what the command does
after reading the spreadsheet or the store): the checks, building the package, validating it
against the standard's JSON schemas (jsonschema, with format checks), and writing the JSON and
the xlsx. The tab's own validation and the schema check alone are timed in their own columns.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from cii_sheets.exports import giving360
from cii_sheets.sources import RawSpreadsheet, RawTab
from cii_sheets.validate import validate

AS_OF = dt.date(2026, 11, 23)
SETTINGS = [
    ["360Giving prefix", "360G-cii"],
    ["Funding organisation identifier", "GB-CHC-1234567"],
    ["Funding organisation name", "Trust for London"],
    ["Publisher website", "https://trustforlondon.org.uk/"],
    ["Programme start", "01/01/2000"],
    ["Programme end", "31/12/2026"],
]
HEADER = [
    "Identifier",
    "Title",
    "Description",
    "Recipient Org:Name",
    "Recipient Org:Identifier",
    "Amount Awarded",
    "Award Date",
    "Planned Dates:Start Date",
    "Planned Dates:End Date",
    "Goal",
]


def grant_rows(n: int, seed: int = 7) -> list[list[object]]:
    """Grants as staff type them: UK dates as text and as date cells, '£25,000' and numbers."""
    rng = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        day = dt.date(2001, 1, 1) + dt.timedelta(days=rng.randrange(0, 9000))
        amount: object = rng.randrange(1, 200) * 500
        rows.append(
            [
                f"360G-cii-{i:06d}",
                f"Grant number {i} for community work",
                "Core costs and a project with refugees and migrants in London",
                f"Organisation {i % 900}",
                f"GB-CHC-{1000000 + i % 900}",
                f"£{amount:,}" if i % 3 == 0 else amount,
                day.strftime("%d/%m/%Y") if i % 2 else day,
                day + dt.timedelta(days=30),
                day + dt.timedelta(days=395),
                ("G1", "G2", "G3")[i % 3],
            ]
        )
    return rows


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 50_000]
    print("| grants | validate tab (s) | export (s) | schema check (s) | JSON (MB) | xlsx (MB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        tabs = [
            RawTab("Settings", ["Setting", "Value"], SETTINGS, list(range(2, 2 + len(SETTINGS)))),
            RawTab("Grants", HEADER, grant_rows(n), list(range(2, n + 2))),
        ]
        started = time.perf_counter()
        validation = validate(RawSpreadsheet("generated", tabs), AS_OF)
        validated = time.perf_counter() - started
        grants = giving360.from_validation(validation)
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = giving360.export(grants, Path(folder))
            exported = time.perf_counter() - started
            assert result.ok, giving360.summary(result)[:500]
            sizes_mb = [p.stat().st_size / 1e6 for p in result.written]
        assert result.package is not None
        started = time.perf_counter()
        giving360.schema_problems(result.package, list(range(2, n + 2)))
        schema_seconds = time.perf_counter() - started
        print(
            f"| {n:,} | {validated:.2f} | {exported:.2f} | {schema_seconds:.2f} | "
            f"{sizes_mb[0]:.1f} | {sizes_mb[1]:.1f} |"
        )


if __name__ == "__main__":
    main()
