"""Writes of staff's second factor: setting it up, passing it, resetting it.

A person has at most one confirmed authenticator (a ``TOTPDevice``) and one
``StaticDevice`` holding their unused recovery codes. django-otp keeps both
kinds of secret in the database as they are (it must, to check them), so no
secret ever goes into the audit log or a log line.

Every check of a code goes through django-otp's ``verify_token``, which
refuses a code while the device is throttled (a wait that doubles after each
failure: 1, 2, 4 ... seconds) and counts the failure otherwise. A failure is
therefore a normal return here, not an exception: the count must commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from audit.services import record_audit_entry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
WRONG_CODE = "That code is not valid. Check the time on your phone and enter the current code."
WRONG_CODE_OR_RECOVERY_CODE = (
    "That code is not valid. Enter the current code from your authenticator app, "
    "or an unused recovery code."
)


@dataclass(frozen=True)
class Verification:
    """What became of a code: the device that accepted it, or why not."""

    device: Device | None = None
    refusal: str = ""
    is_throttled: bool = False


@dataclass(frozen=True)
class Enrolment:
    """A confirmed authenticator and the recovery codes to show once, or why not."""

    device: TOTPDevice | None = None
    recovery_codes: list[str] = field(default_factory=list)
    refusal: str = ""
    is_throttled: bool = False


def throttle_refusal(device: Device) -> str:
    """Why ``device`` refuses any code right now (too many failures), or ""."""
    is_allowed, details = device.verify_is_allowed()
    if is_allowed:
        return ""
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return "Too many wrong codes. Wait a moment, then try again."
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return (
        f"Too many wrong codes. Wait {seconds} second{'s' if seconds != 1 else ''}, "
        "then try again (each wrong code doubles the wait)."
    )


@transaction.atomic
def start_enrolment(*, user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator ``user`` is setting up, not yet confirmed.

    The one started earlier if there is one, so that reloading the page keeps
    the secret they may have scanned already. Not audited: it does nothing
    until confirmed, and the confirmation is.
    """
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Your second factor is set up already.")
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(*, user: AbstractBaseUser, token: str) -> Enrolment:
    """Confirm the authenticator ``user`` is setting up with a ``token`` it shows.

    On success, and only then: the authenticator counts (confirmed), any other
    unconfirmed one and any earlier recovery codes go, RECOVERY_CODE_COUNT new
    single-use codes are made, and the audit log says so (without the codes).
    """
    # The person's row is locked while they have no confirmed device: two
    # confirmations at once (a double submit) cannot both make recovery codes.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return Enrolment(refusal="Your second factor is set up already.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:  # reset by a superuser meanwhile, say
        return Enrolment(refusal="This setup has expired: scan the new QR code below.")
    refusal = throttle_refusal(device)
    if refusal:
        return Enrolment(refusal=refusal, is_throttled=True)
    if not device.verify_token(token):
        return Enrolment(refusal=WRONG_CODE)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    record_audit_entry(
        action=AuditEntry.Action.SECOND_FACTOR_ENROLLED,
        actor=user,
        target_user_id=user.pk,
        target_username=user.get_username(),
        details={"recovery_codes": RECOVERY_CODE_COUNT},
    )
    return Enrolment(device=device, recovery_codes=codes)


@transaction.atomic
def verify_second_factor(*, user: AbstractBaseUser, token: str) -> Verification:
    """Check ``token``: digits are an authenticator code, anything else a
    recovery code (which is used up when it matches).

    The device is locked while it checks, so one code cannot pass twice at once
    (django-otp also refuses an authenticator code already used).
    """
    devices = TOTPDevice.objects if token.isdigit() else StaticDevice.objects
    device = devices.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        return Verification(refusal=WRONG_CODE_OR_RECOVERY_CODE)
    refusal = throttle_refusal(device)
    if refusal:
        return Verification(refusal=refusal, is_throttled=True)
    if not device.verify_token(token):
        return Verification(refusal=WRONG_CODE_OR_RECOVERY_CODE)
    return Verification(device=device)


def reset_refusal(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> str | None:
    """Why ``actor`` cannot reset ``user``'s second factor, or None: for the page
    and the service alike."""
    if not actor.is_superuser:
        return "Only a superuser can reset a second factor."
    has_devices = (
        TOTPDevice.objects.filter(user=user).exists()
        or StaticDevice.objects.filter(user=user).exists()
    )
    if not has_devices:
        return f"{user.get_username()} has no second factor to reset."
    return None


@transaction.atomic
def reset_second_factor(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> AuditEntry:
    """Delete every device of ``user``: their sessions lose their verification at
    once (django-otp finds no device), and they set up a new authenticator at
    their next sign-in. Raises ValidationError with ``reset_refusal``'s reason."""
    refusal = reset_refusal(actor=actor, user=user)
    if refusal:
        raise ValidationError(refusal)
    recovery_codes = StaticToken.objects.filter(device__user=user).count()
    authenticators, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()  # its tokens cascade
    return record_audit_entry(
        action=AuditEntry.Action.SECOND_FACTOR_RESET,
        actor=actor,
        target_user_id=user.pk,
        target_username=user.get_username(),
        details={
            "authenticators_removed": authenticators,
            "recovery_codes_removed": recovery_codes,
        },
    )
