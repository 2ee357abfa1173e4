"""The admin index as the moderators' dashboard."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from admin_ext.admin.dashboard import humanise_duration
from admin_ext.admin.dashboard_figures import compute_dashboard_figures
from messaging import services
from moderation.models import Case
from moderation.services import act_on_case
from moderation_site.dashboard_cache import DASHBOARD_FIGURES_KEY
from tests.factories import MessageFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

FIGURE_TABLES = (
    "messaging_message",
    "messaging_messagehistory",
    "audit_auditentry",
    "moderation_case",
    "moderation_appeal",
)
MESSAGE_CARDS = {
    "Messages today",
    "Messages, last 7 days",
    "Unread backlog",
    "Edits today",
    "Deleted accounts, 7 days",
}
CASE_CARDS = {"Open cases", "Median time to first action"}


@pytest.fixture
def busy_day(alice, bob, carol, moderator):
    """Today: alice 3 messages, bob 2, carol 2 (one to an account deleted since),
    one edit, one account deletion."""
    first, *_ = MessageFactory.create_batch(3, sender=alice, receiver=bob)
    MessageFactory.create_batch(2, sender=bob, receiver=carol)
    MessageFactory(sender=carol, receiver=alice)
    leaver = UserFactory(username="leaver")
    MessageFactory(sender=carol, receiver=leaver)
    services.edit_message(first, editor=alice, content="Edited")
    services.delete_account(leaver, actor=moderator, reason="spam")


@pytest.fixture
def case_work(moderator):
    """Two reported people: one case still open, the other acted on (a message
    hidden, a warning) 3 h 20 min after it opened."""
    reported_message()
    acted = reported_message().case
    act_on_case(
        acted, moderator=moderator, actions=["hide", "warn"], reason="Abuse", warning="Stop"
    )
    acted.refresh_from_db()
    Case.objects.filter(pk=acted.pk).update(
        opened_at=acted.first_action_at - timedelta(hours=3, minutes=20)
    )


def staff_with(*codenames: str):
    """A moderator whose group holds only ``codenames`` (the role allows the
    figures; Django's permissions choose which)."""
    user = ModeratorFactory(username="clerk")
    Group.objects.get(name="Moderators").permissions.set(
        Permission.objects.filter(codename__in=codenames)
    )
    return user


def charts(content: str) -> list[dict]:
    """Each chart's Chart.js data and options, in page order."""
    canvases = re.findall(r'<canvas class="chart"([^>]*)>', content)
    found = []
    for attributes in canvases:
        values = dict(re.findall(r'data-(value|options)="([^"]*)"', attributes))
        found.append({name: json.loads(html.unescape(text)) for name, text in values.items()})
    return found


def chart_data(content: str) -> dict:
    found = charts(content)
    assert found, "no chart on the page"
    return found[0]["value"]


def dashboard_links(content: str) -> list[str]:
    section = content.split('class="dashboard-figures', 1)[1].split("</section>", 1)[0]
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', section)]


def test_the_dashboard_shows_the_figures_to_a_moderator(moderator_client, busy_day):
    response = moderator_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "admin_ext/dashboard/index.html" in [t.name for t in response.templates]
    cards = {card["title"]: card["value"] for card in response.context["dashboard"]["cards"]}
    assert cards == {
        "Messages today": 7,
        "Messages, last 7 days": 7,
        "Unread backlog": 6,  # not carol's to the deleted account: nobody can read it
        "Edits today": 1,
        "Deleted accounts, 7 days": 1,
    }
    content = response.content.decode()
    for title in cards:
        assert title in content
    assert "Most active senders, last 7 days" in content
    rows = response.context["dashboard"]["top_senders"]["rows"]
    assert [(strip_tags(name), count) for name, count in rows] == [
        ("alice", 3),
        ("bob", 2),
        ("carol", 2),
    ]
    assert content.index(">alice</a>") < content.index(">bob</a>") < content.index(">carol</a>")


def test_an_estimated_unread_backlog_reads_as_one(moderator_client, busy_day):
    # Above messaging.stats.ESTIMATE_ABOVE on PostgreSQL (tests/messaging/
    # test_figures_postgres.py): the figures say so, the card words it.
    figures = {
        **compute_dashboard_figures(),
        "unread_backlog": 3_150_000,
        "unread_backlog_is_estimate": True,
    }
    cache.set(DASHBOARD_FIGURES_KEY, figures)

    response = moderator_client.get(reverse("admin:index"))

    cards = {card["title"]: card["value"] for card in response.context["dashboard"]["cards"]}
    assert cards["Unread backlog"] == "about 3,150,000"
    assert "about 3,150,000" in response.content.decode()


def test_an_exact_unread_backlog_is_a_plain_count(moderator_client, busy_day):
    response = moderator_client.get(reverse("admin:index"))

    assert response.context["dashboard"]["cards"][2] == {
        "title": "Unread backlog",
        "value": 6,
        "href": reverse("admin:messaging_message_changelist") + "?unread=1",
    }


def test_the_chart_carries_thirty_days_of_counts(moderator_client, busy_day):
    content = moderator_client.get(reverse("admin:index")).content.decode()

    data = chart_data(content)

    assert len(data["labels"]) == 30
    assert data["datasets"][0]["data"] == [0] * 29 + [7]


def test_the_app_list_stays_on_the_dashboard(moderator_client, busy_day):
    content = moderator_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:audit_auditentry_changelist") in content


def test_each_card_links_to_the_changelist_of_what_it_counts(moderator_client, busy_day):
    response = moderator_client.get(reverse("admin:index"))
    cards = response.context["dashboard"]["cards"]

    links = dashboard_links(response.content.decode())
    assert links[:5] == [card["href"] for card in cards]
    for card in cards:
        changelist = moderator_client.get(card["href"])
        assert changelist.status_code == 200, card["href"]
        assert changelist.context["cl"].queryset.count() == card["value"], card["title"]


def test_each_top_sender_links_to_their_messages_of_the_week(moderator_client, busy_day, alice):
    response = moderator_client.get(reverse("admin:index"))
    alice_link = next(
        link
        for link in dashboard_links(response.content.decode())
        if f"sender__id__exact={alice.pk}&" in link
    )

    changelist = moderator_client.get(alice_link)

    assert changelist.status_code == 200
    assert set(changelist.context["cl"].queryset.values_list("sender", flat=True)) == {alice.pk}
    assert changelist.context["cl"].queryset.count() == 3


def test_a_warm_dashboard_issues_no_query_for_the_figures(moderator_client, busy_day):
    with CaptureQueriesContext(connection) as cold:
        moderator_client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as warm:
        response = moderator_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert response.context["dashboard"]["cards"][0]["value"] == 7
    figure_queries = [
        query["sql"]
        for query in warm.captured_queries
        if any(f'"{table}"' in query["sql"] for table in FIGURE_TABLES)
    ]
    assert figure_queries == []
    # Fourteen figure queries (admin_ext.admin.dashboard_figures), none of them on the warm page.
    assert len(warm) == len(cold) - 14


def test_a_warm_dashboard_with_cases_issues_no_query_for_the_figures(moderator_client, case_work):
    moderator_client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as warm:
        response = moderator_client.get(reverse("admin:index"))

    assert response.context["dashboard"]["case_cards"][0]["value"] == 1
    assert not [
        query["sql"]
        for query in warm.captured_queries
        if any(f'"{table}"' in query["sql"] for table in FIGURE_TABLES)
    ]


# --- moderation figures -----------------------------------------------------------------


def test_the_dashboard_shows_the_case_figures_to_a_moderator(moderator_client, case_work):
    response = moderator_client.get(reverse("admin:index"))

    cards = {card["title"]: card["value"] for card in response.context["dashboard"]["case_cards"]}
    assert cards == {"Open cases": 1, "Median time to first action": "3 h 20 min"}
    content = response.content.decode()
    for title in (*cards, "Moderator actions per day, last 30 days", "3 h 20 min"):
        assert title in content
    assert "cases opened in the last 30 days" in content


def test_the_median_card_shows_a_dash_when_no_case_was_acted_on(moderator_client):
    reported_message()

    response = moderator_client.get(reverse("admin:index"))

    cards = {card["title"]: card["value"] for card in response.context["dashboard"]["case_cards"]}
    assert cards == {"Open cases": 1, "Median time to first action": "—"}


def test_the_open_cases_card_links_to_the_review_queue(moderator_client, case_work):
    response = moderator_client.get(reverse("admin:index"))
    open_cases = response.context["dashboard"]["case_cards"][0]

    assert open_cases["href"] == reverse("admin:moderation_case_changelist")
    assert open_cases["href"] in dashboard_links(response.content.decode())
    queue = moderator_client.get(open_cases["href"])
    assert queue.status_code == 200
    assert queue.context["cl"].queryset.count() == open_cases["value"]  # open ones only


def test_the_actions_chart_carries_thirty_days_of_moderator_actions(moderator_client, case_work):
    content = moderator_client.get(reverse("admin:index")).content.decode()

    messages_chart, actions_chart, _cases_flow_chart = charts(content)

    assert actions_chart["value"]["datasets"][0]["label"] == "Moderator actions"
    assert actions_chart["value"]["labels"] == messages_chart["value"]["labels"]
    assert actions_chart["value"]["datasets"][0]["data"] == [0] * 29 + [2]  # hidden, warned


def test_the_charts_step_their_y_axis_by_whole_numbers(moderator_client, case_work):
    content = moderator_client.get(reverse("admin:index")).content.decode()

    for chart in charts(content):
        assert chart["options"]["scales"]["y"]["ticks"]["precision"] == 0


def test_staff_without_case_permission_see_no_case_figures(client):
    client.force_login(staff_with("view_message"))
    reported_message()

    response = client.get(reverse("admin:index"))

    dashboard = response.context["dashboard"]
    assert {card["title"] for card in dashboard["cards"]} == MESSAGE_CARDS
    assert "case_cards" not in dashboard
    content = response.content.decode()
    for title in (*CASE_CARDS, "Moderator actions per day"):
        assert title not in content
    assert len(charts(content)) == 1


def test_staff_with_only_case_permission_see_only_the_case_figures(client):
    client.force_login(staff_with("view_case"))
    reported_message()

    response = client.get(reverse("admin:index"))

    dashboard = response.context["dashboard"]
    assert {card["title"] for card in dashboard["case_cards"]} == CASE_CARDS
    assert "cards" not in dashboard
    content = response.content.decode()
    for title in (*MESSAGE_CARDS, "Most active senders"):
        assert title not in content
    assert [chart["value"]["datasets"][0]["label"] for chart in charts(content)] == [
        "Moderator actions",
        "Opened",  # cases opened and closed (tests/admin_ext/test_dashboard_queue_health.py)
    ]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "—"),
        (0, "under 1 min"),
        (29, "under 1 min"),
        (45 * 60, "45 min"),
        (3 * 3600, "3 h"),
        (3 * 3600 + 20 * 60 + 10, "3 h 20 min"),
        (24 * 3600 - 20, "1 d"),
        (2 * 86400 + 4 * 3600 + 50, "2 d 4 h"),
    ],
)
def test_a_wait_reads_in_days_hours_and_minutes(seconds, words):
    assert humanise_duration(seconds) == words


# --- escaping and access -------------------------------------------------------------------


def test_usernames_are_escaped_on_the_dashboard(moderator_client, bob):
    hostile = UserFactory(username='<script>alert("x")</script>')
    MessageFactory(sender=hostile, receiver=bob)

    content = moderator_client.get(reverse("admin:index")).content.decode()

    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


def test_staff_without_message_permission_see_no_figures(client, django_user_model):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "dashboard" not in response.context
    assert "dashboard-figures" not in response.content.decode()
    assert not any('"messaging_message"' in query["sql"] for query in queries)


def test_staff_outside_the_group_see_no_figures_whatever_was_granted_by_hand(client):
    # The role policy caps a permission given to the account itself.
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_message", "view_case"])
    )
    client.force_login(clerk)
    reported_message()

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "dashboard" not in response.context
    assert "dashboard-figures" not in response.content.decode()


def test_a_non_staff_user_is_sent_to_the_admin_login(client, alice):
    client.force_login(alice)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={reverse('admin:index')}"
