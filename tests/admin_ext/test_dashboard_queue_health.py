"""The dashboard's queue health: the oldest waits, cases opened and closed per day,
the moderators' week and the appeals overturned, for those who see cases."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from admin_ext.admin.dashboard import overturn_share
from admin_ext.admin.dashboard_figures import dashboard_figures
from moderation.claims import claim_case
from moderation.models import Appeal, Case
from moderation.services import act_on_case
from moderation_site.dashboard_cache import DASHBOARD_FIGURES_KEY
from tests.admin_ext.test_dashboard import charts
from tests.factories import AppealFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

QUEUE_CARDS = {"Oldest open case", "Oldest open appeal", "Appeals overturned"}
# The dashboard of a moderator when its figures are cached: the session, the
# account, its group and permissions (twice: role and admin), the recent actions
# (tests/admin_ext/test_dashboard.py pins that the figures add none).
WARM_PAGE_QUERIES = 6


@pytest.fixture
def queue(moderator):
    """An open case opened 3 h ago and one 20 min ago, claimed and acted on by
    mona (a case closed today); an open appeal 2 days old and a younger one, an
    older appeal waiting for the person's answer, and two decided appeals of
    which one overturned its sanction."""
    now = timezone.now()
    oldest = reported_message().case
    Case.objects.filter(pk=oldest.pk).update(opened_at=now - timedelta(hours=3))
    reported_message()
    mona = ModeratorFactory(username="mona")
    worked = reported_message().case
    claim_case(worked, moderator=mona)
    act_on_case(worked, moderator=mona, actions=["hide", "warn"], reason="Abuse", warning="Stop")
    claim_case(reported_message().case, moderator=moderator)
    AppealFactory(status=Appeal.Status.ASKED, created_at=now - timedelta(days=9))
    waiting = AppealFactory(created_at=now - timedelta(days=2))
    AppealFactory(created_at=now - timedelta(hours=1))
    AppealFactory(status=Appeal.Status.APPROVED, decided_at=now)
    AppealFactory(status=Appeal.Status.REJECTED, decided_at=now)
    return {"oldest_case": oldest, "waiting_appeal": waiting}


def queue_cards(response) -> dict:
    return {card["title"]: card for card in response.context["dashboard"]["queue_cards"]}


def test_a_moderator_sees_the_queue_health_cards(moderator_client, queue):
    response = moderator_client.get(reverse("admin:index"))

    cards = queue_cards(response)
    assert {title: card["value"] for title, card in cards.items()} == {
        "Oldest open case": "3 h",
        "Oldest open appeal": "2 d",  # not the older one waiting for the person's answer
        "Appeals overturned": "1 of 2 (50%)",
    }
    content = response.content.decode()
    for text in (*QUEUE_CARDS, "1 of 2 (50%)", "appeals decided in the last 30 days"):
        assert text in content


def test_the_oldest_case_card_opens_that_case(moderator_client, queue):
    response = moderator_client.get(reverse("admin:index"))

    href = queue_cards(response)["Oldest open case"]["href"]
    assert href == reverse("admin:moderation_case_change", args=[queue["oldest_case"].pk])
    assert href in response.content.decode()
    assert moderator_client.get(href).status_code == 200


def test_the_moderators_table_shows_the_week_busiest_first(moderator_client, queue):
    response = moderator_client.get(reverse("admin:index"))

    table = response.context["dashboard"]["moderators"]
    assert table == {
        "headers": ["Moderator", "Actions", "Claims"],
        "rows": [["mona", 2, 1], ["moderator", 0, 1]],
    }
    table_html = response.content.decode().split("Moderators, last 7 days", 1)[1]
    cells = re.findall(r">\s*([^<>]*?)\s*</td>", table_html.split("</table>", 1)[0])
    assert [cell for cell in cells if cell] == ["mona", "2", "1", "moderator", "0", "1"]


def test_the_flow_chart_has_cases_opened_and_closed_per_day(moderator_client, queue):
    content = moderator_client.get(reverse("admin:index")).content.decode()

    messages_chart, _actions_chart, flow_chart = charts(content)

    assert "Cases opened and closed per day, last 30 days" in content
    assert 'data-type="line"' in content
    assert flow_chart["value"]["labels"] == messages_chart["value"]["labels"]
    opened, closed = flow_chart["value"]["datasets"]
    assert (opened["label"], closed["label"]) == ("Opened", "Closed")
    # The oldest case opened 3 h ago: yesterday, just after midnight.
    assert (len(opened["data"]), sum(opened["data"][-2:]), sum(opened["data"])) == (30, 4, 4)
    assert closed["data"] == [0] * 29 + [1]
    assert flow_chart["options"]["plugins"]["legend"]["display"] is True
    assert flow_chart["options"]["scales"]["y"]["beginAtZero"] is True


def test_an_empty_queue_reads_as_none(moderator_client):
    response = moderator_client.get(reverse("admin:index"))

    assert {title: card["value"] for title, card in queue_cards(response).items()} == {
        "Oldest open case": "none",
        "Oldest open appeal": "none",
        "Appeals overturned": "none decided",
    }
    assert all(card["href"] is None for card in queue_cards(response).values())
    assert response.context["dashboard"]["moderators"]["rows"] == []


def test_only_appeals_waiting_for_the_person_leave_no_open_appeal(moderator_client):
    AppealFactory(status=Appeal.Status.ASKED, created_at=timezone.now() - timedelta(days=9))

    response = moderator_client.get(reverse("admin:index"))

    assert queue_cards(response)["Oldest open appeal"]["value"] == "none"


def test_a_deleted_moderator_stays_in_the_table_under_their_name(moderator_client):
    leaver = ModeratorFactory(username="leaver")
    case = reported_message().case
    claim_case(case, moderator=leaver)
    act_on_case(case, moderator=leaver, actions=["dismiss"], reason="Fine")
    leaver.delete()

    response = moderator_client.get(reverse("admin:index"))

    assert response.context["dashboard"]["moderators"]["rows"] == [["leaver", 1, 1]]


def test_the_waits_are_aged_at_the_pages_time_not_the_caches(moderator_client, queue, monkeypatch):
    moderator_client.get(reverse("admin:index"))  # caches the figures
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    response = moderator_client.get(reverse("admin:index"))

    assert cache.get(DASHBOARD_FIGURES_KEY) is not None
    assert queue_cards(response)["Oldest open case"]["value"] == "5 h"


def test_a_moderator_name_is_escaped_in_the_table(moderator_client):
    hostile = ModeratorFactory(username='<b>"x"</b>')
    claim_case(reported_message().case, moderator=hostile)

    content = moderator_client.get(reverse("admin:index")).content.decode()

    assert '<b>"x"</b>' not in content
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in content


@pytest.mark.parametrize(
    ("decided", "overturned", "words"),
    [(0, 0, "none decided"), (5, 2, "2 of 5 (40%)"), (3, 0, "0 of 3 (0%)"), (3, 1, "1 of 3 (33%)")],
)
def test_the_overturn_share_reads_as_a_count_and_a_percentage(decided, overturned, words):
    assert overturn_share(decided=decided, overturned=overturned) == words


# --- who sees it ----------------------------------------------------------------------------


def test_staff_outside_the_group_see_no_queue_health(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_case"]))
    client.force_login(clerk)
    reported_message()
    AppealFactory()

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "dashboard" not in response.context
    content = response.content.decode()
    for text in (*QUEUE_CARDS, "Moderators, last 7 days", "Cases opened and closed"):
        assert text not in content


def test_staff_who_may_read_messages_but_not_cases_see_no_queue_health(client):
    clerk = ModeratorFactory(username="clerk")
    Group.objects.get(name="Moderators").permissions.set(
        Permission.objects.filter(codename="view_message")
    )
    client.force_login(clerk)
    AppealFactory()

    response = client.get(reverse("admin:index"))

    dashboard = response.context["dashboard"]
    assert "queue_cards" not in dashboard
    assert "moderators" not in dashboard
    content = response.content.decode()
    for text in (*QUEUE_CARDS, "Moderators, last 7 days", "Cases opened and closed"):
        assert text not in content


# --- budget and freshness -------------------------------------------------------------------


def test_a_warm_dashboard_keeps_its_query_budget_with_a_busy_queue(
    moderator_client, queue, django_assert_max_num_queries
):
    for index in range(25):
        claim_case(reported_message().case, moderator=ModeratorFactory(username=f"mod{index}"))
        AppealFactory()
    moderator_client.get(reverse("admin:index"))

    with django_assert_max_num_queries(WARM_PAGE_QUERIES):
        response = moderator_client.get(reverse("admin:index"))

    assert len(response.context["dashboard"]["moderators"]["rows"]) == 20


def test_an_appeal_saved_drops_the_figures(django_capture_on_commit_callbacks):
    appeal = AppealFactory(created_at=timezone.now() - timedelta(days=2))
    assert dashboard_figures()["oldest_open_appeal"]["id"] == appeal.pk

    with django_capture_on_commit_callbacks(execute=True):
        appeal.status = Appeal.Status.REJECTED
        appeal.decided_at = timezone.now()
        appeal.save()

    figures = dashboard_figures()
    assert figures["oldest_open_appeal"] is None
    assert (figures["appeals_decided"], figures["appeals_overturned"]) == (1, 0)
