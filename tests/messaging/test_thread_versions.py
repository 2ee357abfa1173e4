"""The thread view beside its tree: an edited message's earlier versions, shown to
the two people in the conversation only (never for a hidden message), and the
messages the viewer already reported, which say so instead of offering Report.
Both stay right through the per-viewer thread cache, at a constant number of
queries for the thread."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging import services
from messaging.models import Message
from messaging.selectors import earlier_versions_in_thread, messages_reported_by
from messaging.thread_cache import get_cached_thread_view
from moderation.reports import report_message
from moderation.services import hide_message
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

EARLIER = "Earlier versions"


def thread_url(message: Message) -> str:
    return reverse("messaging:thread", args=[message.pk])


def report_url(message: Message) -> str:
    return reverse("moderation:report", args=[message.pk])


def browser_of(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def edited_answer(conversation, bob, django_capture_on_commit_callbacks) -> Message:
    """bob's "Hi Alice", edited twice by bob."""
    _, answer, _ = conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(answer, editor=bob, content="Hi Alice, sorry")
        services.edit_message(answer, editor=bob, content="Hello Alice")
    return answer


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_both_people_in_the_conversation_see_the_earlier_versions_newest_first(
    request, edited_answer, viewer
):
    response = browser_of(request.getfixturevalue(viewer)).get(thread_url(edited_answer))

    assertContains(response, f"{EARLIER} (2)")
    html = response.content.decode()
    assert html.index("Hi Alice, sorry") < html.index("Hi Alice</p>")
    assertContains(response, "Hello Alice")


def test_earlier_versions_are_escaped(conversation, bob, alice):
    _, answer, _ = conversation
    services.edit_message(answer, editor=bob, content="Fixed")
    answer.history.update(old_content="<script>alert(1)</script>")

    response = browser_of(alice).get(thread_url(answer))

    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")
    assertNotContains(response, "<script>alert(1)")


def test_a_message_never_edited_has_no_earlier_versions(conversation, alice):
    root, *_ = conversation

    assertNotContains(browser_of(alice).get(thread_url(root)), EARLIER)


def test_someone_outside_the_conversation_sees_neither_the_thread_nor_its_versions(
    edited_answer, carol
):
    assert browser_of(carol).get(thread_url(edited_answer)).status_code == 404
    assert earlier_versions_in_thread(thread_id=edited_answer.thread_id, viewer_id=carol.pk) == {}


def test_a_hidden_message_shows_no_earlier_versions_even_to_its_sender(
    edited_answer, bob, moderator, django_capture_on_commit_callbacks
):
    browser = browser_of(bob)
    assertContains(browser.get(thread_url(edited_answer)), "Hi Alice, sorry")  # cached now

    with django_capture_on_commit_callbacks(execute=True):
        hide_message(edited_answer, moderator=moderator, reason="Rude")

    response = browser.get(thread_url(edited_answer))
    assertContains(response, "Hidden by the moderators")
    for text in ("Hi Alice, sorry", "Hi Alice<", "Hello Alice", EARLIER):
        assertNotContains(response, text)


def test_no_text_from_before_a_moderators_edit_comes_back(
    conversation, alice, bob, moderator, django_capture_on_commit_callbacks
):
    _, answer, _ = conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(answer, editor=bob, content="Hi Alice, my address is 1 Elm St")
        # A moderator takes the address out; bob edits again afterwards.
        services.edit_message(answer, editor=moderator, content="Hi Alice, [removed]")
        services.edit_message(answer, editor=bob, content="Hi Alice, see you")

    response = browser_of(alice).get(thread_url(answer))

    assertContains(response, f"{EARLIER} (1)")
    assertContains(response, "Hi Alice, [removed]")  # bob's own edit replaced it
    assertNotContains(response, "1 Elm St")
    assertNotContains(response, "Hi Alice</p>")


def test_an_edit_shows_in_the_earlier_versions_of_a_cached_thread_view(
    conversation, alice, bob, django_capture_on_commit_callbacks
):
    _, answer, _ = conversation
    browser = browser_of(alice)
    assertNotContains(browser.get(thread_url(answer)), EARLIER)
    assert get_cached_thread_view(thread_id=answer.thread_id, user_id=alice.pk) is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(answer, editor=bob, content="Hi there")

    response = browser.get(thread_url(answer))
    assertContains(response, f"{EARLIER} (1)")
    assertContains(response, "Hi there")


def test_the_thread_costs_the_same_queries_for_one_and_many_edited_messages(
    alice, bob, django_assert_max_num_queries, django_assert_num_queries
):
    def thread_with_edits(count: int) -> Message:
        root = MessageFactory(sender=alice, receiver=bob, content="Root")
        parent = root
        for number in range(count):
            parent = MessageFactory(
                sender=bob, receiver=alice, parent_message=parent, content=f"Reply {number}"
            )
            services.edit_message(parent, editor=bob, content=f"Reply {number}, edited")
            services.edit_message(parent, editor=bob, content=f"Reply {number}, edited twice")
        return root

    small, large = thread_with_edits(1), thread_with_edits(20)
    browser = browser_of(alice)
    with django_assert_max_num_queries(12) as one_edited:
        assertContains(browser.get(thread_url(small)), f"{EARLIER} (2)", count=1)
    with django_assert_num_queries(len(one_edited.captured_queries)):
        assertContains(browser.get(thread_url(large)), f"{EARLIER} (2)", count=20)


# --- what the viewer reported --------------------------------------------------------


def test_a_message_the_viewer_reported_says_reported_instead_of_offering_report(
    conversation, alice, django_capture_on_commit_callbacks
):
    _, answer, _ = conversation
    browser = browser_of(alice)
    assertContains(browser.get(thread_url(answer)), f'href="{report_url(answer)}"')  # cached

    with django_capture_on_commit_callbacks(execute=True):
        report_message(reporter=alice, message=answer, reason="spam")

    response = browser.get(thread_url(answer))
    assertNotContains(response, f'href="{report_url(answer)}"')
    assertContains(response, '<span class="reported">Reported</span>', html=True)


def test_someone_elses_report_leaves_the_report_link(conversation, alice, bob, carol):
    root, answer, _ = conversation
    # Only a participant can report: bob reports alice's root; alice still sees
    # Report on bob's answer, and bob's report changes nothing for her.
    report_message(reporter=bob, message=root, reason="spam")

    response = browser_of(alice).get(thread_url(answer))

    assertContains(response, f'href="{report_url(answer)}"')
    assertNotContains(response, "Reported<")


def test_the_viewers_reports_are_one_query_for_the_thread(
    conversation, alice, django_assert_num_queries
):
    root, answer, _ = conversation
    other = MessageFactory(sender=UserFactory(), receiver=alice, content="Elsewhere")
    report_message(reporter=alice, message=answer, reason="spam")
    report_message(reporter=alice, message=other, reason="spam")

    with django_assert_num_queries(1):
        reported = messages_reported_by(viewer_id=alice.pk, thread_id=root.thread_id)

    assert reported == {answer.pk}
