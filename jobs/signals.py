"""Thin receivers of the jobs app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from jobs import services


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="jobs.forget_starter_name")
def forget_starter_name(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Every way of deleting an account passes here, inside the deletion's
    # transaction, before the database empties started_by.
    services.forget_starter_name(user_id=instance.pk)
