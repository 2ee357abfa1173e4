"""moderation/migrations/0004: stored snapshots move from usernames to account ids."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from moderation.models import Case, Report
from tests.factories import UserFactory, reported_message

pytestmark = pytest.mark.django_db
migration = importlib.import_module("moderation.migrations.0004_evidence_keeps_account_ids")


def legacy(sender: str, receiver: str, edited_by: str, *, taken_at) -> dict:
    message = {"id": 1, "sender": sender, "receiver": receiver, "content": "words",
               "edits": [{"edited_by": edited_by, "old_content": "before"}]}  # fmt: skip
    return {"taken_at": taken_at.isoformat(), "message": message, "parent": None, "replies": []}


def test_usernames_become_the_ids_of_accounts_that_existed_then_or_nothing(alice, bob):
    report = reported_message(author=alice, reporter=bob)
    taken_at = timezone.now()
    later = UserFactory(username="carol", date_joined=taken_at + timedelta(days=1))
    Report.objects.filter(pk=report.pk).update(
        evidence=legacy("alice", "gone-person", later.username, taken_at=taken_at)
    )

    migration.usernames_to_ids(apps, None)

    message = Report.objects.get(pk=report.pk).evidence["message"]
    assert (message["sender_id"], message["receiver_id"]) == (alice.pk, None)
    assert message["edits"][0]["edited_by_id"] is None  # a later "carol" is someone else
    assert "sender" not in message and "edited_by" not in message["edits"][0]


def test_what_earlier_deletions_left_goes(alice, bob):
    report = reported_message(author=alice, reporter=bob, comment="bob's words")
    Report.objects.filter(pk=report.pk).update(reporter=None)
    Case.objects.filter(pk=report.case_id).update(reported_user=None)

    migration.usernames_to_ids(apps, None)

    report.refresh_from_db()
    assert report.comment == "" and report.reporter_words_kept_until is not None
    assert Case.objects.get(pk=report.case_id).reported_username == ""
