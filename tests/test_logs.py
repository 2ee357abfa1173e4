"""moderation_site/logs.py: request lines reach the log without their query string."""

from __future__ import annotations

import logging

import pytest

from tests.reliability.privacy_scan import RecordKeeper


@pytest.mark.parametrize("logger_name", ["django.server", "django.request"])
def test_request_lines_lose_their_query_strings(logger_name):
    logger, keeper = logging.getLogger(logger_name), RecordKeeper()
    logger.addHandler(keeper)
    try:
        logger.warning('"%s" %s %s', "GET /admin/auth/user/?q=ben%20smith HTTP/1.1", 404, 10)
    finally:
        logger.removeHandler(keeper)

    assert keeper.lines == [f'{logger_name} WARNING "GET /admin/auth/user/ HTTP/1.1" 404 10']
