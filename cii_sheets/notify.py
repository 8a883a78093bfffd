"""Notifications after a sync: a digest of what changed, or a failure notice, sent with apprise.

A digest names the problems new since the last stored run and those fixed, per tab; the alerts;
the headline figures; and where to read the full Sync report. By default it is sent only when
something changed or the run failed. A channel that fails is logged; it never fails the sync.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING

import pandas as pd

from cii_sheets import metrics
from cii_sheets.headlines import plural
from cii_sheets.report import report_sheet_id, to_fix_counts
from cii_sheets.store import Store

if TYPE_CHECKING:
    from cii_sheets.sync import Outcome

log = logging.getLogger(__name__)

# A problem is "the same" across runs when these match; the row is left out on purpose, so that
# a row inserted above does not make every problem below it look new.
Key = tuple[str, str, str, str, str]


def _key(severity: object, code: object, tab: object, column: object, value: object) -> Key:
    return (str(severity), str(code), str(tab), str(column or ""), str(value or ""))


@dataclass
class Digest:
    """What a notification says."""

    title: str
    body: str
    changed: bool  # anything new or fixed, or a failed run
    failed: bool = False
    new: list[dict[str, object]] = field(default_factory=list)
    fixed: list[dict[str, object]] = field(default_factory=list)


def digest(
    outcome: Outcome,
    previous: pd.DataFrame | None,
    previous_alerts: pd.DataFrame | None,
    report_link: str | None = None,
) -> Digest:
    """Compare this run's problems and alerts with the previous stored run's."""
    if outcome.error is not None or outcome.validation is None:
        return Digest(
            "CII Sheets: the sync could not run",
            f"The nightly sync of {outcome.source} could not run:\n\n{outcome.error}\n\n"
            f"The dashboard still shows the previous snapshot.",
            changed=True,
            failed=True,
        )
    validation = outcome.validation
    current = [p.to_dict() for p in validation.problems]
    before = [] if previous is None else previous.to_dict("records")
    new, fixed = _difference(current, before)
    alerts_now = Counter((a.code, a.tab, a.message) for a in validation.alerts)
    alerts_before = Counter(
        []
        if previous_alerts is None
        else zip(
            previous_alerts["code"], previous_alerts["tab"], previous_alerts["message"], strict=True
        )
    )
    several = outcome.raw is not None and len(outcome.raw.infos()) > 1
    failures = outcome.failures
    changed = bool(new or fixed or alerts_now != alerts_before or failures)
    to_fix = sum(not p.is_note for p in validation.problems)
    notes = len(validation.problems) - to_fix
    title = (
        f"CII Sheets: {plural(to_fix, 'thing')} to fix, {len(new)} new, {len(fixed)} fixed"
        if to_fix
        else f"CII Sheets: all clear ({plural(notes, 'note')} for information)"
        if notes
        else "CII Sheets: all clear"
    )
    lines: list[str] = [
        f"Could not read {f.source}, so its tabs keep their last good copy: {f.reason}"
        for f in failures
    ]
    if failures:
        lines.append("")
    if new:
        lines += ["New since the last sync:", *_by_tab(new, several), ""]
    if fixed:
        lines += ["Fixed since the last sync:", *_by_tab(fixed, several), ""]
    if not new and not fixed:
        lines += ["No problems new or fixed since the last sync.", ""]
    lines.append(f"Still to fix in all: {to_fix_counts(validation)}.")
    if report_link:
        lines.append(f"The Sync report lists each one with a link to its cell: {report_link}")
    else:
        lines.append(
            "Run `cii-sheets check` or open the dashboard's Data quality page for the list."
        )
    if validation.alerts:
        lines += ["", "Alerts for leadership:"]
        lines += [f"- {a.message}" for a in validation.alerts]
    if outcome.figures is not None:
        lines += ["", "Headline figures:", *_figures(outcome.figures)]
    return Digest(title, "\n".join(lines), changed, new=new, fixed=fixed)


def _difference(
    current: Sequence[dict[str, object]], before: Sequence[dict[str, object]]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Problems in ``current`` but not ``before`` (new), and the other way round (fixed)."""

    def keyed(items: Iterable[dict[str, object]]) -> dict[Key, list[dict[str, object]]]:
        out: dict[Key, list[dict[str, object]]] = {}
        for p in items:
            key = _key(p["severity"], p["code"], p["tab"], p["column"], p["value"])
            out.setdefault(key, []).append(p)
        return out

    now, then = keyed(current), keyed(before)
    new = [p for key, ps in now.items() for p in ps[len(then.get(key, [])) :]]
    fixed = [p for key, ps in then.items() for p in ps[len(now.get(key, [])) :]]
    return new, fixed


def _by_tab(problems: list[dict[str, object]], several: bool = False) -> list[str]:
    """Problems grouped by tab; with several sources, each tab says which source holds it."""
    lines = []
    ordered = sorted(
        problems,
        key=lambda p: (str(p.get("source") or ""), str(p["tab"]), int(p["row"] or 0)),  # type: ignore[call-overload]
    )
    for (tab, source), items in groupby(ordered, key=lambda p: (p["tab"], p.get("source"))):
        lines.append(f"{tab} ({source}):" if several and source else f"{tab}:")
        for p in items:
            where = ", ".join(
                x for x in (f"row {p['row']}" if p["row"] else "", str(p["column"] or "")) if x
            )
            lines.append(f"- {p['severity']}{f' ({where})' if where else ''}: {p['message']}")
    return lines


def _figures(f: metrics.Figures) -> list[str]:
    return [
        f"- Pledged {metrics.gbp(f.pledged_gbp)} of {metrics.gbp(f.target_gbp)} "
        f"({f.percent_of_target}%), received {metrics.gbp(f.received_gbp)}, "
        f"outstanding {metrics.gbp(f.outstanding_gbp)} ({metrics.gbp(f.overdue_gbp)} overdue)",
        f"- {f.active_secondments} secondment(s) active ({f.active_fte:g} FTE)",
    ]


def send(urls: Sequence[str], note: Digest) -> bool:
    """Send to every channel; True if all accepted it. Failures are logged, never raised."""
    import apprise

    if not urls:
        return True
    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            log.warning("notification channel not understood, skipped: %s", _scheme(url))
    if not len(sender):
        return False
    kind = apprise.NotifyType.FAILURE if note.failed else apprise.NotifyType.INFO
    try:
        ok = bool(sender.notify(body=note.body, title=note.title, notify_type=kind))
    except Exception as exc:  # a channel's library raising must not fail the sync
        log.warning("sending the notification failed: %s", exc.__class__.__name__)
        return False
    if not ok:
        log.warning("a notification channel did not accept the digest")
    return ok


def _scheme(url: str) -> str:
    """Only the kind of channel: URLs often hold tokens, which must not reach the logs."""
    return url.split("://", 1)[0] + "://…"


class Notifier:
    """The step `sync.run` calls after every run, stored or failed."""

    def __init__(self, urls: Sequence[str], *, always: bool = False) -> None:
        self.urls = list(urls)
        self.always = always
        self.sent: Digest | None = None  # the last digest sent, for the CLI and tests

    def __call__(self, outcome: Outcome) -> None:
        if not self.urls:
            return
        previous = previous_alerts = None
        link = None
        if outcome.run_id is not None and outcome.store_url:
            store = Store(outcome.store_url)
            try:
                before = store.previous_stored_run(outcome.run_id)
                if before is not None:
                    previous = store.problems(before["id"])
                    previous_alerts = store.alerts(before["id"])
                run = store.run(outcome.run_id)
                link = report_link(run) if run else None
            finally:
                store.dispose()
        note = digest(outcome, previous, previous_alerts, link)
        if note.changed or self.always:
            ok = send(self.urls, note)
            self.sent = note
            log.info(
                "digest sent" if ok else "digest not accepted by every channel",
                extra={
                    "event": "notify.sent",
                    "channels": len(self.urls),
                    "ok": ok,
                    "new": len(note.new),
                    "fixed": len(note.fixed),
                },
            )
        else:
            log.info(
                "nothing changed since the last sync: no notification sent",
                extra={"event": "notify.skipped"},
            )


def report_link(run: dict[str, object]) -> str | None:
    """Where staff read the Sync report: the spreadsheet's address, opened at that tab.

    With several spreadsheets, each one's report, separated by "; ".
    """
    parts = json.loads(str(run.get("sources") or "[]"))
    if parts:
        links = [
            report_link({"spreadsheet_url": p["url"], "sheet_ids": json.dumps(p["sheet_ids"])})
            for p in parts
            if p.get("url") and p.get("error") is None
        ]
        return "; ".join(link for link in links if link) or None
    url = run.get("spreadsheet_url")
    if not url:
        return None
    ids = run.get("sheet_ids")
    sheet_id = report_sheet_id(json.loads(str(ids))) if ids else None
    return f"{url}#gid={sheet_id}" if sheet_id is not None else str(url)
