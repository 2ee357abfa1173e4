"""Staff groups (Django's auth groups, the Moderators group among them) as
superusers add, change and delete them in the admin: each write saves the group
and appends one audit entry, all or nothing.

What the Moderators group may do is declared in ``moderation_site.roles`` and
applied by a data migration; these services record a superuser's changes to any
group afterwards. The entry keeps what changed as Django's admin log says it
(the names of the fields, never their values) and the group's name, which
outlives a deleted group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group
from django.db import transaction

from audit.models import AuditEntry
from audit.services import record_audit_entry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, Permission


@transaction.atomic
def save_group(
    group: Group,
    *,
    actor: AbstractBaseUser,
    change_message: list[dict[str, Any]],
    permissions: Iterable[Permission] | None = None,
) -> Group:
    """Save ``group`` as ``actor`` added or changed it, with its permissions when
    given, and one audit entry."""
    created = group._state.adding
    group.save()
    if permissions is not None:
        group.permissions.set(permissions)
    _record_group_change(
        group, actor=actor, operation="added" if created else "changed", change=change_message
    )
    return group


@transaction.atomic
def delete_groups(groups: Iterable[Group], *, actor: AbstractBaseUser) -> int:
    """Delete ``groups``, one audit entry each; return how many went.

    The entries are written first, while each group still has its name; their
    members lose the group (and its permissions), never their accounts.
    """
    doomed = list(groups)
    for group in doomed:
        _record_group_change(group, actor=actor, operation="deleted", change=[])
    _, deleted = Group.objects.filter(pk__in=[group.pk for group in doomed]).delete()
    return deleted.get(Group._meta.label, 0)


def _record_group_change(
    group: Group, *, actor: AbstractBaseUser, operation: str, change: list[dict[str, Any]]
) -> None:
    record_audit_entry(
        action=AuditEntry.Action.GROUP_CHANGED,
        actor=actor,
        details={
            "operation": operation,
            "change": change,
            "object": str(group),
            "group_id": group.pk,
        },
    )
