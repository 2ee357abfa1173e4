"""moderation/migrations/0010: the measures in force before sanctions were rows
get their rows, dated and attributed from the audit log, once."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from audit.models import AuditEntry
from moderation import services
from moderation.models import Sanction
from tests.factories import MessageFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("moderation.migrations.0010_sanctions_from_the_record")


def recorded() -> set[tuple]:
    return set(
        Sanction.objects.values_list(
            "user_id", "kind", "message_id", "notification_id", "imposed_by_id", "case_id"
        )
    )


def test_each_measure_in_force_gets_its_row_from_the_audit_log_once():
    moderator = ModeratorFactory()
    report = reported_message()
    zeno = report.case.reported_user
    hidden = MessageFactory(sender=zeno)
    services.hide_message(hidden, moderator=moderator, reason="insult")
    services.warn_user(zeno, moderator=moderator, reason="r", warning="stop", case=report.case)
    services.suspend_user(zeno, moderator=moderator, reason="spam", case=report.case)
    restored = MessageFactory(sender=zeno)
    services.hide_message(restored, moderator=moderator, reason="r")
    services.restore_message(restored, moderator=moderator, reason="r")
    # Switched off outside the desk's services: no suspension to record.
    UserFactory(is_active=False)
    in_force = {row for row in recorded() if row[2] != restored.pk}
    entry_at = {
        kind: AuditEntry.objects.filter(action=action).latest("created_at").created_at
        for kind, action in (
            ("warn", AuditEntry.Action.USER_WARNED),
            ("suspend", AuditEntry.Action.USER_SUSPENDED),
        )
    }
    entry_at["hide"] = (
        AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_HIDDEN)
        .order_by("created_at")
        .first()
        .created_at
    )
    Sanction.objects.all().delete()  # as before 0008

    MIGRATION.add_sanctions_in_force(apps, None)
    MIGRATION.add_sanctions_in_force(apps, None)  # twice: nothing more

    assert recorded() == in_force
    assert len(in_force) == 3
    for kind, when in Sanction.objects.values_list("kind", "imposed_at"):
        assert when == entry_at[kind]  # the audit entry's moment
    assert not Sanction.objects.filter(ends_at__isnull=False).exists()
    assert not Sanction.objects.ended().exists()


def test_a_measure_whose_audit_entry_is_gone_is_recorded_without_an_author():
    zeno = UserFactory()
    hidden = MessageFactory(sender=zeno, is_hidden=True)

    MIGRATION.add_sanctions_in_force(apps, None)

    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.message_id, sanction.imposed_by) == ("hide", hidden.pk, None)
    assert sanction.imposed_at == hidden.timestamp
