"""The appeals queue and an appeal's page (admin_ext/admin/appeals.py), through
the test client: the queue's order, filter and query budget; the page's
sanction, evidence, appeal and exchange; four eyes in the forms; the POSTs
through the services, and a GET that does nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from messaging.models import Message
from moderation.models import Appeal, Sanction
from moderation.services import (
    ask_appeal_question,
    file_appeal,
    hide_message,
    suspend_user,
    warn_user,
)
from tests.factories import AppealFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:moderation_appeal_changelist")
# A page of the queue costs this many queries whatever the number of appeals (the
# session, the user, the role policy's group look-up, the count, the rows).
QUEUE_QUERY_BUDGET = 8


def page_url(appeal: Appeal, name: str = "change") -> str:
    return reverse(f"admin:moderation_appeal_{name}", args=[appeal.pk])


def listed(client, **params) -> list[Appeal]:
    response = client.get(QUEUE_URL, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def kim(db):
    return ModeratorFactory(username="kim")


@pytest.fixture
def hidden_appeal(alice, bob, kim):
    """alice's message, reported by bob, hidden by kim in the case; alice appeals."""
    report = reported_message(
        author=alice, reporter=bob, content="Zqxwv the reported words", comment="Rude to me"
    )
    message = Message.objects.get(pk=report.reported_message_id)
    hide_message(message, moderator=kim, reason="rude", case=report.case)
    sanction = Sanction.objects.get(kind=Sanction.Kind.HIDE)
    return file_appeal(sanction, user=alice, text="I was quoting a film.")


@pytest.fixture
def warning_appeal(alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop the links.")
    return file_appeal(Sanction.objects.get(), user=alice, text="They were my own links.")


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_lists_waiting_appeals_oldest_first(moderator_client, alice, bob):
    newer = AppealFactory(sanction__user=alice)
    older = AppealFactory(sanction__user=bob)
    Appeal.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=2))
    asked = AppealFactory(status=Appeal.Status.ASKED)

    assert listed(moderator_client) == [older, newer]
    assert listed(moderator_client, status="asked") == [asked]
    assert len(listed(moderator_client, status="all")) == 3


def test_the_queue_shows_person_kind_imposer_and_status(moderator_client, warning_appeal):
    response = moderator_client.get(QUEUE_URL)

    for words in ("alice", "Warning", "kim", "Waiting for a moderator"):
        assertContains(response, words)


def test_a_queue_page_costs_the_same_queries_for_30_appeals_as_for_3(
    moderator_client, django_assert_max_num_queries
):
    for _ in range(3):
        AppealFactory()
    moderator_client.get(QUEUE_URL)  # warm the session and content type caches
    with CaptureQueriesContext(connection) as three:
        assert len(listed(moderator_client)) == 3

    for _ in range(27):
        AppealFactory()
    with django_assert_max_num_queries(len(three)):
        assert len(listed(moderator_client)) == 30
    assert len(three) <= QUEUE_QUERY_BUDGET


def test_an_unknown_status_shows_the_queue(moderator_client, warning_appeal):
    assert listed(moderator_client, status="nonsense") == [warning_appeal]


def test_the_queue_offers_no_action_that_changes_data(moderator_client, warning_appeal):
    response = moderator_client.get(QUEUE_URL)
    assert not response.context["cl"].model_admin.get_actions(response.wsgi_request)


# --- the page ---------------------------------------------------------------------------


def test_the_page_shows_the_sanction_the_evidence_and_the_appeal(moderator_client, hidden_appeal):
    response = moderator_client.get(page_url(hidden_appeal))

    assertContains(response, "Message hidden")
    assertContains(response, "Zqxwv the reported words")  # the hidden message, and the evidence
    assertContains(response, "Rude to me")  # the report's comment: the case's evidence
    assertContains(response, reverse("admin:moderation_case_change", args=[hidden_appeal.case_id]))
    assertContains(response, "I was quoting a film.")
    assertContains(response, "kim")  # who imposed it


def test_the_page_shows_the_warnings_words_and_the_exchange(
    moderator_client, moderator, warning_appeal
):
    ask_appeal_question(warning_appeal, moderator=moderator, question="Which links?")

    response = moderator_client.get(page_url(warning_appeal))

    assertContains(response, "Stop the links.")
    assertContains(response, "Which links?")
    assertContains(response, "No answer yet.")


def test_the_page_never_saves(moderator_client, warning_appeal):
    response = moderator_client.post(page_url(warning_appeal), {"status": "approved"})

    assert response.status_code == 403
    assert Appeal.objects.get().status == Appeal.Status.OPEN


def test_another_moderator_sees_the_forms(moderator_client, warning_appeal):
    response = moderator_client.get(page_url(warning_appeal))

    assertContains(response, page_url(warning_appeal, "decide"))
    assertContains(response, page_url(warning_appeal, "ask"))
    assertContains(response, "Reason, as the person will read it")


def test_the_imposer_sees_why_not_instead_of_the_forms(client, kim, warning_appeal):
    client.force_login(kim)
    response = client.get(page_url(warning_appeal))

    assertContains(response, "four eyes")
    assertNotContains(response, page_url(warning_appeal, "decide"))
    assertNotContains(response, page_url(warning_appeal, "ask"))


def test_a_superuser_sees_the_forms_on_their_own_sanctions_appeal(
    superuser_client, superuser, alice
):
    warn_user(alice, moderator=superuser, reason="spam", warning="Stop.")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text="Please.")

    assertContains(superuser_client.get(page_url(appeal)), page_url(appeal, "decide"))


def test_the_ask_form_goes_once_a_question_was_asked(moderator_client, moderator, warning_appeal):
    ask_appeal_question(warning_appeal, moderator=moderator, question="Which links?")

    response = moderator_client.get(page_url(warning_appeal))

    assertNotContains(response, page_url(warning_appeal, "ask"))
    assertContains(response, page_url(warning_appeal, "decide"))


def test_a_missing_or_junk_appeal_is_not_a_server_error(moderator_client):
    for object_id in ("999", "abc", "99999999999999999999999"):
        url = f"{QUEUE_URL}{object_id}/change/"
        assert moderator_client.get(url).status_code in (302, 404)
        decide = f"{QUEUE_URL}{object_id}/decide/"
        assert moderator_client.post(decide, {}).status_code == 404


# --- the POSTs --------------------------------------------------------------------------


def decide(client, appeal, decision: str, reason: str):
    return client.post(
        page_url(appeal, "decide"), {"decide-decision": decision, "decide-reason": reason}
    )


def test_approving_reverses_the_sanction(moderator_client, hidden_appeal):
    response = decide(moderator_client, hidden_appeal, "approve", "Quoting is fine.")

    assert response.status_code == 302
    assert response["Location"] == page_url(hidden_appeal)
    hidden_appeal.refresh_from_db()
    assert hidden_appeal.status == Appeal.Status.APPROVED
    assert not Message.objects.get(pk=hidden_appeal.sanction.message_id).is_hidden


def test_approving_a_suspensions_appeal_lifts_it(moderator_client, alice, kim):
    suspend_user(alice, moderator=kim, reason="spam")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text="Please.")

    decide(moderator_client, appeal, "approve", "Not spam.")

    alice.refresh_from_db()
    assert alice.is_active


def test_rejecting_needs_the_reason(moderator_client, warning_appeal):
    response = decide(moderator_client, warning_appeal, "reject", "")

    assert response.status_code == 200
    assertContains(response, "This field is required")
    assert Appeal.objects.get().status == Appeal.Status.OPEN


def test_rejecting_with_a_reason_keeps_the_sanction(moderator_client, warning_appeal):
    response = decide(moderator_client, warning_appeal, "reject", "Spam is spam.")

    assert "Appeal rejected: the person is told why." in flash(response)
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.decision_reason) == (Appeal.Status.REJECTED, "Spam is spam.")
    assert appeal.sanction.is_active


def test_the_imposers_post_is_refused_with_a_message(client, kim, warning_appeal):
    client.force_login(kim)

    response = decide(client, warning_appeal, "approve", "I was wrong.")

    assert response.status_code == 302
    assert any("four eyes" in words for words in flash(response))
    assert Appeal.objects.get().status == Appeal.Status.OPEN


def test_a_second_decision_says_who_decided(moderator_client, superuser, warning_appeal):
    decide(moderator_client, warning_appeal, "reject", "Spam is spam.")
    moderator_client.force_login(superuser)

    response = decide(moderator_client, warning_appeal, "approve", "Changed my mind.")

    assert any("already decided by moderator" in words for words in flash(response))
    assert Appeal.objects.get().status == Appeal.Status.REJECTED


def test_asking_sends_the_question(moderator_client, warning_appeal):
    response = moderator_client.post(
        page_url(warning_appeal, "ask"), {"ask-question": "Which links?"}
    )

    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.question) == (Appeal.Status.ASKED, "Which links?")


def test_a_get_to_the_decide_and_ask_urls_does_nothing(moderator_client, warning_appeal):
    for name in ("decide", "ask"):
        response = moderator_client.get(
            page_url(warning_appeal, name),
            {"decide-decision": "approve", "decide-reason": "x", "ask-question": "?"},
        )
        assert response.status_code == 405
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.question) == (Appeal.Status.OPEN, "")


def test_a_forged_decision_is_a_form_error(moderator_client, warning_appeal):
    response = decide(moderator_client, warning_appeal, "delete", "x")

    assert response.status_code == 200
    assert Appeal.objects.get().status == Appeal.Status.OPEN


def test_plain_staff_may_not_decide(client, warning_appeal):
    client.force_login(UserFactory(username="helper", is_staff=True))

    response = decide(client, warning_appeal, "approve", "sure")

    assert response.status_code == 403
    assert Appeal.objects.get().status == Appeal.Status.OPEN
