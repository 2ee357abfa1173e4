"""What every write of the moderation app shares: the limits and checks of the
texts moderators type, the account lock that comes first in the lock order (see
``moderation.services``), the permission to act on cases, and the audit entry of
an action on a person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from audit.models import AuditEntry
from audit.services import record_audit_entry
from moderation.models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_REASON_LENGTH = 2_000
MAX_WARNING_LENGTH = 2_000


def validate_text(value: str, *, label: str, max_length: int, required: bool) -> str:
    if required and not value.strip():
        raise ValidationError(f"{label} cannot be empty.", code="blank")
    if len(value) > max_length:
        raise ValidationError(
            f"{label} can be at most {max_length:,} characters ({len(value):,} given).",
            code="too_long",
        )
    ProhibitNullCharactersValidator(message=f"{label} cannot contain a NUL character.")(value)
    return value


def lock_account(user_id: int | None) -> AbstractBaseUser | None:
    if user_id is None:
        return None
    return get_user_model()._default_manager.select_for_update().filter(pk=user_id).first()


def require_case_permission(moderator: AbstractBaseUser) -> None:
    if not moderator.has_perm("moderation.change_case"):
        raise PermissionDenied("You may not act on moderation cases.")


def record_case_entry(
    action: AuditEntry.Action,
    case: Case | None,
    moderator: AbstractBaseUser,
    reason: str,
    *,
    user: AbstractBaseUser | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """The audit entry of an action on a person, within a case or not."""
    if case is not None:
        target_id, target_name = case.account_id, case.reported_username
    else:
        target_id, target_name = user.pk, user.get_username()
    return record_audit_entry(
        action=action,
        actor=moderator,
        target_user_id=target_id,
        target_username=target_name,
        case_id=case.pk if case is not None else None,
        reason=reason,
        details=details,
    )
