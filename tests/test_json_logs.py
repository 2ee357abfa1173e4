"""moderation_site/json_logs.py and request_log.py: JSON lines with a request id
and the path, never the query string; plain text in development."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from moderation_site.json_logs import JsonLinesFormatter, request_id, request_path
from moderation_site.logging_config import logging_settings
from tests.test_settings import load_settings


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("desk.test", logging.WARNING, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def test_a_record_is_one_json_object_with_time_level_logger_and_message():
    line = JsonLinesFormatter().format(record("Job %s taken over", 7))

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "desk.test"
    assert entry["message"] == "Job 7 taken over"
    assert entry["time"].endswith("+00:00")
    assert isinstance(entry["process"], int)
    assert "request_id" not in entry


def test_within_a_request_the_line_names_its_id_and_path():
    tokens = request_id.set("abc123"), request_path.set("/admin/")
    try:
        entry = json.loads(JsonLinesFormatter().format(record("hello")))
    finally:
        request_id.reset(tokens[0])
        request_path.reset(tokens[1])

    assert (entry["request_id"], entry["path"]) == ("abc123", "/admin/")


def test_only_named_extra_fields_are_written():
    # django.request passes the request itself, whose text shows the query string.
    entry = json.loads(
        JsonLinesFormatter().format(record("x", status=500, request="<GET '/?q=secret'>"))
    )

    assert entry["status"] == 500
    assert "secret" not in json.dumps(entry)


def test_an_exception_is_written_as_one_field():
    try:
        raise ValueError("boom")
    except ValueError:
        failing = record("failed")
        failing.exc_info = sys.exc_info()

    entry = json.loads(JsonLinesFormatter().format(failing))

    assert "ValueError: boom" in entry["exception"]


def test_each_response_carries_its_request_id_and_keeps_a_sensible_one_sent(client):
    generated = client.get("/health/")
    kept = client.get("/health/", headers={"X-Request-ID": "from-the-proxy-1"})
    replaced = client.get("/health/", headers={"X-Request-ID": "bad id\nwith newline"})

    assert len(generated["X-Request-ID"]) == 32
    assert kept["X-Request-ID"] == "from-the-proxy-1"
    assert replaced["X-Request-ID"] != "bad id\nwith newline"


def test_a_request_line_names_method_path_status_and_time_without_the_query_string(
    client, settings, caplog
):
    settings.LOG_REQUESTS = True  # read when the middleware is built, per test client
    with caplog.at_level(logging.INFO, logger="moderation_site.requests"):
        client.get("/accounts/login/?next=/search/?q=ben%20smith")

    (line,) = [entry for entry in caplog.records if entry.name == "moderation_site.requests"]
    assert line.getMessage() == "GET /accounts/login/ 200"
    assert (line.method, line.status) == ("GET", 200)
    assert line.duration_ms >= 0


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DEBUG": "1"}, ("plain", False)),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60}, ("json", True)),
        ({"DEBUG": "1", "LOG_FORMAT": "json"}, ("json", True)),
        ({"DEBUG": "0", "SECRET_KEY": "x" * 60, "LOG_FORMAT": "plain"}, ("plain", False)),
    ],
)
def test_json_logs_are_the_default_without_debug(variables, expected):
    loaded = load_settings("LOG_FORMAT", "LOG_REQUESTS", "LOGGING", **variables)

    assert (loaded["LOG_FORMAT"], loaded["LOG_REQUESTS"]) == expected
    assert loaded["LOGGING"]["handlers"]["console"]["formatter"] == expected[0]


def test_both_formats_keep_the_query_string_filters():
    for log_format in ("json", "plain"):
        config = logging_settings(log_format=log_format, level="INFO")
        assert config["loggers"]["django.request"]["filters"] == ["drop_query_strings"]
