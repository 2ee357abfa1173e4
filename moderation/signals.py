"""Thin receivers of the moderation app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from moderation import services


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="moderation.close_cases")
def close_cases_of_deleted_account(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Every way of deleting an account (the desk, the person's own page, a shell)
    # passes here, inside the deletion's transaction: the evidence of their open
    # case starts its retention instead of being held for ever.
    services.close_cases_of_deleted_account(instance)
