"""The admin's sidebar (``UNFOLD["SIDEBAR"]["navigation"]`` in settings.py).

Each entry shows only to those whose role may open its list (the role policy,
``moderation_site.roles``) and who hold the model's view permission, so the
sidebar never offers a page the site would refuse. URLs are named, not imported:
the admin sits above this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.urls import reverse_lazy

from moderation_site import roles

if TYPE_CHECKING:
    from django.http import HttpRequest


def _can(permission: str) -> Callable[[HttpRequest], bool]:
    """A sidebar entry for those whose role may see the list (the role policy)
    and who hold ``<app>.view_<model>``."""
    app_label, codename = permission.split(".")
    model_label = f"{app_label}.{codename.removeprefix('view_')}"
    return lambda request: (
        roles.allows(request.user, model_label, roles.Page.LIST)
        and request.user.has_perm(permission)
    )


ADMIN_NAVIGATION: list[dict[str, Any]] = [
    {
        "title": "Moderation",
        "items": [
            {
                "title": "Dashboard",
                "icon": "dashboard",
                "link": reverse_lazy("admin:index"),
            },
            {
                "title": "Review queue",
                "icon": "flag",
                "link": reverse_lazy("admin:moderation_case_changelist"),
                "permission": _can("moderation.view_case"),
            },
            {
                "title": "Appeals",
                "icon": "balance",
                "link": reverse_lazy("admin:moderation_appeal_changelist"),
                "permission": _can("moderation.view_appeal"),
            },
            {
                "title": "Sanctions",
                "icon": "gavel",
                "link": reverse_lazy("admin:moderation_sanction_changelist"),
                "permission": _can("moderation.view_sanction"),
            },
            {
                "title": "Messages",
                "icon": "forum",
                "link": reverse_lazy("admin:messaging_message_changelist"),
                "permission": _can("messaging.view_message"),
            },
            {
                "title": "Edit history",
                "icon": "history",
                "link": reverse_lazy("admin:messaging_messagehistory_changelist"),
                "permission": _can("messaging.view_messagehistory"),
            },
            {
                "title": "Users",
                "icon": "person",
                "link": reverse_lazy("admin:auth_user_changelist"),
                "permission": _can("auth.view_user"),
            },
            {
                "title": "Watched words",
                "icon": "visibility",
                "link": reverse_lazy("admin:detection_watchedrule_changelist"),
                "permission": _can("detection.view_watchedrule"),
            },
            {
                "title": "Audit log",
                "icon": "policy",
                "link": reverse_lazy("admin:audit_auditentry_changelist"),
                "permission": _can("audit.view_auditentry"),
            },
            {
                "title": "Jobs",
                "icon": "pending_actions",
                "link": reverse_lazy("admin:jobs_job_changelist"),
                "permission": _can("jobs.view_job"),
            },
        ],
    },
    {
        "title": "Administration",
        "items": [
            {
                "title": "Groups",
                "icon": "group",
                "link": reverse_lazy("admin:auth_group_changelist"),
                "permission": _can("auth.view_group"),
            },
        ],
    },
]
