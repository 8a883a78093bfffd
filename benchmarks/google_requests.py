"""Google API requests per sync, this project against the usual gspread way, on the fake API.

Run: .venv/bin/python benchmarks/google_requests.py

Both ways run against ``tests/fake_sheets.py`` (no network), on a spreadsheet with the seven
tabs of the messy test workbook plus a ``Sync report`` tab, and do the same job: read every
tab, then rewrite the report tab. Token requests are counted apart (one per run for both).

- this project: ``sync.run`` with the report write-back: ``spreadsheets.get`` with
  ``includeGridData`` and a ``fields`` mask, then one ``spreadsheets.batchUpdate``;
- the usual gspread way: ``open_by_key``, then ``worksheet(title).get_all_records()`` for each
  tab (each ``worksheet()`` call fetches the spreadsheet's metadata again), then
  ``worksheet("Sync report")``, ``clear()`` and ``update()``.

Then the time to turn one batch response of 100,000 Pledges-like rows (text, money, date serials
with a DATE format, a ``#REF!`` error value every 1,000 rows) into RawTabs: ``json.loads`` of
the body (plain, and with the garbage collector paused as the source does) and ``to_raw_tabs``
measured apart, best of three.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import gspread  # the comparison; the project itself uses it only in sources/google
from conftest import MESSY_AS_OF, MESSY_TABS
from fake_sheets import World, fake_world

from cii_sheets import sync
from cii_sheets.google_client import load_credentials, parse_json
from cii_sheets.sources.google import to_raw_tabs
from cii_sheets.writeback import ReportWriter

ROWS = 100_000
NAMES = {
    "read": "spreadsheets.get",
    "write": "spreadsheets.batchUpdate",
    "values-get": "values.get",
    "values-clear": "values.clear",
    "values-update": "values.update",
}


def count(world: World, start: int) -> tuple[int, int]:
    """(Sheets API requests, token requests) logged since ``start``."""
    logged = world.fake.log[start:]
    tokens = sum(1 for r in logged if r.kind == "token")
    return len(logged) - tokens, tokens


def this_project(tmp: Path) -> tuple[int, int, list[str]]:
    with fake_world(tmp, MESSY_TABS) as world:
        world.fake.add_tab("Sync report", [["old report"]])
        source = world.source()
        outcome = sync.run(
            source,
            f"sqlite:///{tmp / 'a.sqlite'}",
            MESSY_AS_OF,
            after_store=(ReportWriter(source),),
        )
        assert outcome.error is None, outcome.error
        api, tokens = count(world, 0)
        return api, tokens, [r.kind for r in world.fake.log if r.kind != "token"]


def gspread_way(tmp: Path) -> tuple[int, int, list[str]]:
    with fake_world(tmp, MESSY_TABS) as world:
        world.fake.add_tab("Sync report", [["old report"]])
        client = gspread.Client(load_credentials(world.key_file))
        spreadsheet = client.open_by_key(world.fake.key)
        records = {t: spreadsheet.worksheet(t).get_all_records() for t in MESSY_TABS}
        assert len(records["Pledges"]) == 8
        report = spreadsheet.worksheet("Sync report")
        report.clear()
        report.update([["Severity", "Tab", "Row"], ["Error", "Pledges", 3]], "A1")
        api, tokens = count(world, 0)
        return api, tokens, [r.kind for r in world.fake.log if r.kind != "token"]


def batch_body(rows: int, seed: int = 7) -> dict[str, Any]:
    """A ``spreadsheets.get`` answer for one Pledges tab, shaped as Google sends it."""
    rng = random.Random(seed)
    date_fmt = {"numberFormat": {"type": "DATE"}}

    def text(value: str) -> dict[str, Any]:
        return {"effectiveValue": {"stringValue": value}}

    header = ["Pledge ID", "Funder", "Amount (£)", "Date pledged", "Due by", "Status", "Notes"]
    row_data: list[dict[str, Any]] = [{"values": [text(h) for h in header]}]
    for i in range(rows):
        day = 42736 + rng.randrange(0, 1800)
        amount: dict[str, Any] = {"effectiveValue": {"numberValue": rng.randrange(1, 100) * 1000}}
        if i % 1000 == 999:
            amount = {"effectiveValue": {"errorValue": {"type": "REF", "message": "x"}}}
        values = [
            text(f"P{i:06d}"),
            text("Trust for London"),
            amount,
            {"effectiveValue": {"numberValue": day}, "effectiveFormat": date_fmt},
            text("31/03/2019") if i % 2 else {},
            text("Confirmed"),
        ]
        if i % 10 == 0:
            values.append(text("note"))
        if i % 5000 == 4999:
            row_data.append({})  # a blank row in the middle
        row_data.append({"values": values})
    return {
        "spreadsheetId": "k",
        "properties": {"title": "CII", "locale": "en_GB", "timeZone": "Europe/London"},
        "sheets": [
            {"properties": {"sheetId": 1, "title": "Pledges"}, "data": [{"rowData": row_data}]}
        ],
    }


def best_of(n: int, fn: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(n):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "a").mkdir()
        (tmp / "b").mkdir()
        ours = this_project(tmp / "a")
        theirs = gspread_way(tmp / "b")
    print(f"Google API requests per sync, {len(MESSY_TABS)} tabs + Sync report (fake API)")
    print()
    print("| way | Sheets API requests | token requests | requests, in order |")
    print("|---|---:|---:|---|")
    for name, (api, tokens, kinds) in (("cii-sheets", ours), ("usual gspread way", theirs)):
        order = ", ".join(f"{NAMES[k]} x{kinds.count(k)}" for k in dict.fromkeys(kinds))
        print(f"| {name} | {api} | {tokens} | {order} |")

    text = json.dumps(batch_body(ROWS))
    content = text.encode()
    plain_s, _ = best_of(3, lambda: json.loads(content))
    parse_s, body = best_of(3, lambda: parse_json(content))
    convert_s, tabs = best_of(3, lambda: to_raw_tabs(body))
    (tab,) = tabs
    assert len(tab.rows) == ROWS and tab.rows[999][2] == "#REF!"
    assert isinstance(tab.rows[0][3], dt.date)
    print()
    print(f"Converting one batch response of {ROWS:,} rows ({len(text) / 1e6:.0f} MB of JSON)")
    print()
    print("| step | seconds (best of 3) |")
    print("|---|---:|")
    print(f"| json.loads, garbage collector on (what response.json() does) | {plain_s:.2f} |")
    print(f"| parse_json (json.loads, collector paused: what the source does) | {parse_s:.2f} |")
    print(f"| to_raw_tabs (cells to values, dates, errors; rows, row numbers) | {convert_s:.2f} |")


if __name__ == "__main__":
    main()
