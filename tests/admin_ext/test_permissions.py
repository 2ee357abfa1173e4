"""What each role's writes really do: every action that writes, by every role.

Roles: anonymous, a plain user (not staff), staff without the Moderators group,
a moderator, a superuser. Which pages each role reaches is walked from the URL
resolver in test_role_policy.py; here each write is posted (the test client
skips the CSRF check; CSRF itself is tested in test_account_deletion_admin.py
and test_views.py) and its effect, or its absence, checked in the database.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs.models import Job
from messaging import services
from messaging.models import Message, MessageHistory
from moderation.models import Case, Note
from moderation.services import CaseAction, act_on_case
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    SuperuserFactory,
    UserFactory,
    reported_message,
)
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

ROLES = ("anonymous", "plain", "staff", "moderator", "superuser")


@pytest.fixture
def data(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="Hello")
    services.edit_message(message, editor=alice, content="Hello again")
    entry = record_audit_entry(action=AuditEntry.Action.ACCOUNT_DELETED, actor=None)
    job = JobFactory(status=Job.Status.FAILED, started_by=alice)
    case = reported_message(author=alice, reporter=bob).case
    closed = reported_message(author=UserFactory(username="dora"), reporter=bob).case
    act_on_case(
        closed,
        moderator=ModeratorFactory(username="other-mod"),
        actions=[CaseAction.DISMISS],
        reason="ok",
    )
    return {
        "case": case.pk,
        "closed_case": closed.pk,
        "job": job.pk,
        "message": message.pk,
        "history": MessageHistory.objects.get().pk,
        "user": alice.pk,
        "entry": entry.pk,
    }


def client_for(role, client):
    users = {
        "plain": lambda: UserFactory(username="plain"),
        "staff": lambda: UserFactory(username="staff", is_staff=True),
        "moderator": lambda: ModeratorFactory(username="mod"),
        "superuser": lambda: SuperuserFactory(username="root"),
    }
    if role != "anonymous":
        client.force_login(users[role]())
    return client


@pytest.mark.parametrize(
    ("role", "status", "changes"),
    [("anonymous", 302, False), ("plain", 302, False), ("staff", 403, False),
     ("moderator", 302, True), ("superuser", 302, True)],
)  # fmt: skip
def test_only_moderators_and_superusers_can_mark_messages_read(client, data, role, status, changes):
    response = client_for(role, client).post(
        reverse("admin:messaging_message_changelist"),
        {"action": "mark_as_read", "_selected_action": [data["message"]]},
    )

    assert response.status_code == status  # 302: to the login page, or back to the list
    assert Message.objects.get(pk=data["message"]).read is changes


@pytest.mark.parametrize(
    ("role", "deleted"),
    [("anonymous", False), ("plain", False), ("staff", False), ("moderator", True),
     ("superuser", True)],
)  # fmt: skip
def test_only_moderators_and_superusers_can_delete_an_ordinary_account(client, data, role, deleted):
    client_for(role, client).post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "delete_accounts",
            "_selected_action": [data["user"]],
            "post": "yes",
            "reason": "matrix",
        },
    )

    assert User.objects.filter(pk=data["user"]).exists() is not deleted


@pytest.mark.parametrize("role", ["staff", "moderator"])
def test_only_superusers_can_change_a_user(client, data, role):
    client_for(role, client).post(
        reverse("admin:auth_user_change", args=[data["user"]]),
        {"username": "renamed", "is_active": "on", "date_joined_0": "2026-01-01",
         "date_joined_1": "00:00:00"},
    )  # fmt: skip

    assert User.objects.get(pk=data["user"]).username == "alice"


@pytest.mark.parametrize("role", ["anonymous", "plain", "staff"])
def test_without_change_permission_a_message_edit_is_refused(client, data, role):
    client_for(role, client).post(
        reverse("admin:messaging_message_change", args=[data["message"]]),
        {"content": "forged", "read": "on"},
    )

    assert Message.objects.get(pk=data["message"]).content == "Hello again"


@pytest.mark.parametrize("role", ["moderator", "superuser"])
def test_nobody_can_rewrite_the_audit_log(client, data, role):
    client_for(role, client).post(
        reverse("admin:audit_auditentry_change", args=[data["entry"]]), {"reason": "forged"}
    )
    client_for(role, client).post(
        reverse("admin:audit_auditentry_delete", args=[data["entry"]]), {"post": "yes"}
    )

    assert AuditEntry.objects.get(pk=data["entry"]).reason == ""


@pytest.mark.parametrize(
    ("role", "retried"),
    [("anonymous", False), ("plain", False), ("staff", False), ("moderator", False),
     ("superuser", True)],
)  # fmt: skip
def test_only_the_starter_or_a_superuser_can_retry_a_job(client, data, role, retried):
    # The job was started by someone else (alice): a moderator who did not start
    # it may look at it, not retry it.
    client_for(role, client).post(reverse("admin:jobs_job_retry", args=[data["job"]]))

    assert (Job.objects.get(pk=data["job"]).status == Job.Status.QUEUED) is retried


@pytest.mark.parametrize(
    ("role", "status", "acted"),
    [("anonymous", 302, False), ("plain", 302, False), ("staff", 403, False),
     ("moderator", 302, True), ("superuser", 302, True)],
)  # fmt: skip
def test_only_moderators_and_superusers_can_act_on_a_case(client, data, role, status, acted):
    response = client_for(role, client).post(
        reverse("admin:moderation_case_act", args=[data["case"]]),
        {"act-actions": ["dismiss"], "act-reason": "matrix", "act-close": "on"},
    )

    assert response.status_code == status
    assert (not Case.objects.get(pk=data["case"]).is_open) is acted


@pytest.mark.parametrize(
    ("role", "acted"),
    [("staff", False), ("moderator", True), ("superuser", True)],
)
def test_only_moderators_and_superusers_can_act_on_cases_in_bulk(client, data, role, acted):
    client_for(role, client).post(
        reverse("admin:moderation_case_changelist"),
        {"action": "act_on_cases", "_selected_action": [data["case"]], "apply": "yes",
         "act-actions": ["dismiss"], "act-reason": "matrix", "act-close": "on"},
    )  # fmt: skip

    assert (not Case.objects.get(pk=data["case"]).is_open) is acted


@pytest.mark.parametrize(
    ("role", "status", "added"),
    [("anonymous", 302, False), ("plain", 302, False), ("staff", 403, False),
     ("moderator", 302, True), ("superuser", 302, True)],
)  # fmt: skip
def test_only_moderators_and_superusers_can_add_notes(client, data, role, status, added):
    client = client_for(role, client)

    on_case = client.post(
        reverse("admin:moderation_case_add_note", args=[data["case"]]),
        {"note-text": "matrix", "note-on": "case"},
    )
    on_user = client.post(
        reverse("admin:moderation_case_add_user_note", args=[data["user"]]),
        {"note-text": "matrix"},
    )

    assert (on_case.status_code, on_user.status_code) == (status, status)
    assert Note.objects.count() == (2 if added else 0)


@pytest.mark.parametrize(
    ("role", "status", "changed"),
    [("anonymous", 302, False), ("plain", 302, False), ("staff", 403, False),
     ("moderator", 403, False), ("superuser", 302, True)],
)  # fmt: skip
def test_only_superusers_can_change_evidence_retention(client, data, role, status, changed):
    before = Case.objects.get(pk=data["closed_case"]).retain_until

    response = client_for(role, client).post(
        reverse("admin:moderation_case_retention", args=[data["closed_case"]]),
        {"retention-retain_until": "2099-12-31", "retention-reason": "matrix"},
    )

    assert response.status_code == status
    assert (Case.objects.get(pk=data["closed_case"]).retain_until != before) is changed
