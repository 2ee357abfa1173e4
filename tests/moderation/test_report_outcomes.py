"""Reporters hear how their reports ended (moderation.outcomes)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from messaging import services as messaging_services
from messaging.models import Notification
from moderation import services
from moderation.models import Case, Report
from moderation.outcomes import outcome_text
from moderation.services import CaseAction
from tests.factories import MessageFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

ACTION_TAKEN = "was reviewed: action was taken."
NO_VIOLATION = "was reviewed: no violation was found."
# What a moderator's sanction and its reason could put into a text.
SANCTION_WORDS = ("hid", "warn", "suspend", "delet", "sanction", "Reason given")


def outcomes_of(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, kind=Notification.Kind.REPORT_OUTCOME)
        .order_by("id")
        .values_list("text", flat=True)
    )


def second_report_into(case: Case, *, reporter=None) -> Report:
    reporter = reporter or UserFactory()
    message = MessageFactory(sender=case.reported_user, receiver=reporter)
    return services.report_message(reporter=reporter, message=message, reason="spam")


def act(case: Case, moderator, *actions: str, **options) -> None:
    services.act_on_case(
        case, moderator=moderator, actions=actions, reason="Reason given", **options
    )


def test_closing_with_action_tells_each_reporter_once(moderator):
    report = reported_message()
    other = second_report_into(report.case)

    act(report.case, moderator, CaseAction.HIDE, CaseAction.WARN, warning="Stop.")

    expected = outcome_text(reported_at=report.created_at, resolution="actioned")
    assert outcomes_of(report.reporter) == [expected]
    assert outcomes_of(other.reporter) == [
        outcome_text(reported_at=other.created_at, resolution="actioned")
    ]
    assert expected.startswith("Your report of ") and expected.endswith(ACTION_TAKEN)
    assert Report.objects.filter(outcome_notified_at__isnull=True).count() == 0


def test_two_reports_by_one_reporter_give_two_outcomes(moderator):
    report = reported_message()
    second_report_into(report.case, reporter=report.reporter)

    act(report.case, moderator, CaseAction.SUSPEND)

    assert len(outcomes_of(report.reporter)) == 2


def test_dismissing_tells_the_reporter_no_violation_was_found(moderator):
    report = reported_message()

    act(report.case, moderator, CaseAction.DISMISS)

    [text] = outcomes_of(report.reporter)
    assert text.endswith(NO_VIOLATION)


def test_an_outcome_points_at_no_message_so_a_hidden_one_stays_hidden(moderator):
    report = reported_message(content="the hidden words")

    act(report.case, moderator, CaseAction.HIDE)

    notification = Notification.objects.get(kind=Notification.Kind.REPORT_OUTCOME)
    assert notification.message_id is None
    assert "hidden words" not in notification.text


def test_a_deleted_reporter_gets_nothing_and_the_case_still_closes(moderator):
    report = reported_message()
    reporter = report.reporter
    messaging_services.delete_account(reporter, actor=reporter, reason="")

    act(report.case, moderator, CaseAction.WARN, warning="Stop.")

    assert not Notification.objects.filter(kind=Notification.Kind.REPORT_OUTCOME).exists()
    assert Case.objects.get().status == Case.Status.CLOSED


def test_the_setting_off_tells_nobody(moderator, settings):
    settings.REPORT_OUTCOME_NOTIFICATIONS = False
    report = reported_message()

    act(report.case, moderator, CaseAction.DISMISS)

    assert outcomes_of(report.reporter) == []
    assert Report.objects.get().outcome_notified_at is None


def test_a_case_closed_again_does_not_tell_again(moderator):
    report = reported_message()
    act(report.case, moderator, CaseAction.DISMISS)
    # No service reopens a case yet; the field must hold when one does.
    Case.objects.update(status=Case.Status.OPEN, closed_at=None, retain_until=None)

    act(report.case, moderator, CaseAction.WARN, warning="Stop.")

    [text] = outcomes_of(report.reporter)
    assert text.endswith(NO_VIOLATION)


def test_acting_without_closing_tells_nobody_yet(moderator):
    report = reported_message()

    act(report.case, moderator, CaseAction.WARN, warning="Stop.", close=False)

    assert outcomes_of(report.reporter) == []


def test_a_moderator_deleting_the_account_reads_as_action_taken(moderator):
    report = reported_message()

    act(report.case, moderator, CaseAction.DELETE_ACCOUNT)

    [text] = outcomes_of(report.reporter)
    assert text.endswith(ACTION_TAKEN)


def test_the_reported_person_deleting_their_account_says_only_that_it_is_gone(moderator):
    report = reported_message()
    author = report.case.reported_user

    messaging_services.delete_account(author, actor=author, reason="")

    [text] = outcomes_of(report.reporter)
    assert text.endswith("was closed: the reported account no longer exists.")
    assert Case.objects.get().resolution == Case.Resolution.ACCOUNT_DELETED


@pytest.mark.parametrize(
    "actions",
    [
        (CaseAction.HIDE, CaseAction.WARN, CaseAction.SUSPEND),
        (CaseAction.DISMISS,),
        (CaseAction.DELETE_ACCOUNT,),
    ],
)
def test_an_outcome_names_neither_the_sanction_nor_the_moderator_nor_the_reported(actions):
    moderator = ModeratorFactory(username="modname_xyz")
    author = UserFactory(username="reported_xyz")
    report = reported_message(author=author)

    act(report.case, moderator, *actions, warning="Warning words")

    [text] = outcomes_of(report.reporter)
    for word in (*SANCTION_WORDS, "modname_xyz", "reported_xyz", "Warning words"):
        assert word.lower() not in text.lower()


def test_the_inbox_shows_the_outcome_until_acknowledged(client, moderator):
    report = reported_message()
    act(report.case, moderator, CaseAction.DISMISS)
    notification = Notification.objects.get(kind=Notification.Kind.REPORT_OUTCOME)
    client.force_login(report.reporter)

    response = client.get(reverse("messaging:inbox"))

    assertContains(response, "Outcome of your report")
    assertContains(response, notification.text)
    client.post(reverse("messaging:acknowledge_warning", args=[notification.pk]))
    assertNotContains(client.get(reverse("messaging:inbox")), notification.text)


def test_an_outcome_goes_with_the_reporters_account(moderator):
    report = reported_message()
    act(report.case, moderator, CaseAction.DISMISS)
    reporter = report.reporter

    messaging_services.delete_account(reporter, actor=reporter, reason="")

    assert not Notification.objects.filter(kind=Notification.Kind.REPORT_OUTCOME).exists()


def test_the_outcome_is_dated_by_the_report_in_words():
    moment = timezone.make_aware(timezone.datetime(2026, 3, 4, 12, 0))

    text = outcome_text(reported_at=moment, resolution="dismissed")

    assert text == "Your report of 4 March 2026 was reviewed: no violation was found."
