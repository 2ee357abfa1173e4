"""
An attacker's bad input to the appeals and sanctions admin: hostile reasons,
questions, ids, list parameters and duration dates on every form that takes
one. Who reaches what, double submissions, CSRF: test_appeal_admin_attacks.py.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import MAX_APPEAL_LENGTH, Sanction
from tests.admin_ext.appeal_attack_support import client_of, decide, state
from tests.factories import MessageFactory, reported_message

pytestmark = pytest.mark.django_db


# --- hostile input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 100_000, f"Ensure this value has at most {MAX_APPEAL_LENGTH} characters"),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_a_hostile_reason_is_a_form_error_and_nothing_is_written(
    warning_appeal, moderator, reason, error
):
    before = state()

    response = decide(client_of(moderator), warning_appeal, "approve", reason)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("question", ["", "x" * 100_000, "a\x00b"])
def test_a_hostile_question_is_a_form_error_and_nothing_is_written(
    warning_appeal, moderator, question
):
    before = state()

    response = client_of(moderator).post(
        reverse("admin:moderation_appeal_ask", args=[warning_appeal.pk]),
        {"ask-question": question},
    )

    assert response.status_code == 200
    assert state() == before


@pytest.mark.parametrize("object_id", ["abc", "-1", "99999999999999999999999", "1%00", "0"])
@pytest.mark.parametrize("name", ["ask", "decide"])
def test_junk_ids_in_the_post_urls_are_404(moderator, warning_appeal, object_id, name):
    before = state()

    response = client_of(moderator).post(
        f"/admin/moderation/appeal/{object_id}/{name}/",
        {"decide-decision": "approve", "decide-reason": "x", "ask-question": "?"},
    )

    assert response.status_code == 404
    assert state() == before


@pytest.mark.parametrize("object_id", ["abc", "99999999999999999999999", "1%00"])
@pytest.mark.parametrize("model", ["appeal", "sanction"])
def test_junk_ids_on_the_stock_pages_are_never_a_500(moderator, object_id, model):
    response = client_of(moderator).get(f"/admin/moderation/{model}/{object_id}/change/")

    assert response.status_code in (302, 404)


# --- the duration fields' dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "until_date", "error"),
    [
        ("date", "0000-00-00", "Enter a valid date."),
        ("date", "0001-01-01", "is over: choose today or a later day."),
        ("date", "99999-01-01", "Enter a valid date."),
        ("date", "2026-13-01", "Enter a valid date."),
        ("date", "2026-01-01\x00", "Enter a valid date."),
        ("forever", "", "Select a valid choice."),
        ("-1d", "", "Select a valid choice."),
    ],
)
def test_a_hostile_duration_is_a_form_error_and_nothing_is_done(
    moderator_client, alice, duration, until_date, error
):
    response = moderator_client.post(
        reverse("admin:auth_user_suspend", args=[alice.pk]),
        {
            "suspend-reason": "my careful reason",
            "suspend-duration": duration,
            "suspend-until_date": until_date,
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("sanction", {"q": "a\x00b"}),
        ("sanction", {"q": "x" * 100_000}),
        ("sanction", {"active": "maybe"}),
        ("sanction", {"kind": "nuke"}),
        ("sanction", {"ending": "\x00"}),
        ("sanction", {"o": "99.-x"}),
        ("sanction", {"p": "99999999999999999999"}),
        ("appeal", {"status": "\x00"}),
        ("appeal", {"o": "1"}),
        ("appeal", {"p": "-1"}),
        ("appeal", {"user__is_superuser": "1"}),
    ],
)
def test_hostile_list_parameters_are_never_a_500(moderator, warning_appeal, model, params):
    response = client_of(moderator).get(
        reverse(f"admin:moderation_{model}_changelist"), params, follow=True
    )

    assert response.status_code in (200, 400)


HOSTILE_DATES = [
    ("0000-00-00", "Enter a valid date."),
    ("2026-02-30", "Enter a valid date."),
    ("9999-12-31", "Choose a day within 3,650 days"),
    ("2001-01-01", "is over: choose today or a later day."),
]


@pytest.mark.parametrize(("until_date", "error"), HOSTILE_DATES)
def test_the_case_page_refuses_hostile_dates_and_does_nothing(
    moderator_client, alice, until_date, error
):
    case = reported_message(author=alice).case

    response = moderator_client.post(
        reverse("admin:moderation_case_act", args=[case.pk]),
        {
            "act-actions": ["warn", "suspend"],
            "act-reason": "Repeated abuse",
            "act-warning": "Stop.",
            "act-close": "on",
            "act-duration": "date",
            "act-until_date": until_date,
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    case.refresh_from_db()
    assert case.is_open
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(("until_date", "error"), HOSTILE_DATES)
def test_a_messages_warning_refuses_hostile_dates(moderator_client, alice, bob, until_date, error):
    message = MessageFactory(sender=alice, receiver=bob)

    response = moderator_client.post(
        reverse("admin:messaging_message_warn", args=[message.pk]),
        {
            "warn-reason": "r",
            "warn-warning": "My exact words.",
            "warn-duration": "date",
            "warn-until_date": until_date,
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(("until_date", "error"), HOSTILE_DATES)
def test_the_bulk_warning_refuses_hostile_dates(moderator_client, alice, until_date, error):
    response = moderator_client.post(
        reverse("admin:messaging_message_changelist"),
        {
            "action": "warn_authors",
            "index": "0",
            "_selected_action": [MessageFactory(sender=alice).pk],
            "apply": "yes",
            "warn-reason": "r",
            "warn-warning": "Please stop.",
            "warn-duration": "date",
            "warn-until_date": until_date,
        },
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Sanction.objects.exists()
