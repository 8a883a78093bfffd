"""Notifications end to end: apprise posts the digest to a real local HTTP receiver."""

from __future__ import annotations

import copy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import MESSY_AS_OF, MESSY_TABS, write_workbook

from cii_sheets import sync
from cii_sheets.notify import Notifier
from cii_sheets.sources.workbook import WorkbookSource
from cii_sheets.store import Store


class Receiver:
    """A local HTTP server that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sync(path: Path, url: str, notifier: Notifier) -> sync.Outcome:
    return sync.run(WorkbookSource(path), url, MESSY_AS_OF, after_run=(notifier,))


def test_the_digest_names_exactly_the_new_and_fixed_problems(
    receiver: Receiver, messy_workbook: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    notifier = Notifier([receiver.url])
    _sync(messy_workbook, store, notifier)
    assert len(receiver.bodies) == 1  # the first run: everything is new

    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Pledges"][2][2] = 10_000  # fixes 'ten k' (Pledges row 3)
    tabs["Achievements"][4][2] = "G9"  # a new mistake (Achievements row 5)
    changed = write_workbook(tmp_path / "changed.xlsx", tabs)
    _sync(changed, store, notifier)

    assert len(receiver.bodies) == 2
    assert notifier.sent is not None
    new = [(p["tab"], p["row"], p["column"], p["code"]) for p in notifier.sent.new]
    fixed = [(p["tab"], p["row"], p["column"], p["code"]) for p in notifier.sent.fixed]
    assert new == [("Achievements", 5, "Goal", "invalid-choice")]
    assert fixed == [("Pledges", 3, "Amount £", "type-error")]
    body = receiver.bodies[1]
    message = str(body["message"])
    assert "New since the last sync:\nAchievements:" in message
    assert "You entered 'G9'" in message
    assert "Fixed since the last sync:\nPledges:" in message and "'ten k'" in message
    assert "Alerts for leadership:" in message and "P006" in message
    assert "Pledged £75,000 of £1,000,000" in message  # P002 now counts
    assert "1 new, 1 fixed" in str(body["title"])


def test_nothing_is_sent_when_nothing_changed_unless_asked(
    receiver: Receiver, messy_workbook: Path, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    _sync(messy_workbook, store, Notifier([receiver.url]))
    _sync(messy_workbook, store, Notifier([receiver.url]))
    assert len(receiver.bodies) == 1

    _sync(messy_workbook, store, Notifier([receiver.url], always=True))
    assert len(receiver.bodies) == 2
    assert "No problems new or fixed since the last sync." in str(receiver.bodies[1]["message"])


def test_a_failed_run_sends_a_failure_notice(receiver: Receiver, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    outcome = _sync(tmp_path / "missing.xlsx", store, Notifier([receiver.url]))
    assert outcome.exit_code == sync.EXIT_FAILED
    [body] = receiver.bodies
    assert body["type"] == "failure"
    assert "could not run" in str(body["title"])
    assert "No workbook at" in str(body["message"])


def test_a_dead_channel_does_not_fail_the_sync(
    receiver: Receiver,
    messy_workbook: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    open_store: Callable[[str], Store],
) -> None:
    store = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    dead = f"json://127.0.0.1:{_free_port()}/?token=secret-token"
    outcome = _sync(messy_workbook, store, Notifier([dead, receiver.url]))

    assert outcome.exit_code == sync.EXIT_DATA_ERRORS
    assert outcome.run_id == 1
    assert len(open_store(store).load_snapshot()["pledges"]) == 3
    assert len(receiver.bodies) == 1  # the live channel still got it
    assert "secret-token" not in caplog.text


def test_a_whole_tab_problem_is_the_same_problem_on_the_next_sync(
    receiver: Receiver, tmp_path: Path
) -> None:
    tabs = copy.deepcopy(MESSY_TABS)
    tabs["Milestones"][0][1] = "When"  # "Planned date" renamed: a problem with no row or value
    broken = write_workbook(tmp_path / "broken.xlsx", tabs)
    store = f"sqlite:///{tmp_path / 'cii.sqlite'}"
    first, second = Notifier([receiver.url]), Notifier([receiver.url])

    _sync(broken, store, first)
    _sync(broken, store, second)

    assert first.sent is not None
    assert "- error (Planned date): The 'Milestones' tab has no 'Planned date'" in first.sent.body
    assert second.sent is None  # nothing new, nothing fixed: no digest
    assert len(receiver.bodies) == 1
