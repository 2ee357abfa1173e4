"""Logging filters: what the application log must not keep.

Search words travel in query strings (``?q=…`` on the admin's lists and the
inbox), and a search for a person is their name: the development server's
request lines (``django.server``) and Django's request errors
(``django.request``) would keep it in the log, which outlives any account
deletion. These filters cut the query string off every URL in such a line.
"""

from __future__ import annotations

import logging
import re

# A "?" and what follows it up to the end of the URL (a space or a quote).
QUERY_STRING = re.compile(r"\?[^\s\"']*")


def without_query_strings(text: str) -> str:
    return QUERY_STRING.sub("", text)


class DropQueryStrings(logging.Filter):
    """Rewrites the record's message and string arguments without query strings;
    lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = without_query_strings(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                without_query_strings(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
