"""Watched-word rules applied at sending, through the messaging services: refuse
writes nothing, hide and flag write in the sending transaction (and roll back
with it), the strongest action wins, edits are checked like new messages, and
an automatic hide is appealed and reversed like a moderator's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEntry
from detection.enforcement import check_message
from detection.models import WatchedRule
from detection.services import save_rule, set_rule_active
from messaging.models import Message, Notification
from messaging.services import edit_message, reply, send_message
from moderation.appeals import approve_appeal, file_appeal
from moderation.models import Case, Report, Sanction
from moderation.reliability import BRIGADE_REPORTS, NEUTRAL_WEIGHT
from moderation.reports import report_message
from tests.factories import ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def add_rule(superuser, django_capture_on_commit_callbacks):
    """Save an active rule and let its save commit (which renews the matcher)."""

    def add(action: str, words: str = "kill you", **fields) -> WatchedRule:
        rule = WatchedRule(
            name=fields.pop("name", f"{action} rule"),
            kind="words",
            words=words,
            action=action,
            is_active=True,
            **fields,
        )
        with django_capture_on_commit_callbacks(execute=True):
            return save_rule(rule, actor=superuser)

    return add


def test_a_refusing_rule_refuses_the_message_with_its_words_and_writes_nothing(
    add_rule, alice, bob
):
    add_rule("refuse", refusal_message="Please keep it civil: this was not sent.")

    with pytest.raises(ValidationError) as caught:
        send_message(sender=alice, receiver=bob, content="I will K.I.L.L you")

    assert caught.value.messages == ["Please keep it civil: this was not sent."]
    assert caught.value.error_list[0].code == "refused"
    assert not Message.objects.exists()
    assert not Notification.objects.exists()
    assert not Report.objects.exists()


def test_a_message_no_rule_matches_is_sent_untouched(add_rule, alice, bob):
    add_rule("hide")

    message = send_message(sender=alice, receiver=bob, content="skill you have")

    message.refresh_from_db()
    assert not message.is_hidden
    assert not Report.objects.exists()
    assert Notification.objects.filter(user=bob, message=message).exists()


def test_a_flagging_rule_files_the_rules_report_into_the_authors_case(add_rule, alice, bob):
    rule = add_rule("flag", name="Threats")

    message = send_message(sender=alice, receiver=bob, content="I will KILL   you")

    message.refresh_from_db()
    assert not message.is_hidden
    report = Report.objects.get()
    assert (report.reporter, report.rule_id, report.rule_name) == (None, rule.pk, "Threats")
    assert report.case.reported_user == alice
    assert report.reported_message_id == message.pk
    assert report.evidence["automatic"]["matches"] == [
        {"start": 7, "end": 17, "text": "KILL   you"}
    ]
    assert report.evidence["message"]["content"] == "I will KILL   you"
    assert report.reporter_name == "automatic · rule “Threats”"
    # The system counts as one neutral reporter.
    case = Case.objects.get()
    assert (case.report_count, case.reporter_count, case.reporter_weight) == (1, 1, 3)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGE_FLAGGED)
    assert entry.actor is None
    assert entry.actor_username == "automatic · rule “Threats”"
    assert entry.case_id == case.pk
    assert entry.details["rule_id"] == rule.pk
    assert "KILL" not in str(entry.details) + entry.reason  # no message text in the audit log
    assert not Sanction.objects.exists()


def test_a_hiding_rule_hides_flags_and_takes_back_the_receivers_notification(add_rule, alice, bob):
    rule = add_rule("hide", name="Threats")

    message = send_message(sender=alice, receiver=bob, content="kill you")

    message.refresh_from_db()
    assert message.is_hidden
    sanction = Sanction.objects.get()
    assert (sanction.user, sanction.kind, sanction.message_id) == (alice, "hide", message.pk)
    assert (sanction.imposed_by, sanction.rule_name) == (None, "Threats")
    assert sanction.imposed_by_name == "automatic · rule “Threats”"
    report = Report.objects.get()
    assert sanction.case_id == report.case_id
    assert report.rule_id == rule.pk
    assert not Notification.objects.filter(message=message).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGE_HIDDEN)
    assert (entry.actor, entry.target_user_id, entry.details["message_id"]) == (
        None,
        alice.pk,
        message.pk,
    )


def test_the_strongest_action_wins_when_several_rules_match(add_rule, alice, bob):
    add_rule("flag", words="idiot", name="Insults")
    add_rule("hide", words="kill you", name="Threats")

    message = send_message(sender=alice, receiver=bob, content="idiot, I will kill you")

    message.refresh_from_db()
    assert message.is_hidden
    assert list(Report.objects.values_list("rule_name", flat=True)) == ["Threats"]

    add_rule("refuse", words="idiot", name="No insults", refusal_message="Not sent.")
    with pytest.raises(ValidationError, match="Not sent"):
        send_message(sender=alice, receiver=bob, content="idiot, I will kill you")


def test_a_switched_off_rule_does_nothing(add_rule, superuser, alice, bob,
                                          django_capture_on_commit_callbacks):  # fmt: skip
    rule = add_rule("refuse", refusal_message="Not sent.")
    with django_capture_on_commit_callbacks(execute=True):
        set_rule_active(rule, actor=superuser, active=False)

    message = send_message(sender=alice, receiver=bob, content="kill you")

    assert message.pk is not None
    assert check_message("kill you") is None


def test_replies_are_checked(add_rule, alice, bob):
    add_rule("refuse", refusal_message="Not sent.")
    parent = send_message(sender=alice, receiver=bob, content="hello")

    with pytest.raises(ValidationError, match="Not sent"):
        reply(sender=bob, parent=parent, content="kill you")

    assert Message.objects.count() == 1


def test_an_edit_is_checked_like_a_new_message(add_rule, alice, bob):
    add_rule("hide", name="Threats")
    message = send_message(sender=alice, receiver=bob, content="hello")

    edit_message(message, editor=alice, content="kill you")

    message.refresh_from_db()
    assert message.is_hidden
    assert Report.objects.get().reported_message_id == message.pk
    # The receiver's notice of the first words goes too: they cannot read it now.
    assert not Notification.objects.filter(message=message).exists()


def test_a_refused_edit_keeps_the_message_as_it_was(add_rule, alice, bob):
    add_rule("refuse", refusal_message="Not sent.")
    message = send_message(sender=alice, receiver=bob, content="hello")

    with pytest.raises(ValidationError, match="Not sent"):
        edit_message(message, editor=alice, content="kill you")

    message.refresh_from_db()
    assert (message.content, message.edited) == ("hello", False)
    assert not message.history.exists()


def test_a_moderators_redaction_is_not_checked(add_rule, moderator, alice, bob):
    add_rule("refuse", refusal_message="Not sent.")
    message = send_message(sender=alice, receiver=bob, content="hello")

    edit_message(message, editor=moderator, content="[kill you: quoted by a moderator]")

    message.refresh_from_db()
    assert message.content.startswith("[kill you")
    assert not Report.objects.exists()


def test_editing_again_into_the_same_words_adds_no_second_report(add_rule, alice, bob):
    add_rule("flag")
    message = send_message(sender=alice, receiver=bob, content="kill you")

    edit_message(message, editor=alice, content="kill you, I said")

    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_FLAGGED).count() == 1


def test_a_flag_then_a_hide_of_one_message_hides_it_in_the_same_case(add_rule, alice, bob):
    add_rule("flag", words="idiot", name="Insults")
    add_rule("hide", words="kill you", name="Threats")
    message = send_message(sender=alice, receiver=bob, content="idiot")

    edit_message(message, editor=alice, content="kill you")

    message.refresh_from_db()
    assert message.is_hidden
    assert Report.objects.count() == 1
    assert Sanction.objects.get().case_id == Report.objects.get().case_id


def test_staff_messages_are_refused_but_not_hidden_or_flagged(add_rule, moderator, alice):
    add_rule("hide")
    message = send_message(sender=moderator, receiver=alice, content="kill you")

    message.refresh_from_db()
    assert not message.is_hidden
    assert not Report.objects.exists()

    add_rule("refuse", words="idiot", refusal_message="Not sent.")
    with pytest.raises(ValidationError, match="Not sent"):
        send_message(sender=moderator, receiver=alice, content="idiot")


def test_the_action_rolls_back_with_the_message(add_rule, alice, bob):
    add_rule("hide")

    with pytest.raises(RuntimeError), transaction.atomic():
        send_message(sender=alice, receiver=bob, content="kill you")
        raise RuntimeError("the request failed after sending")

    assert not Message.objects.exists()
    assert not Report.objects.exists()
    assert not Sanction.objects.exists()
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_HIDDEN).exists()


def test_an_automatic_hide_is_appealed_and_reversed_by_any_moderator(add_rule, alice, bob):
    add_rule("hide", name="Threats")
    message = send_message(sender=alice, receiver=bob, content="kill you (a song title)")
    sanction = Sanction.objects.get()
    deciding = ModeratorFactory()

    appeal = file_appeal(sanction, user=alice, text="It is the title of a song.")
    approve_appeal(appeal, moderator=deciding, reason="A song title, not a threat.")

    message.refresh_from_db()
    sanction.refresh_from_db()
    assert not message.is_hidden
    assert sanction.ending == Sanction.Ending.OVERTURNED
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.APPEAL_APPROVED, actor=deciding
    ).exists()


def test_a_rules_reports_never_make_a_brigade(add_rule, alice, bob):
    add_rule("flag")

    # More reports than a brigade needs, in one case, all without a reporter.
    for number in range(BRIGADE_REPORTS + 2):
        send_message(sender=alice, receiver=bob, content=f"kill you {number}")

    case = Case.objects.get()
    assert case.report_count == BRIGADE_REPORTS + 2
    assert not case.possible_brigade
    assert case.reporter_weight == NEUTRAL_WEIGHT  # the system is one reporter


def test_a_brigade_leaves_the_rules_weight_in_the_case(add_rule, alice):
    add_rule("flag")
    first = send_message(sender=alice, receiver=UserFactory(), content="kill you")
    # New accounts pile on: each reports a message alice sent them.
    for _ in range(BRIGADE_REPORTS):
        newcomer = UserFactory()
        message = send_message(sender=alice, receiver=newcomer, content="hello")
        report_message(reporter=newcomer, message=message, reason="harassment")

    case = Case.objects.get()
    assert case.possible_brigade
    assert case.reporter_weight == NEUTRAL_WEIGHT
    assert case.reports.filter(rule_id__isnull=False).get().reported_message_id == first.pk


def test_the_send_page_shows_the_refusal_and_keeps_what_was_typed(add_rule, client, alice, bob):
    add_rule("refuse", refusal_message="Please keep it civil: this was not sent.")
    client.force_login(alice)

    response = client.post(
        reverse("messaging:send"), {"receiver": "bob", "content": "I will kill you, bob"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Please keep it civil: this was not sent." in page
    assert "I will kill you, bob" in page
    assert not Message.objects.exists()


def test_the_sender_of_a_hidden_message_lands_on_its_thread(add_rule, client, alice, bob):
    add_rule("hide")
    client.force_login(alice)

    response = client.post(reverse("messaging:send"), {"receiver": "bob", "content": "kill you"})

    message = Message.objects.get()
    assert message.is_hidden
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200
