"""Replies racing with the deletion of the parent's author (PostgreSQL: row locks).

Every reply ends either saved under a parent that still exists (a tombstone when
its author is gone) or refused with a clear error (ValidationError or
PermissionDenied with a message); the deletion itself succeeds; no row is left
pointing nowhere, and nothing fails with a database error.
"""

from __future__ import annotations

import random
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from audit.models import AuditEntry
from messaging import services
from messaging.models import Message, MessageHistory, Notification
from tests.factories import MessageFactory, SuperuserFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
User = get_user_model()

ROUNDS = 4
# A loaded machine can run every write of a few rounds before (or after) the
# deletion: more rounds, until both outcomes were seen, before calling it no race.
MAX_ROUNDS = 16
PARTNERS = 4  # each replies from their own thread
REPLIES_EACH = 6
DEADLINE = 60  # seconds for a round's threads: a hang fails, it does not block CI


def run_in_threads(*functions):
    """Start each function in its own thread (own database connection) at once;
    return what each returned or raised."""
    start = threading.Barrier(len(functions))
    outcomes: list = [None] * len(functions)

    def run(index, function):
        try:
            start.wait(DEADLINE)
            outcomes[index] = ("returned", function())
        except BaseException as error:  # reported to the test, whatever it is
            outcomes[index] = ("raised", error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (a lock never freed)"
    close_old_connections()
    return outcomes


def build_round(number: int):
    """An author and PARTNERS people, each partner in a thread with the author:
    the author's root, the partner's answer, the author's reply to it. Returns the
    author and, per partner, the messages they may reply to (loaded beforehand,
    as a page would have them)."""
    author = UserFactory(username=f"author{number}")
    targets = {}
    for index in range(PARTNERS):
        partner = UserFactory(username=f"partner{number}-{index}")
        root = MessageFactory(sender=author, receiver=partner, content=f"root {index}")
        answer = MessageFactory(
            sender=partner, receiver=author, parent_message=root, content=f"answer {index}"
        )
        again = MessageFactory(
            sender=author, receiver=partner, parent_message=answer, content=f"again {index}"
        )
        # The author's message nobody answered yet (deleted unless a reply wins),
        # one already answered (a tombstone after), and the partner's own message.
        targets[partner] = [again, root, answer]
    return author, targets


def replier(partner, parents):
    def reply_repeatedly():
        attempts = []
        for attempt in range(REPLIES_EACH):
            parent = parents[attempt % len(parents)]
            try:
                message = services.reply(
                    sender=partner, parent=parent, content=f"reply {attempt} to #{parent.pk}"
                )
            except (ValidationError, PermissionDenied) as refusal:
                attempts.append(("refused", parent.pk, refusal))
            except Exception as error:  # what must never happen: reported below
                attempts.append(("error", parent.pk, error))
            else:
                attempts.append(("saved", parent.pk, message.pk))
            random_pause()
        return attempts

    return reply_repeatedly


def random_pause():
    threading.Event().wait(random.uniform(0, 0.004))  # interleaving only


def refusal_text(refusal: Exception) -> str:
    if isinstance(refusal, ValidationError):
        return " ".join(refusal.messages)
    return str(refusal)


def assert_no_row_points_nowhere():
    message_ids = Message.objects.values("id")
    assert (
        not Message.objects.exclude(parent_message=None)
        .exclude(parent_message_id__in=message_ids)
        .exists()
    )
    assert not Message.objects.exclude(thread=None).exclude(thread_id__in=message_ids).exists()
    assert not Message.objects.filter(thread=None).exists()  # every message has its thread
    assert not Notification.objects.exclude(message_id__in=message_ids).exists()
    assert not MessageHistory.objects.exclude(message_id__in=message_ids).exists()
    user_ids = User.objects.values("id")
    assert not Message.objects.exclude(sender=None).exclude(sender_id__in=user_ids).exists()
    assert not Message.objects.exclude(receiver=None).exclude(receiver_id__in=user_ids).exists()
    assert not Notification.objects.exclude(user_id__in=user_ids).exists()
    # A message without a sender is a tombstone, and a tombstone holds nothing.
    assert not Message.objects.filter(sender=None, is_tombstone=False).exists()
    assert not Message.objects.filter(is_tombstone=True).exclude(content="").exists()


def test_replies_racing_with_the_deletion_of_the_parents_author_are_saved_or_refused(
    postgres_only,
):
    seen = {"saved": 0, "refused": 0}
    for number in range(MAX_ROUNDS):
        author, targets = build_round(number)
        authors_messages = set(Message.objects.filter(sender=author).values_list("pk", flat=True))

        def delete_author(author=author):
            random_pause()
            return services.delete_account(author, reason="race test")

        outcomes = run_in_threads(
            delete_author, *(replier(partner, parents) for partner, parents in targets.items())
        )

        deletion, *replies = outcomes
        assert deletion[0] == "returned", f"round {number}: the deletion raised {deletion[1]!r}"
        attempts = []
        for outcome in replies:
            assert outcome[0] == "returned", f"round {number}: a replier raised {outcome[1]!r}"
            attempts.extend(outcome[1])
        errors = [(parent_id, error) for kind, parent_id, error in attempts if kind == "error"]
        assert errors == [], f"round {number}: database errors instead of refusals"
        for kind, parent_id, result in attempts:
            seen[kind] += 1
            if kind == "refused":
                assert refusal_text(result).strip(), "a refusal must say why"
                continue
            reply = Message.objects.select_related("parent_message").get(pk=result)
            assert reply.parent_message.pk == parent_id
            if parent_id in authors_messages:
                # Saved before the deletion: its parent stayed, as a tombstone.
                assert reply.parent_message.is_tombstone
        assert not User.objects.filter(pk=author.pk).exists()
        assert not Message.objects.filter(sender_id=author.pk).exists()
        assert AuditEntry.objects.filter(target_user_id=author.pk).count() == 1
        assert_no_row_points_nowhere()
        if number + 1 >= ROUNDS and seen["saved"] and seen["refused"]:
            break
    # Both outcomes happened: the race was a race.
    assert seen["saved"] and seen["refused"], seen


def test_edits_and_new_messages_racing_with_the_deletion_of_the_author_are_saved_or_refused(
    postgres_only,
):
    """The same race for the other writes: the author and a moderator editing the
    author's messages (loaded before the deletion, as a page had them) and the
    partners writing new messages to the author."""
    # A superuser edits as a moderator does: a transactional test's database has
    # lost the Moderators group its migration made.
    moderator = SuperuserFactory(username="editor")
    seen = {"saved": 0, "refused": 0}
    for number in range(MAX_ROUNDS):
        author, targets = build_round(number)
        own_messages = list(Message.objects.filter(sender=author).order_by("pk"))

        def delete_author(author=author):
            random_pause()
            return services.delete_account(author, reason="race test")

        outcomes = run_in_threads(
            delete_author,
            editor(author, own_messages[::2]),
            editor(moderator, own_messages[1::2]),
            *(sender(partner, author) for partner in targets),
        )

        deletion, *writers = outcomes
        assert deletion[0] == "returned", f"round {number}: the deletion raised {deletion[1]!r}"
        for outcome in writers:
            assert outcome[0] == "returned", f"round {number}: a writer raised {outcome[1]!r}"
            for kind, result in outcome[1]:
                assert kind != "error", f"round {number}: {result!r} instead of a refusal"
                seen[kind] += 1
                if kind == "refused":
                    assert refusal_text(result).strip(), "a refusal must say why"
        assert not User.objects.filter(pk=author.pk).exists()
        assert not Message.objects.filter(sender_id=author.pk).exists()
        # The deletion's entry, and one per edit the moderator saved before it:
        # edit_message audits an edit of someone else's words.
        moderator_edits = sum(kind == "saved" for kind, _ in writers[1][1])
        entries = AuditEntry.objects.filter(target_user_id=author.pk)
        assert entries.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == 1
        assert entries.filter(action=AuditEntry.Action.MESSAGE_EDITED).count() == moderator_edits
        assert entries.count() == 1 + moderator_edits
        # The edit history of the author's messages went with them (the
        # moderator's edits included); what the partners sent stays, receiverless.
        assert (
            not MessageHistory.objects.filter(message__sender=None)
            .exclude(message__is_tombstone=True)
            .exists()
        )
        assert not MessageHistory.objects.filter(message__is_tombstone=True).exists()
        assert_no_row_points_nowhere()
        if number + 1 >= ROUNDS and seen["saved"] and seen["refused"]:
            break
    assert seen["saved"] and seen["refused"], seen


def editor(user, messages):
    """A thread's work: ``user`` edits each of ``messages`` in turn."""

    def edit_repeatedly():
        attempts = []
        for attempt, message in enumerate(messages):
            attempts.append(
                attempt_write(
                    lambda message=message, text=f"edit {attempt} by {user.pk}": (
                        services.edit_message(message, editor=user, content=text)
                    )
                )
            )
            random_pause()
        return attempts

    return edit_repeatedly


def sender(partner, author):
    """A thread's work: ``partner`` sends REPLIES_EACH new messages to ``author``."""

    def send_repeatedly():
        attempts = []
        for attempt in range(REPLIES_EACH):
            attempts.append(
                attempt_write(
                    lambda text=f"new {attempt}": services.send_message(
                        sender=partner, receiver=author, content=text
                    )
                )
            )
            random_pause()
        return attempts

    return send_repeatedly


def attempt_write(write):
    try:
        written = write()
    except (ValidationError, PermissionDenied) as refusal:
        return ("refused", refusal)
    except Exception as error:  # what must never happen: reported by the caller
        return ("error", error)
    return ("saved", written.pk)
