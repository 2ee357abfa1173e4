"""Hostile content (tests/data/hostile.py) on every page and export that shows it.

For each entry: the moderators' pages (message list and search, a message's page
with its thread, form and edit history, the edit log and one of its entries) and
the user pages (inbox, conversations, thread, reply, report and edit) show it escaped,
never as markup; the CSV exports write it with any formula start neutralised and
otherwise unchanged; and what the forms and services store is exactly what was
sent. Text with a NUL, which PostgreSQL cannot store, is refused with a message
by every form and service. Hostile names: the dashboard's top senders, the users
list and its export.
"""

from __future__ import annotations

import difflib

import pytest
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import Truncator
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from admin_ext.admin.base import MAX_SEARCH_TERM_LENGTH, MAX_SEARCH_WORDS
from admin_ext.admin.message_text import MAX_DIFF_COMPARISONS, excerpt, word_diff
from audit.models import AuditEntry
from exports.csv_writer import FORMULA_STARTS
from messaging import services
from messaging.models import MAX_CONTENT_LENGTH, Message, MessageHistory
from moderation.models import Report
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.admin_ext.test_exports import as_dicts, csv_rows, export
from tests.data.hostile import HOSTILE, HOSTILE_USERNAMES, WITH_NUL, HostileText, params
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

EDIT_SUFFIX = " (edited)"
NUL_REFUSAL = "Null characters are not allowed."

# What each page shows of a message (the templates' truncatechars, the admin's excerpt).
INBOX_CHARS = 200
CONVERSATIONS_CHARS = 160
ADMIN_TREE_CHARS = 300

FITS_THE_SERVICES = tuple(entry for entry in HOSTILE if entry.fits_the_services)
SHORT_ENOUGH_FOR_A_NAME = tuple(entry for entry in HOSTILE if len(entry.text) <= 150)


def truncated(text: str, length: int) -> str:
    """What the ``truncatechars`` filter leaves of ``text``."""
    return Truncator(text).chars(length)


def assert_escaped(response, entry: HostileText, *shown: str, page: str) -> str:
    """The page answered, holds none of the entry's raw markup, and holds each of
    ``shown`` (what it displays of the text) escaped. Returns the HTML."""
    assert response.status_code == 200, page
    html = response.content.decode()
    for markup in entry.raw_markup:
        assert markup not in html, (page, markup)
    for text in shown:
        assert escape(text) in html, (page, text[:80])
    return html


def assert_no_formula_starts_a_cell(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell[:80]


def neutralised(text: str) -> str:
    """How a CSV cell holding ``text`` must read: behind a quote if it starts a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def send(text: str, *, sender, receiver) -> Message:
    """``text`` as a new message: through the service, or created directly when it
    is longer than the service accepts (written before the limit)."""
    if len(text) <= MAX_CONTENT_LENGTH:
        return services.send_message(sender=sender, receiver=receiver, content=text)
    return MessageFactory(sender=sender, receiver=receiver, content=text)


def edit(message: Message, text: str, *, editor) -> None:
    if len(text) <= MAX_CONTENT_LENGTH:
        services.edit_message(message, editor=editor, content=text)
    else:
        message.content = text
        message._history_user = editor
        message.save(update_fields=["content"])  # records the history as the service does


@pytest.fixture
def hostile_message(entry: HostileText, alice, bob) -> Message:
    """alice's message to bob holding the entry, edited once (so the edit history
    holds the entry as sent and the message the entry with EDIT_SUFFIX)."""
    message = send(entry.text, sender=alice, receiver=bob)
    edit(message, entry.text + EDIT_SUFFIX, editor=alice)
    return message


# --- pages ------------------------------------------------------------------------


@pytest.mark.parametrize("entry", params(HOSTILE))
def test_the_message_admin_pages_show_hostile_content_escaped(
    moderator_client, hostile_message, entry
):
    content = entry.text + EDIT_SUFFIX
    history = MessageHistory.objects.get(message=hostile_message)

    assert_escaped(
        moderator_client.get(reverse("admin:messaging_message_changelist")),
        entry,
        excerpt(content),
        excerpt(content, length=40),  # the thread column's title
        page="message list",
    )
    change_page = assert_escaped(
        moderator_client.get(reverse("admin:messaging_message_change", args=[hostile_message.pk])),
        entry,
        truncated(content, ADMIN_TREE_CHARS),  # the thread tree
        content,  # the form's textarea
        entry.text,  # the history inline's old content
        page="message page",
    )
    # The inline's word diff: the text kept, then what the edit added.
    assert f"{escape(entry.text)}<ins>{escape(EDIT_SUFFIX)}</ins>" in change_page
    # The stored versions (History button): the edit's change of content, which
    # django-simple-history shortens around what the two texts share, then one version.
    old_shown, new_shown = ObjDiffDisplay(
        max_length=HistoricalRecordContextHelper.DEFAULT_MAX_DISPLAYED_DELTA_CHANGE_CHARS
    ).common_shorten_repr(entry.text, content)
    assert_escaped(
        moderator_client.get(reverse("admin:messaging_message_history", args=[hostile_message.pk])),
        entry,
        old_shown,
        new_shown,
        page="versions",
    )
    first_version = hostile_message.versions.order_by("history_id").first()
    assert_escaped(
        moderator_client.get(
            reverse(
                "admin:messaging_message_simple_history",
                args=[hostile_message.pk, first_version.history_id],
            )
        ),
        entry,
        entry.text,
        page="first version",
    )
    assert_escaped(
        moderator_client.get(reverse("admin:messaging_messagehistory_changelist")),
        entry,
        excerpt(entry.text),
        page="edit log",
    )
    entry_page = assert_escaped(
        moderator_client.get(reverse("admin:messaging_messagehistory_change", args=[history.pk])),
        entry,
        entry.text,
        page="edit log entry",
    )
    assert f"{escape(entry.text)}<ins>{escape(EDIT_SUFFIX)}</ins>" in entry_page


@pytest.mark.parametrize(
    "entry",
    params(
        tuple(
            entry
            for entry in HOSTILE
            if len(entry.text) <= MAX_SEARCH_TERM_LENGTH
            and len(entry.text.split()) <= MAX_SEARCH_WORDS
        )
    ),
)
def test_searching_the_messages_for_hostile_text_finds_it_and_echoes_it_escaped(
    moderator_client, hostile_message, entry
):
    response = moderator_client.get(
        reverse("admin:messaging_message_changelist"), {"q": entry.text}
    )

    assert_escaped(response, entry, entry.text, page="search")  # in the search box
    assert list(response.context["cl"].result_list) == [hostile_message]
    # The command palette's search (⌘K) answers with the term too.
    assert_escaped(
        moderator_client.get(reverse("admin:search"), {"s": entry.text}),
        entry,
        page="command search",
    )


@pytest.mark.parametrize("entry", params(HOSTILE))
def test_the_user_pages_show_hostile_content_escaped(client, hostile_message, entry, alice, bob):
    content = entry.text + EDIT_SUFFIX
    client.force_login(bob)

    assert_escaped(
        client.get(reverse("messaging:inbox")),
        entry,
        truncated(content, INBOX_CHARS),
        page="inbox",
    )
    assert_escaped(
        client.get(reverse("messaging:conversations")),
        entry,
        truncated(content, CONVERSATIONS_CHARS),
        page="conversations",
    )
    assert_escaped(
        client.get(reverse("messaging:thread", args=[hostile_message.pk])),
        entry,
        content,
        page="thread",
    )
    assert_escaped(
        client.get(reverse("messaging:reply", args=[hostile_message.pk])),
        entry,
        content,
        page="reply (quoted)",
    )
    assert_escaped(
        client.get(reverse("moderation:report", args=[hostile_message.pk])),
        entry,
        content,
        page="report (quoted)",
    )
    client.force_login(alice)
    edit_page = assert_escaped(
        client.get(reverse("messaging:edit", args=[hostile_message.pk])),
        entry,
        content,
        page="edit (quoted and in the form)",
    )
    assert edit_page.count(escape(content)) == 2


def test_a_hostile_reply_is_escaped_in_the_thread_below_its_parent(client, alice, bob):
    root = services.send_message(sender=alice, receiver=bob, content="Hello")
    for entry in FITS_THE_SERVICES:
        services.reply(sender=bob, parent=root, content=entry.text)
    client.force_login(alice)

    response = client.get(reverse("messaging:thread", args=[root.pk]))

    for entry in FITS_THE_SERVICES:
        assert_escaped(response, entry, entry.text, page=f"thread, reply {entry.id}")


def test_the_word_diff_compares_only_the_changed_stretch_of_a_huge_message(monkeypatch):
    """The edit history diffs every edit on the page: a 100 KB message took 70 s
    each when SequenceMatcher compared it whole."""
    compared = []
    sequence_matcher = difflib.SequenceMatcher

    def recording_matcher(*, a, b, **options):
        compared.append(len(a) * len(b))
        return sequence_matcher(a=a, b=b, **options)

    monkeypatch.setattr(difflib, "SequenceMatcher", recording_matcher)
    (huge,) = (entry.text for entry in HOSTILE if not entry.fits_the_services)
    middle = len(huge) // 2

    appended = word_diff(huge, huge + EDIT_SUFFIX)
    changed_inside = word_diff(huge, f"{huge[:middle]} CHANGED {huge[middle:]}")
    rewritten = word_diff("a " * 5_000, "b " * 5_000)

    assert appended.endswith(f"{escape(huge[-20:])}<ins>{escape(EDIT_SUFFIX)}</ins></div>")
    assert changed_inside.count("<ins>") == 1
    assert "CHANGED" in changed_inside
    assert "<script>" not in appended + changed_inside
    # Too large a changed stretch is shown removed and added whole.
    assert rewritten.count("<del>") == rewritten.count("<ins>") == 1
    assert max(compared, default=0) <= MAX_DIFF_COMPARISONS


# --- CSV ----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", params(HOSTILE))
def test_the_csv_exports_neutralise_formulas_and_keep_the_text(
    moderator_client, hostile_message, entry
):
    messages_csv = csv_rows(export(moderator_client, "messaging.message"))
    history_csv = csv_rows(export(moderator_client, "messaging.messagehistory"))

    assert_no_formula_starts_a_cell(messages_csv)
    assert_no_formula_starts_a_cell(history_csv)
    (message_row,) = as_dicts(messages_csv)
    (history_row,) = as_dicts(history_csv)
    # Exactly what was sent, behind a quote where it starts a formula.
    assert message_row["content"] == neutralised(entry.text + EDIT_SUFFIX)
    assert history_row["old_content"] == neutralised(entry.text)


# --- stored exactly as sent ---------------------------------------------------------


@pytest.mark.parametrize("entry", params(FITS_THE_SERVICES))
def test_hostile_content_is_stored_exactly_as_sent_through_every_form(
    client, moderator, alice, bob, entry
):
    client.force_login(alice)
    response = client.post(reverse("messaging:send"), {"receiver": "bob", "content": entry.text})
    assert response.status_code == 302
    message = Message.objects.get()

    client.force_login(bob)
    response = client.post(reverse("messaging:reply", args=[message.pk]), {"content": entry.text})
    assert response.status_code == 302
    reply = Message.objects.exclude(pk=message.pk).get()

    client.force_login(alice)
    response = client.post(
        reverse("messaging:edit", args=[message.pk]), {"content": entry.text + EDIT_SUFFIX}
    )
    assert response.status_code == 302

    client.force_login(moderator)
    response = client.post(
        reverse("admin:messaging_message_change", args=[reply.pk]),
        {"content": entry.text + EDIT_SUFFIX, **INLINE_MANAGEMENT_FORMS},
    )
    assert response.status_code == 302

    stored = dict(Message.objects.values_list("pk", "content"))
    assert stored[message.pk].encode() == (entry.text + EDIT_SUFFIX).encode()
    assert stored[reply.pk].encode() == (entry.text + EDIT_SUFFIX).encode()
    old_texts = set(MessageHistory.objects.values_list("old_content", flat=True))
    assert {text.encode() for text in old_texts} == {entry.text.encode()}


def test_content_longer_than_the_limit_written_before_it_reads_back_unchanged(alice, bob):
    (entry,) = (entry for entry in HOSTILE if not entry.fits_the_services)
    message = MessageFactory(sender=alice, receiver=bob, content=entry.text)

    stored = Message.objects.values_list("content", flat=True).get(pk=message.pk)

    assert stored.encode() == entry.text.encode()


# --- NUL: refused with a message, never stored, never a server error -------------------


@pytest.mark.parametrize("entry", params(WITH_NUL))
def test_every_service_refuses_a_nul_with_a_message(alice, bob, entry):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    attempts = {
        "send_message": lambda: services.send_message(
            sender=alice, receiver=bob, content=entry.text
        ),
        "reply": lambda: services.reply(sender=bob, parent=message, content=entry.text),
        "edit_message": lambda: services.edit_message(message, editor=alice, content=entry.text),
    }

    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as refusal:
            attempt()
        assert NUL_REFUSAL in refusal.value.messages, name

    message.refresh_from_db()
    assert message.content == "Hello"
    assert Message.objects.count() == 1
    assert not MessageHistory.objects.exists()


@pytest.mark.parametrize("entry", params(WITH_NUL))
@pytest.mark.parametrize("form", ["send", "reply", "edit", "report", "admin edit"])
def test_every_form_refuses_a_nul_with_a_message(client, moderator, alice, bob, entry, form):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    who, url, data = {
        "send": (alice, reverse("messaging:send"), {"receiver": "bob", "content": entry.text}),
        "reply": (bob, reverse("messaging:reply", args=[message.pk]), {"content": entry.text}),
        "edit": (alice, reverse("messaging:edit", args=[message.pk]), {"content": entry.text}),
        "report": (
            bob,
            reverse("moderation:report", args=[message.pk]),
            {"reason": "spam", "comment": entry.text},
        ),
        "admin edit": (
            moderator,
            reverse("admin:messaging_message_change", args=[message.pk]),
            {"content": entry.text, **INLINE_MANAGEMENT_FORMS},
        ),
    }[form]
    client.force_login(who)

    response = client.post(url, data)

    assert response.status_code == 200
    assert NUL_REFUSAL in response.content.decode()
    message.refresh_from_db()
    assert message.content == "Hello"
    assert not message.edited
    assert Message.objects.count() == 1
    assert not MessageHistory.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not Report.objects.exists()


# --- hostile names ------------------------------------------------------------------


@pytest.mark.parametrize("username", HOSTILE_USERNAMES)
def test_the_dashboard_shows_a_hostile_username_among_the_top_senders(
    moderator_client, bob, username
):
    UnicodeUsernameValidator()(username)  # a name Django lets people choose
    sender = UserFactory(username=username)
    services.send_message(sender=sender, receiver=bob, content="Hello")

    response = moderator_client.get(reverse("admin:index"))

    assert response.status_code == 200
    top_senders = [row[0] for row in response.context["dashboard"]["top_senders"]["rows"]]
    assert len(top_senders) == 1
    assert f">{escape(username)}</a>" in top_senders[0]
    assert f">{escape(username)}</a>" in response.content.decode()


@pytest.mark.parametrize("username", HOSTILE_USERNAMES)
def test_the_users_export_neutralises_a_hostile_username(moderator_client, username):
    user = UserFactory(username=username)

    rows = csv_rows(export(moderator_client, "auth.user"))

    assert_no_formula_starts_a_cell(rows)
    (row,) = (row for row in as_dicts(rows) if row["id"] == str(user.pk))
    assert row["username"] == neutralised(username)


@pytest.mark.parametrize("entry", params(SHORT_ENOUGH_FOR_A_NAME))
def test_the_user_pages_of_the_admin_show_hostile_names_escaped(moderator_client, entry):
    user = UserFactory(username="someone", first_name=entry.text, last_name=entry.text)

    assert_escaped(
        moderator_client.get(reverse("admin:auth_user_changelist")),
        entry,
        user.get_full_name(),
        page="users list",
    )
    assert_escaped(
        moderator_client.get(reverse("admin:auth_user_change", args=[user.pk])),
        entry,
        entry.text,
        page="user page",
    )
    assert_escaped(
        moderator_client.get(reverse("admin:auth_user_delete_account_detail", args=[user.pk])),
        entry,
        user.get_full_name(),
        page="account deletion preview",
    )
    rows = csv_rows(export(moderator_client, "auth.user"))
    assert_no_formula_starts_a_cell(rows)
    (row,) = (row for row in as_dicts(rows) if row["id"] == str(user.pk))
    assert (row["first_name"], row["last_name"]) == (neutralised(entry.text),) * 2
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == (entry.text, entry.text)
