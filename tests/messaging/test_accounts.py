"""messaging.services.save_account: a change to an account, saved with its audit entry.

Deletion, the other write of messaging/services/accounts.py, is
tests/messaging/test_account_deletion.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from audit.models import AuditEntry
from messaging import services
from messaging.services import accounts

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGED_NAME = [{"changed": {"fields": ["First name"]}}]


def test_a_new_account_is_saved_with_one_added_entry_naming_it(superuser):
    account = User(username="newcomer")

    services.save_account(account, actor=superuser, change_message=[{"added": {}}])

    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert User.objects.filter(pk=account.pk).exists()
    assert (entry.actor, entry.target_user_id, entry.target_username) == (
        superuser,
        account.pk,
        "newcomer",
    )
    assert entry.details == {"operation": "added", "change": [{"added": {}}]}


def test_a_change_keeps_the_change_message_and_names_no_value(superuser, alice):
    alice.first_name = "Secretname"

    services.save_account(alice, actor=superuser, change_message=CHANGED_NAME)

    alice.refresh_from_db()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert alice.first_name == "Secretname"
    assert entry.details == {"operation": "changed", "change": CHANGED_NAME}
    assert "Secretname" not in str(entry.details)


def test_groups_and_permissions_given_are_set_and_those_not_given_stay(superuser, alice):
    moderators = Group.objects.get(name="Moderators")
    alice.groups.add(moderators)
    permission = Permission.objects.get(codename="view_message")

    services.save_account(alice, actor=superuser, change_message=[], permissions=[permission])
    groups_kept = set(alice.groups.all())
    services.save_account(alice, actor=superuser, change_message=[], groups=[])

    assert groups_kept == {moderators}
    assert list(alice.groups.all()) == []
    assert list(alice.user_permissions.all()) == [permission]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_CHANGED).count() == 2


def test_the_stored_version_names_the_actor(superuser, alice):
    alice.last_name = "Liddell"

    services.save_account(alice, actor=superuser, change_message=CHANGED_NAME)

    latest = User.versions.filter(id=alice.pk).latest("history_date")
    assert (latest.last_name, latest.history_user) == ("Liddell", superuser)


def test_no_change_without_its_entry(superuser, alice, monkeypatch):
    def broken_audit_log(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(accounts, "record_audit_entry", broken_audit_log)
    alice.first_name = "Changed"

    with pytest.raises(RuntimeError):
        services.save_account(
            alice,
            actor=superuser,
            change_message=CHANGED_NAME,
            groups=[Group.objects.get(name="Moderators")],
        )

    alice.refresh_from_db()
    assert alice.first_name != "Changed"
    assert not alice.groups.exists()
