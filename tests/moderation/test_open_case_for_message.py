"""moderation.services.open_case_for_message: a moderator flags a message into
its author's open case (opened if none), as a report under their name, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from messaging.models import Message
from moderation.evidence import snapshot_evidence
from moderation.models import Case, Report
from moderation.services import open_case_for_message
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    SuperuserFactory,
    UserFactory,
    reported_message,
)

pytestmark = pytest.mark.django_db


def test_flagging_opens_a_case_with_the_moderators_report_and_an_audit_entry() -> None:
    moderator = ModeratorFactory()
    message = MessageFactory(content="Pay me or else")

    report = open_case_for_message(
        message, moderator=moderator, reason="Extortion", report_reason=Report.Reason.THREAT
    )

    case = report.case
    assert case.is_open and case.reported_user == message.sender
    case.refresh_from_db()
    assert (case.report_count, case.reporter_count) == (1, 1)
    assert (report.reporter, report.reason, report.comment) == (moderator, "threat", "Extortion")
    assert report.evidence["message"]["content"] == "Pay me or else"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGE_FLAGGED)
    assert (entry.actor, entry.case_id, entry.target_user_id, entry.reason) == (
        moderator,
        case.pk,
        message.sender_id,
        "Extortion",
    )
    assert entry.details == {"message_id": message.pk, "report_id": report.pk}


def test_flagging_joins_the_authors_open_case() -> None:
    existing = reported_message().case
    message = MessageFactory(sender=existing.reported_user)

    report = open_case_for_message(message, moderator=ModeratorFactory(), reason="More of it")

    assert report.case == existing
    assert Case.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.report_count, existing.reporter_count) == (2, 2)


def test_the_evidence_is_the_same_snapshot_as_a_persons_report() -> None:
    message = MessageFactory()
    expected = snapshot_evidence(message)

    report = open_case_for_message(message, moderator=ModeratorFactory(), reason="r")

    expected.pop("taken_at")
    report.evidence.pop("taken_at")
    assert report.evidence == expected


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1_001, "a\x00b"])
def test_a_bad_reason_is_refused_and_writes_nothing(reason: str) -> None:
    with pytest.raises(ValidationError):
        open_case_for_message(MessageFactory(), moderator=ModeratorFactory(), reason=reason)
    assert not Case.objects.exists() and not AuditEntry.objects.exists()


def test_an_unknown_report_reason_is_refused() -> None:
    with pytest.raises(ValidationError):
        open_case_for_message(
            MessageFactory(), moderator=ModeratorFactory(), reason="r", report_reason="nope"
        )


def test_a_tombstone_is_refused() -> None:
    message = MessageFactory()
    Message.objects.filter(pk=message.pk).update(is_tombstone=True, content="", sender=None)
    with pytest.raises(ValidationError, match="deleted"):
        open_case_for_message(message, moderator=ModeratorFactory(), reason="r")
    assert not Case.objects.exists()


def test_a_staff_author_is_for_superusers() -> None:
    message = MessageFactory(sender=UserFactory(is_staff=True))
    with pytest.raises(ValidationError, match="only a superuser"):
        open_case_for_message(message, moderator=ModeratorFactory(), reason="r")
    assert not Case.objects.exists()

    report = open_case_for_message(message, moderator=SuperuserFactory(), reason="r")
    assert report.case.reported_user == message.sender


def test_ones_own_message_is_refused() -> None:
    moderator = ModeratorFactory()
    with pytest.raises(ValidationError, match="your own account"):
        open_case_for_message(MessageFactory(sender=moderator), moderator=moderator, reason="r")


def test_flagging_the_same_message_twice_is_refused() -> None:
    moderator, message = ModeratorFactory(), MessageFactory()
    open_case_for_message(message, moderator=moderator, reason="r")
    with pytest.raises(ValidationError, match="already flagged"):
        open_case_for_message(message, moderator=moderator, reason="r")
    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_FLAGGED).count() == 1


def test_without_the_case_permission_nothing_is_written() -> None:
    with pytest.raises(PermissionDenied):
        open_case_for_message(MessageFactory(), moderator=UserFactory(is_staff=True), reason="r")
    assert not Case.objects.exists()


def test_a_message_gone_meanwhile_is_refused() -> None:
    message = MessageFactory()
    Message.objects.filter(pk=message.pk).delete()
    with pytest.raises(ValidationError, match="deleted"):
        open_case_for_message(message, moderator=ModeratorFactory(), reason="r")
