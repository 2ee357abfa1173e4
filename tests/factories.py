"""factory_boy factories: every test builds its own data with these."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models

from messaging.models import Message, MessageHistory, Notification
from moderation.models import Appeal, Sanction

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password(PASSWORD)


class ModeratorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def moderators_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.groups.add(Group.objects.get(name="Moderators"))


class SuperuserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class MessageFactory(factory.django.DjangoModelFactory):
    """A message saved through the model, so the receivers run (notification)."""

    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory)
    receiver = factory.SubFactory(UserFactory)
    content = factory.Sequence(lambda n: f"Message number {n}")


class ReplyFactory(MessageFactory):
    """A reply to ``parent_message`` from its receiver back to its sender."""

    parent_message = factory.SubFactory(MessageFactory)
    sender = factory.LazyAttribute(lambda reply: reply.parent_message.receiver)
    receiver = factory.LazyAttribute(lambda reply: reply.parent_message.sender)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    message = factory.SubFactory(MessageFactory)
    user = factory.LazyAttribute(lambda notification: notification.message.receiver)


class MessageHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageHistory

    message = factory.SubFactory(MessageFactory)
    old_content = factory.Sequence(lambda n: f"Old text {n}")
    edited_at = factory.Faker("date_time", tzinfo=datetime.UTC)
    edited_by = factory.LazyAttribute(lambda history: history.message.sender)


class SanctionFactory(factory.django.DjangoModelFactory):
    """A suspension by default, as a row only: the account is not suspended by it
    (the services in moderation.sanctions do both)."""

    class Meta:
        model = Sanction

    user = factory.SubFactory(UserFactory)
    kind = Sanction.Kind.SUSPEND
    imposed_by = factory.SubFactory(ModeratorFactory)


class AppealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appeal

    sanction = factory.SubFactory(SanctionFactory)
    user = factory.LazyAttribute(lambda appeal: appeal.sanction.user)
    case = factory.LazyAttribute(lambda appeal: appeal.sanction.case)
    text = factory.Sequence(lambda n: f"Please look again at this, {n}")


def bulk_messages(rows: list[dict]) -> list[Message]:
    """Insert many messages in one statement (no signals), then point each root at
    itself. ``rows`` are Message field values; replies need ``thread`` and ``depth``
    set by the caller. For building large data fast in tests."""
    messages = Message.objects.bulk_create([Message(**row) for row in rows], batch_size=2000)
    Message.objects.filter(parent_message__isnull=True, thread__isnull=True).update(
        thread_id=models.F("id")
    )
    for message in messages:
        if message.parent_message_id is None:
            message.thread_id = message.pk
    return messages


def reply_chain(root: Message, *, length: int) -> list[Message]:
    """``root`` and ``length`` replies below it, each answering the previous one."""
    chain = [root]
    for _ in range(length):
        chain.append(ReplyFactory(parent_message=chain[-1]))
    return chain


def bushy_thread(root: Message, *, size: int, fanout: int = 3) -> list[Message]:
    """A thread of ``size`` messages, filled breadth first, ``fanout`` replies each."""
    nodes = [root]
    while len(nodes) < size:
        nodes.append(ReplyFactory(parent_message=nodes[(len(nodes) - 1) // fanout]))
    return nodes


def reported_message(
    *, author=None, reporter=None, reason: str = "harassment", comment: str = "", **message_fields
):
    """A message from ``author`` to ``reporter``, reported by ``reporter`` through
    the service (so its case, counts and evidence are real). Returns the Report."""
    from moderation.services import report_message

    reporter = reporter or UserFactory()
    message = MessageFactory(sender=author or UserFactory(), receiver=reporter, **message_fields)
    return report_message(reporter=reporter, message=message, reason=reason, comment=comment)
