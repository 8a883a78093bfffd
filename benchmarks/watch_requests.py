"""Sheets API requests per minute of `cii-sheets watch`, counted on the fake API with a fake clock.

Run: .venv/bin/python benchmarks/watch_requests.py

The watch runs for ten simulated minutes against ``tests/fake_sheets.py`` (no network, no real
waiting) on the messy test spreadsheet, at the default interval (60 s) and the minimum (15 s),
in three cases: nobody edits; somebody changes a cell before every look (the worst case); and
Google fails every read with HTTP 500 (each read is retried within its two-minute budget, and
the watch waits longer after each failed look). Every HTTP request the fake receives is counted;
token requests are listed apart (google-auth signs in once an hour).
"""

from __future__ import annotations

import itertools
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import MESSY_AS_OF, MESSY_TABS
from fake_sheets import cell_data, fake_world

from cii_sheets.watch import Watch

MINUTES = 10


def measure(interval: int, case: str) -> tuple[int, int, int, int]:
    """(looks, reads, writes, token requests) in MINUTES simulated minutes."""
    with tempfile.TemporaryDirectory() as tmp, fake_world(Path(tmp), MESSY_TABS) as world:
        source = world.source(jitter=lambda: 0.5)
        amounts = itertools.count(1000)

        def wait(seconds: float) -> bool:
            world.clock.sleep(seconds)
            if case == "a change every look":
                world.fake.sheet("Pledges").cells[(2, 2)] = cell_data(next(amounts))
            if case == "Google failing":
                world.fake.fail("500", times=50)
            return world.clock.now >= MINUTES * 60

        if case == "Google failing":
            world.fake.fail("500", times=50)
        watch = Watch(
            source,
            f"sqlite:///{tmp}/cii.sqlite",
            interval=interval,
            today=lambda: MESSY_AS_OF,
            wait=wait,
        )
        watch.run()
        log = world.fake.log
        reads = sum(1 for r in log if r.kind == "read")
        writes = sum(1 for r in log if r.kind == "write")
        tokens = sum(1 for r in log if r.kind == "token")
        return watch.looks, reads, writes, tokens


def main() -> None:
    logging.disable(logging.CRITICAL)  # the failing case logs each failed look; not wanted here
    print(f"cii-sheets watch, {MINUTES} simulated minutes on the fake Sheets API\n")
    print("| interval | case | looks | reads | writes | Sheets requests per minute | tokens |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for interval in (60, 15):
        for case in ("nobody edits", "a change every look", "Google failing"):
            looks, reads, writes, tokens = measure(interval, case)
            per_minute = (reads + writes) / MINUTES
            print(
                f"| {interval} s | {case} | {looks} | {reads} | {writes} | {per_minute:.1f} "
                f"| {tokens} |"
            )


if __name__ == "__main__":
    main()
