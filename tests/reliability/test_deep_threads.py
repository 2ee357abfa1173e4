"""A thread 5,000 messages deep (each a reply to the one before) renders on the
moderators' message page (its root and the messages around one) and in the
user's thread view (every message), in reading order, from a flat
depth-annotated list (a template recursing per level would pass Python's
recursion limit long before), at a constant number of queries. The chain is
inserted in bulk, so building it costs a fraction of a second."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from admin_ext.admin.message_text import MAX_TREE_INDENT
from messaging.models import Message
from messaging.thread_window import WINDOW_BEFORE
from messaging.views import MAX_INDENT
from tests.messaging import thread_shapes

pytestmark = pytest.mark.django_db

DEPTH = 5_000

# Whatever the depth (measured: the same for 3 messages and for 300). The thread
# view: session, user, the message, the participation check, marking the thread
# read, the thread's rows, their earlier versions, the viewer's reports. The
# message page: also permissions, the form's relations, the inlines. The inbox
# and conversations lists: one page each.
THREAD_VIEW_QUERY_BUDGET = 8
# One of them the role policy's look-up of the moderator's group (admin_ext.site);
# two the message's reports and its author's open case (the review block).
ADMIN_PAGE_QUERY_BUDGET = 13
LIST_QUERY_BUDGET = 5
# One more: whether the inbox links the decisions about the account
# (moderation's account decisions reader, one EXISTS).
INBOX_QUERY_BUDGET = LIST_QUERY_BUDGET + 1


def rendered_ids(html: str, id_prefix: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'id="{id_prefix}(\d+)"', html)]


@pytest.fixture
def deep_thread(alice, bob) -> list[Message]:
    return thread_shapes.chain(alice, bob, size=DEPTH)  # depths 0 to DEPTH - 1


def test_the_chain_is_one_thread_5000_deep(deep_thread):
    deepest = Message.objects.get(pk=deep_thread[-1].pk)

    assert deepest.depth == DEPTH - 1
    assert deepest.thread_id == deep_thread[0].pk
    assert deepest.parent_message_id == deep_thread[-2].pk
    assert Message.objects.in_thread(deep_thread[0].pk).count() == DEPTH


def test_the_user_thread_view_renders_a_5000_deep_thread(
    client, deep_thread, bob, django_assert_max_num_queries
):
    deepest = deep_thread[-1]
    client.force_login(bob)
    client.get(reverse("messaging:inbox"))  # the session and user are loaded once

    with django_assert_max_num_queries(THREAD_VIEW_QUERY_BUDGET):
        response = client.get(reverse("messaging:thread", args=[deepest.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert rendered_ids(html, "m") == [message.pk for message in deep_thread]
    # One flat loop over (message, indentation) pairs, the indentation capped.
    nodes = response.context["nodes"]
    assert len(nodes) == DEPTH
    assert max(indent for _node, indent in nodes) == MAX_INDENT
    assert f"reply depth {DEPTH - 1}" in html


def test_the_cached_thread_view_of_a_5000_deep_thread_is_the_same_page(client, deep_thread, alice):
    url = reverse("messaging:thread", args=[deep_thread[2_500].pk])
    client.force_login(alice)

    first = client.get(url).content.decode()
    second = client.get(url).content.decode()

    tree = re.compile(r'<ol class="thread">.*</ol>', re.DOTALL)
    assert tree.search(first).group() == tree.search(second).group()
    assert rendered_ids(second, "m") == [message.pk for message in deep_thread]


def test_the_admin_message_page_shows_the_root_and_the_end_of_a_5000_deep_thread(
    client, moderator, deep_thread, django_assert_max_num_queries
):
    deepest = deep_thread[-1]
    client.force_login(moderator)
    client.get(reverse("admin:messaging_message_changelist"))

    with django_assert_max_num_queries(ADMIN_PAGE_QUERY_BUDGET):
        response = client.get(reverse("admin:messaging_message_change", args=[deepest.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    # The root, then the messages leading to this one (messaging.selectors).
    window = deep_thread[-1 - WINDOW_BEFORE :]
    assert rendered_ids(html, "thread-node-") == [deep_thread[0].pk] + [m.pk for m in window]
    assert f"{DEPTH} messages in this thread" in html
    assert f"{DEPTH - 1 - len(window)} earlier messages" in html
    assert html.count('aria-current="true"') == 1
    highlighted = (
        f'id="thread-node-{deepest.pk}" '
        f'class="msgadmin-node msgadmin-indent-{MAX_TREE_INDENT} msgadmin-node-current"'
    )
    assert highlighted in html
    indents = [line.indent for line in response.context["thread_lines"] if line.message]
    assert max(indents) == MAX_TREE_INDENT
    assert f"depth {DEPTH - 1}" in html


def test_the_lists_of_someone_in_a_5000_deep_thread_stay_paged(
    client, deep_thread, bob, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(reverse("messaging:conversations"))

    with django_assert_max_num_queries(INBOX_QUERY_BUDGET):
        inbox = client.get(reverse("messaging:inbox"))
    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        conversations = client.get(reverse("messaging:conversations"))

    assert inbox.status_code == conversations.status_code == 200
    assert f"{DEPTH // 2} unread messages" in inbox.content.decode()
    assert len(inbox.context["page"].object_list) == 25
    assert f"{DEPTH} messages" in conversations.content.decode()
