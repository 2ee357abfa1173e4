"""Thin receivers of the moderation app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from moderation import retention


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="moderation.close_cases")
def forget_deleted_account(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Every way of deleting an account (the desk, the person's own page, a shell)
    # passes here, inside the deletion's transaction: the evidence of their open
    # case starts its retention instead of being held for ever, and their name
    # and words leave the cases (their own and other people's).
    retention.forget_deleted_account(instance)
