"""Writes on messages: send, reply, edit, mark read, and what the signals record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.content_checks import Verdict, act_on_message, check_content
from messaging.events import read_state_changed
from messaging.models import Message, MessageHistory, Notification
from messaging.thread_cache import forget_thread_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from messaging.managers import MessageQuerySet

# Relations are checked by the services themselves; validating them again through
# full_clean() would cost one query each.
_RELATION_FIELDS = ("sender", "receiver", "parent_message", "thread", "edited_by")

# What an edit writes besides the content (record_edit_history sets them).
EDIT_MARK_FIELDS = ("edited", "edited_at", "edited_by")
# A moderator's read-state change names its messages in the audit entry up to
# this many (a list page's selection); beyond, the entry keeps the count only.
NAMED_MESSAGES_LIMIT = 100


def validate_message(message: Message) -> None:
    """Raise ValidationError for empty, over-long or NUL-containing content."""
    message.clean_fields(exclude=_RELATION_FIELDS)


def _hold_accounts(user_ids: Iterable[int | None], *, for_update: bool = False) -> set[int]:
    """Keep the given accounts from being deleted until this transaction ends;
    return the ids of those that still exist (a deletion that was under way has
    finished by then).

    Every write here points rows at accounts (sender, receiver, editor), so the
    database locks those account rows anyway, for the foreign key checks, but
    only at commit (Django's PostgreSQL constraints are deferred): after the
    message rows the write locked. ``delete_account`` locks the other way round,
    the account row first and then its messages, and the two would deadlock.
    Taking the account rows first keeps a single lock order: a write and a
    deletion then wait for each other. ``FOR KEY SHARE`` is the lock those
    checks take: it waits for a deletion, never for other writes. A write a
    content check will act on (``messaging.content_checks``) takes ``FOR UPDATE``
    instead, the lock that action takes on the author's account.
    """
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    if not ids:
        return set()
    accounts = get_user_model()._default_manager.filter(pk__in=ids).order_by("pk").values_list("pk")
    connection = connections[accounts.db]
    if connection.vendor != "postgresql":
        return {pk for (pk,) in accounts}  # SQLite runs one writing transaction at a time
    sql, params = accounts.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} {'FOR UPDATE' if for_update else 'FOR KEY SHARE'}", params)
        return {pk for (pk,) in cursor.fetchall()}


def _checked_content(content: str) -> list[Verdict]:
    """Validate ``content`` (empty, too long, NUL) and run the content checks on
    it: before any lock or write, so a refusal costs nothing. Returns the
    verdicts that act once the message is written."""
    validate_message(Message(content=content))
    return check_content(content)


def _refuse_unless_account_exists(held: set[int], user: AbstractBaseUser) -> None:
    if user.pk not in held:
        raise PermissionDenied("Your account no longer exists.")


@transaction.atomic
def send_message(*, sender: AbstractBaseUser, receiver: AbstractBaseUser, content: str) -> Message:
    """Start a new thread: ``sender`` writes ``content`` to ``receiver``."""
    if receiver.pk == sender.pk:
        raise ValidationError("You cannot send a message to yourself.", code="self")
    acting = _checked_content(content)
    # See _hold_accounts: before any write.
    held = _hold_accounts([sender.pk, receiver.pk], for_update=bool(acting))
    _refuse_unless_account_exists(held, sender)
    if not receiver.is_active or receiver.pk not in held:
        raise ValidationError("This person cannot receive messages.", code="inactive")
    message = Message(sender=sender, receiver=receiver, content=content)
    message.save()
    act_on_message(acting, message)
    return message


@transaction.atomic
def reply(*, sender: AbstractBaseUser, parent: Message, content: str) -> Message:
    """Answer ``parent``; the reply goes to the other person of the conversation."""
    # The two people of the conversation first, then the parent (_hold_accounts
    # says why). An account deletion running at the same time then either sees
    # this reply (and keeps the parent as a tombstone) or has removed or emptied
    # the parent already (and the reply is refused below).
    acting = _checked_content(content)
    people = Message.objects.filter(pk=parent.pk).values_list("sender_id", "receiver_id").first()
    if people is None:
        raise ValidationError("The message you are replying to no longer exists.", code="gone")
    held = _hold_accounts([sender.pk, *people], for_update=bool(acting))
    _refuse_unless_account_exists(held, sender)
    locked_parent = Message.objects.select_for_update().filter(pk=parent.pk).first()
    if locked_parent is None:
        raise ValidationError("The message you are replying to no longer exists.", code="gone")
    if sender.pk not in (locked_parent.sender_id, locked_parent.receiver_id):
        raise PermissionDenied("You can only reply in conversations you take part in.")
    if locked_parent.is_tombstone:
        raise ValidationError(
            "This message was deleted; it cannot be replied to.", code="tombstone"
        )
    receiver_id = (
        locked_parent.receiver_id
        if locked_parent.sender_id == sender.pk
        else locked_parent.sender_id
    )
    if receiver_id is None:
        raise ValidationError(
            "The other person has deleted their account; this conversation is closed.",
            code="closed",
        )
    message = Message(
        sender=sender, receiver_id=receiver_id, parent_message=locked_parent, content=content
    )
    message.save()
    act_on_message(acting, message)
    return message


@transaction.atomic
def edit_message(message: Message, *, editor: AbstractBaseUser, content: str) -> Message:
    """Replace a message's content; the previous text goes to its history.

    Senders edit their own messages; moderators (``messaging.change_message``) edit
    anyone's. The history row and the edit marks are written by the pre_save
    receiver (``record_edit_history``), so every path that saves a message records
    it too; this service names the editor for it in ``_history_user``.
    An edit of someone else's words is a moderator's write: it is audited here,
    whoever calls; a sender's edit of their own is not.
    """
    if editor.pk != message.sender_id and not editor.has_perm("messaging.change_message"):
        raise PermissionDenied("You can only edit your own messages.")
    # The editor's and the sender's accounts, then the message as stored now
    # (_hold_accounts says why): ``message`` may have been loaded before its
    # author's account was deleted, leaving a tombstone or nothing.
    # A person's own edit is checked like a new message; a moderator's edit of
    # someone else's words (a redaction, audited below) is not.
    own_edit = editor.pk == message.sender_id
    acting = _checked_content(content) if own_edit else []
    held = _hold_accounts([editor.pk, message.sender_id], for_update=bool(acting))
    _refuse_unless_account_exists(held, editor)
    stored = (
        Message.objects.select_for_update()
        .filter(pk=message.pk)
        .values("content", "is_tombstone", "is_hidden")
        .first()
    )
    if stored is None:
        raise ValidationError("This message no longer exists.", code="gone")
    if message.is_tombstone or stored["is_tombstone"]:
        raise ValidationError("A deleted message cannot be edited.", code="tombstone")
    if stored["is_hidden"] and own_edit:
        # Editing would put new words where a moderator hid the old ones.
        raise ValidationError(
            "The moderators hid this message; it cannot be edited.", code="hidden"
        )
    message.content = content
    validate_message(message)
    message._history_user = editor  # read by record_edit_history and simple-history
    message.save(update_fields=["content", *EDIT_MARK_FIELDS])
    act_on_message(acting, message)
    if editor.pk != message.sender_id and stored["content"] != content:
        record_audit_entry(
            action=AuditEntry.Action.MESSAGE_EDITED,
            actor=editor,
            target_user_id=message.sender_id,
            target_username=message.sender.get_username() if message.sender else "",
            # No message text in the audit log: the edit history holds it, and
            # goes when its author deletes their account.
            details={"message_id": message.pk},
        )
    return message


def record_edit_history(
    message: Message, *, update_fields: frozenset[str] | None = None
) -> MessageHistory | None:
    """Keep the text ``message`` had before the change about to be saved, and mark
    the message edited: when, and by whom.

    Called by the pre_save receiver, inside the transaction ``Message.save`` opens.
    The stored row is read under a row lock, so two edits racing on PostgreSQL are
    recorded one after the other, each with the text the other left. The editor is
    the user the caller named in ``message._history_user`` (the attribute
    django-simple-history reads for the stored version), the sender otherwise.
    A save limited by ``update_fields`` to less than the marks gets them written
    here: one more query, which ``edit_message`` saves by listing them.
    """
    stored = (
        Message.objects.select_for_update()
        .filter(pk=message.pk)
        .values("content", "edited", "edited_at", "edited_by_id")
        .first()
    )
    if stored is None:
        return None
    if stored["content"] == message.content:
        # Nothing changed: whatever the caller put on the marks must not be written.
        message.edited = stored["edited"]
        message.edited_at = stored["edited_at"]
        message.edited_by_id = stored["edited_by_id"]
        return None
    editor = getattr(message, "_history_user", None)
    now = timezone.now()
    message.edited = True
    message.edited_at = now
    if getattr(editor, "pk", None) is None:  # nobody named, or an anonymous user
        message.edited_by_id = message.sender_id
    else:
        message.edited_by = editor
    if update_fields is not None and not update_fields.issuperset(EDIT_MARK_FIELDS):
        Message.objects.filter(pk=message.pk).update(
            edited=True, edited_at=now, edited_by_id=message.edited_by_id
        )
    return MessageHistory.objects.create(
        message_id=message.pk,
        old_content=stored["content"],
        edited_at=now,
        edited_by_id=message.edited_by_id,
    )


def notify_receiver(message: Message) -> Notification | None:
    """Tell the receiver about a new message (called once, on creation)."""
    if message.receiver_id is None:
        return None
    kind = Notification.Kind.NEW_MESSAGE if message.is_root else Notification.Kind.REPLY
    return Notification.objects.create(user_id=message.receiver_id, message=message, kind=kind)


def withdraw_notification(message: Message) -> int:
    """Take back the receiver's notification of ``message``: a rule hid it as it
    was sent (``moderation.automatic``), and a notice of a message they cannot
    read is only the sender reaching them anyway. Returns how many went."""
    deleted, _ = Notification.objects.filter(
        message_id=message.pk, kind__in=(Notification.Kind.NEW_MESSAGE, Notification.Kind.REPLY)
    ).delete()
    return deleted


def mark_read(message: Message, *, reader: AbstractBaseUser) -> None:
    """The receiver has read ``message``."""
    if reader.pk != message.receiver_id:
        raise PermissionDenied("Only the receiver can mark a message read.")
    if not message.read:
        message.read = True
        message.save(update_fields=["read"])


def mark_thread_read(*, reader: AbstractBaseUser, thread_id: int) -> int:
    """Mark everything ``reader`` received in a thread read; returns how many changed."""
    changed = (
        Message.objects.in_thread(thread_id).filter(receiver=reader, read=False).update(read=True)
    )
    if changed:
        read_state_changed.send(sender=Message, count=changed)  # update(): no post_save
    return changed


@transaction.atomic
def acknowledge_warning(notification_id: int, *, user: AbstractBaseUser) -> None:
    """``user`` has read a notice (a moderator's warning, the outcome of their
    report): it leaves their inbox.

    Only the user's own notices: any other id (someone else's notice, a
    message notification, nothing) raises Notification.DoesNotExist, so a caller
    cannot tell another person's notice from a missing one. Acknowledging twice
    is harmless.
    """
    changed = Notification.objects.filter(
        pk=notification_id, user=user, kind__in=Notification.NOTICE_KINDS
    ).update(is_seen=True)
    if not changed:
        raise Notification.DoesNotExist("No such warning.")


def set_message_hidden(message: Message, *, hidden: bool) -> bool:
    """Hide a message from people, or show it again (``moderation.services``,
    which audits it); False when it already was so. A tombstone is never hidden."""
    changed = (
        Message.objects.filter(pk=message.pk, is_tombstone=False)
        .exclude(is_hidden=hidden)
        .update(is_hidden=hidden)
    )
    if not changed:
        return False
    message.is_hidden = hidden
    forget_thread_on_commit(message.thread_id)  # update() sends no post_save
    return True


@transaction.atomic
def set_read_state(
    messages: MessageQuerySet,
    *,
    read: bool,
    actor: AbstractBaseUser,
    details: dict[str, Any] | None = None,
) -> int:
    """A moderator sets the read flag on a selection; returns the count, audited
    with ``details`` added. People mark their own messages read with
    ``mark_read``/``mark_thread_read``, which are not moderator writes and stay
    out of the audit log."""
    changing = messages.exclude(read=read)
    # A page's selection (a few ids) is named in the entry: those rows, locked
    # by id (the selection's own query may join or be DISTINCT), are exactly the
    # ones changed. A larger selection is counted only, in one statement.
    few = list(changing.values_list("pk", flat=True)[: NAMED_MESSAGES_LIMIT + 1])
    named: list[int] | None = None
    if len(few) <= NAMED_MESSAGES_LIMIT:
        named = sorted(
            Message.objects.select_for_update()
            .filter(pk__in=few)
            .exclude(read=read)
            .values_list("pk", flat=True)
        )
        changing = Message.objects.filter(pk__in=named)
    changed = changing.update(read=read)
    if changed:
        read_state_changed.send(sender=Message, count=changed)  # update(): no post_save
    recorded = {"count": changed, **(details or {})}
    if named and "message_id" not in recorded:
        recorded["message_ids"] = named
    record_audit_entry(
        action=(
            AuditEntry.Action.MESSAGES_MARKED_READ
            if read
            else AuditEntry.Action.MESSAGES_MARKED_UNREAD
        ),
        actor=actor,
        details=recorded,
    )
    return changed
