"""The benchmark's data: the generator's data set plus a few fixed shapes."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, F
from django.utils import timezone

from messaging.models import Message, MessageHistory, Notification

User = get_user_model()
CHAIN_ROOT = "bench: 200-deep chain"
BUSHY_ROOT = "bench: 1,000-message tree"
MODERATOR = "bench_moderator"


def create_special_threads() -> None:
    """A 200-deep reply chain and a 1,000-message tree (fan-out 3), once."""
    if Message.objects.filter(content=CHAIN_ROOT).exists():
        return
    alice, bob = User.objects.order_by("pk")[:2]
    _thread(CHAIN_ROOT, alice, bob, size=200, parent_index=lambda i: i - 1)
    _thread(BUSHY_ROOT, alice, bob, size=1000, parent_index=lambda i: (i - 1) // 3)


def _thread(content: str, alice: Any, bob: Any, *, size: int, parent_index: Any) -> None:
    root = Message.objects.create(sender=alice, receiver=bob, content=content)
    nodes = [root]
    for index in range(1, size):
        parent = nodes[parent_index(index)]
        nodes.append(
            Message.objects.create(
                sender=parent.receiver,
                receiver=parent.sender,
                parent_message=parent,
                content=f"reply {index}",
            )
        )


def create_bench_moderator() -> None:
    moderator, _ = User.objects.get_or_create(username=MODERATOR, defaults={"is_staff": True})
    moderator.groups.add(Group.objects.get(name="Moderators"))


@functools.cache
def special_thread_root(name: str) -> int:
    content = {"chain": CHAIN_ROOT, "bushy": BUSHY_ROOT}[name]
    return Message.objects.filter(content=content).values_list("pk", flat=True).get()


def bench_moderator() -> Any:
    return User.objects.get(username=MODERATOR)


@functools.cache
def busiest_receiver() -> Any:
    row = Message.unread.values("receiver").annotate(n=Count("pk")).order_by("-n").first()
    return User.objects.get(pk=row["receiver"])


@functools.cache
def busiest_sender() -> Any:
    row = Message.objects.values("sender").annotate(n=Count("pk")).order_by("-n").first()
    return User.objects.get(pk=row["sender"])


def make_big_account(*, messages: int) -> Any:
    """A fresh account with ``messages`` messages to other people, a notification
    each, a tenth of them edited, and a stored version of each (as the app would
    have written through django-simple-history)."""
    user = User.objects.create(username=f"bench_big_{uuid.uuid4().hex[:8]}")
    others = list(User.objects.exclude(pk=user.pk).values_list("pk", flat=True)[:500])
    now = timezone.now()
    sent = Message.objects.bulk_create(
        Message(
            sender=user,
            receiver_id=others[index % len(others)],
            content=f"big account message {index}",
            timestamp=now,
        )
        for index in range(messages)
    )
    Message.objects.filter(pk__in=[m.pk for m in sent]).update(thread_id=F("id"))
    Notification.objects.bulk_create(
        Notification(user_id=m.receiver_id, message=m, kind="new_message") for m in sent
    )
    MessageHistory.objects.bulk_create(
        MessageHistory(message=m, old_content="before", edited_at=now, edited_by=user)
        for m in sent[: messages // 10]
    )
    versions = Message.versions.model
    versions.objects.bulk_create(
        versions(
            id=m.pk,
            sender_id=user.pk,
            receiver_id=m.receiver_id,
            content=m.content,
            timestamp=now,
            thread_id=m.pk,
            depth=0,
            history_date=now,
            history_type="+",
        )
        for m in sent
    )
    return user
