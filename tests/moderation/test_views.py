"""moderation.views: the report page people reach from a thread. Who may see it,
what it shows of the message, and every refusal (each of which writes nothing)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging import services as messaging_services
from messaging.models import Message
from moderation import services
from moderation.models import MAX_COMMENT_LENGTH, Case, Report
from tests.factories import MessageFactory, ReplyFactory, reported_message

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
THANKS = "Thank you. A moderator will look at your report."
ALREADY_REPORTED = "You have already reported this message. Thank you: a moderator will look at it."


def report_url(message: Message) -> str:
    return reverse("moderation:report", args=[message.pk])


def thread_anchor_url(message: Message) -> str:
    return f"{reverse('messaging:thread', args=[message.pk])}#m{message.pk}"


@pytest.fixture
def from_alice(alice, bob) -> Message:
    return MessageFactory(sender=alice, receiver=bob, content="Send me your password")


def hide(message: Message, *, moderator) -> None:
    services.hide_message(message, moderator=moderator, reason="Rude")


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, from_alice, method):
    response = getattr(client, method)(report_url(from_alice), {"reason": "spam"})

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert not Report.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_outside_the_thread_gets_a_404(client, from_alice, carol, method):
    client.force_login(carol)

    response = getattr(client, method)(report_url(from_alice), {"reason": "spam"})

    assert response.status_code == 404
    assert not Report.objects.exists()


def test_a_message_that_does_not_exist_is_a_404(client, bob):
    client.force_login(bob)

    response = client.get(reverse("moderation:report", args=[987654]))

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_a_405(client, from_alice, bob, method):
    client.force_login(bob)

    assert getattr(client, method)(report_url(from_alice)).status_code == 405


def test_a_post_without_a_csrf_token_is_403_and_writes_nothing(from_alice, bob):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bob)

    response = browser.post(report_url(from_alice), {"reason": "spam"})

    assert response.status_code == 403
    assert not Report.objects.exists()


# --- the form ------------------------------------------------------------------------------


def test_get_shows_the_quoted_message_and_the_form(client, from_alice, bob):
    client.force_login(bob)

    response = client.get(report_url(from_alice))

    assertContains(response, "<h1>Report a message</h1>")
    assertContains(response, "Send me your password")
    assertContains(response, '<select name="reason"')
    for value, label in Report.Reason.choices:
        assertContains(response, f'<option value="{value}">{label}</option>', html=True)
    assertContains(response, 'name="comment"')


def test_a_report_is_stored_and_the_reporter_lands_back_on_the_message(client, from_alice, bob):
    client.force_login(bob)

    response = client.post(report_url(from_alice), {"reason": "spam", "comment": "Phishing, again"})

    report = Report.objects.get()
    assert (report.reporter, report.reported_message_id) == (bob, from_alice.pk)
    assert (report.reason, report.comment) == ("spam", "Phishing, again")
    assert report.case.reported_user == from_alice.sender
    assert response.status_code == 302
    assert response.url == thread_anchor_url(from_alice)


def test_the_reporter_is_thanked_on_the_thread(client, from_alice, bob):
    client.force_login(bob)

    response = client.post(report_url(from_alice), {"reason": "spam"}, follow=True)

    assertContains(response, THANKS)
    assertContains(response, f'id="m{from_alice.pk}"')


def test_the_comment_is_optional(client, from_alice, bob):
    client.force_login(bob)

    response = client.post(report_url(from_alice), {"reason": "harassment", "comment": ""})

    assert response.status_code == 302
    assert Report.objects.get().comment == ""


def test_a_reply_in_the_thread_can_be_reported_by_its_receiver(client, conversation, alice):
    _root, answer, _follow_up = conversation  # bob's answer to alice

    client.force_login(alice)
    response = client.post(report_url(answer), {"reason": "other"})

    assert response.status_code == 302
    assert Report.objects.get().reported_message_id == answer.pk


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"reason": "not-a-reason"}, "Choose a reason from the list."),
        ({"reason": ""}, "This field is required."),
        ({}, "This field is required."),
        (
            {"reason": "spam", "comment": "x" * (MAX_COMMENT_LENGTH + 1)},
            f"Ensure this value has at most {MAX_COMMENT_LENGTH} characters "
            f"(it has {MAX_COMMENT_LENGTH + 1}).",
        ),
        ({"reason": "spam", "comment": "Look\x00here"}, "Null characters are not allowed."),
    ],
    ids=["unknown-reason", "blank-reason", "no-reason", "comment-too-long", "nul-in-comment"],
)
def test_bad_input_shows_the_error_on_the_form_and_writes_nothing(
    client, from_alice, bob, data, field_error
):
    client.force_login(bob)

    response = client.post(report_url(from_alice), data)

    assertContains(response, field_error, status_code=200)
    assertContains(response, '<select name="reason"')
    assert not Report.objects.exists()
    assert not Case.objects.exists()


def test_a_comment_of_exactly_the_maximum_length_is_accepted(client, from_alice, bob):
    client.force_login(bob)

    response = client.post(
        report_url(from_alice), {"reason": "spam", "comment": "x" * MAX_COMMENT_LENGTH}
    )

    assert response.status_code == 302
    assert len(Report.objects.get().comment) == MAX_COMMENT_LENGTH


def test_a_hostile_comment_is_shown_back_escaped_and_stored_as_typed(client, from_alice, bob):
    comment = '</textarea><script>alert(1)</script>"><img src=x onerror=alert(1)>'
    client.force_login(bob)

    refused = client.post(report_url(from_alice), {"reason": "nope", "comment": comment})
    accepted = client.post(report_url(from_alice), {"reason": "spam", "comment": comment})

    html = refused.content.decode()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert accepted.status_code == 302
    assert Report.objects.get().comment == comment


def test_hostile_message_content_is_quoted_escaped(client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content='<script>alert(1)</script>"><b>')
    client.force_login(bob)

    response = client.get(report_url(message))

    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;b&gt;" in html


# --- refusals -------------------------------------------------------------------------------


def test_reporting_the_same_message_twice_is_refused_politely_and_stored_once(
    client, from_alice, bob
):
    client.force_login(bob)
    client.post(report_url(from_alice), {"reason": "spam"})

    response = client.post(report_url(from_alice), {"reason": "harassment", "comment": "Again"})

    assertContains(response, ALREADY_REPORTED, status_code=200)
    assert Report.objects.count() == 1
    assert Case.objects.get().report_count == 1


def test_the_page_says_so_instead_of_asking_again_once_reported(client, bob):
    report = reported_message(reporter=bob, content="Reported already")
    client.force_login(bob)

    response = client.get(reverse("moderation:report", args=[report.reported_message_id]))

    assertContains(response, ALREADY_REPORTED)
    assertNotContains(response, '<form method="post">')
    assertNotContains(response, 'name="reason"')


def test_ones_own_message_is_not_offered_and_a_post_is_refused(client, from_alice, alice):
    client.force_login(alice)

    page = client.get(report_url(from_alice))
    response = client.post(report_url(from_alice), {"reason": "spam"})

    assertContains(page, "You cannot report your own message.")
    assertNotContains(page, 'name="reason"')
    assertContains(response, "You cannot report your own message.", status_code=200)
    assert not Report.objects.exists()


def test_a_hidden_message_shows_the_placeholder_not_its_content_and_is_refused(
    client, from_alice, bob, moderator
):
    hide(from_alice, moderator=moderator)
    client.force_login(bob)

    page = client.get(report_url(from_alice))
    response = client.post(report_url(from_alice), {"reason": "spam"})

    for answer in (page, response):
        assertContains(answer, "Hidden by the moderators")
        assertContains(answer, "A moderator has already hidden this message.")
        assertNotContains(answer, "Send me your password")
    assertNotContains(page, 'name="reason"')
    assert not Report.objects.exists()


def test_a_deleted_message_is_refused(client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="Soon a tombstone")
    ReplyFactory(parent_message=root, content="Bob answers")
    messaging_services.delete_account(alice)
    client.force_login(bob)

    page = client.get(report_url(root))
    response = client.post(report_url(root), {"reason": "spam"})

    assertContains(page, "Message deleted")
    assertNotContains(page, 'name="reason"')
    assertContains(response, "This message was deleted; there is nothing to report.")
    assert not Report.objects.exists()


def test_the_page_costs_a_fixed_number_of_queries(
    client, from_alice, bob, django_assert_max_num_queries
):
    client.force_login(bob)

    # One of them counts bob's reports of the last 24 hours (REPORTS_PER_DAY).
    with django_assert_max_num_queries(6):
        response = client.get(report_url(from_alice))

    assert response.status_code == 200
