"""Log lines that say which request they belong to, as readable text or one JSON object a line.

``REQUEST_ID`` holds the id of the request this thread is serving (set by
:mod:`dashboard.ops.request_hooks`); :class:`RequestIdFilter` copies it onto every record, so
each line logged while a request runs — ours, Flask's, a library's — carries it. Jobs started
by a request keep its id (dashboard.jobs hands it to the job's thread).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("pulseboard_request_id", default=None)

#: Our own packages: they log at the configured level; other libraries only warnings and up
#: (httpx logs every request at INFO, alembic every migration step).
OWN_LOGGERS = ("pulseboard", "dashboard", "data", "callbacks", "reports", "components", "pages")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
#: attributes every LogRecord has; anything else on a record came from ``extra=`` and is kept
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
_HANDLER_MARK = "_pulseboard_handler"


class RequestIdFilter(logging.Filter):
    """Put the current request id (or ``-`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; only annotate it."""
        if not getattr(record, "request_id", None):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON (newlines in messages and tracebacks escaped)."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_handler(log_format: str, stream=None) -> logging.Handler:
    """A stream handler (stderr by default) with the request-id filter and the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(settings, stream=None) -> logging.Handler:
    """Send logs to stderr in ``settings.log_format`` at ``settings.log_level`` (long-running commands).

    Replaces a handler an earlier call installed, so calling it twice does not double lines.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = make_handler(settings.log_format, stream)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(settings.log_level)
    return handler
