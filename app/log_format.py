"""Log lines as JSON objects, one a line, for a log collector (ELK, Loki), when
``PERMITFLOW_LOG_FORMAT=json``; plain text otherwise.

Each line carries the time (UTC, ISO 8601), level, logger and message, the fields the edge that
is running put in :data:`context` (the web app: request id, user id, route; a worker: job id and
function), and whatever ``extra`` the call passed (status, duration, case number, source address).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

# The fields of the request or job being handled, added to every line logged while it runs.
context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)

# Attributes every LogRecord has: not copied as fields of their own.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, the context, the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(context.get() or {})
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(
    log_format: str, stream: IO[str] | None = None, level: int = logging.INFO
) -> logging.Handler | None:
    """With ``json``, send the process's log lines (the platform's, gunicorn's error log, rq's) to
    ``stream`` (default: standard error) as JSON. With ``text`` nothing changes: each library
    logs as it always did (rq and gunicorn their own lines, the rest warnings only). Called once by
    each process's entry point (wsgi.py, worker.py), never at import. Returns the handler installed."""
    if log_format.strip().lower() != "json":
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_permitflow", False)]:
        root.removeHandler(old)
    handler._permitflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # SpiffWorkflow logs every task's state change at info (thousands of lines per case): only its
    # warnings reach the collector; the audit trail is the record of what a case did.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    # gunicorn's error log has a handler of its own and does not propagate: its lines go through
    # this handler too. (rq adds its handlers only when no handler would catch its lines.)
    gunicorn = logging.getLogger("gunicorn.error")
    gunicorn.handlers = []
    gunicorn.propagate = True
    return handler
