"""admin_ext.admin.sanctions: the desk's read-only list of sanctions, filtered by
kind, state and how they ended, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from moderation.models import Sanction
from moderation.sanctions import lift_expired_sanctions
from moderation.services import lift_suspension, suspend_user, warn_user
from tests.factories import SanctionFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:moderation_sanction_changelist")


def listed(response) -> list[int]:
    return [sanction.pk for sanction in response.context["cl"].result_list]


@pytest.fixture
def history(alice, bob, moderator):
    """alice: a warning ended on time and a suspension lifted; bob: suspended a week."""
    ends_at = timezone.now() + timedelta(days=1)
    warn_user(alice, moderator=moderator, reason="r", warning="w", ends_at=ends_at)
    lift_expired_sanctions(now=ends_at)
    suspend_user(alice, moderator=moderator, reason="r")
    lift_suspension(alice, moderator=moderator, reason="served")
    suspend_user(bob, moderator=moderator, reason="r", ends_at=timezone.now() + timedelta(days=7))
    return {
        (row.user.username, row.kind): row.pk for row in Sanction.objects.select_related("user")
    }


def test_the_desk_sees_who_is_under_what_and_how_it_ended(moderator_client, history):
    response = moderator_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(listed(response)) == 3
    assertContains(response, "Ended on time")
    assertContains(response, "Lifted by a moderator (moderator)")
    assertContains(response, "when lifted")
    assertContains(response, 'class="msgadmin-link">bob</a>')


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"active": "yes"}, {("bob", "suspend")}),
        ({"active": "no"}, {("alice", "warn"), ("alice", "suspend")}),
        ({"kind__exact": "warn"}, {("alice", "warn")}),
        ({"ending__exact": "lifted"}, {("alice", "suspend")}),
        ({"q": "bob"}, {("bob", "suspend")}),
    ],
)
def test_the_filters(moderator_client, history, query, expected):
    response = moderator_client.get(CHANGELIST, query)

    assert set(listed(response)) == {history[key] for key in expected}


def test_the_list_costs_the_same_queries_for_few_and_many(
    moderator_client, moderator, django_assert_max_num_queries
):
    def page_queries() -> int:
        with django_assert_max_num_queries(12) as captured:
            assert moderator_client.get(CHANGELIST).status_code == 200
        return len(captured)

    case = reported_message().case
    SanctionFactory(case=case)
    few = page_queries()
    for _ in range(15):
        SanctionFactory(user=UserFactory(), imposed_by=moderator, case=case)

    assert page_queries() == few


def test_a_sanctions_page_shows_it_and_offers_no_change(moderator_client, history):
    response = moderator_client.get(
        reverse("admin:moderation_sanction_change", args=[history[("bob", "suspend")]])
    )

    assert response.status_code == 200
    assertContains(response, "moderator")  # who imposed it
    assert not response.context["has_change_permission"]
    assert not response.context["has_delete_permission"]


def test_nobody_adds_or_deletes_one(superuser_client, history):
    sanction_id = history[("bob", "suspend")]

    add = superuser_client.get(reverse("admin:moderation_sanction_add"))
    delete = superuser_client.post(
        reverse("admin:moderation_sanction_delete", args=[sanction_id]), {"post": "yes"}
    )

    assert add.status_code == 403 and delete.status_code == 403
    assert Sanction.objects.filter(pk=sanction_id).exists()


def test_staff_outside_the_desk_cannot_list_them(client, history):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
