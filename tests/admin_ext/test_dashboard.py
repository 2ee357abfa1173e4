"""The admin index as the moderators' dashboard."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from messaging import services
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

FIGURE_TABLES = ("messaging_message", "messaging_messagehistory", "audit_auditentry")


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


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


def chart_data(content: str) -> dict:
    match = re.search(r'<canvas class="chart"[^>]*data-value="([^"]*)"', content)
    assert match, "no chart on the page"
    return json.loads(html.unescape(match.group(1)))


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
    assert len(warm) == len(cold) - 5


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


def test_a_non_staff_user_is_sent_to_the_admin_login(client, alice):
    client.force_login(alice)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={reverse('admin:index')}"
