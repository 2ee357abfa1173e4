"""Reads about a person's second factor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def is_staff_account(user: Any) -> bool:
    """Whether ``user`` (``request.user``) is signed in with an active staff
    account: the only people the second-factor pages serve."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def is_verified(user: Any) -> bool:
    # is_verified() is installed by django_otp's middleware: a request that did
    # not pass through it (a RequestFactory in a test) counts as unverified.
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def needs_second_factor(user: Any) -> bool:
    """Whether ``user`` must pass the second factor before any admin page."""
    return settings.STAFF_2FA and is_staff_account(user) and not is_verified(user)


def confirmed_authenticator(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_confirmed_authenticator(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
