"""The benchmark's data: the generator's data set plus a few fixed shapes.

Each shape is made once (its marker row is looked up first), so ``setup_data``
can run again on a database that has them.
"""

from __future__ import annotations

import datetime
import functools
import random
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from fixtures.generator import sentence
from messaging.models import Message, MessageHistory, Notification

User = get_user_model()
CHAIN_ROOT = "bench: 200-deep chain"
BUSHY_ROOT = "bench: 1,000-message tree"
BIG_THREAD_ROOT = "bench: 5,000-message thread"
BIG_THREAD_SIZE = 5_000
BIG_THREAD_PEOPLE = 4
# A word no generated message has (the generator's words are fixed): a search
# for it finds only the few thread messages that carry it.
RARE_WORD = "quokka"
# One of the generator's words (each is as frequent as the others: ~8% of messages).
COMMON_WORD = "tickets"
RARE_WORD_MESSAGES = 3
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


def create_big_thread() -> None:
    """A 5,000-message conversation among a few people, as chats go: most
    messages answer the latest one or one shortly before, a few an old one, so
    depth runs deep. Ids are chosen here (the table's next ones) so parents are
    known without reading back; one bulk insert, then the id sequence moves on."""
    if Message.objects.filter(content=BIG_THREAD_ROOT).exists():
        return
    rng = random.Random(5_000)  # noqa: S311 - reproducible data, not security
    people = [
        User.objects.get_or_create(username=f"bench_thread_{index}")[0].pk
        for index in range(1, BIG_THREAD_PEOPLE + 1)
    ]
    started = timezone.now() - datetime.timedelta(days=30)
    step = datetime.timedelta(days=29) / BIG_THREAD_SIZE
    rare = set(rng.sample(range(BIG_THREAD_SIZE // 3, BIG_THREAD_SIZE), RARE_WORD_MESSAGES))
    with transaction.atomic():
        first_id = (Message.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        rows: list[Message] = []
        for index in range(BIG_THREAD_SIZE):
            pk = first_id + index
            if index == 0:
                parent, sender, receiver = None, people[0], people[1]
            else:
                parent = rows[_parent_index(rng, index)]
                # Mostly an answer to the parent's sender; now and then a third person.
                sender = parent.receiver_id
                if rng.random() < 0.2:
                    sender = rng.choice([p for p in people if p != parent.sender_id])
                receiver = parent.sender_id
            words = sentence(rng)
            rows.append(
                Message(
                    pk=pk,
                    sender_id=sender,
                    receiver_id=receiver,
                    content=BIG_THREAD_ROOT
                    if index == 0
                    else (f"{words} {RARE_WORD}" if index in rare else words),
                    timestamp=started + step * index,
                    parent_message=parent,
                    thread_id=first_id,
                    depth=0 if parent is None else parent.depth + 1,
                    read=index < BIG_THREAD_SIZE - 200,
                )
            )
        Message.objects.bulk_create(rows, batch_size=1_000)
        Notification.objects.bulk_create(
            (Notification(user_id=m.receiver_id, message=m, is_seen=m.read) for m in rows),
            batch_size=1_000,
        )
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Message]):
                cursor.execute(statement)


def _parent_index(rng: random.Random, index: int) -> int:
    roll = rng.random()
    if roll < 0.6:
        return index - 1
    if roll < 0.9:
        return max(0, index - 1 - rng.randrange(50))
    return rng.randrange(index)


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
def big_thread_middle() -> Message:
    """The message in the middle of the 5,000-message thread (a reported one)."""
    root = Message.objects.filter(content=BIG_THREAD_ROOT).values_list("pk", flat=True).get()
    return Message.objects.filter(thread_id=root).order_by("pk")[BIG_THREAD_SIZE // 2]


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
