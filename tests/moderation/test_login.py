"""moderation.login: the people's login page tells a suspended person that they
are, only with the right password, without a session, within the rate limit."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from moderation.services import lift_suspension, suspend_user, warn_user
from tests.factories import PASSWORD, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
INVALID = "Please enter a correct username and password"


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def suspended(alice):
    moderator = ModeratorFactory(username="kim")
    warn_user(alice, moderator=moderator, reason="spam", warning="Stop sending links to strangers.")
    suspend_user(alice, moderator=moderator, reason="Third spam report this week")
    alice.refresh_from_db()
    return alice


def test_a_suspended_person_with_the_right_password_is_told_the_account_is_suspended(
    client, suspended
):
    response = log_in(client, "alice", PASSWORD)

    assertContains(response, "Your account is suspended")
    assertContains(response, "Until a moderator lifts the suspension")
    assertContains(response, "Suspended by the moderators since <time")
    assertNotContains(response, INVALID)
    assert "_auth_user_id" not in client.session


def test_the_page_shows_the_moderators_warnings_but_not_the_audit_reason(client, suspended):
    response = log_in(client, "alice", PASSWORD)

    assertContains(response, "Stop sending links to strangers.")
    assertNotContains(response, "Third spam report this week")
    assertNotContains(response, "kim")  # nor the moderator's name


def test_a_message_given_with_the_suspension_is_shown(client, alice, moderator):
    suspend_user(alice, moderator=moderator, reason="abuse", warning="You insulted three people.")

    assertContains(log_in(client, "alice", PASSWORD), "You insulted three people.")


def test_a_wrong_password_on_a_suspended_account_reveals_nothing_and_counts(client, suspended):
    response = log_in(client, "alice", "wrong")

    assertContains(response, INVALID)
    assertNotContains(response, "suspended")
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_the_right_password_on_a_suspended_account_is_not_a_failure(client, suspended):
    for _ in range(6):
        assertContains(log_in(client, "alice", PASSWORD), "Your account is suspended")

    assert not AccessAttempt.objects.exists()


def test_a_locked_out_suspended_account_gets_the_lockout_page_not_the_notice(client, suspended):
    for _ in range(5):
        log_in(client, "alice", "wrong")

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assertNotContains(response, "Your account is suspended", status_code=429)


def test_an_unknown_username_gets_the_usual_error(client):
    assertContains(log_in(client, "nobody", PASSWORD), INVALID)


def test_an_active_person_logs_in_as_before(client, alice):
    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_after_the_lift_the_person_logs_in(client, suspended, moderator):
    lift_suspension(suspended, moderator=moderator, reason="appeal accepted")

    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_keeps_its_own_form(client, moderator):
    staff = UserFactory(username="helper", is_staff=True, is_active=False)

    response = client.post(reverse("admin:login"), {"username": "helper", "password": PASSWORD})

    assertNotContains(response, "Your account is suspended")
    assert "_auth_user_id" not in client.session
    assert staff.pk
