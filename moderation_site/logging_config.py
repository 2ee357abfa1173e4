"""The LOGGING setting, for both formats: ``plain`` text lines (development, the
default with DEBUG) or ``json`` lines (``moderation_site.json_logs``, the default
without DEBUG). Read by ``settings.py``; imports nothing of Django's settings."""

from __future__ import annotations

from typing import Any

LOG_FORMATS = ("json", "plain")


def logging_settings(*, log_format: str, level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"()": "moderation_site.json_logs.JsonLinesFormatter"},
        },
        # Search words travel in query strings: request lines keep the path only.
        "filters": {"drop_query_strings": {"()": "moderation_site.logs.DropQueryStrings"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            "django.request": {"filters": ["drop_query_strings"]},
            "django.server": {
                "filters": ["drop_query_strings"],
                "handlers": ["console"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }
