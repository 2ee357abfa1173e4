"""messaging.services.delete_account: every rule of README "Account deletion"."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Q

from audit.models import AuditEntry
from messaging import services
from messaging.models import Message, MessageHistory, Notification
from messaging.thread_cache import cache_thread_view, thread_view_key
from tests.factories import MessageFactory, ReplyFactory, UserFactory, bulk_messages

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- what goes ----------------------------------------------------------------------


def test_the_account_and_every_message_without_others_replies_go(alice, bob):
    lonely = MessageFactory(sender=alice, receiver=bob)
    own_reply_chain_root = MessageFactory(sender=alice, receiver=bob)
    MessageFactory(sender=alice, receiver=bob, parent_message=own_reply_chain_root)

    summary = services.delete_account(alice)

    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Message.objects.filter(pk__in=[lonely.pk, own_reply_chain_root.pk]).exists()
    assert summary.messages_deleted == 3
    assert summary.messages_tombstoned == 0


def test_notifications_of_the_user_and_about_their_messages_go(conversation, alice, bob, carol):
    kept = MessageFactory(sender=bob, receiver=carol)

    services.delete_account(alice)

    assert list(Notification.objects.values_list("message_id", flat=True)) == [kept.pk]


def test_every_edit_history_row_of_their_messages_goes(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="secret v1")
    ReplyFactory(parent_message=message)  # keeps the message as a tombstone
    for text in ("secret v2", "secret v3"):
        services.edit_message(message, editor=alice, content=text)

    summary = services.delete_account(alice)

    assert not MessageHistory.objects.exists()
    assert summary.history_rows_deleted == 2


def test_no_text_of_theirs_is_left_in_any_message_or_history_column(conversation, alice, bob):
    root, _answer, _follow_up = conversation
    services.edit_message(root, editor=alice, content="Hello Bob (edited)")
    alices_texts = {"Hello Bob", "Hello Bob (edited)", "How are you?"}

    services.delete_account(alice)

    remaining = set(Message.objects.values_list("content", flat=True)) | set(
        MessageHistory.objects.values_list("old_content", flat=True)
    )
    assert remaining.isdisjoint(alices_texts)
    assert "Hi Alice" in remaining


# --- what stays -----------------------------------------------------------------------


def test_a_reply_to_their_message_stays_under_a_tombstone(conversation, alice, bob):
    root, answer, follow_up = conversation

    summary = services.delete_account(alice)

    root.refresh_from_db()
    answer.refresh_from_db()
    assert (root.is_tombstone, root.content, root.sender) == (True, "", None)
    assert root.receiver == bob
    assert answer.parent_message == root and answer.content == "Hi Alice"
    assert not Message.objects.filter(pk=follow_up.pk).exists()  # nobody replied to it
    assert summary.messages_tombstoned == 1
    tree = Message.objects.thread_tree(answer)
    assert tree == root and tree.children == [answer]


def test_their_messages_between_a_root_and_someone_elses_reply_all_stay_as_tombstones(alice, bob):
    root = MessageFactory(sender=alice, receiver=bob)
    alice_again = MessageFactory(sender=alice, receiver=bob, parent_message=root)
    bobs_reply = MessageFactory(sender=bob, receiver=alice, parent_message=alice_again)

    services.delete_account(alice)

    assert set(Message.objects.filter(is_tombstone=True).values_list("pk", flat=True)) == {
        root.pk,
        alice_again.pk,
    }
    assert Message.objects.get(pk=bobs_reply.pk).content == bobs_reply.content


def test_a_message_someone_sent_them_stays_with_its_sender(alice, bob):
    to_alice = MessageFactory(sender=bob, receiver=alice, content="evidence of abuse")

    summary = services.delete_account(alice)

    to_alice.refresh_from_db()
    assert (to_alice.sender, to_alice.receiver, to_alice.content) == (
        bob,
        None,
        "evidence of abuse",
    )
    assert summary.received_messages_kept == 1


def test_other_peoples_messages_and_accounts_are_untouched(alice, bob, carol):
    MessageFactory(sender=alice, receiver=bob)
    unrelated = ReplyFactory(parent_message=MessageFactory(sender=bob, receiver=carol))

    services.delete_account(alice)

    assert Message.objects.filter(Q(sender=bob) | Q(sender=carol)).count() == 2
    assert Message.objects.get(pk=unrelated.pk).content == unrelated.content
    assert User.objects.filter(pk__in=[bob.pk, carol.pk]).count() == 2


def test_a_tombstone_left_guarding_nothing_goes_with_the_last_reply_below_it(
    conversation, alice, bob
):
    services.delete_account(alice)  # root becomes a tombstone over bob's answer

    summary = services.delete_account(bob)

    assert summary.empty_tombstones_removed == 1
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_replies_below_an_earlier_tombstone_keep_their_ancestors(alice, bob, carol):
    root = MessageFactory(sender=alice, receiver=bob)
    bobs = MessageFactory(sender=bob, receiver=alice, parent_message=root)
    alices = MessageFactory(sender=alice, receiver=bob, parent_message=bobs)
    MessageFactory(sender=bob, receiver=alice, parent_message=alices)

    services.delete_account(alice)
    services.delete_account(carol)  # unrelated

    assert Message.objects.filter(is_tombstone=True).count() == 2
    assert Message.objects.filter(is_tombstone=False).count() == 2


# --- summary, cache, transaction ----------------------------------------------------------


def test_the_summary_counts_each_kind(conversation, alice, bob):
    MessageFactory(sender=bob, receiver=alice)

    summary = services.delete_account(alice, actor=bob, reason="spam")

    assert summary.as_dict() == {
        "user_id": alice.pk,
        "username": "alice",
        "messages_deleted": 1,  # follow_up
        "messages_tombstoned": 1,  # root
        "empty_tombstones_removed": 0,
        # bob's 2 about alice's messages + alice's 2 (the answer and the new one)
        "notifications_deleted": 4,
        "history_rows_deleted": 0,
        "versions_deleted": 2,  # django-simple-history: one "+" row per message
        "received_messages_kept": 2,
    }


def test_cached_thread_views_of_every_participant_are_dropped_after_commit(
    conversation, alice, bob, django_capture_on_commit_callbacks
):
    root, *_ = conversation
    for user in (alice, bob):
        cache_thread_view(thread_id=root.pk, user_id=user.pk, html="Hello Bob")

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_account(alice)

    assert cache.get(thread_view_key(root.pk, alice.pk)) is None
    assert cache.get(thread_view_key(root.pk, bob.pk)) is None


class FailAtStatement:
    """A connection execute wrapper that fails the n-th data statement."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")):
            self.seen += 1
            if self.seen == self.n:
                raise DatabaseError(f"injected failure at statement {self.n}")
        return execute(sql, params, many, context)


def database_state():
    return (
        list(User.objects.order_by("pk").values_list("pk", flat=True)),
        list(Message.objects.order_by("pk").values_list("pk", "sender", "receiver", "content")),
        list(Notification.objects.order_by("pk").values_list("pk", flat=True)),
        list(MessageHistory.objects.order_by("pk").values_list("pk", "edited_by")),
    )


def test_a_failure_at_any_step_deletes_nothing(conversation, alice, bob, moderator):
    _root, _answer, follow_up = conversation
    services.edit_message(follow_up, editor=moderator, content="moderated")
    MessageFactory(sender=bob, receiver=alice)
    before = database_state()

    for step in range(1, 100):
        failure = FailAtStatement(step)
        try:
            with connection.execute_wrapper(failure):
                services.delete_account(alice)
        except DatabaseError:
            assert database_state() == before, f"partial deletion after failing step {step}"
        else:
            break  # the deletion has fewer statements than ``step``: it went through
    # Every statement of the deletion was made to fail once before it succeeded.
    assert step > 8
    assert not User.objects.filter(pk=alice.pk).exists()


def test_deleting_an_account_that_is_already_gone_says_so(alice):
    stale = User.objects.get(pk=alice.pk)
    services.delete_account(alice)

    with pytest.raises(services.AccountAlreadyDeleted):
        services.delete_account(stale)


# --- query budget -----------------------------------------------------------------------

# Set-based whatever the size of the account: 30 for the deletion itself, then
# (issue "Trust") the mark on running export jobs (jobs.export_files; on
# PostgreSQL also its advisory lock), the four updates taking the person's name
# out of cases, reports, notes and jobs (moderation.retention, jobs.signals),
# and django-otp's recovery codes collected by the cascade; (issue 14) the person's
# days subtracted from the dashboard's day counts (messaging.figures; their own
# per-day rows go with the user row's cascade); (issue 16) the watched rules'
# stored versions lose their editor (simple-history's link, emptied by the
# cascade in one UPDATE). Sanctions and appeals go in the database's own cascade.
DELETION_QUERY_BUDGET = 39


def test_deleting_an_account_with_10000_messages_takes_in_at_most_a_fixed_number_of_queries(
    alice, bob, carol, django_assert_max_num_queries
):
    # 10,000 messages by alice: 5,000 threads of two (alice's root, alice's reply),
    # a quarter of the roots answered by bob, and 500 messages received from carol.
    roots = bulk_messages(
        [{"sender": alice, "receiver": bob, "content": f"root {i}"} for i in range(5000)]
    )
    bulk_messages(
        [
            {
                "sender": alice,
                "receiver": bob,
                "content": f"again {i}",
                "parent_message": root,
                "thread_id": root.pk,
                "depth": 1,
            }
            for i, root in enumerate(roots)
        ]
        + [
            {
                "sender": bob,
                "receiver": alice,
                "content": f"answer {i}",
                "parent_message": root,
                "thread_id": root.pk,
                "depth": 1,
            }
            for i, root in enumerate(roots[::4])
        ]
        + [{"sender": carol, "receiver": alice, "content": f"to alice {i}"} for i in range(500)]
    )
    Notification.objects.bulk_create(Notification(user=bob, message=root) for root in roots[:2000])
    MessageHistory.objects.bulk_create(
        MessageHistory(message=root, old_content="old", edited_at=root.timestamp, edited_by=alice)
        for root in roots[:1000]
    )
    versions = Message.versions.model
    versions.objects.bulk_create(
        versions(
            id=root.pk, sender=alice, receiver=bob, content=root.content, timestamp=root.timestamp,
            thread_id=root.pk, depth=0, history_date=root.timestamp, history_type="+",
        )
        for root in roots[:2000]
    )  # fmt: skip
    assert Message.objects.filter(sender=alice).count() == 10_000

    with django_assert_max_num_queries(DELETION_QUERY_BUDGET):
        summary = services.delete_account(alice)

    assert summary.messages_deleted == 10_000 - 1250
    assert summary.messages_tombstoned == 1250
    assert summary.notifications_deleted == 2000
    assert summary.history_rows_deleted == 1000
    assert summary.versions_deleted == 2000
    assert summary.received_messages_kept == 500 + 1250
    assert Message.objects.count() == 1250 * 2 + 500


def test_many_tombstones_are_written_in_a_bounded_number_of_statements(
    alice, bob, django_assert_max_num_queries
):
    roots = bulk_messages(
        [{"sender": alice, "receiver": bob, "content": f"root {i}"} for i in range(3000)]
    )
    bulk_messages(
        [
            {
                "sender": bob,
                "receiver": alice,
                "content": f"answer {i}",
                "parent_message": root,
                "thread_id": root.pk,
                "depth": 1,
            }
            for i, root in enumerate(roots)
        ]
    )

    with django_assert_max_num_queries(DELETION_QUERY_BUDGET):
        summary = services.delete_account(alice)

    assert summary.messages_tombstoned == 3000
    assert not Message.objects.filter(is_tombstone=True).exclude(content="").exists()


def test_delete_account_of_a_user_with_nothing_works(db):
    loner = UserFactory()

    summary = services.delete_account(loner)

    assert summary.messages_deleted == summary.notifications_deleted == 0
    assert not User.objects.filter(pk=loner.pk).exists()


# --- history tables and the audit entry ---------------------------------------------------


def test_every_stored_version_of_their_messages_goes(conversation, alice, bob):
    root, answer, _follow_up = conversation
    services.edit_message(root, editor=alice, content="Hello Bob, edited")

    summary = services.delete_account(alice)

    versions = Message.versions.model.objects
    assert summary.versions_deleted == 3  # root created and edited, follow_up created
    assert not versions.filter(content__startswith="Hello Bob").exists()
    assert not versions.filter(content="How are you?").exists()
    assert versions.filter(id=answer.pk).exists()  # bob's own words keep their history


def test_the_accounts_own_versions_and_admin_log_lines_go(alice, moderator):
    alice.first_name = "Alice"
    alice.save()
    LogEntry.objects.log_actions(
        user_id=moderator.pk, queryset=[alice], action_flag=CHANGE, change_message="renamed"
    )
    assert User.versions.filter(id=alice.pk).exists()

    services.delete_account(alice, actor=moderator)

    assert not User.versions.filter(id=alice.pk).exists()
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(alice.pk)
    ).exists()


def test_a_deletion_writes_one_audit_entry_with_who_whom_why_and_the_counts(
    conversation, alice, moderator
):
    summary = services.delete_account(alice, actor=moderator, reason="harassment")

    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.ACCOUNT_DELETED
    assert (entry.actor, entry.actor_username) == (moderator, "moderator")
    assert (entry.target_user_id, entry.target_username) == (alice.pk, "alice")
    assert entry.reason == "harassment"
    assert entry.details == {
        key: value for key, value in summary.as_dict().items() if key not in {"user_id", "username"}
    }


def test_the_audit_entry_survives_the_deletion_of_the_moderator(alice, moderator):
    services.delete_account(alice, actor=moderator, reason="spam")

    moderator.delete()

    deletion_of_alice = AuditEntry.objects.get(target_username="alice")
    assert deletion_of_alice.actor is None
    assert deletion_of_alice.actor_username == "moderator"


def test_deleting_your_own_account_is_audited_under_your_name(alice):
    services.delete_account(alice, actor=alice, reason="Deleted by the account holder")

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.actor_username, entry.target_username) == (None, "alice", "alice")


def test_a_deletion_outside_the_service_is_audited_too(alice):
    alice.delete()

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_username, entry.actor) == (
        AuditEntry.Action.ACCOUNT_DELETED,
        "alice",
        None,
    )
