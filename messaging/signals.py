"""Thin receivers: each connects one event to one service or cache drop."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from messaging import figures, services
from messaging.models import Message
from messaging.thread_cache import forget_thread_on_commit


@receiver(pre_save, sender=Message, dispatch_uid="messaging.record_edit_history")
def record_edit_history(sender: type[Message], instance: Message, raw: bool, **kwargs: Any) -> None:
    # The one path for edit history, whoever saves (a service, the admin, the ORM).
    update_fields = kwargs.get("update_fields")
    if raw or instance._state.adding:
        return  # loaddata and creation are not edits
    if update_fields is not None and "content" not in update_fields:
        return
    services.record_edit_history(instance, update_fields=update_fields)


@receiver(post_save, sender=Message, dispatch_uid="messaging.forget_history_user")
def forget_history_user(sender: type[Message], instance: Message, **kwargs: Any) -> None:
    # Whoever a caller named for this save must not be credited with the
    # instance's next one. simple-history's own post_save receiver, which reads
    # the name too, was connected before this one (when Message was defined), so
    # it has run.
    instance.__dict__.pop("_history_user", None)


@receiver(post_save, sender=Message, dispatch_uid="messaging.on_message_saved")
def on_message_saved(
    sender: type[Message], instance: Message, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return
    if created:
        services.notify_receiver(instance)
        if instance.is_root:
            return  # a new thread: nobody has a cached view of it yet
    forget_thread_on_commit(instance.thread_id)


@receiver(post_save, sender=Message, dispatch_uid="messaging.count_new_message")
def count_new_message(
    sender: type[Message], instance: Message, created: bool, raw: bool, **kwargs: Any
) -> None:
    # Every ORM create, in its transaction; loaddata's raw saves are recounted by
    # the demo loader (figures.rebuild_message_figures). Connected after
    # on_message_saved, so the hot row of today's count is locked last.
    if created and not raw:
        figures.count_new_message(instance)


@receiver(post_delete, sender=Message, dispatch_uid="messaging.uncount_message")
def uncount_message(sender: type[Message], instance: Message, **kwargs: Any) -> None:
    # simple-history's own post_delete receiver already makes Django load each
    # deleted row, so this one costs no extra fetch. An account deletion's raw
    # deletes send nothing: account_erasure subtracts the person's counts itself.
    figures.uncount_message(instance)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="messaging.erase_user")
def erase_content_of_deleted_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    # delete_account erases first and marks the instance; every other way of
    # deleting a user (the admin, user.delete(), a shell) is caught here, inside
    # the deletion's transaction.
    if not getattr(instance, "_account_content_erased", False):
        summary = services.erase_account_content(instance)
        services.record_account_deletion(
            summary, actor=None, reason="Deleted outside the account deletion service"
        )
