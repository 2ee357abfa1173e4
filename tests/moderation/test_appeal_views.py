"""The person's pages of moderation.appeals: the decisions about their account,
the appeal form, the appeal's page, the links to them, and the suspended login
page's appeal, authorised by a signed token instead of a session."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging.models import Message
from moderation.login import APPEAL_TOKEN_MAX_AGE, APPEAL_TOKEN_SALT, appeal_token
from moderation.models import Appeal, Sanction
from moderation.services import (
    approve_appeal,
    ask_appeal_question,
    file_appeal,
    hide_message,
    reject_appeal,
    suspend_user,
    warn_user,
)
from tests.factories import PASSWORD, MessageFactory, ModeratorFactory, SanctionFactory

pytestmark = pytest.mark.django_db

DECISIONS = reverse("moderation:decisions")
LOGIN = reverse("login")


@pytest.fixture
def kim(db):
    return ModeratorFactory(username="kim")


@pytest.fixture
def warning(alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop sending links.")
    return Sanction.objects.get(kind=Sanction.Kind.WARN)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def hidden_message(alice, bob, kim):
    message = MessageFactory(sender=alice, receiver=bob, content="My hidden words")
    hide_message(message, moderator=kim, reason="rude")
    return message


def appeal_url(sanction: Sanction) -> str:
    return reverse("moderation:appeal_sanction", args=[sanction.pk])


# --- decisions and the appeal form -------------------------------------------------------


def test_the_decisions_page_lists_the_persons_sanctions_with_an_appeal_button(
    alice_client, warning
):
    response = alice_client.get(DECISIONS)

    assertContains(response, "Warning")
    assertContains(response, f'href="{appeal_url(warning)}"')


def test_the_decisions_page_shows_an_appeals_state_instead_of_the_button(
    alice_client, alice, warning
):
    appeal = file_appeal(warning, user=alice, text="Please look again.")

    response = alice_client.get(DECISIONS)

    assertContains(response, "Waiting for a moderator")
    assertContains(response, reverse("moderation:appeal", args=[appeal.pk]))
    assertNotContains(response, f'href="{appeal_url(warning)}"')


def test_the_decisions_page_says_why_an_old_sanction_cannot_be_appealed(alice_client, warning):
    Sanction.objects.filter(pk=warning.pk).update(
        imposed_at=warning.imposed_at - timedelta(days=60)
    )

    response = alice_client.get(DECISIONS)

    assertContains(response, "The time to appeal has passed")
    assertNotContains(response, f'href="{appeal_url(warning)}"')


def test_the_decisions_page_needs_a_login(client, warning):
    response = client.get(DECISIONS)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_appeal_form_shows_the_warnings_words_and_files_the_appeal(
    alice_client, alice, warning
):
    assertContains(alice_client.get(appeal_url(warning)), "Stop sending links.")

    response = alice_client.post(appeal_url(warning), {"text": "I was quoting."})

    appeal = Appeal.objects.get()
    assert (appeal.user, appeal.text) == (alice, "I was quoting.")
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:appeal", args=[appeal.pk])


def test_the_appeal_form_shows_a_hidden_messages_words_to_its_author(alice_client, hidden_message):
    sanction = Sanction.objects.get(kind=Sanction.Kind.HIDE)
    assertContains(alice_client.get(appeal_url(sanction)), "My hidden words")


def test_an_empty_appeal_shows_the_forms_error(alice_client, warning):
    response = alice_client.post(appeal_url(warning), {"text": "   "})

    assertContains(response, "This field is required")
    assert not Appeal.objects.exists()


def test_an_appeal_after_the_window_is_refused_in_words(alice_client, warning):
    Sanction.objects.filter(pk=warning.pk).update(
        imposed_at=warning.imposed_at - timedelta(days=30)
    )

    response = alice_client.post(appeal_url(warning), {"text": "late"})

    assertContains(response, "The time to appeal has passed")
    assert not Appeal.objects.exists()


def test_someone_elses_sanction_and_appeal_are_404(client, bob, alice, warning):
    appeal = file_appeal(warning, user=alice, text="Please.")
    client.force_login(bob)

    assert client.get(appeal_url(warning)).status_code == 404
    assert client.post(appeal_url(warning), {"text": "mine"}).status_code == 404
    assert client.get(reverse("moderation:appeal", args=[appeal.pk])).status_code == 404
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/account/decisions/abc/appeal/",
        "/account/decisions/99999999999999999999999/appeal/",
        "/account/appeals/99999999999999999999999/",
        "/account/appeals/0/",
        "/messages/99999999999999999999999/appeal/",
        "/accounts/suspended/99999999999999999999999/appeal/",
    ],
)
def test_junk_ids_are_404_or_refused_never_a_500(alice_client, path):
    assert alice_client.get(path).status_code in (404, 405)
    assert alice_client.post(path, {"text": "x", "token": "x"}).status_code in (400, 404, 405)


# --- the appeal's page --------------------------------------------------------------------


def test_the_appeal_page_shows_the_question_and_takes_the_answer(alice_client, alice, warning):
    appeal = file_appeal(warning, user=alice, text="Please.")
    ask_appeal_question(appeal, moderator=ModeratorFactory(), question="Which links?")
    url = reverse("moderation:appeal", args=[appeal.pk])

    assertContains(alice_client.get(url), "Which links?")
    response = alice_client.post(url, {"answer": "Only my own blog."})

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.answer, appeal.status) == ("Only my own blog.", Appeal.Status.OPEN)


def test_an_answer_without_a_question_is_refused_with_a_message(alice_client, alice, warning):
    appeal = file_appeal(warning, user=alice, text="Please.")
    url = reverse("moderation:appeal", args=[appeal.pk])

    response = alice_client.post(url, {"answer": "unasked"}, follow=True)

    assertContains(response, "There is no question waiting for your answer.")
    appeal.refresh_from_db()
    assert appeal.answer == ""


def test_the_appeal_page_shows_the_decision_and_its_reason(alice_client, alice, warning):
    appeal = file_appeal(warning, user=alice, text="Please.")
    reject_appeal(appeal, moderator=ModeratorFactory(username="zed"), reason="Spam is spam.")

    response = alice_client.get(reverse("moderation:appeal", args=[appeal.pk]))

    assertContains(response, "Rejected: the decision stands")
    assertContains(response, "Spam is spam.")
    assertNotContains(response, "zed")


# --- links to the pages ------------------------------------------------------------------


def test_the_inbox_links_the_decisions_page_when_there_is_a_sanction(alice_client, warning):
    response = alice_client.get(reverse("messaging:inbox"))
    assertContains(response, f'href="{DECISIONS}"')


def test_the_inbox_has_no_link_without_any_sanction(alice_client):
    assertNotContains(alice_client.get(reverse("messaging:inbox")), f'href="{DECISIONS}"')


def test_the_inbox_link_costs_one_query(alice_client, warning):
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse("messaging:inbox"))
    sanction_queries = [q for q in queries.captured_queries if "moderation_sanction" in q["sql"]]
    assert len(sanction_queries) == 1


def test_a_hidden_message_offers_its_author_an_appeal(alice_client, hidden_message):
    response = alice_client.get(reverse("messaging:thread", args=[hidden_message.pk]))

    link = reverse("moderation:appeal_message", args=[hidden_message.pk])
    assertContains(response, f'href="{link}"')
    target = alice_client.get(link)
    sanction = Sanction.objects.get(kind=Sanction.Kind.HIDE)
    assert target["Location"] == appeal_url(sanction)


def test_the_hidden_messages_reader_gets_no_appeal_link(client, bob, hidden_message):
    client.force_login(bob)
    response = client.get(reverse("messaging:thread", args=[hidden_message.pk]))

    assertNotContains(response, reverse("moderation:appeal_message", args=[hidden_message.pk]))
    assert (
        client.get(reverse("moderation:appeal_message", args=[hidden_message.pk])).status_code
        == 404
    )


def test_a_message_without_a_sanction_explains_why(alice_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    response = alice_client.get(reverse("moderation:appeal_message", args=[message.pk]))

    assertContains(response, "decision about this message is on record")


# --- the suspended login page ------------------------------------------------------------


@pytest.fixture
def suspended(alice, kim):
    suspend_user(alice, moderator=kim, reason="spam")
    alice.refresh_from_db()
    return Sanction.objects.get(kind=Sanction.Kind.SUSPEND)


def token_from(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "the page holds no token"
    return match.group(1)


def log_in(client):
    return client.post(LOGIN, {"username": "alice", "password": PASSWORD})


def test_the_suspended_page_offers_an_appeal_after_the_right_password(client, suspended):
    response = log_in(client)

    assertContains(response, "Appeal the suspension")
    assertContains(response, reverse("moderation:suspended_appeal", args=[suspended.pk]))
    assert token_from(response)


def test_a_wrong_password_shows_no_appeal_form(client, suspended):
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assertNotContains(response, "Appeal the suspension")
    assertNotContains(response, 'name="token"')


def test_a_suspended_person_appeals_with_the_pages_token(client, alice, suspended):
    token = token_from(log_in(client))

    response = client.post(
        reverse("moderation:suspended_appeal", args=[suspended.pk]),
        {"token": token, "text": "I did not send spam."},
    )

    assertContains(response, "Your appeal was sent.")
    appeal = Appeal.objects.get()
    assert (appeal.user, appeal.sanction, appeal.text) == (alice, suspended, "I did not send spam.")
    assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()  # not a login, not a failure


def test_the_suspended_page_shows_the_appeal_question_and_takes_the_answer(
    client, alice, suspended
):
    appeal = file_appeal(suspended, user=alice, text="I did not send spam.")
    ask_appeal_question(appeal, moderator=ModeratorFactory(), question="What did you send?")

    page = log_in(client)
    assertContains(page, "What did you send?")
    response = client.post(
        reverse("moderation:suspended_answer", args=[suspended.pk]),
        {"token": token_from(page), "answer": "Birthday wishes."},
    )

    assertContains(response, "Your answer was sent.")
    appeal.refresh_from_db()
    assert appeal.answer == "Birthday wishes."


def test_the_suspended_page_shows_the_rejection_and_its_reason(client, alice, suspended):
    appeal = file_appeal(suspended, user=alice, text="I did not send spam.")
    reject_appeal(appeal, moderator=ModeratorFactory(), reason="Forty links in an hour.")

    response = log_in(client)

    assertContains(response, "Rejected: the decision stands")
    assertContains(response, "Forty links in an hour.")


def test_after_an_approved_appeal_the_person_logs_in(client, alice, suspended):
    appeal = file_appeal(suspended, user=alice, text="I did not send spam.")
    approve_appeal(appeal, moderator=ModeratorFactory(), reason="Right, sorry.")

    assert log_in(client).status_code == 302


@pytest.mark.parametrize(
    "token",
    [
        "",
        "forged",
        signing.dumps({"user": 1, "sanction": 1}, salt="another salt"),
    ],
)
def test_a_forged_token_writes_nothing(client, suspended, token):
    response = client.post(
        reverse("moderation:suspended_appeal", args=[suspended.pk]),
        {"token": token, "text": "forged"},
    )

    assertContains(response, "This form is no longer valid", status_code=400)
    assert not Appeal.objects.exists()


def test_a_token_for_another_sanction_writes_nothing(client, alice, bob, suspended, kim):
    suspend_user(bob, moderator=kim, reason="spam")
    bobs = Sanction.objects.get(user=bob)
    alices_other = SanctionFactory(user=alice, imposed_by=kim)  # a second suspension row
    token = appeal_token(user_id=alice.pk, sanction_id=suspended.pk)

    for other in (bobs, alices_other):
        response = client.post(
            reverse("moderation:suspended_appeal", args=[other.pk]), {"token": token, "text": "x"}
        )
        assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_an_expired_token_writes_nothing(client, alice, suspended):
    token = appeal_token(user_id=alice.pk, sanction_id=suspended.pk)
    later = signing.time.time() + APPEAL_TOKEN_MAX_AGE + 1
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(
            reverse("moderation:suspended_appeal", args=[suspended.pk]),
            {"token": token, "text": "late"},
        )

    assertContains(response, "This form is no longer valid", status_code=400)
    assert not Appeal.objects.exists()


def test_a_get_to_the_suspended_appeal_does_nothing(client, suspended):
    assert (
        client.get(reverse("moderation:suspended_appeal", args=[suspended.pk])).status_code == 405
    )


def test_the_token_is_signed_with_its_own_salt(alice, suspended):
    token = appeal_token(user_id=alice.pk, sanction_id=suspended.pk)
    assert signing.loads(token, salt=APPEAL_TOKEN_SALT) == {
        "user": alice.pk,
        "sanction": suspended.pk,
    }
    with pytest.raises(signing.BadSignature):
        signing.loads(token)


def test_an_empty_suspended_appeal_keeps_the_token_and_shows_the_error(client, suspended):
    token = token_from(log_in(client))

    response = client.post(
        reverse("moderation:suspended_appeal", args=[suspended.pk]), {"token": token, "text": ""}
    )

    assertContains(response, "This field is required", status_code=400)
    assert token_from(response)
    assert not Appeal.objects.exists()


def test_the_appeal_pages_never_show_the_hidden_message_to_others(client, bob, hidden_message):
    assert Message.objects.get(pk=hidden_message.pk).is_hidden
    client.force_login(bob)
    sanction = Sanction.objects.get(kind=Sanction.Kind.HIDE)

    assert client.get(appeal_url(sanction)).status_code == 404


def test_the_decisions_page_costs_the_same_queries_for_many_sanctions(
    alice_client, alice, kim, warning, django_assert_max_num_queries
):
    file_appeal(warning, user=alice, text="Please.")
    alice_client.get(DECISIONS)  # warm the session
    with CaptureQueriesContext(connection) as one:
        alice_client.get(DECISIONS)

    for _ in range(10):
        warn_user(alice, moderator=kim, reason="spam", warning="Again.")
    with django_assert_max_num_queries(len(one)):
        response = alice_client.get(DECISIONS)
    assert len(response.context["rows"]) == 11


def test_posting_a_token_gives_back_the_same_token_not_a_fresh_one(client, suspended):
    token = token_from(log_in(client))

    a_minute_later = signing.time.time() + 60  # a fresh token would differ from it
    with mock.patch("django.core.signing.time.time", return_value=a_minute_later):
        response = client.post(
            reverse("moderation:suspended_appeal", args=[suspended.pk]),
            {"token": token, "text": ""},
        )

    assert token_from(response) == token
