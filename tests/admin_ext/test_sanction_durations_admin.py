"""How long a warning's strike or a suspension lasts, chosen in the admin
(case_forms.SanctionEndForm on the case page, the queue's bulk action, the
person's page, a message's page and the messages' bulk warning): the end reaches
the service, the success message says it, and a bad date is a form error with
the moderator's words kept."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from messaging.models import Notification
from moderation.models import Sanction
from moderation_site.time_format import format_timestamp
from tests.factories import MessageFactory, reported_message

pytestmark = pytest.mark.django_db

PAST_DATE_ERROR = "is over: choose today or a later day."


def person_action_url(name: str, user) -> str:
    return reverse(f"admin:auth_user_{name}", args=[user.pk])


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=timezone.get_current_timezone())


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def assert_about(moment: datetime.datetime, expected: datetime.datetime) -> None:
    assert abs(moment - expected) < datetime.timedelta(minutes=1)


# --- the person's page ------------------------------------------------------------------------


def test_suspending_for_seven_days_from_the_persons_page(moderator_client, alice):
    response = moderator_client.post(
        person_action_url("suspend", alice),
        {"suspend-reason": "spam", "suspend-duration": "7d"},
        follow=True,
    )

    sanction = Sanction.objects.get(kind=Sanction.Kind.SUSPEND)
    assert_about(sanction.ends_at, timezone.now() + datetime.timedelta(days=7))
    (said,) = flashed(response)
    assert said.startswith(f"alice is suspended until {format_timestamp(sanction.ends_at)}:")
    assertContains(response, f"until {format_timestamp(sanction.ends_at)}")


def test_suspending_until_a_date_lasts_through_that_day(moderator_client, alice):
    day = in_days(3)

    moderator_client.post(
        person_action_url("suspend", alice),
        {
            "suspend-reason": "spam",
            "suspend-warning": "Three days off.",
            "suspend-duration": "date",
            "suspend-until_date": day.isoformat(),
        },
    )

    assert set(Sanction.objects.values_list("kind", "ends_at")) == {
        (Sanction.Kind.SUSPEND, end_of(day)),
        (Sanction.Kind.WARN, end_of(day)),
    }


def test_a_date_is_ignored_unless_until_a_date_is_chosen(moderator_client, alice):
    moderator_client.post(
        person_action_url("suspend", alice),
        {"suspend-reason": "spam", "suspend-duration": "", "suspend-until_date": "2001-01-01"},
    )

    assert Sanction.objects.get().ends_at is None


def test_warning_for_a_day_from_the_persons_page(moderator_client, alice):
    response = moderator_client.post(
        person_action_url("warn", alice),
        {"warn-warning": "Be civil.", "warn-reason": "insults", "warn-duration": "1d"},
    )

    sanction = Sanction.objects.get()
    assert_about(sanction.ends_at, timezone.now() + datetime.timedelta(days=1))
    assert flashed(response) == [
        f"Warning sent to alice: a strike until {format_timestamp(sanction.ends_at)}."
    ]


@pytest.mark.parametrize(
    ("until_date", "error"),
    [
        ("", "Choose the day it ends."),
        ("not a date", "Enter a valid date."),
        ("2026-02-30", "Enter a valid date."),
        ("2001-01-01", PAST_DATE_ERROR),
        ("9999-12-31", "Choose a day within 3,650 days"),
    ],
)
def test_a_bad_date_comes_back_with_the_words_kept_and_nothing_done(
    moderator_client, alice, until_date, error
):
    response = moderator_client.post(
        person_action_url("suspend", alice),
        {
            "suspend-reason": "my careful reason",
            "suspend-duration": "date",
            "suspend-until_date": until_date,
        },
    )

    assert response.status_code == 200
    assertContains(response, error)
    assertContains(response, "my careful reason")
    alice.refresh_from_db()
    assert alice.is_active
    assert not Sanction.objects.exists()


def test_an_unknown_duration_is_a_form_error(moderator_client, alice):
    response = moderator_client.post(
        person_action_url("warn", alice),
        {"warn-warning": "w", "warn-reason": "r", "warn-duration": "forever-and-a-day"},
    )

    assert response.status_code == 200
    assertContains(response, "Select a valid choice.")
    assert not Notification.objects.exists()


# --- the case page and the queue's bulk action --------------------------------------------------


def act_data(*actions: str, **fields: str) -> dict:
    data = {"act-actions": list(actions), "act-reason": "Repeated abuse", "act-close": "on"}
    data.update({f"act-{name}": value for name, value in fields.items()})
    return data


def test_the_case_page_suspends_and_warns_until_a_date(moderator_client, alice):
    case = reported_message(author=alice).case
    day = in_days(10)

    response = moderator_client.post(
        reverse("admin:moderation_case_act", args=[case.pk]),
        act_data("warn", "suspend", warning="Ten days.", duration="date", until_date=str(day)),
    )

    assert response.status_code == 302
    assert set(Sanction.objects.values_list("kind", "ends_at", "case")) == {
        (Sanction.Kind.WARN, end_of(day), case.pk),
        (Sanction.Kind.SUSPEND, end_of(day), case.pk),
    }
    until = format_timestamp(end_of(day))
    (said,) = flashed(response)
    assert f"warned (a strike until {until})" in said
    assert f"suspended until {until}" in said


def test_the_case_page_refuses_a_past_date_and_keeps_the_words(moderator_client, alice):
    case = reported_message(author=alice).case

    response = moderator_client.post(
        reverse("admin:moderation_case_act", args=[case.pk]),
        act_data("suspend", duration="date", until_date="2001-01-01"),
    )

    assert response.status_code == 200
    assertContains(response, PAST_DATE_ERROR)
    assertContains(response, "Repeated abuse")
    case.refresh_from_db()
    assert case.is_open
    assert not Sanction.objects.exists()


def test_hiding_alone_does_not_look_at_the_duration(moderator_client, alice):
    case = reported_message(author=alice).case

    response = moderator_client.post(
        reverse("admin:moderation_case_act", args=[case.pk]),
        act_data("hide", duration="date", until_date="2001-01-01"),
    )

    assert response.status_code == 302
    assert Sanction.objects.get().kind == Sanction.Kind.HIDE


def test_the_queues_bulk_action_gives_each_case_the_end(moderator_client, alice, bob):
    cases = [reported_message(author=alice).case, reported_message(author=bob).case]

    moderator_client.post(
        reverse("admin:moderation_case_changelist"),
        {
            "action": "act_on_cases",
            "index": "0",
            "_selected_action": [case.pk for case in cases],
            "apply": "yes",
            **act_data("suspend", duration="30d"),
        },
    )

    ends = list(Sanction.objects.values_list("ends_at", flat=True))
    assert len(ends) == 2
    for end in ends:
        assert_about(end, timezone.now() + datetime.timedelta(days=30))


# --- a message's page and the messages' bulk warning -----------------------------------------


def test_warning_a_messages_author_for_seven_days(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    response = moderator_client.post(
        reverse("admin:messaging_message_warn", args=[message.pk]),
        {"warn-reason": "r", "warn-warning": "Stop it.", "warn-duration": "7d"},
    )

    sanction = Sanction.objects.get()
    assert_about(sanction.ends_at, timezone.now() + datetime.timedelta(days=7))
    assert flashed(response) == [
        f"Warning sent to alice: a strike until {format_timestamp(sanction.ends_at)}."
    ]


def test_a_messages_warning_with_a_past_date_is_a_form_error(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    response = moderator_client.post(
        reverse("admin:messaging_message_warn", args=[message.pk]),
        {
            "warn-reason": "r",
            "warn-warning": "My exact words.",
            "warn-duration": "date",
            "warn-until_date": "2001-01-01",
        },
    )

    assert response.status_code == 200
    assertContains(response, PAST_DATE_ERROR)
    assertContains(response, "My exact words.")
    assert not Notification.objects.filter(kind=Notification.Kind.WARNING).exists()


def test_warning_authors_in_bulk_until_a_date(moderator_client, alice, bob):
    ids = [MessageFactory(sender=alice).pk, MessageFactory(sender=bob).pk]
    day = in_days(2)

    moderator_client.post(
        reverse("admin:messaging_message_changelist"),
        {
            "action": "warn_authors",
            "index": "0",
            "_selected_action": ids,
            "apply": "yes",
            "warn-reason": "r",
            "warn-warning": "Please stop.",
            "warn-duration": "date",
            "warn-until_date": day.isoformat(),
        },
    )

    assert list(Sanction.objects.values_list("ends_at", flat=True)) == [end_of(day)] * 2


def test_the_bulk_warning_page_refuses_a_missing_date(moderator_client, alice):
    ids = [MessageFactory(sender=alice).pk]

    response = moderator_client.post(
        reverse("admin:messaging_message_changelist"),
        {
            "action": "warn_authors",
            "index": "0",
            "_selected_action": ids,
            "apply": "yes",
            "warn-reason": "r",
            "warn-warning": "Please stop.",
            "warn-duration": "date",
        },
    )

    assert response.status_code == 200
    assertContains(response, "Choose the day it ends.")
    assertContains(response, "Please stop.")
    assert not Sanction.objects.exists()
