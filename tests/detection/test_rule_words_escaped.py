"""What moderators write into a rule reaches other pages: its name where a
moderator's name would be (case, queue, person, sanctions, appeals, audit trail)
and its refusal message on the sender's page. Written as markup by a moderator
with the permission, it is shown as text everywhere, never run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from detection.models import WatchedRule
from detection.services import save_rule
from messaging.services import send_message
from moderation.models import Case, Sanction
from tests.factories import SuperuserFactory

pytestmark = pytest.mark.django_db

MARKUP = '<img src=x onerror="alert(1)">'


@pytest.fixture
def rule_with_markup(django_capture_on_commit_callbacks):
    def add(action: str, **fields) -> WatchedRule:
        with django_capture_on_commit_callbacks(execute=True):
            return save_rule(
                WatchedRule(
                    name=f"{action} {MARKUP}"[:100],
                    words="kill you",
                    action=action,
                    is_active=True,
                    **fields,
                ),
                actor=SuperuserFactory(),
            )

    return add


def test_a_rules_name_is_text_on_every_moderator_page(
    rule_with_markup, moderator_client, alice, bob
):
    rule_with_markup("hide")
    send_message(sender=alice, receiver=bob, content="kill you")
    case = Case.objects.get()
    sanction = Sanction.objects.get()
    pages = [
        reverse("admin:moderation_case_change", args=[case.pk]),
        reverse("admin:moderation_case_changelist"),
        reverse("admin:auth_user_change", args=[alice.pk]),
        reverse("admin:moderation_sanction_changelist"),
        reverse("admin:moderation_sanction_change", args=[sanction.pk]),
        reverse("admin:audit_auditentry_changelist"),
    ]

    for url in pages:
        response = moderator_client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert MARKUP not in page, url
    assert "&lt;img src=x" in moderator_client.get(pages[0]).content.decode()


def test_a_refusal_message_is_text_on_the_senders_page(rule_with_markup, client, alice, bob):
    rule_with_markup("refuse", refusal_message=f"Not sent {MARKUP}")
    client.force_login(alice)

    response = client.post(reverse("messaging:send"), {"receiver": "bob", "content": "kill you"})

    page = response.content.decode()
    assert response.status_code == 200
    assert MARKUP not in page
    assert "Not sent &lt;img src=x" in page
