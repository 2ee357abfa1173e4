"""The admin index as the moderators' dashboard (unfold's DASHBOARD_CALLBACK).

Every figure comes from ``dashboard_figures.dashboard_figures()``: when the cache is
warm the page costs no query for them. Links and labels are built per request
from those primitives (no query either). The message figures are shown to those
who may read messages, the moderation figures (open cases, time to first action,
actions per day, and queue health: the oldest waits, cases opened and closed,
each moderator's week, appeals overturned) to those who may see cases. The
oldest waits are cached as the moment they began and worded as ages here, at
the page's own time.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from admin_ext.admin.dashboard_figures import dashboard_figures
from audit.models import AuditEntry
from moderation.queue_health import age_in_seconds
from moderation_site import roles

# unfold must precede admin_ext in INSTALLED_APPS, so its admin/index.html is found
# before any app's override: the dashboard template gets a name of its own.
admin.site.index_template = "admin_ext/dashboard/index.html"
admin.site.index_title = "Dashboard"


# unfold's bar chart options (DEFAULT_CHART_OPTIONS in its app.js) with one change:
# whole-number steps on the y axis (precision 0), where Chart.js drew 0.5 steps
# for small counts. A canvas's data-options replaces unfold's options instead of
# merging with them, so they are all here; its scriptable options (functions)
# are written as the values they give these charts: both axes shown, at most 10
# x labels, and a y grid line at 0 only (Chart.js indexes the list by tick, from
# the bottom; it draws at most 11 y ticks by default).
_BAR_CHART_OPTIONS: dict[str, Any] = {
    "animation": False,
    "barPercentage": 1,
    "base": 0,
    "grouped": False,
    "maxBarThickness": 4,
    "responsive": True,
    "maintainAspectRatio": False,
    "datasets": {"bar": {"borderRadius": 12, "border": {"width": 0}, "borderSkipped": "middle"}},
    "plugins": {
        "legend": {
            "align": "end",
            "display": False,
            "position": "top",
            "labels": {
                "boxHeight": 5,
                "boxWidth": 5,
                "color": "#9ca3af",
                "pointStyle": "circle",
                "usePointStyle": True,
            },
        },
        "tooltip": {"enabled": True},
    },
    "scales": {
        "x": {
            "display": True,
            "border": {"dash": [5, 5], "dashOffset": 2, "width": 0},
            "ticks": {"color": "#9ca3af", "display": True, "maxTicksLimit": 10},
            "grid": {"display": True, "tickWidth": 0},
        },
        "y": {
            "display": True,
            "border": {"dash": [5, 5], "dashOffset": 5, "width": 0},
            "ticks": {"color": "#9ca3af", "display": True, "precision": 0},
            "grid": {"lineWidth": [1] + [0] * 10, "tickWidth": 0},
        },
    },
}
CHART_OPTIONS = json.dumps(_BAR_CHART_OPTIONS)
# The same for a line chart of several series: unfold's line style, the legend
# shown (the colours alone do not say which line is which), and the y axis from
# 0, where Chart.js starts a line chart's at its lowest value and makes a small
# gap between the lines look large.
LINE_CHART_OPTIONS = json.dumps(
    {
        **_BAR_CHART_OPTIONS,
        "datasets": {"line": {"borderWidth": 2, "pointBorderWidth": 0, "pointStyle": False}},
        "plugins": {
            **_BAR_CHART_OPTIONS["plugins"],
            "legend": {**_BAR_CHART_OPTIONS["plugins"]["legend"], "display": True},
        },
        "scales": {
            **_BAR_CHART_OPTIONS["scales"],
            "y": {**_BAR_CHART_OPTIONS["scales"]["y"], "beginAtZero": True},
        },
    }
)


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    # The message figures name senders and count everyone's messages: only for
    # those who may read messages. The moderation figures count cases and
    # moderators' work: only for those who may see cases. Other staff get the
    # plain app list.
    shows_messages = roles.allows(
        request.user, "messaging.message", roles.Page.LIST
    ) and request.user.has_perm("messaging.view_message")
    shows_cases = roles.allows(
        request.user, "moderation.case", roles.Page.LIST
    ) and request.user.has_perm("moderation.view_case")
    if not (shows_messages or shows_cases):
        return context
    figures = dashboard_figures()
    dashboard: dict[str, Any] = {
        "chart_options": CHART_OPTIONS,
        "line_chart_options": LINE_CHART_OPTIONS,
        "computed_at": parse_datetime(figures["computed_at"]),
    }
    if shows_messages:
        dashboard["cards"] = _cards(figures)
        dashboard["top_senders"] = _top_senders_table(figures)
        dashboard["chart"] = _chart_json(figures["messages_per_day"], label="Messages")
    if shows_cases:
        dashboard["case_cards"] = _case_cards(figures)
        dashboard["actions_chart"] = _chart_json(
            figures["moderator_actions_per_day"], label="Moderator actions"
        )
        dashboard["queue_cards"] = _queue_cards(figures, now=timezone.now())
        dashboard["cases_flow_chart"] = _cases_flow_chart_json(figures)
        dashboard["moderators"] = _moderators_table(figures)
    context["dashboard"] = dashboard
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


def _change_url(model_name: str, pk: int) -> str | None:
    """The admin page of one ``app_label.model`` object; None without an admin."""
    app_label, model = model_name.split(".")
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return None


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
            "value": _unread_backlog(figures),
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


def _unread_backlog(figures: dict[str, Any]) -> int | str:
    # Above messaging.stats.ESTIMATE_ABOVE the backlog is the planner's estimate,
    # and reads as one. get(): figures cached before the key existed lack it.
    if figures.get("unread_backlog_is_estimate"):
        return f"about {figures['unread_backlog']:,}"
    return figures["unread_backlog"]


def _case_cards(figures: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "title": "Open cases",
            "value": figures["open_cases"],
            # The review queue: open cases, highest priority first.
            "href": _changelist_url("moderation.case"),
        },
        {
            "title": "Median time to first action",
            "value": humanise_duration(figures["median_first_action"]),
            "subtitle": "cases opened in the last 30 days",
            "href": None,
        },
    ]


def _queue_cards(figures: dict[str, Any], *, now: datetime) -> list[dict[str, Any]]:
    # Each oldest-wait card opens the case or appeal waiting longest.
    return [
        _oldest_card("Oldest open case", "moderation.case", figures["oldest_open_case"], now=now),
        {
            **_oldest_card(
                "Oldest open appeal", "moderation.appeal", figures["oldest_open_appeal"], now=now
            ),
            "subtitle": "waiting for a moderator",
        },
        {
            "title": "Appeals overturned",
            "value": overturn_share(
                decided=figures["appeals_decided"], overturned=figures["appeals_overturned"]
            ),
            "subtitle": "appeals decided in the last 30 days",
            "href": None,
        },
    ]


def _oldest_card(
    title: str, model_name: str, oldest: dict[str, Any] | None, *, now: datetime
) -> dict[str, Any]:
    if oldest is None:
        return {"title": title, "value": "none", "href": None}
    seconds = age_in_seconds(parse_datetime(oldest["since"]), now=now)
    return {
        "title": title,
        "value": humanise_duration(seconds),
        "href": _change_url(model_name, oldest["id"]),
    }


def overturn_share(*, decided: int, overturned: int) -> str:
    """ "2 of 5 (40%)": of the appeals decided, those that overturned their
    sanction; "none decided" when there were none."""
    if not decided:
        return "none decided"
    return f"{overturned} of {decided} ({round(100 * overturned / decided)}%)"


def _moderators_table(figures: dict[str, Any]) -> dict[str, Any]:
    # Plain strings: the template escapes the names (they are user input).
    rows = [
        [moderator["username"], moderator["actions"], moderator["claims"]]
        for moderator in figures["moderators_this_week"]
    ]
    return {"headers": ["Moderator", "Actions", "Claims"], "rows": rows}


def humanise_duration(seconds: int | None) -> str:
    """A wait in words a moderator reads at a glance: "45 min", "3 h 20 min",
    "2 d 4 h" (to the minute under a day, to the hour beyond); "—" for none."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 24 * 60:
        hours, minutes = divmod(minutes, 60)
        if not hours:
            return f"{minutes} min"
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(round(minutes / 60), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


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


def _chart_json(days: list[dict[str, Any]], *, label: str) -> str:
    """Chart.js data of one count per day for unfold's chart components (escaped
    by the template)."""
    return json.dumps(
        {
            "labels": [date_format(date.fromisoformat(day["date"]), "M j") for day in days],
            "datasets": [
                {
                    "label": label,
                    "data": [day["count"] for day in days],
                    "backgroundColor": "var(--color-primary-600)",
                    "displayYAxis": True,
                    "maxTicksXLimit": 10,
                }
            ],
        }
    )


def _cases_flow_chart_json(figures: dict[str, Any]) -> str:
    """Chart.js data of two lines, cases opened and cases closed per day: the
    queue keeps up while the second stays level with the first."""
    opened, closed = figures["cases_opened_per_day"], figures["cases_closed_per_day"]
    series = (
        ("Opened", opened, "var(--color-primary-600)"),
        ("Closed", closed, "var(--color-base-400)"),
    )
    return json.dumps(
        {
            "labels": [date_format(date.fromisoformat(day["date"]), "M j") for day in opened],
            "datasets": [
                {
                    "label": label,
                    "data": [day["count"] for day in days],
                    "borderColor": colour,
                    "backgroundColor": colour,
                    "displayYAxis": True,
                    "maxTicksXLimit": 10,
                }
                for label, days, colour in series
            ],
        }
    )
