"""The user-facing pages, end to end through the test client: access rules, what
each page shows, the per-viewer thread cache and its invalidation, and the forms'
refusals (each of which must write nothing)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from messaging import services
from messaging.models import MAX_CONTENT_LENGTH, Message, MessageHistory, Notification
from messaging.thread_cache import get_cached_thread_view
from messaging.views import INBOX_PAGE_SIZE, INBOX_WARNINGS_SHOWN
from moderation.services import hide_message, restore_message, warn_user
from tests.factories import (
    PASSWORD,
    MessageFactory,
    NotificationFactory,
    ReplyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def thread_url(message: Message) -> str:
    return reverse("messaging:thread", args=[message.pk])


def reply_url(message: Message) -> str:
    return reverse("messaging:reply", args=[message.pk])


def edit_url(message: Message) -> str:
    return reverse("messaging:edit", args=[message.pk])


def thread_tree_html(response) -> str:
    """The cached part of a thread page (the rest holds a per-request CSRF token)."""
    html = response.content.decode()
    return html[html.index('<ol class="thread">') : html.index("</ol>")]


def report_url(message: Message) -> str:
    return reverse("moderation:report", args=[message.pk])


def acknowledge_url(notification: Notification) -> str:
    return reverse("messaging:acknowledge_warning", args=[notification.pk])


def client_for(user) -> Client:
    """A second browser, for tests where two people use the site in turn."""
    other = Client()
    other.force_login(user)
    return other


# --- login required -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["inbox", "conversations", "send", "thread", "reply", "edit", "delete_user"],
)
def test_every_page_redirects_an_anonymous_visitor_to_the_login_page(
    client, conversation, url_name
):
    root, *_ = conversation
    needs_id = url_name in {"thread", "reply", "edit"}
    url = reverse(f"messaging:{url_name}", args=[root.pk] if needs_id else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert f"next={url}" in response.url


def test_an_anonymous_post_to_send_redirects_to_login_and_writes_nothing(client, bob):
    response = client.post(reverse("messaging:send"), {"receiver": "bob", "content": "Hi"})

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert not Message.objects.exists()


def test_the_account_deleted_page_is_public(client):
    response = client.get(reverse("messaging:account_deleted"))

    assertContains(response, "Your account is deleted")


def test_a_user_can_log_in_with_the_factory_password(client, alice):
    # django-axes (first authentication backend) needs the request.
    assert client.login(request=RequestFactory().get("/"), username="alice", password=PASSWORD)

    response = client.get(reverse("messaging:inbox"))

    assertContains(response, "Inbox")


# --- inbox --------------------------------------------------------------------------


def test_inbox_shows_only_the_users_unread_received_messages(client, alice, bob, carol):
    MessageFactory(sender=bob, receiver=alice, content="Unread from bob")
    MessageFactory(sender=carol, receiver=alice, content="Unread from carol")
    MessageFactory(sender=bob, receiver=alice, content="Already read", read=True)
    MessageFactory(sender=alice, receiver=bob, content="Sent by alice")
    MessageFactory(sender=bob, receiver=carol, content="For carol only")
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    assertContains(response, "Unread from bob")
    assertContains(response, "Unread from carol")
    assertContains(response, "2 unread messages")
    for hidden in ("Already read", "Sent by alice", "For carol only"):
        assertNotContains(response, hidden)


def test_inbox_escapes_message_content(client, alice, bob):
    MessageFactory(sender=bob, receiver=alice, content="<script>alert(1)</script>")
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    assertNotContains(response, "<script>")
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


def test_opening_a_thread_removes_its_messages_from_the_inbox(client, conversation, bob):
    root, *_ = conversation
    elsewhere = MessageFactory(receiver=bob, content="Unrelated and unread")
    client.force_login(bob)
    assertContains(client.get(reverse("messaging:inbox")), "3 unread messages")

    client.get(thread_url(root))

    response = client.get(reverse("messaging:inbox"))
    assert [m.pk for m in response.context["page"]] == [elsewhere.pk]
    assertNotContains(response, "How are you?")


def test_inbox_lists_newest_first(client, alice, bob):
    now = timezone.now()
    for age_in_minutes, content in [(30, "Oldest"), (1, "Newest"), (10, "Middle")]:
        message = MessageFactory(sender=bob, receiver=alice, content=content)
        Message.objects.filter(pk=message.pk).update(
            timestamp=now - timedelta(minutes=age_in_minutes)
        )
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    html = response.content.decode()
    assert html.index("Newest") < html.index("Middle") < html.index("Oldest")
    assert [m.content for m in response.context["page"]] == ["Newest", "Middle", "Oldest"]


def _unread_messages(receiver, count: int, *, start: int = 0) -> None:
    """``count`` unread messages to ``receiver``, each from its own sender, one minute
    apart (higher number = newer), with contents ``Unread #000`` and up."""
    now = timezone.now()
    for number in range(start, start + count):
        message = MessageFactory(receiver=receiver, content=f"Unread #{number:03d}")
        Message.objects.filter(pk=message.pk).update(timestamp=now + timedelta(minutes=number))


def test_inbox_shows_25_messages_per_page_and_the_rest_on_page_2(client, alice):
    _unread_messages(alice, 30)
    client.force_login(alice)

    first = client.get(reverse("messaging:inbox"))
    second = client.get(reverse("messaging:inbox"), {"page": 2})

    assert INBOX_PAGE_SIZE == 25
    assert [m.content for m in first.context["page"]] == [
        f"Unread #{n:03d}" for n in range(29, 4, -1)
    ]
    assert [m.content for m in second.context["page"]] == [
        f"Unread #{n:03d}" for n in range(4, -1, -1)
    ]
    assertContains(second, "Page 2 of 2")
    assertContains(second, "Unread #000")
    assertNotContains(second, "Unread #005")


@pytest.mark.parametrize(
    ("page", "expected_number"), [("abc", 1), ("999", 2), ("0", 2), ("-1", 2), ("", 1)]
)
def test_inbox_with_a_bogus_page_number_shows_a_valid_page(client, alice, page, expected_number):
    _unread_messages(alice, 30)
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"), {"page": page})

    assert response.status_code == 200
    assert response.context["page"].number == expected_number


def test_inbox_costs_the_same_queries_for_30_and_80_unread_messages(
    client, alice, django_assert_max_num_queries, django_assert_num_queries
):
    # Page 2 holds 5 rows with 30 messages and 25 rows with 80: a query per row
    # (say, the sender's username loaded lazily) would make the counts differ.
    client.force_login(alice)
    _unread_messages(alice, 30)
    with django_assert_max_num_queries(6) as small:
        small_page = client.get(reverse("messaging:inbox"), {"page": 2})
    _unread_messages(alice, 50, start=30)

    with django_assert_num_queries(len(small.captured_queries)) as large:
        large_page = client.get(reverse("messaging:inbox"), {"page": 2})

    assert len(small_page.context["page"]) == 5
    assert len(large_page.context["page"]) == 25
    assert len(large.captured_queries) == len(small.captured_queries) <= 6


# --- conversations ------------------------------------------------------------------


def test_conversations_lists_the_threads_the_user_is_in_and_not_others(
    client, conversation, alice, bob, carol
):
    root, *_ = conversation
    with_carol = MessageFactory(sender=carol, receiver=alice, content="Carol to Alice")
    not_alices = MessageFactory(sender=bob, receiver=carol, content="Bob to Carol")
    client.force_login(alice)

    response = client.get(reverse("messaging:conversations"))

    assertContains(response, f'href="{thread_url(root)}"')
    assertContains(response, f'href="{thread_url(with_carol)}"')
    assertContains(response, "Hello Bob")
    assertContains(response, "Carol to Alice")
    assertNotContains(response, f'href="{thread_url(not_alices)}"')
    assertNotContains(response, "Bob to Carol")


def test_conversations_show_a_deleted_root_as_message_deleted(client, conversation, alice, bob):
    root, *_ = conversation
    services.delete_account(alice)
    client.force_login(bob)

    response = client.get(reverse("messaging:conversations"))

    assertContains(response, f'href="{thread_url(root)}"')
    assertContains(response, "<em>Message deleted</em>", html=True)
    assertNotContains(response, "Hello Bob")


# --- thread view --------------------------------------------------------------------


def test_thread_view_shows_every_message_of_the_thread(client, conversation, bob):
    root, answer, follow_up = conversation
    MessageFactory(sender=bob, receiver=root.sender, content="Another thread")
    client.force_login(bob)

    response = client.get(thread_url(answer))

    for message in (root, answer, follow_up):
        assertContains(response, message.content)
        assertContains(response, f'id="m{message.pk}"')
    assertNotContains(response, "Another thread")


def test_thread_view_escapes_message_content(client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="<script>alert(1)</script>")
    ReplyFactory(parent_message=root, content='"><img src=x onerror=alert(1)>')
    client.force_login(bob)

    response = client.get(thread_url(root))

    html = response.content.decode()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_thread_view_is_404_for_a_user_outside_the_thread(client, conversation, carol):
    root, *_ = conversation
    client.force_login(carol)

    response = client.get(thread_url(root))

    assert response.status_code == 404
    assert get_cached_thread_view(thread_id=root.pk, user_id=carol.pk) is None


@pytest.mark.parametrize("message_id", [0, 987654])
def test_thread_view_is_404_for_a_non_existent_message(client, conversation, alice, message_id):
    client.force_login(alice)

    response = client.get(reverse("messaging:thread", args=[message_id]))

    assert response.status_code == 404


def test_thread_view_marks_only_the_viewers_received_messages_read(client, conversation, bob):
    root, answer, follow_up = conversation
    client.force_login(bob)

    client.get(thread_url(root))

    for message in (root, answer, follow_up):
        message.refresh_from_db()
    assert (root.read, follow_up.read) == (True, True)  # bob received these
    assert answer.read is False  # alice's, still unread until she opens it


def test_thread_view_shows_a_tombstone_as_message_deleted(client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="Alice's opening line")
    answer = ReplyFactory(parent_message=root, content="Bob answers")
    services.delete_account(alice)
    client.force_login(bob)

    response = client.get(thread_url(answer))

    assertContains(response, "Message deleted")
    assertContains(response, "Bob answers")
    assertNotContains(response, "Alice's opening line")
    assertNotContains(response, f'href="{reply_url(root)}"')


# --- thread cache: one page per viewer ------------------------------------------------


def test_a_cached_thread_view_is_served_on_the_next_visit(client, conversation, alice):
    root, *_ = conversation
    client.force_login(alice)
    first = client.get(thread_url(root))
    # A write that bypasses the services (and so the invalidation) shows the cache
    # is what answers the second visit.
    Message.objects.filter(pk=root.pk).update(content="Changed behind the cache's back")

    second = client.get(thread_url(root))

    assert get_cached_thread_view(thread_id=root.pk, user_id=alice.pk) is not None
    assertContains(second, "Hello Bob")
    # Served as HTML, not escaped a second time on the way out of the cache.
    assertContains(second, f'<a href="{edit_url(root)}">Edit</a>', html=True)
    assert thread_tree_html(second) == thread_tree_html(first)


def test_each_participant_gets_their_own_edit_links_from_the_thread_cache(
    client, conversation, alice, bob
):
    root, answer, follow_up = conversation
    client.force_login(alice)
    alices_page = client.get(thread_url(root))
    assert get_cached_thread_view(thread_id=root.pk, user_id=alice.pk) is not None

    bobs_page = client_for(bob).get(thread_url(root))

    for alices_message in (root, follow_up):
        assertContains(alices_page, f'href="{edit_url(alices_message)}"')
        assertNotContains(bobs_page, f'href="{edit_url(alices_message)}"')
    assertContains(bobs_page, f'href="{edit_url(answer)}"')
    assertNotContains(alices_page, f'href="{edit_url(answer)}"')


def test_thread_view_is_404_for_a_user_outside_the_thread_even_when_cached(
    client, conversation, alice, carol
):
    root, *_ = conversation
    client.force_login(alice)
    client.get(thread_url(root))
    assert get_cached_thread_view(thread_id=root.pk, user_id=alice.pk) is not None

    response = client_for(carol).get(thread_url(root))

    assert response.status_code == 404


def test_thread_view_redirects_an_anonymous_visitor_even_when_cached(client, conversation, alice):
    root, *_ = conversation
    client.force_login(alice)
    client.get(thread_url(root))
    assert get_cached_thread_view(thread_id=root.pk, user_id=alice.pk) is not None
    client.logout()

    response = client.get(thread_url(root))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


# --- thread cache: invalidation ---------------------------------------------------------


def test_a_reply_through_the_reply_view_shows_in_the_other_persons_cached_thread(
    client, conversation, alice, bob, django_capture_on_commit_callbacks
):
    root, _answer, follow_up = conversation
    client.force_login(alice)
    assertNotContains(client.get(thread_url(root)), "Fine, thanks")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(reply_url(follow_up), {"content": "Fine, thanks"})
    assert response.status_code == 302

    assertContains(client.get(thread_url(root)), "Fine, thanks")


def test_an_edit_through_the_edit_view_shows_in_both_cached_thread_views(
    client, conversation, alice, bob, django_capture_on_commit_callbacks
):
    root, *_ = conversation
    client.force_login(alice)
    bobs_browser = client_for(bob)
    client.get(thread_url(root))
    bobs_browser.get(thread_url(root))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(root), {"content": "Hello Bob, edited"})
    assert response.status_code == 302

    for browser in (client, bobs_browser):
        page = browser.get(thread_url(root))
        assertContains(page, "Hello Bob, edited")
        assertContains(page, "· edited")


def test_an_account_deletion_shows_as_a_tombstone_in_the_others_cached_thread(
    client, conversation, alice, bob, django_capture_on_commit_callbacks
):
    root, *_ = conversation
    client.force_login(bob)
    assertNotContains(client.get(thread_url(root)), "Message deleted")

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(reverse("messaging:delete_user"), {"password": PASSWORD})

    page = client.get(thread_url(root))
    assertContains(page, "Message deleted")
    assertNotContains(page, "Hello Bob")


# --- send ---------------------------------------------------------------------------


def test_send_creates_the_message_and_redirects_to_its_thread(client, alice, bob):
    client.force_login(alice)

    response = client.post(
        reverse("messaging:send"), {"receiver": "bob", "content": "A new conversation"}
    )

    message = Message.objects.get()
    assert (message.sender, message.receiver, message.content) == (alice, bob, "A new conversation")
    assert message.is_root
    assert response.status_code == 302
    assert response.url == f"{thread_url(message)}#m{message.pk}"


def test_send_confirms_and_the_sender_lands_on_the_new_thread(client, alice, bob):
    client.force_login(alice)

    response = client.post(
        reverse("messaging:send"), {"receiver": "bob", "content": "Landing here"}, follow=True
    )

    assertContains(response, "Message sent.")
    assertContains(response, "Landing here")
    assert response.redirect_chain[0][1] == 302


def test_send_get_shows_the_form_with_the_receiver_prefilled(client, alice):
    client.force_login(alice)

    response = client.get(reverse("messaging:send"), {"to": "bob"})

    assertContains(response, 'name="receiver"')
    assertContains(response, 'value="bob"')
    assertContains(response, 'name="content"')


@pytest.mark.parametrize(
    ("receiver", "content", "error"),
    [
        ("nobody", "Hello", "There is no active user called “nobody”."),
        ("bob", "", "This field is required."),
        ("bob", " \t\n ", "A message cannot be empty."),
        (
            "bob",
            "x" * (MAX_CONTENT_LENGTH + 1),
            f"Ensure this value has at most {MAX_CONTENT_LENGTH} characters "
            f"(it has {MAX_CONTENT_LENGTH + 1}).",
        ),
        ("bob", "Hello\x00world", "Null characters are not allowed."),
        ("alice", "Hello me", "You cannot send a message to yourself."),
    ],
    ids=["unknown-receiver", "empty", "whitespace-only", "too-long", "nul-byte", "to-yourself"],
)
def test_send_with_bad_input_shows_the_error_and_writes_nothing(
    client, alice, bob, receiver, content, error
):
    client.force_login(alice)

    response = client.post(reverse("messaging:send"), {"receiver": receiver, "content": content})

    assertContains(response, error, status_code=200)
    assertContains(response, "<h1>New message</h1>")
    assert not Message.objects.exists()


def test_send_to_an_inactive_user_shows_the_error_and_writes_nothing(client, alice):
    UserFactory(username="gone", is_active=False)
    client.force_login(alice)

    response = client.post(reverse("messaging:send"), {"receiver": "gone", "content": "Hello"})

    assertContains(response, "There is no active user called “gone”.")
    assert not Message.objects.exists()


def test_send_accepts_content_of_exactly_the_maximum_length(client, alice, bob):
    client.force_login(alice)

    response = client.post(
        reverse("messaging:send"), {"receiver": "bob", "content": "x" * MAX_CONTENT_LENGTH}
    )

    assert response.status_code == 302
    assert len(Message.objects.get().content) == MAX_CONTENT_LENGTH


def test_send_stores_leading_tabs_and_spaces_exactly(client, alice, bob):
    client.force_login(alice)
    content = "\t  indented code\n    more\n"

    client.post(reverse("messaging:send"), {"receiver": "bob", "content": content})

    assert Message.objects.get().content == content


# --- reply --------------------------------------------------------------------------


def test_reply_goes_to_the_other_person_and_redirects_to_it(client, conversation, alice, bob):
    root, *_ = conversation
    client.force_login(bob)

    response = client.post(reply_url(root), {"content": "Another answer"})

    new = Message.objects.get(content="Another answer")
    assert (new.sender, new.receiver, new.parent_message, new.thread_id) == (
        bob,
        alice,
        root,
        root.pk,
    )
    assert response.status_code == 302
    assert response.url == f"{thread_url(new)}#m{new.pk}"


def test_reply_get_shows_the_quoted_message(client, conversation, bob):
    root, *_ = conversation
    client.force_login(bob)

    response = client.get(reply_url(root))

    assertContains(response, "<h1>Reply</h1>")
    assertContains(response, "Hello Bob")


def test_reply_in_a_thread_the_user_is_not_part_of_is_404_and_writes_nothing(
    client, conversation, carol
):
    root, *_ = conversation
    client.force_login(carol)
    count = Message.objects.count()

    response = client.post(reply_url(root), {"content": "Butting in"})

    assert response.status_code == 404
    assert Message.objects.count() == count


def test_reply_to_a_tombstone_shows_an_error_and_writes_nothing(client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="Soon deleted")
    ReplyFactory(parent_message=root, content="Bob answers")
    services.delete_account(alice)
    client.force_login(bob)
    count = Message.objects.count()

    response = client.post(reply_url(root), {"content": "Replying to nothing"})

    assertContains(response, "This message was deleted; it cannot be replied to.")
    assert Message.objects.count() == count


def test_reply_to_someone_who_deleted_their_account_shows_an_error_and_writes_nothing(
    client, alice, bob
):
    sent_to_bob = MessageFactory(sender=alice, receiver=bob, content="Are you there?")
    services.delete_account(bob)
    client.force_login(alice)

    response = client.post(reply_url(sent_to_bob), {"content": "Hello?"})

    assertContains(response, "The other person has deleted their account")
    assert list(Message.objects.all()) == [sent_to_bob]


# --- edit ---------------------------------------------------------------------------


def test_the_sender_can_edit_and_the_old_text_goes_to_history(client, conversation, alice):
    root, *_ = conversation
    client.force_login(alice)

    response = client.post(edit_url(root), {"content": "Hello Bob, edited"})

    root.refresh_from_db()
    assert response.status_code == 302
    assert response.url == f"{thread_url(root)}#m{root.pk}"
    assert (root.content, root.edited, root.edited_by) == ("Hello Bob, edited", True, alice)
    history = MessageHistory.objects.get()
    assert (history.message, history.old_content, history.edited_by) == (
        root,
        "Hello Bob",
        alice,
    )


def test_edit_get_shows_the_current_content_in_the_form(client, conversation, alice):
    root, *_ = conversation
    client.force_login(alice)

    response = client.get(edit_url(root))

    assertContains(response, "<h1>Edit message</h1>")
    assertContains(response, ">\nHello Bob</textarea>")


def test_edit_by_another_participant_is_403_and_writes_nothing(client, conversation, bob):
    root, *_ = conversation
    client.force_login(bob)

    response = client.post(edit_url(root), {"content": "Bob rewrites Alice"})

    root.refresh_from_db()
    assert response.status_code == 403
    assert (root.content, root.edited) == ("Hello Bob", False)
    assert not MessageHistory.objects.exists()


def test_edit_by_a_user_outside_the_thread_is_404_and_writes_nothing(client, conversation, carol):
    root, *_ = conversation
    client.force_login(carol)

    response = client.post(edit_url(root), {"content": "Carol rewrites Alice"})

    root.refresh_from_db()
    assert response.status_code == 404
    assert (root.content, root.edited) == ("Hello Bob", False)
    assert not MessageHistory.objects.exists()


def test_edit_with_empty_content_shows_the_error_and_writes_nothing(client, conversation, alice):
    root, *_ = conversation
    client.force_login(alice)

    response = client.post(edit_url(root), {"content": "   "})

    root.refresh_from_db()
    assertContains(response, "A message cannot be empty.")
    assert (root.content, root.edited) == ("Hello Bob", False)
    assert not MessageHistory.objects.exists()


# --- hidden messages ------------------------------------------------------------------

HIDDEN = "Hidden by the moderators"


@pytest.fixture
def hidden_root(conversation, moderator, django_capture_on_commit_callbacks) -> Message:
    """alice's "Hello Bob", the conversation's root, hidden by a moderator."""
    root, *_ = conversation
    with django_capture_on_commit_callbacks(execute=True):
        hide_message(root, moderator=moderator, reason="Rude")
    return root


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_a_hidden_message_shows_a_placeholder_in_the_thread_for_everyone(
    request, client, hidden_root, viewer
):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(thread_url(hidden_root))

    assertContains(response, HIDDEN, count=1)
    assertNotContains(response, "Hello Bob")
    assertContains(response, "Hi Alice")  # the rest of the thread is untouched
    assertNotContains(response, f'href="{edit_url(hidden_root)}"')
    assertNotContains(response, f'href="{report_url(hidden_root)}"')


def test_hiding_a_message_replaces_it_in_the_cached_thread_views(
    client, conversation, alice, bob, moderator, django_capture_on_commit_callbacks
):
    root, *_ = conversation
    bobs_browser = client_for(bob)
    client.force_login(alice)
    for browser in (client, bobs_browser):
        assertContains(browser.get(thread_url(root)), "Hello Bob")

    with django_capture_on_commit_callbacks(execute=True):
        hide_message(root, moderator=moderator, reason="Rude")

    for browser in (client, bobs_browser):
        page = browser.get(thread_url(root))
        assertContains(page, HIDDEN)
        assertNotContains(page, "Hello Bob")


def test_a_restored_message_shows_again_with_its_links(
    client, hidden_root, alice, moderator, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    assertNotContains(client.get(thread_url(hidden_root)), "Hello Bob")

    with django_capture_on_commit_callbacks(execute=True):
        restore_message(hidden_root, moderator=moderator, reason="Misread")

    page = client.get(thread_url(hidden_root))
    assertContains(page, "Hello Bob")
    assertNotContains(page, HIDDEN)
    assertContains(page, f'href="{edit_url(hidden_root)}"')


def test_a_hidden_message_shows_a_placeholder_in_the_inbox(client, alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="Something rude")
    hide_message(message, moderator=moderator, reason="Rude")
    client.force_login(bob)

    response = client.get(reverse("messaging:inbox"))

    assertContains(response, HIDDEN)
    assertNotContains(response, "Something rude")
    assertContains(response, f'href="{thread_url(message)}#m{message.pk}"')


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_a_hidden_root_shows_a_placeholder_in_the_conversations(
    request, client, hidden_root, viewer
):
    client.force_login(request.getfixturevalue(viewer))

    response = client.get(reverse("messaging:conversations"))

    assertContains(response, f"<em>{HIDDEN}</em>", html=True)
    assertNotContains(response, "Hello Bob")
    assertContains(response, f'href="{thread_url(hidden_root)}"')


def test_replying_to_a_hidden_message_quotes_the_placeholder(client, hidden_root, bob):
    client.force_login(bob)

    response = client.get(reply_url(hidden_root))

    assertContains(response, "<h1>Reply</h1>")
    assertContains(response, HIDDEN)
    assertNotContains(response, "Hello Bob")
    assertContains(response, 'name="content"')


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_sender_cannot_open_the_edit_page_of_a_hidden_message(
    client, hidden_root, alice, method
):
    client.force_login(alice)

    response = getattr(client, method)(edit_url(hidden_root), {"content": "Sorry, rephrased"})

    assertContains(
        response, "The moderators hid this message; it cannot be edited.", status_code=403
    )
    assertContains(response, HIDDEN, status_code=403)
    assertNotContains(response, "Hello Bob", status_code=403)
    assertNotContains(response, "<textarea", status_code=403)
    hidden_root.refresh_from_db()
    assert (hidden_root.content, hidden_root.edited) == ("Hello Bob", False)
    assert not MessageHistory.objects.exists()


# --- report links --------------------------------------------------------------------


def test_the_thread_offers_report_only_on_other_peoples_messages(client, conversation, alice):
    root, answer, follow_up = conversation
    client.force_login(alice)

    response = client.get(thread_url(root))

    assertContains(response, f'<a href="{report_url(answer)}">Report</a>', html=True)
    for own in (root, follow_up):
        assertNotContains(response, f'href="{report_url(own)}"')


def test_each_participant_gets_their_own_report_links_from_the_thread_cache(
    client, conversation, alice, bob
):
    root, answer, follow_up = conversation
    client.force_login(alice)
    alices_page = client.get(thread_url(root))
    assert get_cached_thread_view(thread_id=root.pk, user_id=alice.pk) is not None

    bobs_page = client_for(bob).get(thread_url(root))

    for alices_message in (root, follow_up):
        assertContains(bobs_page, f'href="{report_url(alices_message)}"')
        assertNotContains(alices_page, f'href="{report_url(alices_message)}"')
    assertContains(alices_page, f'href="{report_url(answer)}"')
    assertNotContains(bobs_page, f'href="{report_url(answer)}"')


def test_a_tombstone_has_no_report_link(client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="Soon deleted")
    ReplyFactory(parent_message=root, content="Bob answers")
    services.delete_account(alice)
    client.force_login(bob)

    response = client.get(thread_url(root))

    assertNotContains(response, f'href="{report_url(root)}"')


# --- warnings --------------------------------------------------------------------------


def warning_for(user, text: str, *, minutes_ago: int = 0) -> Notification:
    notification = NotificationFactory(
        user=user, message=None, kind=Notification.Kind.WARNING, text=text
    )
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return notification


def test_the_inbox_shows_a_moderators_warning_with_a_got_it_button(client, alice, moderator):
    warning = warn_user(alice, moderator=moderator, reason="Reports", warning="Please be civil.")
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    assertContains(response, "Warning from the moderators")
    assertContains(response, "Please be civil.")
    assertContains(response, f'action="{acknowledge_url(warning)}"')
    assertContains(response, "Got it")


def test_the_inbox_shows_at_most_5_unseen_warnings_newest_first(client, alice):
    for minutes_ago in range(7):
        warning_for(alice, f"Warning {minutes_ago} minutes old", minutes_ago=minutes_ago)
    seen = warning_for(alice, "Seen already")
    Notification.objects.filter(pk=seen.pk).update(is_seen=True)
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    html = response.content.decode()
    assert INBOX_WARNINGS_SHOWN == 5
    shown = [f"Warning {n} minutes old" for n in range(5)]
    assert [html.index(text) for text in shown] == sorted(html.index(text) for text in shown)
    for text in ("Warning 5 minutes old", "Warning 6 minutes old", "Seen already"):
        assert text not in html


def test_the_inbox_shows_only_the_users_own_warnings(client, alice, bob):
    warning_for(bob, "For bob only")
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    assertNotContains(response, "For bob only")
    assertNotContains(response, "Warning from the moderators")


def test_a_warning_is_shown_escaped(client, alice):
    warning_for(alice, "<script>alert(1)</script>")
    client.force_login(alice)

    response = client.get(reverse("messaging:inbox"))

    assertNotContains(response, "<script>")
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


def test_got_it_marks_the_warning_seen_and_it_leaves_the_inbox(client, alice):
    warning = warning_for(alice, "Please be civil.")
    client.force_login(alice)

    response = client.post(acknowledge_url(warning))

    warning.refresh_from_db()
    assert warning.is_seen
    assert response.status_code == 302
    assert response.url == reverse("messaging:inbox")
    assertNotContains(client.get(reverse("messaging:inbox")), "Please be civil.")


def test_acknowledging_a_warning_twice_is_harmless(client, alice):
    warning = warning_for(alice, "Please be civil.")
    client.force_login(alice)
    client.post(acknowledge_url(warning))

    response = client.post(acknowledge_url(warning))

    assert response.status_code == 302


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_acknowledging_a_warning_takes_a_post(client, alice, method):
    warning = warning_for(alice, "Please be civil.")
    client.force_login(alice)

    response = getattr(client, method)(acknowledge_url(warning))

    assert response.status_code == 405
    warning.refresh_from_db()
    assert not warning.is_seen


def test_acknowledging_someone_elses_warning_is_a_404(client, alice, bob):
    warning = warning_for(bob, "For bob only")
    client.force_login(alice)

    response = client.post(acknowledge_url(warning))

    assert response.status_code == 404
    warning.refresh_from_db()
    assert not warning.is_seen


def test_acknowledging_a_message_notification_is_a_404(client, alice, bob):
    MessageFactory(sender=bob, receiver=alice)
    notification = Notification.objects.get(user=alice)
    client.force_login(alice)

    response = client.post(acknowledge_url(notification))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_seen


@pytest.mark.parametrize("notification_id", [987654, 2**64])
def test_acknowledging_a_warning_that_does_not_exist_is_a_404(client, alice, notification_id):
    client.force_login(alice)

    response = client.post(f"/warnings/{notification_id}/acknowledge/")

    assert response.status_code == 404


def test_an_anonymous_acknowledgement_is_sent_to_the_login_page(client, alice):
    warning = warning_for(alice, "Please be civil.")

    response = client.post(acknowledge_url(warning))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    warning.refresh_from_db()
    assert not warning.is_seen


def test_an_acknowledgement_without_a_csrf_token_is_403(alice):
    warning = warning_for(alice, "Please be civil.")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(acknowledge_url(warning))

    assert response.status_code == 403
    warning.refresh_from_db()
    assert not warning.is_seen


def test_warnings_add_one_query_to_the_inbox_whatever_their_number(
    client, alice, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(alice)
    _unread_messages(alice, 30)
    warning_for(alice, "First warning")
    with django_assert_max_num_queries(6) as one_warning:
        client.get(reverse("messaging:inbox"))
    for number in range(7):
        warning_for(alice, f"Warning {number}")

    with django_assert_num_queries(len(one_warning.captured_queries)):
        response = client.get(reverse("messaging:inbox"))

    assert len(response.context["warnings"]) == INBOX_WARNINGS_SHOWN


# --- delete_user --------------------------------------------------------------------


def test_delete_user_get_shows_a_confirmation_form_and_deletes_nothing(client, alice):
    client.force_login(alice)

    response = client.get(reverse("messaging:delete_user"))

    assertContains(response, 'type="password"')
    assertContains(response, "Delete my account and my messages")
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_delete_user_post_without_csrf_token_is_403_and_deletes_nothing(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    response = browser.post(reverse("messaging:delete_user"), {"password": PASSWORD})

    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_delete_user_with_a_wrong_password_shows_an_error_and_deletes_nothing(
    client, conversation, alice
):
    client.force_login(alice)
    count = Message.objects.count()

    response = client.post(reverse("messaging:delete_user"), {"password": "not my password"})

    assertContains(response, "That password is not correct.")
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    assert Message.objects.count() == count


def test_delete_user_with_the_right_password_deletes_the_account_and_logs_out(client, alice, bob):
    MessageFactory(sender=alice, receiver=bob, content="Alice's only message")
    from_bob = MessageFactory(sender=bob, receiver=alice, content="Bob to Alice")
    client.force_login(alice)

    response = client.post(reverse("messaging:delete_user"), {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("messaging:account_deleted")
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert not Message.objects.filter(content="Alice's only message").exists()
    assert list(Message.objects.all()) == [from_bob]  # kept by its sender
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("messaging:inbox")).url.startswith(LOGIN_URL)


def test_delete_user_keeps_someone_elses_reply_under_a_tombstone(client, conversation, alice):
    root, answer, follow_up = conversation
    client.force_login(alice)

    client.post(reverse("messaging:delete_user"), {"password": PASSWORD})

    root.refresh_from_db()
    answer.refresh_from_db()
    assert (root.is_tombstone, root.sender, root.content) == (True, None, "")
    assert (answer.content, answer.parent_message) == ("Hi Alice", root)
    assert not Message.objects.filter(pk=follow_up.pk).exists()


# --- ids in URLs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/messages/abc/",
        "/messages/abc/reply/",
        "/messages/abc/edit/",
        "/messages/1.5/",
        "/messages/-1/",
        "/messages/1e3/",
        "/messages/%00/",
    ],
)
def test_a_non_numeric_message_id_is_404(client, alice, path):
    client.force_login(alice)

    response = client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("suffix", ["", "reply/", "edit/"])
def test_a_message_id_beyond_the_database_integer_range_is_404(client, alice, suffix):
    client.force_login(alice)

    response = client.get(f"/messages/{2**64}/{suffix}")

    assert response.status_code == 404
