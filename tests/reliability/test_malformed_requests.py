"""Malformed and forged requests get an answer (a redirect, 400, 403, 404 or 405),
never a server error: ids that do not exist or are not numbers on every URL that
takes one, forged admin actions, POSTs without a CSRF token, another person's
message, absurd page numbers, unknown filters, over-long or NUL-bearing search
terms. Each is run as a moderator and as a plain user where both can reach it.

The admin site refuses some before any view runs: a NUL anywhere in an admin
page's query string (400), and what the role policy does not list (403): "view
on site", an action it does not name. Every query parameter of every changelist
is swept in test_malformed_changelists.py."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from admin_ext.admin.actions import ACCOUNT_IDS_FIELD
from audit.models import AuditEntry
from jobs.models import Job
from messaging.models import Message, MessageHistory, Notification
from moderation.models import Report
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import PASSWORD, MessageFactory, UserFactory
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db

# Answers that refuse a request without failing: Django's admin redirects (to the
# index with "does not exist", or to ?e=1 for a bad filter), the rest refuse.
REFUSALS = {302, 400, 403, 404, 405}

BAD_IDS = {
    "missing": "999999",
    "not-a-number": "abc",
    "negative": "-1",
    "decimal": "1.5",
    "huge": "9" * 30,
    "nul": "\x00",
    "markup": "<script>",
}

# Every admin URL that takes an object id, as (url name, how many ids).
ADMIN_ID_URLS = [
    *(
        (f"admin:{model}_{view}", 1)
        for model in (
            "messaging_message",
            "messaging_messagehistory",
            "audit_auditentry",
            "jobs_job",
            "auth_user",
            "auth_group",
            "django_tasks_database_dbtaskresult",
        )
        for view in ("change", "history", "delete")
    ),
    ("admin:jobs_job_retry", 1),
    ("admin:jobs_job_download", 1),
    ("admin:auth_user_delete_account_detail", 1),
    ("admin:auth_user_password_change", 1),
    ("admin:messaging_message_simple_history", 2),
    ("admin:auth_user_simple_history", 2),
    ("admin:view_on_site", 2),
]

CHANGELISTS = [
    "admin:messaging_message_changelist",
    "admin:messaging_messagehistory_changelist",
    "admin:audit_auditentry_changelist",
    "admin:jobs_job_changelist",
    "admin:auth_user_changelist",
]

SEARCH_TERMS = {
    "5000-words": "spam " * 5_000,
    "100000-characters": "x" * 100_000,
    "unbalanced-quotes": "'\"' \"' '",
}


@pytest.fixture
def superuser_client(superuser):
    other = Client()
    other.force_login(superuser)
    return other


@pytest.fixture
def staff_client(request, moderator_client, superuser_client):
    """The admin as a moderator, then as a superuser (who passes more checks)."""
    return {"moderator": moderator_client, "superuser": superuser_client}[request.param]


def client_for(user, *, enforce_csrf_checks: bool = False) -> Client:
    browser = Client(enforce_csrf_checks=enforce_csrf_checks)
    browser.force_login(user)
    return browser


def assert_refused(response, context: object) -> None:
    assert response.status_code in REFUSALS, (context, response.status_code)


def admin_url(name: str, count: int, bad_id: str) -> str:
    return reverse(name, args=[bad_id] * count)


def something_in_every_table(moderator, alice, bob) -> Message:
    """A message with an edit and a notification, a job, an audit entry: so a bad
    id is the only reason a page cannot show an object."""
    message = MessageFactory(sender=alice, receiver=bob, content="Hello")
    message.content = "Hello again"
    message.save(update_fields=["content"])
    JobFactory(started_by=moderator, status=Job.Status.FAILED)
    AuditEntry.objects.create(action=AuditEntry.Action.EXPORT, actor=moderator)
    return message


# --- ids on the user pages ----------------------------------------------------------


@pytest.mark.parametrize("bad_id", BAD_IDS.values(), ids=BAD_IDS.keys())
@pytest.mark.parametrize("who", ["alice", "moderator"])
def test_a_bad_message_id_on_a_user_page_is_a_404(request, conversation, who, bad_id):
    browser = client_for(request.getfixturevalue(who))

    for suffix in ("", "reply/", "edit/", "report/"):
        url = f"/messages/{bad_id}/{suffix}"
        for method in (browser.get, browser.post):
            response = method(url, {"content": "Hi"} if method == browser.post else None)
            assert response.status_code == 404, (url, method.__name__)
    assert Message.objects.count() == 3


@pytest.mark.parametrize("bad_id", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_a_bad_warning_id_is_refused_and_acknowledges_nothing(client, alice, bad_id):
    warning = Notification.objects.create(user=alice, kind=Notification.Kind.WARNING, text="Hi")
    client.force_login(alice)
    url = f"/warnings/{bad_id}/acknowledge/"

    assert client.post(url).status_code == 404, url
    assert client.get(url).status_code in {404, 405}, url
    warning.refresh_from_db()
    assert not warning.is_seen


@pytest.mark.parametrize(
    "url_name", ["messaging:thread", "messaging:reply", "messaging:edit", "moderation:report"]
)
def test_another_persons_message_is_a_404_whatever_the_method(
    client, conversation, carol, url_name
):
    root, answer, _ = conversation
    client.force_login(carol)

    for message in (root, answer):
        url = reverse(url_name, args=[message.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"content": "Hijack", "reason": "spam"}).status_code == 404
    assert not Message.objects.filter(content="Hijack").exists()
    assert not Report.objects.exists()


def test_a_moderator_is_a_stranger_on_the_user_pages(client, conversation, moderator):
    root, *_ = conversation
    client.force_login(moderator)

    for url_name in ("messaging:thread", "messaging:reply", "messaging:edit", "moderation:report"):
        assert client.get(reverse(url_name, args=[root.pk])).status_code == 404


def test_editing_the_other_persons_message_in_ones_own_thread_is_a_403(client, conversation, bob):
    root, *_ = conversation  # alice's
    client.force_login(bob)

    assert client.get(reverse("messaging:edit", args=[root.pk])).status_code == 403
    response = client.post(reverse("messaging:edit", args=[root.pk]), {"content": "Hijack"})

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.content == "Hello Bob"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_the_forms_are_a_405(client, conversation, alice, method):
    root, *_ = conversation
    client.force_login(alice)

    for url in (
        reverse("messaging:send"),
        reverse("messaging:reply", args=[root.pk]),
        reverse("messaging:edit", args=[root.pk]),
        reverse("moderation:report", args=[root.pk]),
        reverse("messaging:delete_user"),
    ):
        assert getattr(client, method)(url).status_code == 405, url


# --- ids on the admin -----------------------------------------------------------------


@pytest.mark.parametrize("staff_client", ["moderator", "superuser"], indirect=True)
@pytest.mark.parametrize(("url_name", "id_count"), ADMIN_ID_URLS, ids=[n for n, _ in ADMIN_ID_URLS])
def test_a_bad_id_on_an_admin_url_is_refused(
    staff_client, moderator, alice, bob, url_name, id_count
):
    something_in_every_table(moderator, alice, bob)

    for name, bad_id in BAD_IDS.items():
        url = admin_url(url_name, id_count, bad_id)
        assert_refused(staff_client.get(url), (url_name, name, "GET"))
        assert_refused(staff_client.post(url, {}), (url_name, name, "POST"))


def test_the_job_and_version_urls_answer_404_for_a_bad_id(moderator_client, moderator):
    JobFactory(started_by=moderator, status=Job.Status.FAILED)

    for bad_id in BAD_IDS.values():
        assert (
            moderator_client.post(reverse("admin:jobs_job_retry", args=[bad_id])).status_code == 404
        )
        assert (
            moderator_client.get(reverse("admin:jobs_job_download", args=[bad_id])).status_code
            == 404
        )
        for model in ("messaging_message", "auth_user"):
            for url in (
                reverse(f"admin:{model}_history", args=[bad_id]),
                reverse(f"admin:{model}_simple_history", args=[bad_id, bad_id]),
            ):
                assert moderator_client.get(url).status_code == 404, url


def test_a_bad_version_id_of_an_existing_message_is_a_404(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    for bad_id in BAD_IDS.values():
        url = reverse("admin:messaging_message_simple_history", args=[message.pk, bad_id])
        assert moderator_client.get(url).status_code == 404, bad_id


def test_view_on_site_is_refused_by_the_role_policy_whatever_the_ids(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)
    content_type = ContentType.objects.get_for_model(Message)

    for args in (
        [content_type.pk, message.pk],
        [content_type.pk, "abc"],
        ["abc", message.pk],
        [content_type.pk, "9" * 30],
    ):
        assert moderator_client.get(reverse("admin:view_on_site", args=args)).status_code == 403


def test_a_plain_user_is_sent_to_the_admin_login_from_every_admin_url(client, alice, bob):
    client.force_login(alice)
    MessageFactory(sender=alice, receiver=bob)

    for url_name, id_count in ADMIN_ID_URLS:
        for bad_id in ("1", "abc"):
            url = admin_url(url_name, id_count, bad_id)
            for method in (client.get, client.post):
                response = method(url)
                assert response.status_code == 302, (url, method.__name__)
                assert response.url.startswith(reverse("admin:login")), url


# --- forged admin actions --------------------------------------------------------------

FORGED_ACTIONS = {
    "unknown-action": {"action": "drop_everything", ACTION_CHECKBOX_NAME: ["{id}"]},
    "not-a-number": {"action": "mark_as_read", ACTION_CHECKBOX_NAME: ["abc"]},
    "mixed-ids": {"action": "mark_as_read", ACTION_CHECKBOX_NAME: ["{id}", "abc", "1.5"]},
    "huge-id": {"action": "mark_as_read", ACTION_CHECKBOX_NAME: ["9" * 30]},
    "nul-id": {"action": "mark_as_read", ACTION_CHECKBOX_NAME: ["\x00"]},
    "nothing-selected": {"action": "mark_as_read"},
    "bogus-select-across": {
        "action": "mark_as_unread",
        "select_across": "everything-please",
        ACTION_CHECKBOX_NAME: ["abc"],
    },
    "bogus-index": {"action": "mark_as_read", "index": "x", ACTION_CHECKBOX_NAME: ["{id}"]},
    "two-actions": {"action": ["mark_as_read", "nope"], "index": "7", ACTION_CHECKBOX_NAME: ["1"]},
    "delete-selected": {"action": "delete_selected", ACTION_CHECKBOX_NAME: ["{id}"]},
}


def forged(data: dict, object_id: int) -> dict:
    def fill(value):
        return value.replace("{id}", str(object_id)) if isinstance(value, str) else value

    return {
        key: [fill(item) for item in value] if isinstance(value, list) else fill(value)
        for key, value in data.items()
    }


@pytest.mark.parametrize("data", FORGED_ACTIONS.values(), ids=FORGED_ACTIONS.keys())
def test_a_forged_action_on_the_messages_is_refused_and_changes_nothing(
    moderator_client, alice, bob, data
):
    message = MessageFactory(sender=alice, receiver=bob, read=True)
    data = forged(data, message.pk)
    url = reverse("admin:messaging_message_changelist")

    response = moderator_client.post(url, data)

    # 403: an action the role policy does not name (unknown, two, delete_selected).
    assert response.status_code in {200, 302, 400, 403}, response.status_code
    assert Message.objects.filter(pk=message.pk).exists()
    if data.get("select_across") is None:
        # Only "select all" (which a real form may send) reaches every row.
        message.refresh_from_db()
        assert message.read


@pytest.mark.parametrize("data", FORGED_ACTIONS.values(), ids=FORGED_ACTIONS.keys())
def test_a_forged_action_on_the_users_and_jobs_is_refused(moderator_client, moderator, alice, data):
    job = JobFactory(started_by=moderator, status=Job.Status.FAILED)
    for url_name, object_id, action in (
        ("admin:auth_user_changelist", alice.pk, "delete_accounts"),
        ("admin:jobs_job_changelist", job.pk, "retry_jobs"),
    ):
        post = forged(data, object_id)
        if post.get("action") in ("mark_as_read", "mark_as_unread"):
            post["action"] = action

        response = moderator_client.post(reverse(url_name), post)

        assert response.status_code in {200, 302, 400, 403}, (url_name, response.status_code)
    assert alice.__class__.objects.filter(pk=alice.pk).exists()


@pytest.mark.parametrize(
    "account_ids", ["abc", "1,abc,", "", ",,,", "9" * 30, "\x00", "-5,0"], ids=repr
)
def test_a_forged_account_deletion_confirmation_deletes_nobody(
    moderator_client, alice, account_ids
):
    response = moderator_client.post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "delete_accounts",
            ACTION_CHECKBOX_NAME: [str(alice.pk)],
            ACCOUNT_IDS_FIELD: account_ids,
            "post": "yes",
            "reason": "forged",
        },
    )

    assert response.status_code in {200, 302}
    assert alice.__class__.objects.filter(pk=alice.pk).exists()


# --- CSRF ---------------------------------------------------------------------------


def test_every_user_page_post_without_a_csrf_token_is_a_403(conversation, alice):
    root, answer, _ = conversation
    browser = client_for(alice, enforce_csrf_checks=True)
    posts = {
        reverse("messaging:send"): {"receiver": "bob", "content": "No token"},
        reverse("messaging:reply", args=[answer.pk]): {"content": "No token"},
        reverse("messaging:edit", args=[root.pk]): {"content": "No token"},
        reverse("messaging:delete_user"): {"password": PASSWORD},
        reverse("logout"): {},
        reverse("password_change"): {
            "old_password": PASSWORD,
            "new_password1": "a-new-secret-2026",
            "new_password2": "a-new-secret-2026",
        },
    }

    for url, data in posts.items():
        assert browser.post(url, data).status_code == 403, url

    assert not Message.objects.filter(content="No token").exists()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert browser.get(reverse("messaging:inbox")).status_code == 200  # still logged in


def test_logging_in_without_a_csrf_token_is_a_403(db):
    UserFactory(username="dora")
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(reverse("login"), {"username": "dora", "password": PASSWORD})

    assert response.status_code == 403


def test_admin_posts_without_a_csrf_token_are_a_403(moderator, alice, bob):
    message = something_in_every_table(moderator, alice, bob)
    job = Job.objects.get()
    browser = client_for(moderator, enforce_csrf_checks=True)
    posts = {
        reverse("admin:messaging_message_change", args=[message.pk]): {
            "content": "No token",
            **INLINE_MANAGEMENT_FORMS,
        },
        reverse("admin:messaging_message_changelist"): {
            "action": "mark_as_read",
            ACTION_CHECKBOX_NAME: [str(message.pk)],
        },
        reverse("admin:auth_user_changelist"): {
            "action": "delete_accounts",
            ACTION_CHECKBOX_NAME: [str(alice.pk)],
            "post": "yes",
            "reason": "no token",
        },
        reverse("admin:jobs_job_retry", args=[job.pk]): {},
        reverse("admin:messaging_message_export"): {"format": "0", "resource": "0"},
        reverse("admin:logout"): {},
    }

    for url, data in posts.items():
        assert browser.post(url, data).status_code == 403, url

    message.refresh_from_db()
    assert (message.content, message.read) == ("Hello again", False)
    assert alice.__class__.objects.filter(pk=alice.pk).exists()
    assert Job.objects.get().status == Job.Status.FAILED
    assert AuditEntry.objects.count() == 1  # the one made above: no export, no retry


# --- page numbers, filters, search --------------------------------------------------

PAGE_NUMBERS = ["9" * 30, "99999999", "0", "-1", "abc", "1e9", "\x00", ""]
# The admin site refuses a NUL before any view (test_a_nul_in_an_admin_query_string_is_a_400).
ADMIN_PAGE_NUMBERS = [number for number in PAGE_NUMBERS if "\x00" not in number]


@pytest.mark.parametrize("page_number", PAGE_NUMBERS, ids=repr)
def test_any_page_number_on_the_user_lists_answers_a_page(client, conversation, bob, page_number):
    client.force_login(bob)

    for url_name in ("inbox", "conversations"):
        response = client.get(reverse(f"messaging:{url_name}"), {"page": page_number})
        assert response.status_code == 200, url_name


@pytest.mark.parametrize("page_number", ADMIN_PAGE_NUMBERS, ids=repr)
def test_any_page_number_on_the_admin_lists_is_a_page_or_a_redirect(
    moderator_client, moderator, alice, bob, page_number
):
    message = something_in_every_table(moderator, alice, bob)

    for url_name in CHANGELISTS:
        response = moderator_client.get(reverse(url_name), {"p": page_number})
        assert response.status_code in {200, 302}, (url_name, response.status_code)
    for url in (
        reverse("admin:messaging_message_history", args=[message.pk]),
        reverse("admin:auth_user_history", args=[alice.pk]),
    ):
        assert moderator_client.get(url, {"p": page_number}).status_code == 200, url


BAD_FILTERS = {
    "unknown-parameter": {"foo": "bar"},
    "bad-foreign-key": {"sender__id__exact": "abc"},
    "huge-foreign-key": {"sender__id__exact": "9" * 30},
    "bad-yes-no": {"unread": "maybe", "has_replies": "\u202e", "edited__exact": "2"},
    "bad-date-range": {
        "timestamp_from_0": "2026-13-45",
        "timestamp_from_1": "25:99",
        "timestamp_to_0": "-1",
        "timestamp_to_1": "x",
    },
    "bad-ordering": {"o": "99.-abc.1"},
    "error-flag-and-junk": {"e": "1", "foo": "bar"},
}


@pytest.mark.parametrize("params", BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
def test_bad_changelist_filters_are_a_page_or_a_redirect(
    moderator_client, moderator, alice, bob, params
):
    something_in_every_table(moderator, alice, bob)

    for url_name in CHANGELISTS:
        response = moderator_client.get(reverse(url_name), params)
        assert response.status_code in {200, 302}, (url_name, response.status_code)
        if response.status_code == 302:
            assert response.url.endswith("?e=1"), response.url


def test_an_unknown_filter_redirects_with_the_error_flag(moderator_client):
    response = moderator_client.get(reverse("admin:messaging_message_changelist"), {"foo": "bar"})

    assert response.status_code == 302
    assert response.url == reverse("admin:messaging_message_changelist") + "?e=1"


@pytest.mark.parametrize("term", SEARCH_TERMS.values(), ids=SEARCH_TERMS.keys())
def test_an_over_long_or_broken_search_term_answers_a_page(
    moderator_client, moderator, alice, bob, term
):
    something_in_every_table(moderator, alice, bob)

    for url_name in CHANGELISTS:
        response = moderator_client.get(reverse(url_name), {"q": term})
        assert response.status_code == 200, url_name
    response = moderator_client.get(reverse("admin:messaging_message_export"), {"q": term})
    assert response.status_code == 200


@pytest.mark.parametrize("term", SEARCH_TERMS.values(), ids=SEARCH_TERMS.keys())
def test_an_over_long_or_broken_autocomplete_term_answers_json(moderator_client, alice, term):
    response = moderator_client.get(
        reverse("admin:autocomplete"),
        {
            "term": term,
            "app_label": "messaging",
            "model_name": "message",
            "field_name": "sender",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_forged_autocomplete_request_is_a_403(moderator_client):
    for params in (
        {"term": "a", "app_label": "nope", "model_name": "x", "field_name": "y"},
        {"term": "a", "app_label": "messaging", "model_name": "message", "field_name": "content"},
        {"term": "a"},
    ):
        assert moderator_client.get(reverse("admin:autocomplete"), params).status_code == 403


# PostgreSQL refuses a NUL as a query parameter, and no stored text holds one.
NUL_IN_ADMIN_QUERIES = {
    "search": ("admin:messaging_message_changelist", {"q": "needle\x00"}),
    "page": ("admin:messaging_message_changelist", {"p": "\x00"}),
    "yes-no-filter": ("admin:messaging_message_changelist", {"has_replies": "\x00"}),
    "date-range": ("admin:messaging_message_changelist", {"timestamp_to_0": "\x00"}),
    "choice-filters": ("admin:jobs_job_changelist", {"kind__exact": "\x00", "status": "\x00"}),
    "audit-action": ("admin:audit_auditentry_changelist", {"action__exact": "\x00"}),
    "export-search": ("admin:messaging_message_export", {"q": "needle\x00"}),
    "command-search-page": ("admin:search", {"s": "mess", "page": "\x00"}),
    "autocomplete": (
        "admin:autocomplete",
        {
            "term": "needle\x00",
            "app_label": "messaging",
            "model_name": "message",
            "field_name": "sender",
        },
    ),
}


@pytest.mark.parametrize(
    ("url_name", "query"), NUL_IN_ADMIN_QUERIES.values(), ids=NUL_IN_ADMIN_QUERIES.keys()
)
def test_a_nul_in_an_admin_query_string_is_a_400(moderator_client, alice, bob, url_name, query):
    MessageFactory(sender=alice, receiver=bob, content="needle in a haystack")

    response = moderator_client.get(reverse(url_name), query)

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("term", "warning"),
    [
        ("spam " * 21, "Search for at most 20 words: nothing was searched."),
        ("x" * 1_001, "Search for at most 1,000 characters: nothing was searched."),
    ],
    ids=["21-words", "1001-characters"],
)
def test_an_over_long_search_is_not_run_and_says_why(moderator_client, alice, bob, term, warning):
    MessageFactory(sender=alice, receiver=bob, content=term)

    for url_name in CHANGELISTS:
        response = moderator_client.get(reverse(url_name), {"q": term})
        assert list(response.context["cl"].result_list) == [], url_name
        assert warning in [str(m) for m in response.context["messages"]], url_name


def test_a_search_of_20_words_is_run(moderator_client, alice, bob):
    text = " ".join(f"word{n}" for n in range(20))
    message = MessageFactory(sender=alice, receiver=bob, content=text)

    response = moderator_client.get(reverse("admin:messaging_message_changelist"), {"q": text})

    assert list(response.context["cl"].result_list) == [message]


def test_an_edit_history_page_of_a_message_without_edits_answers(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)
    assert not MessageHistory.objects.exists()

    response = moderator_client.get(reverse("admin:messaging_message_history", args=[message.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("page_number", ADMIN_PAGE_NUMBERS, ids=repr)
def test_a_bad_page_of_the_admin_command_search_is_a_404(moderator_client, page_number):
    url = reverse("admin:search")
    assert moderator_client.get(url, {"s": "mess", "page": "1"}).status_code == 200

    response = moderator_client.get(url, {"s": "mess", "page": page_number})

    assert response.status_code == 404
