"""Logging for people and for schedulers: readable lines, or one JSON object per event.

Events carry only what an operator needs (counts, run ids, tab/row/column): never cell values,
names, URLs with tokens or key material.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is event data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One line of JSON per record: time, level, logger, event, message and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "log",
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k != "event"})
        if record.exc_info:  # only logged under -v: the details of an unexpected error
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure(fmt: str = "text", verbose: bool = False) -> None:
    """Send the package's logs to stderr, as text or as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
        level = logging.DEBUG if verbose else logging.INFO
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        # The command line prints a failed run as its own one line; do not say it twice.
        handler.addFilter(lambda record: getattr(record, "event", None) != "sync.failed")
        level = logging.DEBUG if verbose else logging.WARNING
    root = logging.getLogger("cii_sheets")
    root.handlers[:] = [handler]
    root.setLevel(level)
