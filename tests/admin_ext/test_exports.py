"""CSV exports from the moderators' admin (admin_ext/exports, the four admins,
the EXPORT job handler in exports/jobs.py): who may export, which rows and columns, formulas
neutralised and content intact, one audit entry per export, large exports as a
background job writing the same rows to a file, and bad input refused clearly."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from audit.services import record_audit_entry
from exports.jobs import write_export_file
from exports.resources import (
    AuditEntryResource,
    MessageHistoryResource,
    MessageResource,
    UserResource,
)
from jobs import runner as job_runner
from jobs import services as job_services
from jobs.models import Job
from jobs.progress import Progress
from messaging import services
from messaging.models import Message
from moderation.services import act_on_case
from tests.factories import MessageFactory, ModeratorFactory, reported_message

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]
HOSTILE = [
    "<script>alert(1)</script>",
    'She said "hi", then left',
    "line one\nline two\r\nline three",
    "emoji 🙂👍🏽 and accents: déjà vu",
    "right-to-left \u202eoverride\u202c and עברית",
]
SEARCH_TERM = "needle"

# model label -> (resource, changelist url name)
EXPORTS = {
    "messaging.message": (MessageResource, "messaging_message"),
    "messaging.messagehistory": (MessageHistoryResource, "messaging_messagehistory"),
    "auth.user": (UserResource, "auth_user"),
    "audit.auditentry": (AuditEntryResource, "audit_auditentry"),
}


def export_url(label: str, query: str = "") -> str:
    url = reverse(f"admin:{EXPORTS[label][1]}_export")
    return f"{url}?{query}" if query else url


def changelist_url(label: str) -> str:
    return reverse(f"admin:{EXPORTS[label][1]}_changelist")


def form_data(label: str, fields: list[str] | None = None) -> dict[str, str]:
    """What the export form posts: CSV, the only resource, the chosen fields."""
    resource = EXPORTS[label][0]
    prefix = resource.__name__.lower()
    fields = fields if fields is not None else list(resource().get_export_order())
    return {"format": "0", "resource": "0", **{f"{prefix}_{name}": "on" for name in fields}}


def export(client, label: str, query: str = "", fields: list[str] | None = None):
    return client.post(export_url(label, query), form_data(label, fields))


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *lines = rows
    return [dict(zip(header, line, strict=True)) for line in lines]


@pytest.fixture
def staff_without_export(db):
    """A moderator whose group holds no export permission: the role allows
    exports, Django's permission refuses them."""
    user = ModeratorFactory(username="viewer")
    Group.objects.get(name="Moderators").permissions.remove(
        *Permission.objects.filter(codename__startswith="export_")
    )
    return user


@pytest.fixture
def inbox(alice, bob, carol):
    """bob's messages: unread ones with the search term (the selection), and ones
    a filter or the search leaves out."""
    selected = [
        MessageFactory(sender=alice, receiver=bob, content=f"{SEARCH_TERM} {text}")
        for text in ["one", *HOSTILE]
    ]
    selected += [
        MessageFactory(sender=alice, receiver=bob, content=f"{formula} {SEARCH_TERM}")
        for formula in FORMULAS
    ]
    read = MessageFactory(sender=alice, receiver=bob, content=f"{SEARCH_TERM} but read")
    Message.objects.filter(pk=read.pk).update(read=True)
    MessageFactory(sender=carol, receiver=bob, content="unread, but not searched for")
    return selected


SELECTION = f"unread=1&q={SEARCH_TERM}"


# --- permission -------------------------------------------------------------------------


def test_a_moderator_sees_the_export_button_carrying_the_lists_filters(moderator_client, inbox):
    response = moderator_client.get(f"{changelist_url('messaging.message')}?{SELECTION}")

    assertContains(
        response, f'href="{export_url("messaging.message")}?q={SEARCH_TERM}&amp;unread=1"'
    )


@pytest.mark.parametrize("label", EXPORTS)
def test_a_moderator_gets_the_export_form(moderator_client, label):
    response = moderator_client.get(export_url(label))

    assert response.status_code == 200
    assertContains(response, f'name="{EXPORTS[label][0].__name__.lower()}_id"')


def test_the_export_page_says_which_rows_will_be_exported(moderator_client, inbox):
    response = moderator_client.get(export_url("messaging.message", SELECTION))

    assertContains(response, f"{len(inbox)} messages will be exported")
    assertContains(response, f"search “{SEARCH_TERM}”")
    assertNotContains(response, "written in the background")


def test_the_export_page_warns_when_the_export_will_run_as_a_job(
    moderator_client, inbox, low_stream_limit
):
    response = moderator_client.get(export_url("messaging.message", SELECTION))

    assertContains(response, "written in the background")


@pytest.mark.parametrize("label", EXPORTS)
def test_staff_without_the_export_permission_get_no_export_button(
    client, staff_without_export, label
):
    client.force_login(staff_without_export)

    response = client.get(changelist_url(label))

    assert response.status_code == 200
    assertNotContains(response, export_url(label))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("label", EXPORTS)
def test_staff_without_the_export_permission_cannot_export_with_a_forged_request(
    client, staff_without_export, label, method
):
    client.force_login(staff_without_export)

    response = getattr(client, method)(export_url(label), form_data(label))

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.post(export_url("messaging.message"), form_data("messaging.message"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_superuser_may_export(client, superuser, inbox):
    client.force_login(superuser)

    assert len(csv_rows(export(client, "messaging.message"))) == 1 + Message.objects.count()


def test_the_migration_grants_the_four_export_permissions_to_moderators(moderator):
    granted = {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in Group.objects.get(name="Moderators").permissions.filter(
            codename__startswith="export_"
        )
    }
    assert granted == {
        "messaging.export_message",
        "messaging.export_messagehistory",
        "auth.export_user",
        "audit.export_auditentry",
    }
    assert moderator.has_perm("messaging.export_message")


# --- which rows and columns -------------------------------------------------------------


def test_the_export_holds_exactly_the_rows_of_the_filtered_and_searched_list(
    moderator_client, inbox
):
    listed = moderator_client.get(f"{changelist_url('messaging.message')}?{SELECTION}")
    listed_ids = [str(message.pk) for message in listed.context["cl"].result_list]

    rows = as_dicts(csv_rows(export(moderator_client, "messaging.message", SELECTION)))

    assert [row["id"] for row in rows] == listed_ids  # same rows, same order
    assert {int(row["id"]) for row in rows} == {message.pk for message in inbox}


def test_the_export_streams_a_utf8_csv_attachment_with_a_safe_file_name(moderator_client, inbox):
    response = export(moderator_client, "messaging.message", SELECTION)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="messages-\d{8}-\d{6}\.csv"', response["Content-Disposition"]
    )
    assert "no-store" in response["Cache-Control"]
    assert csv_rows(response)[0] == list(MessageResource().get_export_order())


def test_formulas_are_neutralised_in_every_text_cell(moderator_client, inbox):
    rows = as_dicts(csv_rows(export(moderator_client, "messaging.message", SELECTION)))
    contents = {row["content"] for row in rows}

    for formula in FORMULAS:
        assert f"'{formula} {SEARCH_TERM}" in contents
    for row in rows:
        assert not row["content"].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_hostile_content_round_trips_unchanged(moderator_client, inbox):
    rows = as_dicts(csv_rows(export(moderator_client, "messaging.message", SELECTION)))
    contents = {row["content"] for row in rows}

    for text in HOSTILE:
        assert f"{SEARCH_TERM} {text}" in contents


def test_the_message_columns_are_the_resources(moderator_client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="root")
    reply = MessageFactory(sender=bob, receiver=alice, content="reply", parent_message=root)

    rows = as_dicts(csv_rows(export(moderator_client, "messaging.message", "q=reply")))

    assert rows == [
        {
            "id": str(reply.pk),
            "sender": "bob",
            "receiver": "alice",
            "content": "reply",
            "timestamp": timezone.localtime(reply.timestamp).isoformat(),
            "thread_id": str(root.pk),
            "parent_id": str(root.pk),
            "depth": "1",
            "edited": "false",
            "edited_at": "",
            "read": "false",
            "is_tombstone": "false",
        }
    ]


def test_only_the_fields_the_moderator_ticked_are_exported(moderator_client, inbox):
    rows = csv_rows(export(moderator_client, "messaging.message", SELECTION, ["id", "read"]))

    assert rows[0] == ["id", "read"]


def test_the_user_export_never_holds_passwords_or_email_addresses(moderator_client, alice):
    rows = csv_rows(export(moderator_client, "auth.user", "q=alice"))

    assert rows[0] == [
        "id",
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    text = json.dumps(rows)
    assert alice.email not in text
    assert alice.password not in text
    assert as_dicts(rows)[0]["username"] == "alice"


def test_the_edit_history_export_names_the_message_and_editor(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="=1+1 was here")
    services.edit_message(message, editor=alice, content="fixed")

    rows = as_dicts(csv_rows(export(moderator_client, "messaging.messagehistory")))

    assert [(row["message_id"], row["old_content"], row["editor"]) for row in rows] == [
        (str(message.pk), "'=1+1 was here", "alice")
    ]


def test_the_audit_export_writes_details_as_json(moderator_client, moderator):
    record_audit_entry(
        action=AuditEntry.Action.ACCOUNT_DELETED,
        actor=moderator,
        target_user_id=7,
        target_username="@zeno",
        reason="-spam",
        details={"messages_deleted": 3},
    )

    rows = as_dicts(csv_rows(export(moderator_client, "audit.auditentry")))

    deletion = next(row for row in rows if row["action"] == "account_deleted")
    assert deletion["actor_username"] == "moderator"
    assert deletion["target_username"] == "'@zeno"
    assert deletion["reason"] == "'-spam"
    assert deletion["target_user_id"] == "7"
    assert json.loads(deletion["details"]) == {"messages_deleted": 3}


def test_the_audit_export_holds_the_case_id_and_can_be_one_cases_timeline(
    moderator_client, moderator
):
    case = reported_message().case
    act_on_case(case, moderator=moderator, actions=["hide", "warn"], reason="Abuse", warning="Stop")
    record_audit_entry(action=AuditEntry.Action.MESSAGE_EDITED, actor=moderator)  # no case

    everything = as_dicts(csv_rows(export(moderator_client, "audit.auditentry")))
    timeline = as_dicts(
        csv_rows(export(moderator_client, "audit.auditentry", f"case_id__exact={case.pk}"))
    )

    assert {row["case_id"] for row in everything} == {str(case.pk), ""}
    assert sorted(row["action"] for row in timeline) == ["message_hidden", "user_warned"]
    assert {row["case_id"] for row in timeline} == {str(case.pk)}


def test_a_streamed_export_costs_the_same_queries_whatever_its_size(
    moderator_client, alice, bob, django_assert_max_num_queries
):
    MessageFactory.create_batch(3, sender=alice, receiver=bob)
    with django_assert_max_num_queries(9) as small:
        csv_rows(export(moderator_client, "messaging.message"))
    MessageFactory.create_batch(40, sender=alice, receiver=bob)

    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(csv_rows(export(moderator_client, "messaging.message"))) == 44


# --- audit ------------------------------------------------------------------------------


def test_each_streamed_export_writes_one_audit_entry_when_it_starts(
    moderator_client, moderator, inbox
):
    export(moderator_client, "messaging.message", SELECTION)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == moderator
    assert entry.details == {
        "model": "messaging.message",
        "filters": "unread=1",  # the search words are not kept (test_export_audit)
        "search": True,
        "text_filters": [],
        "rows": len(inbox),
        "format": "csv",
        "job_id": None,
        "fields": list(MessageResource().get_export_order()),
    }


def test_the_audit_entry_keeps_no_message_text(moderator_client, inbox):
    export(moderator_client, "messaging.message", "unread=1")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    stored = json.dumps([entry.details, entry.reason, entry.target_username])
    for message in inbox:
        assert message.content not in stored


# --- large exports: a background job ------------------------------------------------------


@pytest.fixture
def low_stream_limit(settings, tmp_path):
    settings.EXPORT_STREAM_LIMIT = 3
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_above_the_stream_limit_the_export_becomes_a_queued_job(
    moderator_client, moderator, inbox, low_stream_limit
):
    response = export(moderator_client, "messaging.message", SELECTION)

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.kind == Job.Kind.EXPORT
    assert job.status == Job.Status.QUEUED
    assert job.started_by == moderator
    assert job.progress_total == len(inbox)
    assert job.params == {
        "model": "messaging.message",
        "resource": "MessageResource",
        "fields": list(MessageResource().get_export_order()),
        "filters": [["unread", True]],
        "text_filters": [],
        "search": SEARCH_TERM,
        "ordering": ["-timestamp", "-id"],
        "audit": {"filters": "unread=1", "search": True, "text_filters": []},
        "selects_nothing": False,
        "format": "csv",
    }
    # Nothing exported yet: the job audits the export when its file is written.
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
    assert not list(low_stream_limit.iterdir())


def test_the_job_writes_the_same_rows_as_the_streamed_export(
    moderator_client, moderator, inbox, settings, low_stream_limit
):
    export(moderator_client, "messaging.message", SELECTION)
    job = Job.objects.get()

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result == {
        "file": f"exports/{job.pk}-messaging-message.csv",
        "rows": len(inbox),
        "model": "messaging.message",
    }
    assert job.progress_done == len(inbox)
    file_text = (Path(settings.MEDIA_ROOT) / job.result["file"]).read_bytes().decode("utf-8")
    settings.EXPORT_STREAM_LIMIT = 10_000
    streamed = csv_rows(export(moderator_client, "messaging.message", SELECTION))
    assert list(csv.reader(io.StringIO(file_text, newline=""))) == streamed
    # Only the finished file, no temporary file left beside it.
    assert [path.name for path in (low_stream_limit / "exports").iterdir()] == [
        f"{job.pk}-messaging-message.csv"
    ]


def test_the_job_writes_one_audit_entry_when_it_finishes(
    moderator_client, moderator, inbox, low_stream_limit
):
    export(moderator_client, "messaging.message", SELECTION)
    job = Job.objects.get()

    job_runner.run_job(job.pk)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert entry.actor == moderator
    assert entry.details["job_id"] == job.pk
    assert entry.details["rows"] == len(inbox)
    assert entry.details["filters"] == "unread=1"
    assert entry.details["search"] is True


def test_job_params_and_result_hold_no_message_text(moderator_client, inbox, low_stream_limit):
    export(moderator_client, "messaging.message", "unread=1")
    job = Job.objects.get()
    job_runner.run_job(job.pk)
    job.refresh_from_db()

    stored = json.dumps([job.params, job.result, job.description])
    for message in inbox:
        assert message.content not in stored


def test_a_job_whose_moderator_lost_the_export_permission_fails_and_writes_nothing(
    moderator_client, moderator, inbox, low_stream_limit
):
    export(moderator_client, "messaging.message", SELECTION)
    job = Job.objects.get()
    moderator.groups.clear()

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "may not export" in job.error
    assert not (low_stream_limit / "exports").exists()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_a_job_with_a_forged_field_fails_with_a_clear_error(moderator, inbox, low_stream_limit):
    job = job_services.start_job(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        params={
            "model": "auth.user",
            "resource": "UserResource",
            "fields": ["id", "password"],
            "filters": "",
            "format": "csv",
        },
    )

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Unknown export field for users: password" in job.error


def test_the_handler_filters_and_searches_like_the_changelist(moderator, inbox, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    job = Job.objects.create(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        status=Job.Status.RUNNING,
        params={
            "model": "messaging.message",
            "resource": "MessageResource",
            "fields": ["id"],
            "filters": [["unread", True]],
            "search": SEARCH_TERM,
            "format": "csv",
        },
    )

    result = write_export_file(job, Progress(job))

    lines = (tmp_path / result["file"]).read_text().split()
    assert lines[0] == "id"
    assert {int(line) for line in lines[1:]} == {message.pk for message in inbox}


# --- bad input --------------------------------------------------------------------------


def test_a_forged_unknown_field_is_refused_with_a_message(moderator_client, alice):
    response = export(moderator_client, "auth.user", fields=["id", "password"])

    assert response.status_code == 200
    assertContains(response, "Unknown export field: password.")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_an_unknown_format_is_refused_with_a_message(moderator_client, inbox):
    response = moderator_client.post(
        export_url("messaging.message"), {**form_data("messaging.message"), "format": "3"}
    )

    assert response.status_code == 200
    assertContains(response, "Unknown export format: only CSV is offered.")
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()


def test_no_field_ticked_is_refused_with_a_message(moderator_client, inbox):
    response = export(moderator_client, "messaging.message", fields=[])

    assert response.status_code == 200
    assertContains(response, "Select at least 1 field")


def test_a_filter_on_an_unknown_field_sends_back_to_the_list_with_a_message(
    moderator_client, inbox
):
    response = export(moderator_client, "messaging.message", "no_such_field=1")

    assert response.status_code == 302
    assert response["Location"] == changelist_url("messaging.message")
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("cannot be exported" in message for message in messages)


def test_a_filter_on_a_forbidden_lookup_is_a_bad_request(moderator_client, alice):
    response = export(moderator_client, "auth.user", "password__startswith=md5")

    assert response.status_code == 400


def test_a_finished_export_job_forgets_its_search_words(moderator_client, inbox, low_stream_limit):
    export(moderator_client, "messaging.message", SELECTION)
    job = Job.objects.get()
    assert job.params["search"] == SEARCH_TERM

    job_runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert "search" not in job.params
    assert job.params["filters"] == [["unread", True]]
    assert SEARCH_TERM not in json.dumps(job.params)
