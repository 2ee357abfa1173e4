"""Attacks on the person's side of appeals (moderation/views.py, moderation/login.py,
moderation/appeals.py): another person's ids, junk ids, double submissions,
hostile texts, CSRF, privacy. The suspended page's token, axes and timed
lifting: test_suspended_appeal_attacks.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from messaging.models import Message, Notification
from moderation.login import EXPIRED_FORM, appeal_token
from moderation.models import MAX_APPEAL_LENGTH, Appeal, Sanction
from moderation.services import (
    approve_appeal,
    ask_appeal_question,
    file_appeal,
    hide_message,
    lift_suspension,
    reject_appeal,
    suspend_user,
)
from tests.factories import MessageFactory, ModeratorFactory, reported_message
from tests.moderation.appeal_attack_support import (
    DECISIONS,
    SECRET_WORDS,
    log_in_suspended,
    logged_in,
    suspended_url,
    token_from,
)

pytestmark = pytest.mark.django_db


# --- (b) another ordinary user: someone else's sanction and appeal ------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_user_cannot_read_or_answer_someone_elses_appeal(method, bob, appeal, moderator):
    ask_appeal_question(appeal, moderator=moderator, question="Which links?")

    response = getattr(logged_in(bob), method)(
        reverse("moderation:appeal", args=[appeal.pk]), {"answer": "bob answers"}
    )

    assert response.status_code == 404
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == (Appeal.Status.ASKED, "")


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_user_cannot_appeal_someone_elses_sanction(method, bob, warning):
    response = getattr(logged_in(bob), method)(
        reverse("moderation:appeal_sanction", args=[warning.pk]), {"text": "bob appeals"}
    )

    assert response.status_code == 404
    assert not Appeal.objects.exists()


def test_another_user_cannot_reach_the_appeal_of_someone_elses_hidden_message(bob, alice, kim):
    message = MessageFactory(sender=alice, receiver=bob)
    hide_message(message, moderator=kim, reason="rude")

    response = logged_in(bob).get(reverse("moderation:appeal_message", args=[message.pk]))

    assert response.status_code == 404


def test_the_decisions_page_lists_only_ones_own_sanctions(bob, warning):
    response = logged_in(bob).get(DECISIONS)

    assert response.status_code == 200
    assertNotContains(response, f"sanction-{warning.pk}")


@pytest.mark.parametrize(
    "path",
    [
        "/account/appeals/abc/",
        "/account/appeals/-1/",
        "/account/appeals/99999999999999999999999/",
        "/account/appeals/1%00/",
        "/account/decisions/abc/appeal/",
        "/account/decisions/-1/appeal/",
        "/account/decisions/99999999999999999999999/appeal/",
        "/account/decisions/1%00/appeal/",
        "/messages/99999999999999999999999/appeal/",
        "/messages/1%00/appeal/",
        "/accounts/suspended/abc/answer/",
        "/accounts/suspended/1%00/appeal/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_junk_ids_are_404_never_a_500(alice, warning, path, method):
    response = getattr(logged_in(alice), method)(path, {"text": "x", "token": "x"})

    # 405 where the view takes the other method only: it never reads the id.
    assert response.status_code in (404, 405)
    assert not Appeal.objects.exists()


def test_a_huge_sanction_id_with_a_token_made_for_it_is_refused_not_a_500(client, alice):
    huge = 2**63 + 5
    token = appeal_token(user_id=alice.pk, sanction_id=huge)

    response = client.post(
        f"/accounts/suspended/{huge}/appeal/", {"token": token, "text": "let me in"}
    )

    assert response.status_code == 400
    assertContains(response, EXPIRED_FORM, status_code=400)
    assert not Appeal.objects.exists()


# --- (a) the person: double submissions and hostile texts --------------------------------


def test_filing_twice_through_the_page_keeps_one_appeal(alice, warning):
    client = logged_in(alice)
    url = reverse("moderation:appeal_sanction", args=[warning.pk])

    client.post(url, {"text": "first"})
    response = client.post(url, {"text": "second"})

    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{appeal.pk}/")
    assert appeal.text == "first"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_FILED).count() == 1


def test_answering_twice_keeps_the_first_answer(alice, appeal, moderator):
    ask_appeal_question(appeal, moderator=moderator, question="Which links?")
    client = logged_in(alice)
    url = reverse("moderation:appeal", args=[appeal.pk])

    client.post(url, {"answer": "first"})
    response = client.post(url, {"answer": "second"}, follow=True)

    assertContains(response, "There is no question waiting for your answer.")
    appeal.refresh_from_db()
    assert appeal.answer == "first"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_ANSWERED).count() == 1


def test_answering_after_the_decision_is_refused(alice, appeal, moderator):
    ask_appeal_question(appeal, moderator=moderator, question="Which links?")
    reject_appeal(appeal, moderator=moderator, reason="No answer came.")

    response = logged_in(alice).post(
        reverse("moderation:appeal", args=[appeal.pk]), {"answer": "late"}, follow=True
    )

    assertContains(response, "There is no question waiting for your answer.")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == (Appeal.Status.REJECTED, "")


def test_filing_one_second_after_the_window_is_refused_in_words(alice, warning, settings):
    deadline = warning.imposed_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    with mock.patch("django.utils.timezone.now", return_value=deadline + timedelta(seconds=1)):
        response = logged_in(alice).post(
            reverse("moderation:appeal_sanction", args=[warning.pk]), {"text": "late"}
        )

    assert response.status_code == 200
    assertContains(response, "The time to appeal has passed")
    assert not Appeal.objects.exists()


def test_filing_for_an_ended_sanction_is_refused(alice, kim, moderator):
    suspend_user(alice, moderator=kim, reason="spam")
    sanction = Sanction.objects.get()
    lift_suspension(alice, moderator=moderator, reason="mistake")

    response = logged_in(alice).post(
        reverse("moderation:appeal_sanction", args=[sanction.pk]), {"text": "too late"}
    )

    assertContains(response, "This decision has ended: there is nothing left to appeal.")
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "This field is required."),
        ("   \n\t ", "This field is required."),
        ("x" * 100_000, f"Ensure this value has at most {MAX_APPEAL_LENGTH} characters"),
        ("before\x00after", "Null characters are not allowed."),
    ],
)
def test_a_hostile_appeal_text_is_a_form_error_and_nothing_is_written(alice, warning, text, error):
    response = logged_in(alice).post(
        reverse("moderation:appeal_sanction", args=[warning.pk]), {"text": text}
    )

    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors["text"])
    assert not Appeal.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_FILED).exists()


@pytest.mark.parametrize("answer", ["", "x" * 100_000, "a\x00b"])
def test_a_hostile_answer_is_a_form_error_and_nothing_is_written(alice, appeal, moderator, answer):
    ask_appeal_question(appeal, moderator=moderator, question="Which links?")

    response = logged_in(alice).post(
        reverse("moderation:appeal", args=[appeal.pk]), {"answer": answer}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == (Appeal.Status.ASKED, "")


# --- CSRF ---------------------------------------------------------------------------------


def test_the_appeal_form_needs_csrf(alice, warning):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("moderation:appeal_sanction", args=[warning.pk]), {"text": "x"})

    assert response.status_code == 403
    assert not Appeal.objects.exists()


def test_the_answer_form_needs_csrf(alice, appeal, moderator):
    ask_appeal_question(appeal, moderator=moderator, question="Which links?")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("moderation:appeal", args=[appeal.pk]), {"answer": "x"})

    assert response.status_code == 403
    appeal.refresh_from_db()
    assert appeal.answer == ""


def test_the_suspended_appeal_needs_csrf(alice, suspended):
    token = appeal_token(user_id=alice.pk, sanction_id=suspended.pk)
    client = Client(enforce_csrf_checks=True)

    response = client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})

    assert response.status_code == 403
    assert not Appeal.objects.exists()


# --- privacy --------------------------------------------------------------------------------


def test_no_page_of_the_person_names_the_moderators(client, alice, suspended):
    moderator = ModeratorFactory(username="leemoderates")
    token = token_from(log_in_suspended(client))
    client.post(suspended_url("appeal", suspended), {"token": token, "text": "x"})
    appeal = Appeal.objects.get()
    ask_appeal_question(appeal, moderator=moderator, question="Why?")
    pages = [
        log_in_suspended(client),
        client.post(suspended_url("answer", suspended), {"token": token, "answer": "because"}),
    ]
    reject_appeal(appeal, moderator=moderator, reason="It stands.")
    pages.append(log_in_suspended(client))
    alice.is_active = True
    alice.save()
    alice_client = logged_in(alice)
    pages += [
        alice_client.get(DECISIONS),
        alice_client.get(reverse("moderation:appeal", args=[appeal.pk])),
        alice_client.get(reverse("messaging:inbox")),
    ]

    for page in pages:
        for name in ("kimthemoderator", moderator.get_username()):
            assert name not in page.content.decode(), page.wsgi_request.path


def test_the_appeal_and_the_answer_reach_neither_the_audit_log_nor_the_logs(
    caplog, alice, warning, moderator
):
    client = logged_in(alice)
    with caplog.at_level(logging.DEBUG):
        client.post(
            reverse("moderation:appeal_sanction", args=[warning.pk]), {"text": SECRET_WORDS}
        )
        appeal = Appeal.objects.get()
        ask_appeal_question(appeal, moderator=moderator, question="Zqxwv the question")
        client.post(reverse("moderation:appeal", args=[appeal.pk]), {"answer": "Zqxwv my answer"})
        client.post(reverse("moderation:appeal", args=[appeal.pk]), {"answer": "x" * 100_000})

    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_ANSWERED).exists()
    for entry in AuditEntry.objects.all():
        assert "Zqxwv" not in f"{entry.reason} {entry.details}"
    assert "Zqxwv" not in caplog.text


def test_the_suspended_pages_posts_keep_the_words_out_of_the_logs(caplog, client, suspended):
    token = token_from(log_in_suspended(client))
    with caplog.at_level(logging.DEBUG):
        client.post(suspended_url("appeal", suspended), {"token": token, "text": "Zqxwv" * 2000})
        client.post(suspended_url("appeal", suspended), {"token": "bad", "text": "Zqxwv bad"})
        client.post(suspended_url("appeal", suspended), {"token": token, "text": SECRET_WORDS})

    assert Appeal.objects.get().text == SECRET_WORDS
    assert "Bad Request" in caplog.text  # the refused posts were logged, without their words
    assert "Zqxwv" not in caplog.text
    assert token not in caplog.text


def test_the_reporter_learns_nothing_of_the_appeal(alice, bob, kim, moderator):
    report = reported_message(author=alice, reporter=bob, content="the words")
    message = Message.objects.get(pk=report.reported_message_id)
    hide_message(message, moderator=kim, reason="rude", case=report.case)
    before = list(Notification.objects.filter(user=bob).values_list("text", flat=True))

    appeal = file_appeal(Sanction.objects.get(), user=alice, text=SECRET_WORDS)
    ask_appeal_question(appeal, moderator=moderator, question="Why?")
    approve_appeal(appeal, moderator=moderator, reason="A film quote.")

    assert list(Notification.objects.filter(user=bob).values_list("text", flat=True)) == before


# --- the person's pages escape what they quote ---------------------------------------------


def test_the_appeal_page_escapes_the_persons_and_the_moderators_words(alice, warning, moderator):
    appeal = file_appeal(warning, user=alice, text="<script>alert('appeal')</script>")
    ask_appeal_question(appeal, moderator=moderator, question="<img src=x onerror=alert(1)>")

    response = logged_in(alice).get(reverse("moderation:appeal", args=[appeal.pk]))

    assertNotContains(response, "<script>alert")
    assertNotContains(response, "<img src=x")
    assertContains(response, "&lt;script&gt;alert")


@pytest.mark.parametrize("page", ["abc", "-1", "99999999999999999999", "1\x00"])
def test_a_junk_decisions_page_number_shows_a_page(alice, warning, page):
    response = logged_in(alice).get(DECISIONS, {"page": page})

    assert response.status_code == 200
    assertContains(response, f"sanction-{warning.pk}")
