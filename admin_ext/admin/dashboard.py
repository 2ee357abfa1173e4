"""The admin index as the moderators' dashboard (unfold's DASHBOARD_CALLBACK).

Every figure comes from ``messaging.stats.dashboard_figures()``: when the cache is
warm the page costs no query for them. Links and labels are built per request
from those primitives (no query either).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from audit.models import AuditEntry
from messaging.stats import dashboard_figures

# unfold must precede admin_ext in INSTALLED_APPS, so its admin/index.html is found
# before any app's override: the dashboard template gets a name of its own.
admin.site.index_template = "admin_ext/dashboard/index.html"
admin.site.index_title = "Dashboard"


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    # The figures name senders and count everyone's messages: only for those who
    # may read messages. Other staff get the plain app list.
    if not request.user.has_perm("messaging.view_message"):
        return context
    figures = dashboard_figures()
    context["dashboard"] = {
        "cards": _cards(figures),
        "top_senders": _top_senders_table(figures),
        "chart": _chart_json(figures),
        "computed_at": parse_datetime(figures["computed_at"]),
    }
    return context


def _changelist_url(model_name: str, **lookups: Any) -> str | None:
    """The admin changelist of ``app_label.model`` filtered by ``lookups``; None
    when that model has no admin (the page then shows the figure without a link)."""
    app_label, model = model_name.split(".")
    try:
        url = reverse(f"admin:{app_label}_{model}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(lookups)}" if lookups else url


def _since(field: str, start: str) -> dict[str, str]:
    """The query of the changelists' date-time range filter (admin_ext.admin.filters)
    from the local midnight ``start`` (an ISO datetime with its offset) onwards."""
    return {
        f"{field}_from_0": datetime.fromisoformat(start).date().isoformat(),
        f"{field}_from_1": "00:00",
    }


def _cards(figures: dict[str, Any]) -> list[dict[str, Any]]:
    today, week = figures["today_start"], figures["week_start"]
    return [
        {
            "title": "Messages today",
            "value": figures["messages_today"],
            "href": _changelist_url("messaging.message", **_since("timestamp", today)),
        },
        {
            "title": "Messages, last 7 days",
            "value": figures["messages_this_week"],
            "href": _changelist_url("messaging.message", **_since("timestamp", week)),
        },
        {
            "title": "Unread backlog",
            "value": figures["unread_backlog"],
            # The changelist's "unread" filter (admin_ext.admin.filters.UnreadFilter).
            "href": _changelist_url("messaging.message", unread=1),
        },
        {
            "title": "Edits today",
            "value": figures["edits_today"],
            "href": _changelist_url("messaging.messagehistory", **_since("edited_at", today)),
        },
        {
            "title": "Deleted accounts, 7 days",
            "value": figures["accounts_deleted_this_week"],
            "href": _changelist_url(
                "audit.auditentry",
                action__exact=AuditEntry.Action.ACCOUNT_DELETED.value,
                **_since("created_at", week),
            ),
        },
    ]


def _top_senders_table(figures: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for sender in figures["top_senders"]:
        url = _changelist_url(
            "messaging.message",
            sender__id__exact=sender["user_id"],
            **_since("timestamp", figures["week_start"]),
        )
        # Usernames are user input: format_html escapes them; the plain string
        # is escaped by the template.
        name: str | SafeString = (
            format_html('<a href="{}" class="text-primary-600">{}</a>', url, sender["username"])
            if url
            else sender["username"]
        )
        rows.append([name, sender["count"]])
    return {"headers": ["Sender", "Messages"], "rows": rows}


def _chart_json(figures: dict[str, Any]) -> str:
    """Chart.js data for unfold's chart components (escaped by the template)."""
    days = figures["messages_per_day"]
    return json.dumps(
        {
            "labels": [date_format(date.fromisoformat(day["date"]), "M j") for day in days],
            "datasets": [
                {
                    "label": "Messages",
                    "data": [day["count"] for day in days],
                    "backgroundColor": "var(--color-primary-600)",
                    "displayYAxis": True,
                    "maxTicksXLimit": 10,
                }
            ],
        }
    )
