"""Audit entries are append-only."""

import pytest

from audit.models import AuditEntry
from audit.services import record_audit_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(moderator):
    return record_audit_entry(
        action=AuditEntry.Action.ACCOUNT_DELETED,
        actor=moderator,
        target_user_id=41,
        target_username="gone",
        reason="spam",
        details={"messages_deleted": 3},
    )


def test_an_entry_keeps_the_actors_username_as_text(entry):
    assert (entry.actor_username, entry.target_username, entry.details) == (
        "moderator",
        "gone",
        {"messages_deleted": 3},
    )


def test_an_entry_cannot_be_changed(entry):
    entry.reason = "rewritten"

    with pytest.raises(TypeError, match="append-only"):
        entry.save()

    assert AuditEntry.objects.get().reason == "spam"


@pytest.mark.parametrize(
    "erase",
    [
        lambda entry: entry.delete(),
        lambda entry: AuditEntry.objects.all().delete(),
        lambda entry: AuditEntry.objects.update(reason="rewritten"),
    ],
    ids=["instance-delete", "queryset-delete", "queryset-update"],
)
def test_an_entry_cannot_be_deleted_or_rewritten(entry, erase):
    with pytest.raises(TypeError, match="append-only"):
        erase(entry)

    assert AuditEntry.objects.get().reason == "spam"
