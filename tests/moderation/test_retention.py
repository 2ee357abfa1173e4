"""moderation.retention: what an account deletion takes out of the cases, and the
purge of a deleted reporter's words once their retention ends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from messaging import services as messaging_services
from moderation import retention, services
from moderation.models import Case, Note, Report
from tests.factories import MessageFactory, UserFactory, reported_message
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ben_reports_chen():
    """ben writes to chen, chen replies (edited once), ben reports the reply with
    a comment: chen's case holds ben's words as context."""
    ben, chen = UserFactory(username="ben"), UserFactory(username="chen")
    first = MessageFactory(sender=ben, receiver=chen, content="ben's question")
    messaging_services.edit_message(first, editor=ben, content="ben's better question")
    answer = MessageFactory(sender=chen, receiver=ben, parent_message=first, content="chen rude")
    report = services.report_message(
        reporter=ben, message=answer, reason="harassment", comment="ben's comment"
    )
    return ben, report


def test_a_deleted_accounts_cases_no_longer_keep_their_name(moderator):
    closed = reported_message()
    person = closed.case.reported_user
    services.act_on_case(closed.case, moderator=moderator, actions=["dismiss"], reason="r")
    still_open = reported_message(author=person)

    messaging_services.delete_account(person, actor=moderator, reason="r")

    cases = Case.objects.filter(account_id=person.pk)
    assert set(cases.values_list("reported_username", flat=True)) == {""}
    assert {case.reported_name for case in cases} == {"deleted account"}
    assert Case.objects.get(pk=still_open.case_id).resolution == "account_deleted"
    # The audit log keeps whom the deletion was about.
    deletion = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert deletion.target_username == person.username


def test_the_evidence_names_people_by_account_id_only(ben_reports_chen):
    ben, report = ben_reports_chen

    stored = json.dumps(report.evidence)

    assert "ben" not in stored.replace("ben's", "")  # his words, not his name
    assert report.evidence["parent"]["sender_id"] == ben.pk
    assert report.evidence["parent"]["edits"][0]["edited_by_id"] == ben.pk


def test_a_deleted_reporters_comment_goes_at_once_and_their_words_get_an_end(ben_reports_chen):
    ben, report = ben_reports_chen

    messaging_services.delete_account(ben, actor=ben)

    report.refresh_from_db()
    assert report.comment == ""
    assert report.reporter_words_kept_until == pytest.approx(
        timezone.now() + timedelta(days=90), abs=timedelta(minutes=1)
    )
    assert report.evidence["parent"]["content"] == "ben's better question"
    assert report.case.is_open  # chen's case stays open


def test_the_purge_empties_a_deleted_reporters_words_after_their_retention(ben_reports_chen):
    ben, report = ben_reports_chen
    messaging_services.delete_account(ben, actor=ben)
    report.refresh_from_db()
    kept_until = report.reporter_words_kept_until

    retention.purge_expired_evidence(now=kept_until - timedelta(days=1))
    report.refresh_from_db()
    assert report.evidence["parent"]["content"] == "ben's better question"

    retention.purge_expired_evidence(now=kept_until)

    report.refresh_from_db()
    parent, message = report.evidence["parent"], report.evidence["message"]
    assert (parent["content"], parent["is_removed"]) == ("", True)
    assert [edit["old_content"] for edit in parent["edits"]] == [""]
    assert (message["content"], message.get("is_removed")) == ("chen rude", None)
    assert report.reporter_words_kept_until is None
    assert Case.objects.get(pk=report.case_id).is_open  # purged while the case is open
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_PURGED)
    assert (entry.case_id, entry.details["report_id"], entry.details["messages_emptied"]) == (
        report.case_id,
        report.pk,
        1,
    )
    # Running it again finds nothing more.
    assert retention.remove_expired_reporter_words(now=kept_until) == 0


def test_the_reporters_words_are_purged_in_batches(moderator):
    reporters = [UserFactory() for _ in range(3)]
    reports = [reported_message(reporter=reporter) for reporter in reporters]
    for reporter in reporters:
        messaging_services.delete_account(reporter, actor=moderator, reason="r")

    emptied = retention.remove_expired_reporter_words(
        now=timezone.now() + timedelta(days=91), batch_size=2
    )

    assert emptied == 3
    assert not Report.objects.filter(
        pk__in=[report.pk for report in reports], reporter_words_kept_until__isnull=False
    ).exists()


def test_a_deleted_moderators_name_leaves_their_notes_and_jobs(superuser):
    moderator_account = UserFactory(username="mod-gone", is_staff=True)
    case = reported_message().case
    Note.objects.create(
        author=moderator_account, author_username="mod-gone", case=case, text="seen"
    )
    job = JobFactory(started_by=moderator_account)

    messaging_services.delete_account(moderator_account, actor=superuser, reason="left")

    note = Note.objects.get()
    job.refresh_from_db()
    assert (note.author_username, str(note)) == ("", f"Note #{note.pk} by deleted account")
    assert job.started_by_username == ""
