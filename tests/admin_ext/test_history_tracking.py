"""django-simple-history: who changed what, recorded from the admin's requests."""

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from messaging.models import Message
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import PASSWORD, MessageFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_a_moderators_edit_in_the_admin_is_a_version_by_that_moderator(client, moderator, alice):
    message = MessageFactory(sender=alice, content="rude words")
    client.force_login(moderator)

    client.post(
        reverse("admin:messaging_message_change", args=[message.pk]),
        {"content": "[removed by moderation]", **INLINE_MANAGEMENT_FORMS},
    )

    latest = Message.versions.filter(id=message.pk).latest("history_date")
    assert (latest.content, latest.history_user) == ("[removed by moderation]", moderator)


def test_a_superusers_change_to_an_account_is_a_version_by_that_superuser(client, superuser, alice):
    client.force_login(superuser)

    client.post(
        reverse("admin:auth_user_change", args=[alice.pk]),
        {
            "username": "alice",
            "first_name": "Alice",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    latest = User.versions.filter(id=alice.pk).latest("history_date")
    assert (latest.first_name, latest.history_user) == ("Alice", superuser)


def test_versions_of_accounts_keep_no_password_hash(alice):
    assert "password" not in {field.name for field in User.versions.model._meta.fields}


def test_logging_in_writes_no_version_of_the_account(client, alice):
    before = User.versions.filter(id=alice.pk).count()

    # django-axes (first authentication backend) needs the request.
    assert client.login(request=RequestFactory().get("/"), username="alice", password=PASSWORD)

    assert User.versions.filter(id=alice.pk).count() == before
