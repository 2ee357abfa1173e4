"""Claiming a case: a moderator takes an open case to work on, so the others see
who holds it and since when, and do not work it twice without knowing.

A claim is ``Case.claimed_by`` and ``Case.claimed_at``; it is held while
``claimed_at`` is less than ``CLAIM_MINUTES`` old, and any action of the holder
on the case sets ``claimed_at`` again (``service_support.record_case_entry``).
A lapsed claim is not erased: it is simply no claim (``claim_of``), and the next
claim replaces it. A closed case has no claim, whatever its columns say.

``claim_case`` locks the case's row (``select_for_update``), so of two
moderators claiming at once one wins and the other is told who did. Acting on
a case someone else holds needs the moderator's confirmation
(``act_on_case(..., despite_claim=True)``); a superuser needs none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from moderation.models import DELETED_ACCOUNT, Case
from moderation.service_support import record_case_entry, require_case_permission
from moderation_site.roles import overrides_claims
from moderation_site.time_format import format_timestamp

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def claim_duration() -> timedelta:
    return timedelta(minutes=settings.CLAIM_MINUTES)


@dataclass(frozen=True)
class Claim:
    """A live claim: who holds the case, since when, until when without action."""

    case: Case
    holder_id: int
    since: datetime
    until: datetime

    @property
    def holder_name(self) -> str:
        # No query when the case was read with select_related("claimed_by").
        holder = self.case.claimed_by
        return holder.get_username() if holder is not None else DELETED_ACCOUNT

    def describe(self) -> str:
        """ "alice holds this case since 2026-12-02 14:02 UTC"."""
        return f"{self.holder_name} holds this case since {format_timestamp(self.since)}"


def claim_of(case: Case, *, now: datetime | None = None) -> Claim | None:
    """The case's live claim, or None (never claimed, released, lapsed, closed).
    Reads the case's own columns: no query."""
    if not case.is_open or case.claimed_by_id is None or case.claimed_at is None:
        return None
    until = case.claimed_at + claim_duration()
    if until <= (now or timezone.now()):
        return None
    return Claim(case=case, holder_id=case.claimed_by_id, since=case.claimed_at, until=until)


def claim_held_by_another(
    case: Case, *, moderator: AbstractBaseUser, now: datetime | None = None
) -> Claim | None:
    """The live claim that ``moderator`` must confirm before acting on ``case``:
    someone else's; None for its holder and for a superuser (who overrides)."""
    claim = claim_of(case, now=now)
    if claim is None or claim.holder_id == moderator.pk or overrides_claims(moderator):
        return None
    return claim


def _lock_case(case: Case) -> Case:
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise ValidationError(f"Case #{case.pk} no longer exists.")
    return locked


@transaction.atomic
def claim_case(case: Case, *, moderator: AbstractBaseUser, now: datetime | None = None) -> Claim:
    """Claim an open case for ``moderator`` until ``CLAIM_MINUTES`` from ``now``.

    The case's row is locked first: of two claims at once, the second waits and
    then sees the first. Refused with ValidationError when the case is closed
    or someone else holds a live claim (named, with since when). Claiming one's
    own claim again renews it without a new audit entry.
    """
    require_case_permission(moderator)
    now = now or timezone.now()
    locked = _lock_case(case)
    if not locked.is_open:
        raise ValidationError(f"Case #{locked.pk} is closed: there is nothing to claim.")
    held = claim_of(locked, now=now)
    if held is not None and held.holder_id != moderator.pk:
        raise ValidationError(
            f"Case #{locked.pk} was not claimed: {held.describe()} "
            f"(until {format_timestamp(held.until)} without action)."
        )
    if held is None:
        # The earlier holder by account id: the log names people in its actor and
        # target columns only, so a deleted account's name leaves nothing else.
        lapsed = locked.claimed_by_id
        record_case_entry(
            AuditEntry.Action.CASE_CLAIMED,
            locked,
            moderator,
            "",
            details={"lapsed_claim_of": lapsed} if lapsed else None,
        )
    locked.claimed_by = moderator
    locked.claimed_at = now
    locked.save(update_fields=["claimed_by", "claimed_at"])
    return claim_of(locked, now=now)


@transaction.atomic
def release_case(case: Case, *, moderator: AbstractBaseUser, now: datetime | None = None) -> Case:
    """Give up the claim on a case: its holder, or a superuser for anyone's.
    Refused with ValidationError when there is no claim to release."""
    require_case_permission(moderator)
    locked = _lock_case(case)
    holder_id = locked.claimed_by_id
    # The holder may clear their own lapsed claim; anyone else finds none.
    if holder_id is None or (claim_of(locked, now=now) is None and holder_id != moderator.pk):
        raise ValidationError(f"Case #{locked.pk} is not claimed: there is nothing to release.")
    holder_name = locked.claimed_by.get_username()
    if holder_id != moderator.pk and not overrides_claims(moderator):
        raise ValidationError(
            f"{holder_name} holds case #{locked.pk}: only they or a superuser can release it."
        )
    locked.claimed_by = None
    locked.claimed_at = None
    locked.save(update_fields=["claimed_by", "claimed_at"])
    record_case_entry(
        AuditEntry.Action.CASE_RELEASED, locked, moderator, "", details={"holder": holder_name}
    )
    return locked
