"""What the attacks on the appeals admin share: clients, the flash messages, the
state an attack must leave alone, the URLs the admin serves for an appeal
(test_appeal_admin_attacks.py, test_appeal_admin_input_attacks.py)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from messaging.models import Notification
from moderation.models import Appeal, Sanction

LOGIN_PREFIX = "/admin/login/"


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def state() -> tuple:
    """Everything an attack could change."""
    return (
        list(Appeal.objects.order_by("pk").values()),
        list(Sanction.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def model_urls(appeal: Appeal) -> list[str]:
    """Every URL the admin serves for appeals and sanctions, for this appeal's ids."""
    urls = []
    for model, obj in ((Appeal, appeal), (Sanction, appeal.sanction)):
        for pattern in admin.site._registry[model].get_urls():
            route = str(pattern.pattern).replace("<path:object_id>", str(obj.pk))
            urls.append(f"/admin/{model._meta.app_label}/{model._meta.model_name}/{route}")
    return urls


POSTED = {
    "decide-decision": "approve",
    "decide-reason": "I say so.",
    "ask-question": "Why?",
    "action": "delete_selected",
    "_selected_action": "",
    "post": "yes",
    "status": "approved",
}


def decide(client, appeal, decision: str, reason: str):
    return client.post(
        reverse("admin:moderation_appeal_decide", args=[appeal.pk]),
        {"decide-decision": decision, "decide-reason": reason},
    )
