"""Claiming cases in the admin (admin_ext/admin/case_claims.py): the case page's
Claim and Release buttons, the queue's "held by" column and "Claim selected
cases" action, the confirmation an action on someone else's case needs, their
refusals as messages (never a server error), and the query budgets kept."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from moderation import services
from moderation.models import Case
from moderation.services import CaseAction, claim_case
from tests.admin_ext.test_cases_admin import (
    CASE_PAGE_QUERY_BUDGET,
    QUEUE_QUERY_BUDGET,
    act_data,
    case_url,
    closed_case,
)
from tests.factories import ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:moderation_case_changelist")


@pytest.fixture
def case(alice):
    return reported_message(author=alice).case


@pytest.fixture
def holder(db):
    return ModeratorFactory(username="holder")


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def claimant(case: Case):
    return Case.objects.select_related("claimed_by").get(pk=case.pk).claimed_by


# --- the case page ------------------------------------------------------------------------


def test_the_case_page_says_nobody_holds_it_and_offers_the_claim(moderator_client, case):
    response = moderator_client.get(case_url(case))

    assertContains(response, "Nobody holds this case.")
    assertContains(response, f'action="{case_url(case, "claim")}"')
    assertNotContains(response, f'action="{case_url(case, "release")}"')
    assert "despite_claim" not in response.context["case_act_form"].fields


def test_a_moderator_claims_a_case_from_its_page(moderator_client, moderator, case):
    response = moderator_client.post(case_url(case, "claim"))

    assert response.status_code == 302
    assert claimant(case) == moderator
    assert flash(response)[0].startswith(f"You hold case #{case.pk}")
    page = moderator_client.get(case_url(case))
    assertContains(page, "You hold")
    assertContains(page, "Renew my claim")
    assertContains(page, f'action="{case_url(case, "release")}"')
    assert AuditEntry.objects.filter(
        case_id=case.pk, action=AuditEntry.Action.CASE_CLAIMED, actor=moderator
    ).exists()


def test_everyone_sees_who_holds_the_case_and_since_when(moderator_client, holder, case):
    claim = claim_case(case, moderator=holder)

    response = moderator_client.get(case_url(case))

    assertContains(response, "<strong>holder</strong> holds")
    assertContains(response, claim.since.strftime("%Y-%m-%d %H:%M"))
    assertNotContains(response, f'action="{case_url(case, "claim")}"')
    assertNotContains(response, f'action="{case_url(case, "release")}"')


def test_claiming_a_case_another_holds_is_refused_with_a_message(moderator_client, holder, case):
    claim_case(case, moderator=holder)

    response = moderator_client.post(case_url(case, "claim"))

    assert response.status_code == 302
    assert "holder holds this case since" in flash(response)[0]
    assert claimant(case) == holder


def test_claiming_a_closed_case_is_refused_with_a_message(moderator_client, moderator, case):
    services.act_on_case(case, moderator=moderator, actions=[CaseAction.DISMISS], reason="x")

    response = moderator_client.post(case_url(case, "claim"))

    assert response.status_code == 302
    assert flash(response) == [f"Case #{case.pk} is closed: there is nothing to claim."]
    assert claimant(case) is None


@pytest.mark.parametrize("forged", ["999999", "abc", "9" * 30, "-1"])
@pytest.mark.parametrize("name", ["claim", "release"])
def test_a_forged_case_id_is_not_found(moderator_client, forged, name):
    url = reverse("admin:moderation_case_change", args=[1]).replace("/1/", f"/{forged}/")
    url = url.replace("/change/", f"/{name}/")

    assert moderator_client.post(url).status_code == 404


def test_claim_and_release_answer_only_posts(moderator_client, case):
    assert moderator_client.get(case_url(case, "claim")).status_code == 405
    assert moderator_client.get(case_url(case, "release")).status_code == 405


def test_staff_without_the_moderator_role_cannot_claim(client, case):
    client.force_login(UserFactory(is_staff=True))

    assert client.post(case_url(case, "claim")).status_code == 403
    assert claimant(case) is None


def test_the_holder_releases_the_case(moderator_client, moderator, case):
    claim_case(case, moderator=moderator)

    response = moderator_client.post(case_url(case, "release"))

    assert flash(response) == [f"Case #{case.pk} released: anyone may claim it."]
    assert claimant(case) is None


def test_another_moderator_cannot_release_the_case(moderator_client, holder, case):
    claim_case(case, moderator=holder)

    response = moderator_client.post(case_url(case, "release"))

    assert response.status_code == 302
    assert "only they or a superuser" in flash(response)[0]
    assert claimant(case) == holder


def test_a_superuser_releases_anyones_claim_from_the_page(superuser_client, holder, case):
    claim_case(case, moderator=holder)

    page = superuser_client.get(case_url(case))
    assertContains(page, f'action="{case_url(case, "release")}"')
    superuser_client.post(case_url(case, "release"))

    assert claimant(case) is None


# --- acting on a case someone else holds ---------------------------------------------------


def test_the_action_form_asks_to_confirm_another_moderators_claim(moderator_client, holder, case):
    claim_case(case, moderator=holder)

    response = moderator_client.get(case_url(case))

    assertContains(response, "I know holder holds this case")


def test_acting_on_a_held_case_without_confirmation_is_refused(moderator_client, holder, case):
    claim_case(case, moderator=holder)

    response = moderator_client.post(case_url(case, "act"), act_data(CaseAction.DISMISS))

    assert response.status_code == 200  # the page again, with the moderator's input
    assertContains(response, "holder holds this case since")
    assertContains(response, "confirm that you act on it anyway")
    assert Case.objects.get(pk=case.pk).is_open


def test_acting_on_a_held_case_with_confirmation_runs(moderator_client, holder, case):
    claim_case(case, moderator=holder)

    data = {**act_data(CaseAction.DISMISS), "act-despite_claim": "on"}
    response = moderator_client.post(case_url(case, "act"), data)

    assert response.status_code == 302
    assert not Case.objects.get(pk=case.pk).is_open


def test_a_superuser_acts_on_a_held_case_without_confirmation(superuser_client, holder, case):
    claim_case(case, moderator=holder)

    page = superuser_client.get(case_url(case))
    assert "despite_claim" not in page.context["case_act_form"].fields
    superuser_client.post(case_url(case, "act"), act_data(CaseAction.DISMISS))

    assert not Case.objects.get(pk=case.pk).is_open


def test_the_holder_acts_without_confirmation(moderator_client, moderator, case):
    claim_case(case, moderator=moderator)

    moderator_client.post(case_url(case, "act"), act_data(CaseAction.DISMISS))

    assert not Case.objects.get(pk=case.pk).is_open


def test_a_bulk_action_refuses_held_cases_unless_confirmed(moderator_client, holder, alice, bob):
    held = reported_message(author=alice).case
    free = reported_message(author=bob).case
    claim_case(held, moderator=holder)
    data = {
        "action": "act_on_cases",
        "_selected_action": [held.pk, free.pk],
        "apply": "yes",
        **act_data(CaseAction.DISMISS),
    }

    response = moderator_client.post(QUEUE_URL, data)

    assert any("holder holds this case" in text for text in flash(response))
    assert (Case.objects.get(pk=held.pk).is_open, Case.objects.get(pk=free.pk).is_open) == (
        True,
        False,
    )
    moderator_client.post(QUEUE_URL, {**data, "act-despite_claim": "on"})
    assert not Case.objects.get(pk=held.pk).is_open


# --- the queue ------------------------------------------------------------------------------


def test_the_queue_shows_who_holds_each_case(moderator_client, holder, alice, bob):
    held = reported_message(author=alice).case
    reported_message(author=bob)
    claim = claim_case(held, moderator=holder)

    response = moderator_client.get(QUEUE_URL)

    assertContains(response, '<span class="caseadmin-claim">holder, <time')
    assertContains(response, claim.since.isoformat())
    assertContains(response, "—")


def test_the_queue_claims_selected_cases(moderator_client, moderator, holder, alice, bob):
    held = reported_message(author=alice).case
    free = reported_message(author=bob).case
    claim_case(held, moderator=holder)

    response = moderator_client.post(
        QUEUE_URL, {"action": "claim_cases", "_selected_action": [held.pk, free.pk]}
    )

    assert response.status_code == 302
    assert (claimant(held), claimant(free)) == (holder, moderator)
    messages = flash(response)
    assert any(text.startswith(f"You hold case #{free.pk}") for text in messages)
    assert any("holder holds this case" in text for text in messages)


def test_the_queue_action_refuses_a_closed_case_by_name(moderator_client, moderator, alice):
    report = reported_message(author=alice)
    closed = closed_case(report, moderator)

    response = moderator_client.post(
        QUEUE_URL, {"action": "claim_cases", "_selected_action": [closed.pk], "status": "all"}
    )

    assert flash(response) == [f"Case #{closed.pk} is closed: there is nothing to claim."]


def test_staff_without_the_role_cannot_claim_from_the_queue(client, case):
    client.force_login(UserFactory(is_staff=True))

    response = client.post(QUEUE_URL, {"action": "claim_cases", "_selected_action": [case.pk]})

    assert response.status_code == 403
    assert claimant(case) is None


# --- query budgets --------------------------------------------------------------------------


def test_the_queue_shows_claims_without_a_query_per_row(
    moderator_client, django_assert_max_num_queries
):
    for _ in range(3):
        claim_case(reported_message().case, moderator=ModeratorFactory())
    moderator_client.get(QUEUE_URL)  # warm the session and content type caches
    with CaptureQueriesContext(connection) as three_cases:
        moderator_client.get(QUEUE_URL)

    for _ in range(27):
        claim_case(reported_message().case, moderator=ModeratorFactory())
    with django_assert_max_num_queries(len(three_cases)):
        response = moderator_client.get(QUEUE_URL)
    assertContains(response, 'class="caseadmin-claim"', count=30)
    assert len(three_cases) <= QUEUE_QUERY_BUDGET


def test_the_case_page_of_a_held_case_keeps_its_budget(
    moderator_client, holder, case, django_assert_max_num_queries
):
    claim_case(case, moderator=holder)
    moderator_client.get(case_url(case))  # warm the caches

    with django_assert_max_num_queries(CASE_PAGE_QUERY_BUDGET):
        response = moderator_client.get(case_url(case))
    assertContains(response, "I know holder holds this case")


def test_the_bulk_page_asks_to_confirm_only_when_someone_else_holds_a_case(
    moderator_client, holder, alice, bob
):
    held = reported_message(author=alice).case
    free = reported_message(author=bob).case
    data = {"action": "act_on_cases", "_selected_action": [free.pk]}

    page = moderator_client.post(QUEUE_URL, data)
    assert "despite_claim" not in page.context["act_form"].fields

    claim_case(held, moderator=holder)
    page = moderator_client.post(QUEUE_URL, {**data, "_selected_action": [held.pk, free.pk]})
    assertContains(page, "Act on cases another moderator holds")
