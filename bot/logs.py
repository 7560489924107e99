"""Logging set-up: one line per record, with the structured extras appended as key=value.

Log records carry ids, kinds and counts — never message text or secrets, at any level:

- the bot's own records (``bot``, ``adapters``, ``playbooks``, ``storage``) name ids and kinds;
- other libraries log payloads at DEBUG (slack_sdk request and response bodies, aiosqlite every
  statement with its values, botbuilder activities): below INFO only the bot's own records pass;
- database engines hide statement parameters (``storage.database.make_engine``), and the detail
  lines a database adds to an error (PostgreSQL's ``DETAIL: Failing row contains (…)``, which
  quotes the row) are cut from logged exceptions.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

#: Loggers whose DEBUG records are ours, and so known to carry no message text.
OWN_LOGGERS = ("bot", "adapters", "playbooks", "storage")

#: From such a line on, a database error quotes values: keep the line's head, drop the rest.
_DETAIL = re.compile(r"^(\s*)(DETAIL|HINT|CONTEXT):.*$", re.MULTILINE)


def _own(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in OWN_LOGGERS)


class PayloadFreeFilter(logging.Filter):
    """Below INFO, only the bot's own records: other libraries' DEBUG logs carry payloads."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or _own(record.name)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in sorted(extras.items()))
        return _DETAIL.sub(r"\1\2: (hidden: it may quote member text)", line)


def configure(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Log to ``stream`` (stderr) from ``level`` on; return the handler installed."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PayloadFreeFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return handler
