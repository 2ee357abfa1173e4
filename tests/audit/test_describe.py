"""audit.describe: what an entry is about and its details, in words."""

import pytest
from django.contrib.auth.models import Group

from audit.describe import Kind, entry_counts, entry_facts, entry_object, entry_summary
from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging import services as messaging_services
from messaging.models import Message
from messaging.services import messages as message_services
from moderation.staff_groups import delete_groups, save_group
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action


def entry(action, **fields) -> AuditEntry:
    """An unsaved entry: describing reads nothing but the entry."""
    return AuditEntry(action=action, **fields)


def named(action, **fields):
    described = entry_object(entry(action, **fields))
    return (described.name, described.kind, described.pk) if described else None


@pytest.mark.parametrize(
    ("action", "fields", "expected"),
    [
        (Action.MESSAGE_HIDDEN, {"details": {"message_id": 28}}, ("Message #28", "message", 28)),
        (Action.MESSAGE_EDITED, {"details": {"message_id": 3}}, ("Message #3", "message", 3)),
        (Action.CASE_DISMISSED, {"case_id": 1}, ("Case #1", "case", 1)),
        (
            Action.EVIDENCE_PURGED,
            {"case_id": 4, "details": {"report_id": 9}},
            ("Report #9 of case #4", "case", 4),
        ),
        (
            Action.ACCOUNT_DELETED,
            {"target_user_id": 12, "target_username": "zeno"},
            ("Account zeno", "account", 12),
        ),
        (
            Action.USER_WARNED,
            {"target_user_id": 12, "target_username": "zeno", "details": {"notification_id": 5}},
            ("Warning to zeno", "account", 12),
        ),
        (
            Action.NOTE_ADDED,
            {"case_id": 2, "target_username": "zeno", "details": {"note_id": 7}},
            ("Note #7 on case #2", "note", 7),
        ),
        (
            Action.EXPORT,
            {"details": {"model": "messaging.message", "rows": 1234, "job_id": None}},
            ("Export of 1,234 messages", None, None),
        ),
        (
            Action.EXPORT,
            {"details": {"model": "auth.user", "rows": 2, "job_id": 8}},
            ("Export of 2 users (job #8)", "job", 8),
        ),
        (Action.JOB_RETRIED, {"details": {"job_id": 8}}, ("Job #8", "job", 8)),
        (
            Action.GROUP_CHANGED,
            {"details": {"object": "Moderators", "group_id": 3}},
            ("Group Moderators", "group", 3),
        ),
        (Action.MESSAGES_MARKED_READ, {"details": {"count": 12}}, ("12 messages", None, None)),
    ],
)
def test_each_action_names_its_object(action, fields, expected):
    assert named(action, **fields) == expected


def test_an_entry_that_kept_no_id_names_what_it_has_without_a_link():
    # Group changes kept no id before this was added.
    assert named(Action.GROUP_CHANGED, details={"object": "Moderators"}) == (
        "Group Moderators",
        "group",
        None,
    )
    assert named(Action.MESSAGE_HIDDEN, details={}) is None
    assert named(Action.JOB_RETRIED, details={"job_id": "8"}) is None  # not an id


def test_a_gone_object_keeps_its_id_in_its_name():
    warned = entry_object(entry(Action.USER_WARNED, target_user_id=12, target_username="zeno"))
    deleted = entry_object(entry(Action.ACCOUNT_DELETED, target_user_id=12, target_username="zeno"))
    hidden = entry_object(entry(Action.MESSAGE_HIDDEN, details={"message_id": 28}))

    assert warned.name_when_gone == "Warning to zeno #12 (deleted)"
    assert deleted.name_when_gone == "Account zeno #12 (deleted)"
    assert hidden.name_when_gone == "Message #28 (deleted)"


def test_counts_are_labelled_in_order_and_ids_are_not_counts():
    deletion = entry(
        Action.ACCOUNT_DELETED,
        details={"messages_deleted": 1200, "messages_tombstoned": 0, "notifications_deleted": 3},
    )
    hide = entry(Action.MESSAGE_HIDDEN, details={"message_id": 28})

    assert entry_counts(deletion) == [
        ("Messages deleted", 1200),
        ("Messages left as “deleted” under replies", 0),
        ("Notifications deleted", 3),
    ]
    assert entry_summary(deletion) == "messages deleted: 1,200, notifications deleted: 3"
    assert entry_counts(hide) == [] and entry_summary(hide) == ""


def test_facts_say_in_words_what_the_json_kept():
    changed = entry(
        Action.ACCOUNT_CHANGED,
        details={"operation": "changed", "change": [{"changed": {"fields": ["Email address"]}}]},
    )
    export = entry(
        Action.EXPORT,
        details={
            "model": "messaging.message",
            "filters": "read__exact=0",
            "search": True,
            "text_filters": [],
            "rows": 3,
            "format": "csv",
            "job_id": None,
            "fields": ["id", "sender"],
        },
    )
    retention = entry(
        Action.RETENTION_CHANGED, details={"from": None, "to": "2027-01-05T10:00:00+00:00"}
    )

    assert [(f.label, f.value) for f in entry_facts(changed)] == [
        ("Operation", "changed"),
        ("Change", "Changed Email address."),
    ]
    assert [(f.label, f.value) for f in entry_facts(export)] == [
        ("Filters", "read__exact=0"),
        ("Searched", "yes"),
        ("Format", "csv"),
        ("Columns", "id, sender"),
    ]
    [kept] = entry_facts(retention)
    assert kept.label == "Evidence kept until (now)" and kept.value.startswith("2027-01-05 10:00")


def test_an_unknown_detail_is_shown_with_its_key_as_label():
    facts = entry_facts(entry(Action.EXPORT, details={"new_thing": {"a": 1}, "rows": 1}))

    assert [(f.label, f.value) for f in facts] == [("New thing", '{"a": 1}')]


def test_non_dict_details_describe_nothing():
    odd = entry(Action.MESSAGE_HIDDEN, details=["not", "a", "dict"])

    assert entry_object(odd) is None
    assert entry_counts(odd) == [] and entry_facts(odd) == []


# --- what the services write, so that entries can name their objects ------------------


def test_a_read_state_change_of_a_few_messages_names_them(moderator, alice, bob):
    messages = MessageFactory.create_batch(3, sender=alice, receiver=bob, read=False)
    MessageFactory(sender=alice, receiver=bob, read=True)  # unchanged: not named

    messaging_services.set_read_state(Message.objects.all(), read=True, actor=moderator)

    recorded = AuditEntry.objects.get()
    assert recorded.details["message_ids"] == sorted(m.pk for m in messages)
    described = entry_object(recorded)
    assert (described.name, described.message_ids) == (
        "3 messages",
        tuple(sorted(m.pk for m in messages)),
    )


def test_a_read_state_change_of_many_messages_keeps_the_count_only(
    moderator, alice, bob, monkeypatch
):
    monkeypatch.setattr(message_services, "NAMED_MESSAGES_LIMIT", 2)
    MessageFactory.create_batch(3, sender=alice, receiver=bob, read=False)

    changed = messaging_services.set_read_state(Message.objects.all(), read=True, actor=moderator)

    assert changed == 3
    assert Message.objects.filter(read=False).count() == 0
    assert "message_ids" not in AuditEntry.objects.get().details


def test_a_group_change_keeps_the_groups_id(superuser):
    group = save_group(Group(name="Helpers"), actor=superuser, change_message=[])
    group_id = group.pk
    delete_groups([group], actor=superuser)

    added, deleted = AuditEntry.objects.filter(action=Action.GROUP_CHANGED).order_by("id")
    assert added.details["group_id"] == deleted.details["group_id"] == group_id
    assert entry_object(deleted).kind == Kind.GROUP


def test_a_written_entry_is_described_as_its_unsaved_twin(moderator):
    saved = record_audit_entry(
        action=Action.MESSAGE_HIDDEN, actor=moderator, details={"message_id": 4}
    )

    assert entry_object(saved) == entry_object(
        entry(Action.MESSAGE_HIDDEN, details={"message_id": 4})
    )


def test_an_appeals_step_names_the_appeal_and_links_the_person():
    appeal_entry = entry(
        Action.APPEAL_REJECTED,
        target_user_id=12,
        target_username="zeno",
        details={"appeal_id": 4, "sanction_id": 9, "sanction_kind": "warn"},
    )

    named = entry_object(appeal_entry)

    assert (named.name, named.kind, named.pk) == ("Appeal #4 of zeno", "account", 12)
    facts = {fact.label: fact.value for fact in entry_facts(appeal_entry)}
    assert facts == {"Appeal": "#4", "Sanction": "#9", "Sanction kind": "warn"}
