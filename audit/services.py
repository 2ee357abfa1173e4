"""The one way audit entries are written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def record_audit_entry(
    *,
    action: AuditEntry.Action,
    actor: AbstractBaseUser | None,
    actor_username: str | None = None,
    target_user_id: int | None = None,
    target_username: str = "",
    case_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; call it inside the transaction of the write it records.

    ``actor_username`` defaults to the actor's; give it, with ``actor=None``, when
    the actor's account is gone by the time the entry is written.
    """
    if actor_username is None:
        actor_username = actor.get_username() if actor is not None else ""
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        actor_username=actor_username,
        target_user_id=target_user_id,
        target_username=target_username,
        case_id=case_id,
        reason=reason,
        details=details or {},
    )
