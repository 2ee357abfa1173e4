"""Thin receivers of the audit app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit.skip_login_history")
def skip_history_of_login_bookkeeping(sender: Any, instance: Any, **kwargs: Any) -> None:
    # A login saves last_login alone: not a change anybody made to the account.
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        instance.skip_history_when_saving = True


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="audit.resume_history")
def resume_history_after_login_bookkeeping(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance.__dict__.pop("skip_history_when_saving", None)
