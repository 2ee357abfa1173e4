"""The dashboard's message counts, kept as messages are written: one row per local
calendar day (``MessageDayCount``) and one per day and sender (``SenderDayCount``).

``messaging.stats`` reads them instead of grouping millions of messages. Every
write that adds or removes a counted message (tombstones never count) changes
them in its own transaction, so a rollback takes the change back too:

- a new message: ``count_new_message``, from the ``post_save`` receiver, whoever
  saves (the services, factories, a shell);
- a message deleted through the ORM: ``uncount_message``, from ``post_delete``;
- an account deletion, whose messages go or become tombstones set-based without
  a signal: ``uncount_messages_of``, from ``account_erasure``;
- writes that bypass the ORM's signals (the generator's COPY, ``loaddata``'s raw
  saves, ``bulk_create``): ``rebuild_message_figures`` afterwards, an exact
  recount (also the ``rebuild_message_figures`` command, after a change of
  ``TIME_ZONE`` or a repair).

Days are calendar days in ``TIME_ZONE``, the dashboard's days.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from messaging.models import Message, MessageDayCount, SenderDayCount

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def message_day(timestamp: datetime) -> date:
    """The calendar day in ``TIME_ZONE`` a message of ``timestamp`` counts on."""
    return timezone.localdate(timestamp, timezone.get_default_timezone())


def count_new_message(message: Message) -> None:
    """Add a new message to its day's and its sender's counts.

    Upserts (``INSERT ... ON CONFLICT DO UPDATE``, on PostgreSQL and SQLite): the
    first message of a day creates the row, two sends at once both count (the
    second waits for the first's row lock, then adds to what it committed).
    """
    if message.is_tombstone:
        return
    using = router.db_for_write(Message, instance=message)
    connection = connections[using]
    day = connection.ops.adapt_datefield_value(message_day(message.timestamp))
    quote = connection.ops.quote_name
    days, senders = quote(MessageDayCount._meta.db_table), quote(SenderDayCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {days} (day, count) VALUES (%s, 1) "  # noqa: S608 - quoted names
            f"ON CONFLICT (day) DO UPDATE SET count = {days}.count + 1",
            [day],
        )
        if message.sender_id is not None:
            cursor.execute(
                f"INSERT INTO {senders} (day, sender_id, count) VALUES (%s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (day, sender_id) DO UPDATE SET count = {senders}.count + 1",
                [day, message.sender_id],
            )


def uncount_message(message: Message) -> None:
    """Take a message deleted through the ORM off its day's and sender's counts."""
    if message.is_tombstone:
        return
    day = message_day(message.timestamp)
    MessageDayCount.objects.filter(day=day).update(count=F("count") - 1)
    if message.sender_id is not None:
        SenderDayCount.objects.filter(day=day, sender_id=message.sender_id).update(
            count=F("count") - 1
        )


def uncount_messages_of(user: AbstractBaseUser) -> None:
    """Take every message ``user`` sent off the counts: an account deletion,
    whose messages are all deleted or turned into tombstones.

    One statement whatever the size of the account: the person's days are
    subtracted from the day counts; their own rows go with the user row, which
    the deletion removes next in the same transaction (on_delete=CASCADE). Run it
    last: the day rows it updates stay locked until the commit, and today's row
    is the one every new message updates too.
    """
    own_days = SenderDayCount.objects.filter(sender_id=user.pk)
    MessageDayCount.objects.filter(day__in=own_days.values("day")).update(
        count=F("count") - Subquery(own_days.filter(day=OuterRef("day")).values("count")[:1])
    )


def rebuild_message_figures(*, using: str | None = None) -> None:
    """Recount both tables from the messages: one grouped query each, inside
    the caller's transaction (run it in one, or a page may read them empty)."""
    fill_message_figures(
        message_model=Message,
        day_model=MessageDayCount,
        sender_model=SenderDayCount,
        zone=timezone.get_default_timezone(),
        using=using or router.db_for_write(MessageDayCount),
    )


def fill_message_figures(
    *, message_model: Any, day_model: Any, sender_model: Any, zone: tzinfo, using: str
) -> None:
    """Empty both tables and fill them from the messages, set-based
    (``INSERT ... SELECT``: no row passes through Python). Takes the models so
    the migration that creates the tables fills them with its historical ones."""
    connection = connections[using]
    quote = connection.ops.quote_name
    counted = (
        message_model._base_manager.using(using)
        .filter(is_tombstone=False)
        .annotate(counted_day=TruncDate("timestamp", tzinfo=zone))
        .order_by()
    )
    per_day = counted.values("counted_day").annotate(total=Count("id"))
    per_sender = (
        counted.filter(sender__isnull=False)
        .annotate(counted_sender=F("sender_id"))
        .values("counted_day", "counted_sender")
        .annotate(total=Count("id"))
    )
    day_model._base_manager.using(using).all().delete()
    sender_model._base_manager.using(using).all().delete()
    with connection.cursor() as cursor:
        for model, columns, query in (
            (day_model, "day, count", per_day),
            (sender_model, "day, sender_id, count", per_sender),
        ):
            sql, params = query.query.sql_with_params()
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)
