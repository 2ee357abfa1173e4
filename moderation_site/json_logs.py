"""Structured logs: one JSON object per line (``LOG_FORMAT=json``, the default
when DEBUG is off), for a log collector to read without parsing text.

Each line holds ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``,
``message``, ``process`` (the pid: several app servers and workers write to one
place), and within a request its ``request_id`` and ``path`` (never the query
string: search words travel there, see ``moderation_site.logs``), plus the
request line's ``method``, ``status`` and ``duration_ms``
(``moderation_site.request_log``) and a traceback as ``exception``.

The standard library's logging with this formatter, rather than structlog: every
line comes from stdlib loggers (Django's, gunicorn's, django-tasks-db's, ours),
so a formatter is all it takes, with no second logging API and no dependency.
Only the fields named here are written: a record's other attributes can hold
whole objects (``django.request`` passes the request, whose text shows the query
string).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# Set by moderation_site.request_log for the request being served.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
request_path: ContextVar[str | None] = ContextVar("request_path", default=None)

# Attributes passed with ``extra=`` that are written when present.
EXTRA_FIELDS = ("method", "status", "duration_ms")


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if (current_request := request_id.get()) is not None:
            entry["request_id"] = current_request
            entry["path"] = request_path.get()
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
