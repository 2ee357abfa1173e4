"""Threads of thousands of messages for tests, inserted in one statement: each
message's parent given by its index, ids chosen here so each row can name its
parent and the root (no save(), no signals, no notifications)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from messaging.models import Message
from tests.factories import bulk_messages


def bulk_thread(alice, bob, *, size: int, parent_of: Callable[[int], int]) -> list[Message]:
    """A thread of ``size`` messages between alice and bob, message ``i`` (> 0)
    answering message ``parent_of(i)`` (< i), a second after the one before."""
    first_id = (Message.objects.aggregate(Max("id"))["id__max"] or 0) + 1
    start = timezone.now() - timedelta(seconds=size)
    depths = [0]
    for index in range(1, size):
        depths.append(depths[parent_of(index)] + 1)
    people = (alice, bob)
    thread = bulk_messages(
        [
            {
                "id": first_id + index,
                "sender": people[index % 2],
                "receiver": people[(index + 1) % 2],
                "parent_message_id": first_id + parent_of(index) if index else None,
                "thread_id": first_id,
                "depth": depths[index],
                "content": f"Message number {index} " + "words " * 20,
                "timestamp": start + timedelta(seconds=index),
            }
            for index in range(size)
        ]
    )
    # The ids were chosen here, not by PostgreSQL's sequence: move it past them.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Message]):
            cursor.execute(statement)
    return thread


def chain(alice, bob, *, size: int) -> list[Message]:
    """Each message answering the one before."""
    return bulk_thread(alice, bob, size=size, parent_of=lambda index: index - 1)


def bushy(alice, bob, *, size: int, fanout: int = 3) -> list[Message]:
    """Filled breadth first, ``fanout`` replies to each message."""
    return bulk_thread(alice, bob, size=size, parent_of=lambda index: (index - 1) // fanout)
