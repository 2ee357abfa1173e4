"""
An attacker's tries at the suspended login page's appeal (its signed token, what
the page tells without the right password, django-axes) and at timed lifting.
The person's other pages: test_appeal_attacks.py.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from messaging.models import Notification
from moderation.login import APPEAL_TOKEN_MAX_AGE, EXPIRED_FORM, appeal_token
from moderation.models import Appeal, Sanction
from moderation.services import lift_expired_sanctions, lift_suspension, suspend_user, warn_user
from tests.moderation.appeal_attack_support import (
    DECISIONS,
    log_in_suspended,
    logged_in,
    suspended_url,
    token_from,
    without_csrf,
)

pytestmark = pytest.mark.django_db


# --- the suspended page's token -----------------------------------------------------------


def test_a_token_is_refused_for_another_account_with_the_same_sanction_id(
    client, alice, bob, suspended
):
    token = appeal_token(user_id=bob.pk, sanction_id=suspended.pk)  # bob's, never issued

    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_a_token_for_a_warning_does_not_file_an_appeal_of_it(client, alice, suspended, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop.")
    warning = Sanction.objects.get(kind=Sanction.Kind.WARN)
    token = appeal_token(user_id=alice.pk, sanction_id=warning.pk)

    response = client.post(suspended_url("appeal", warning), {"token": token, "text": "x"})

    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_a_token_one_second_past_its_hour_writes_nothing(client, alice, suspended):
    token = token_from(log_in_suspended(client))

    with mock.patch("time.time", return_value=__import__("time").time() + APPEAL_TOKEN_MAX_AGE + 1):
        response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assertContains(response, EXPIRED_FORM, status_code=400)
    assert not Appeal.objects.exists()


def test_a_token_reused_after_the_appeal_was_filed_files_nothing_more(client, alice, suspended):
    token = token_from(log_in_suspended(client))
    url = suspended_url("appeal", suspended)

    client.post(url, {"token": token, "text": "first"})
    response = client.post(url, {"token": token, "text": "second"})

    # The page shows the appeal already sent, in place of the form.
    assertContains(response, "first", status_code=400)
    assertNotContains(response, "second", status_code=400)
    assert list(Appeal.objects.values_list("text", flat=True)) == ["first"]


def test_the_suspended_pages_answers_are_never_cached(client, alice, suspended):
    token = token_from(log_in_suspended(client))

    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "t"})

    # They carry the token: no browser or proxy keeps them.
    assert "no-cache" in response["Cache-Control"]
    assert "private" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("token", ["", " ", "a" * 5000, "x:y:z", "\x00"])
def test_an_empty_or_junk_token_writes_nothing(client, suspended, token):
    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assertContains(response, EXPIRED_FORM, status_code=400)
    assert not Appeal.objects.exists()


def test_a_tampered_token_writes_nothing(client, alice, bob, suspended):
    token = token_from(log_in_suspended(client))
    payload, rest = token.split(":", 1)
    other = appeal_token(user_id=bob.pk, sanction_id=suspended.pk).split(":", 1)[0]

    response = client.post(
        suspended_url("appeal", suspended), {"token": f"{other}:{rest}", "text": "x"}
    )

    assert payload != other
    assertContains(response, EXPIRED_FORM, status_code=400)
    assert not Appeal.objects.exists()


def test_a_token_used_beside_another_users_session_files_for_its_own_account_only(
    alice, bob, suspended
):
    token = appeal_token(user_id=alice.pk, sanction_id=suspended.pk)
    client = logged_in(bob)

    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "mine"})

    assert response.status_code == 200
    assert Appeal.objects.get().user == alice
    assert client.session[SESSION_KEY] == str(bob.pk)  # bob stays bob, alice is not logged in


def test_the_suspended_page_and_its_posts_never_log_the_person_in(
    client, alice, suspended, settings
):
    token = token_from(log_in_suspended(client))
    client.post(suspended_url("appeal", suspended), {"token": token, "text": "let me in"})

    # Checked first: reading client.session would make one.
    assert settings.SESSION_COOKIE_NAME not in client.cookies  # no session at all
    assert SESSION_KEY not in client.session
    assert client.get(DECISIONS).status_code == 302  # still anonymous


def test_a_token_of_a_lifted_suspension_writes_nothing(client, alice, suspended, moderator):
    token = token_from(log_in_suspended(client))
    lift_suspension(alice, moderator=moderator, reason="mistake")

    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_an_answer_with_a_token_but_no_question_writes_nothing(client, alice, suspended):
    token = token_from(log_in_suspended(client))
    client.post(suspended_url("appeal", suspended), {"token": token, "text": "appeal"})

    response = client.post(suspended_url("answer", suspended), {"token": token, "answer": "x"})

    assert response.status_code == 400
    assertNotContains(response, 'name="answer"', status_code=400)
    assert Appeal.objects.get().answer == ""


# --- what the login page tells without the right password, and axes -----------------------


def test_a_wrong_password_says_the_same_for_a_suspended_an_active_and_no_account(
    client, alice, bob, suspended
):
    suspended_page = without_csrf(log_in_suspended(client, "alice", "wrong"))
    active_page = without_csrf(log_in_suspended(client, "bob", "wrong"))
    missing_page = without_csrf(log_in_suspended(client, "nobody", "wrong"))

    def normalised(page: str, name: str) -> str:
        return page.replace(f'value="{name}"', 'value=""')

    assert normalised(suspended_page, "alice") == normalised(active_page, "bob")
    assert normalised(suspended_page, "alice") == normalised(missing_page, "nobody")


def test_a_suspended_accounts_wrong_password_counts_for_axes_the_right_one_does_not(
    client, suspended
):
    log_in_suspended(client)
    assert not AccessAttempt.objects.exists()

    log_in_suspended(client, password="wrong")
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_the_token_posts_are_never_counted_by_axes(client, alice, suspended):
    token = token_from(log_in_suspended(client))
    for _ in range(10):
        client.post(suspended_url("appeal", suspended), {"token": "forged", "text": "x"})
    client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assert not AccessAttempt.objects.exists()


def test_a_locked_out_suspended_account_gets_no_token_even_with_the_right_password(
    client, suspended, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in_suspended(client, password="wrong")

    response = log_in_suspended(client)

    assertNotContains(response, 'name="token"', status_code=response.status_code)
    assertNotContains(response, "Appeal the suspension", status_code=response.status_code)
    assert response.status_code in (403, 429)


def test_a_suspended_account_is_locked_out_at_the_same_failure_as_an_active_one(
    client, bob, suspended, settings
):
    def statuses(username: str) -> list[int]:
        return [
            log_in_suspended(client, username, "wrong").status_code
            for _ in range(settings.AXES_FAILURE_LIMIT + 1)
        ]

    assert statuses("alice") == statuses("bob")


# --- timed lifting --------------------------------------------------------------------------


def test_an_account_deleted_while_its_suspension_is_due_is_skipped(alice, kim):
    suspend_user(alice, moderator=kim, reason="spam", ends_at=timezone.now() + timedelta(days=1))
    alice.delete()

    assert lift_expired_sanctions(now=timezone.now() + timedelta(days=2)) == 0
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SANCTION_EXPIRED).exists()


def test_a_suspension_lifted_by_hand_is_not_lifted_again_by_the_worker(alice, kim, moderator):
    suspend_user(alice, moderator=kim, reason="spam", ends_at=timezone.now() + timedelta(days=1))
    lift_suspension(alice, moderator=moderator, reason="mistake")

    assert lift_expired_sanctions(now=timezone.now() + timedelta(days=2)) == 0
    sanction = Sanction.objects.get()
    assert (sanction.ending, sanction.ended_by) == (Sanction.Ending.LIFTED, moderator)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.SANCTION_EXPIRED).exists()


def test_a_sanction_whose_end_is_moved_to_the_past_is_lifted_at_the_next_run(alice, kim):
    suspend_user(alice, moderator=kim, reason="spam", ends_at=timezone.now() + timedelta(days=9))
    Sanction.objects.update(ends_at=timezone.now() - timedelta(days=1))

    assert lift_expired_sanctions() == 1
    alice.refresh_from_db()
    assert alice.is_active
    assert Sanction.objects.get().ending == Sanction.Ending.EXPIRED


def test_an_older_suspension_ending_does_not_let_in_a_newer_indefinite_one(
    alice, kim, moderator, superuser
):
    suspend_user(alice, moderator=kim, reason="spam", ends_at=timezone.now() + timedelta(days=1))
    # A superuser lets the account in from its form: the first suspension stays on record.
    alice.refresh_from_db()
    alice.is_active = True
    alice.save()
    suspend_user(alice, moderator=moderator, reason="spam again")  # until lifted

    assert lift_expired_sanctions(now=timezone.now() + timedelta(days=2)) == 1

    alice.refresh_from_db()
    assert not alice.is_active
    assert Sanction.objects.active().get().imposed_by == moderator
    assert not Notification.objects.filter(text__startswith="Your suspension has ended").exists()
