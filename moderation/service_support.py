"""What every write of the moderation app shares: the limits and checks of the
texts moderators type, the account lock that comes first in the lock order (see
``moderation.services``), the permission to act on cases, and the audit entry of
an action on a person, which also renews the actor's claim on the case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from moderation.models import Case

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_REASON_LENGTH = 2_000
MAX_WARNING_LENGTH = 2_000
# A claim lapses in whole minutes: renewing it more often than this (one
# action hiding fifty messages writes fifty entries) would only add writes.
CLAIM_RENEWAL_INTERVAL = timedelta(minutes=1)


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
    """The audit entry of an action on a person, within a case or not. An action
    of the case's claimant renews their claim (moderation.claims)."""
    if case is not None:
        target_id, target_name = case.account_id, case.reported_username
        renew_claim(case, moderator=moderator)
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


def renew_claim(case: Case, *, moderator: AbstractBaseUser) -> None:
    """Start the claim's CLAIM_MINUTES again when ``moderator`` holds it (lapsed
    or not: nobody claimed the case since). Decided on ``case`` as the caller
    read it (every handler reads the case per request, act_on_case under its
    lock), so anyone else's action costs no query."""
    if case.claimed_by_id is None or case.claimed_by_id != moderator.pk:
        return
    now = timezone.now()
    if case.claimed_at is not None and now - case.claimed_at < CLAIM_RENEWAL_INTERVAL:
        return
    Case.objects.filter(pk=case.pk, claimed_by=moderator).update(claimed_at=now)
    case.claimed_at = now
