"""Gives each request an id for its log lines, and writes one line per request
when ``LOG_REQUESTS`` is on (by default with JSON logs: production).

The id is the ``X-Request-ID`` header a proxy sent, when it is a short token,
else a new one; the response carries it back (``X-Request-ID``) so a report of a
failing page can be matched with its lines. The request line names the path
without its query string (search words travel there: ``moderation_site.logs``),
the method, the status and the time taken. gunicorn's access log stays off: it
would write the query string.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from moderation_site.json_logs import request_id, request_path

logger = logging.getLogger("moderation_site.requests")

ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log_requests = settings.LOG_REQUESTS

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        current = sent if ACCEPTED_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        tokens = request_id.set(current), request_path.set(request.path)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = current
            if self.log_requests:
                logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id.reset(tokens[0])
            request_path.reset(tokens[1])
