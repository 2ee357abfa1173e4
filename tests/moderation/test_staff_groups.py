"""moderation.staff_groups: superusers' changes to groups, each with its audit entry."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from audit.models import AuditEntry
from moderation import services, staff_groups

pytestmark = pytest.mark.django_db


def group_entries() -> list[tuple[str, object, str]]:
    return [
        (entry.details["operation"], entry.details["change"], entry.details["object"])
        for entry in AuditEntry.objects.filter(action=AuditEntry.Action.GROUP_CHANGED).order_by(
            "id"
        )
    ]


def test_adding_then_changing_a_group_writes_an_entry_each(superuser):
    permission = Permission.objects.get(codename="view_message")
    group = Group(name="Trainees")

    services.save_group(
        group, actor=superuser, change_message=[{"added": {}}], permissions=[permission]
    )
    group.name = "Juniors"
    changed = [{"changed": {"fields": ["Name"]}}]
    services.save_group(group, actor=superuser, change_message=changed)

    group.refresh_from_db()
    assert (group.name, list(group.permissions.all())) == ("Juniors", [permission])
    assert group_entries() == [
        ("added", [{"added": {}}], "Trainees"),
        ("changed", changed, "Juniors"),
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {superuser.pk}


def test_deleting_groups_names_each_and_keeps_their_members(superuser, alice):
    trainees = Group.objects.create(name="Trainees")
    juniors = Group.objects.create(name="Juniors")
    alice.groups.add(trainees)

    deleted = services.delete_groups(
        Group.objects.filter(pk__in=[trainees.pk, juniors.pk]).order_by("name"), actor=superuser
    )

    assert deleted == 2
    assert not Group.objects.filter(pk__in=[trainees.pk, juniors.pk]).exists()
    assert group_entries() == [("deleted", [], "Juniors"), ("deleted", [], "Trainees")]
    alice.refresh_from_db()
    assert not alice.groups.exists()


def test_no_change_to_a_group_without_its_entry(superuser, monkeypatch):
    def broken_audit_log(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(staff_groups, "record_audit_entry", broken_audit_log)

    with pytest.raises(RuntimeError):
        services.save_group(Group(name="Trainees"), actor=superuser, change_message=[])
    with pytest.raises(RuntimeError):
        services.delete_groups(Group.objects.filter(name="Moderators"), actor=superuser)

    assert not Group.objects.filter(name="Trainees").exists()
    assert Group.objects.filter(name="Moderators").exists()
