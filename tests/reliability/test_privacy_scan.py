"""After an account deletion, nothing of the person is left anywhere but the audit log.

A person lives a full life here, every text they write and their username
carrying a marker (``MARKER``): messages sent, answered and answering, edited by
them and by a moderator through the admin, messages received, notifications,
versions (django-simple-history), their account changed in the admin, a failed
login on their name, cached thread views and dashboard, a background export of
the messages, a deletion job. Their account is then deleted, and every table,
the cache, the files under MEDIA_ROOT and every log record of the scenario are
searched for the marker (``tests/reliability/privacy_scan.py``).

It may stay only in the audit log's names (``AuditEntry.target_username``, and
``actor_username`` when the person deleted themselves): the append-only record
of who did what to whom; and, because they were reported, in the evidence of
their case while its retention lasts (the snapshot of the reported messages,
the notes on the case; not the case's username, which goes at once). Once the
retention ends and ``purge_expired_evidence`` runs, only the audit log's names
are left. ``test_privacy_scan_people.py`` does the same for a reporter and for
someone who only talked with a reported person.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from exports.resources import MessageResource
from jobs import services as job_services
from jobs.models import Job
from messaging import services
from messaging.models import Message
from moderation import retention
from moderation import services as moderation_services
from moderation.models import Case, Sanction
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import PASSWORD, UserFactory
from tests.jobs.worker import run_db_worker
from tests.reliability.privacy_scan import (
    UNMODELLED_TABLES,
    cache_hits,
    capturing_logs,
    client_of,
    database_hits,
    file_hits,
    log_hits,
    scanned_models,
)

pytestmark = pytest.mark.django_db

# In the username and in everything the person writes. Long, and with letters no
# hex digest has: a three-letter marker turned up by chance three times in CI,
# in a password hash, a signed session and a worker's random id.
MARKER = "qz7privacymark"
USERNAME = f"{MARKER}-person"


@pytest.fixture
def logs():
    """Every log record of the test, from its first fixture on."""
    with capturing_logs() as keeper:
        yield keeper


def test_the_scan_covers_every_table_of_the_database():
    modelled = {model._meta.db_table for model in scanned_models()}
    tables = set(connection.introspection.table_names())
    assert tables - modelled == UNMODELLED_TABLES


# --- a full life --------------------------------------------------------------------------------


def thread_url(message) -> str:
    return reverse("messaging:thread", args=[message.pk])


def export_form() -> dict[str, str]:
    fields = MessageResource().get_export_order()
    return {"format": "0", "resource": "0", **{f"messageresource_{name}": "on" for name in fields}}


@pytest.fixture
def full_life(
    logs, settings, tmp_path, moderator, superuser, bob, django_capture_on_commit_callbacks
) -> dict:
    """The person, their clients, and the export job written about them."""
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_STREAM_LIMIT = 1  # any export is a background job
    person = UserFactory(username=USERNAME)  # email {USERNAME}@example.test
    them, bob_client, moderator_client = client_of(person), client_of(bob), client_of(moderator)

    with django_capture_on_commit_callbacks(execute=True):
        # Someone tried their account with a wrong password (django-axes keeps it).
        Client().post(reverse("login"), {"username": USERNAME, "password": "a wrong guess"})
        # They write, are answered, answer, edit, write what nobody answers.
        them.post(reverse("messaging:send"), {"receiver": "bob", "content": f"{MARKER} hello"})
        root = Message.objects.get(content=f"{MARKER} hello")
        answer = services.reply(sender=bob, parent=root, content="bob answers")
        them.post(reverse("messaging:reply", args=[answer.pk]), {"content": f"{MARKER} reply"})
        their_reply = Message.objects.get(content=f"{MARKER} reply")
        them.post(reverse("messaging:edit", args=[root.pk]), {"content": f"{MARKER} hello!"})
        them.post(reverse("messaging:send"), {"receiver": "bob", "content": f"{MARKER} alone"})
        # Someone writes to them; they answer.
        received = services.send_message(sender=bob, receiver=person, content="bob writes")
        them.post(reverse("messaging:reply", args=[received.pk]), {"content": f"{MARKER} ok"})
        # A moderator edits their words in the admin (admin log, history, audit).
        response = moderator_client.post(
            reverse("admin:messaging_message_change", args=[their_reply.pk]),
            {"content": f"{MARKER} moderated", **INLINE_MANAGEMENT_FORMS},
        )
        assert response.status_code == 302
        # A superuser changes their account in the admin (admin log, user versions).
        response = client_of(superuser).post(
            reverse("admin:auth_user_change", args=[person.pk]),
            {
                "username": USERNAME,
                "first_name": f"{MARKER}first",
                "last_name": f"{MARKER}last",
                "email": f"{USERNAME}@example.test",
                "is_active": "on",
                "date_joined_0": "2026-01-10",
                "date_joined_1": "10:00:00",
            },
        )
        assert response.status_code == 302
        # Bob reports their message; moderators write notes on the person and on
        # the case, and warn them (the case stays open).
        bob_client.post(
            reverse("moderation:report", args=[root.pk]),
            {"reason": "harassment", "comment": "they keep writing"},
        )
        case = Case.objects.get(reported_user=person)
        moderation_services.add_note(author=moderator, text=f"{MARKER} again", user=person)
        moderation_services.add_note(author=moderator, text=f"{MARKER} on case", case=case)
        moderation_services.act_on_case(
            case,
            moderator=moderator,
            actions=["warn"],
            reason="first warning",
            warning=f"{MARKER}: please stop",
            close=False,
        )
        # They appeal the warning from their decisions page (their words again).
        warning = Sanction.objects.get(user=person, kind=Sanction.Kind.WARN)
        response = them.post(
            reverse("moderation:appeal_sanction", args=[warning.pk]),
            {"text": f"{MARKER} my appeal"},
        )
        assert response.status_code == 302
    # Pages that are cached (after the writes' invalidations ran): their threads,
    # seen by both, and the dashboard.
    for client in (them, bob_client):
        assert client.get(thread_url(root)).status_code == 200
        assert client.get(thread_url(received)).status_code == 200
    assert moderator_client.get(reverse("admin:index")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        # An export of every message, written by a background job.
        response = moderator_client.post(reverse("admin:messaging_message_export"), export_form())
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        run_db_worker()
    export_job = Job.objects.get(kind=Job.Kind.EXPORT)
    assert export_job.status == Job.Status.SUCCEEDED, export_job.error
    export_file = Path(settings.MEDIA_ROOT) / export_job.result["file"]
    assert MARKER in export_file.read_text(encoding="utf-8")
    # Moderators look for the person: the search words travel in query strings.
    moderator_client.get(reverse("admin:moderation_case_changelist"), {"q": MARKER})
    moderator_client.get(reverse("admin:messaging_message_changelist"), {"q": MARKER})
    return {
        "person": person,
        "them": them,
        "bob": bob_client,
        "moderator": moderator_client,
        "threads": [root, received],
        "export_file": export_file,
    }


def test_before_the_deletion_the_scan_finds_the_person_everywhere(full_life, logs):
    # The scan sees what it must not find afterwards (so its silence means something).
    hits = database_hits(MARKER)

    assert {
        ("auth_user", "username"),
        ("auth_user", "email"),
        ("auth_user", "first_name"),
        ("audit_historicaluser", "username"),
        ("messaging_message", "content"),
        ("messaging_messagehistory", "old_content"),
        ("messaging_historicalmessage", "content"),
        ("django_admin_log", "object_repr"),
        ("audit_auditentry", "target_username"),
        ("messaging_notification", "text"),  # the warning
        ("moderation_note", "text"),
        ("moderation_report", "evidence"),
        ("moderation_case", "reported_username"),
        ("moderation_appeal", "text"),
    } <= hits
    if apps.is_installed("axes"):
        assert ("axes_accessattempt", "username") in hits
    assert len(cache_hits(MARKER)) >= 3  # two thread views each of two people, the dashboard
    assert file_hits(MARKER) == [str(full_life["export_file"].relative_to(settings.MEDIA_ROOT))]
    # The log scan sees every record of the scenario, any logger, any level.
    logging.getLogger("messaging.services").debug("looked at %s", USERNAME)
    assert log_hits(logs, MARKER) == [f"messaging.services DEBUG looked at {USERNAME}"]


def delete_in_the_admin(life, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = life["moderator"].post(
            reverse("admin:auth_user_changelist"),
            {
                "action": "delete_accounts",
                "_selected_action": [life["person"].pk],
                "post": "yes",
                "reason": "harassment",
            },
        )
    assert response.status_code == 302


def delete_by_a_job(life, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_services.start_job(
            kind=Job.Kind.ACCOUNT_DELETION,
            started_by=moderator,
            params={"user_ids": [life["person"].pk], "reason": "harassment"},
            total=1,
        )
    with django_capture_on_commit_callbacks(execute=True):
        run_db_worker()
    deletion = Job.objects.get(kind=Job.Kind.ACCOUNT_DELETION)
    assert deletion.status == Job.Status.SUCCEEDED, deletion.error
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2  # export, deletion


def delete_themselves(life, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = life["them"].post(reverse("messaging:delete_user"), {"password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "delete", [delete_in_the_admin, delete_by_a_job, delete_themselves], ids=lambda f: f.__name__
)
def test_after_the_deletion_only_the_audit_log_names_the_person(
    full_life, logs, moderator, delete, django_capture_on_commit_callbacks
):
    person = full_life["person"]

    delete(full_life, moderator, django_capture_on_commit_callbacks)

    # The pages they were on, seen again and cached again, show nothing of them
    # (the moderator first reads the admin's "Deleted ..." notice naming them,
    # which lives in their own cookie, not on the server).
    full_life["moderator"].get(reverse("admin:auth_user_changelist"))
    for thread in full_life["threads"]:
        page = full_life["bob"].get(thread_url(thread))
        assert page.status_code == 200
        assert MARKER not in page.text.lower()
    assert MARKER not in full_life["moderator"].get(reverse("admin:index")).text.lower()

    deleted_themselves = delete is delete_themselves
    # As the actor: their appeal's entry (and their own deletion's).
    audit_names = {("audit_auditentry", "target_username"), ("audit_auditentry", "actor_username")}
    # Their case's evidence stays, exactly, while its retention lasts: the
    # snapshot of their reported message and the note on the case (the note on
    # the person went with the account; the case no longer keeps their name).
    evidence = {("moderation_report", "evidence"), ("moderation_note", "text")}
    assert database_hits(MARKER) == audit_names | evidence
    assert cache_hits(MARKER) == []
    assert file_hits(MARKER) == []
    assert log_hits(logs, MARKER) == []
    case = Case.objects.get()
    assert (case.status, case.resolution, case.reported_user) == ("closed", "account_deleted", None)
    assert (case.account_id, case.reported_name) == (person.pk, "deleted account")
    assert case.retain_until > timezone.now() + timedelta(days=89)
    # The audit log keeps their name where it records what was done to them: the
    # deletion, and the moderator's edit of their message.
    naming = AuditEntry.objects.filter(target_username=USERNAME)
    assert sorted(naming.values_list("action", flat=True)) == [
        AuditEntry.Action.ACCOUNT_CHANGED,  # the superuser's change in the admin
        AuditEntry.Action.ACCOUNT_DELETED,
        AuditEntry.Action.APPEAL_FILED,  # ids only: their words went with the account
        AuditEntry.Action.MESSAGE_EDITED,
        AuditEntry.Action.NOTE_ADDED,
        AuditEntry.Action.NOTE_ADDED,
        AuditEntry.Action.USER_WARNED,
    ]
    assert naming.get(action=AuditEntry.Action.ACCOUNT_DELETED).target_user_id == person.pk
    assert (
        AuditEntry.objects.filter(actor_username=USERNAME)
        .exclude(action=AuditEntry.Action.APPEAL_FILED)
        .exists()
        == deleted_themselves
    )
    # Export files are outside the database: those written before the deletion
    # went with it (their jobs stay, with counts and no file).
    assert not full_life["export_file"].exists()
    assert not list((Path(settings.MEDIA_ROOT) / "exports").glob("*.csv"))


def test_once_the_evidence_is_purged_only_the_audit_log_names_the_person(
    full_life, logs, moderator, django_capture_on_commit_callbacks
):
    delete_in_the_admin(full_life, moderator, django_capture_on_commit_callbacks)
    retention_end = Case.objects.get().retain_until

    # A day before the end nothing goes; after it, the evidence does.
    assert retention.purge_expired_evidence(now=retention_end - timedelta(days=1)) == 0
    assert ("moderation_report", "evidence") in database_hits(MARKER)
    assert retention.purge_expired_evidence(now=retention_end) == 1

    # The audit log names them as the target, and as the actor of their appeal.
    assert database_hits(MARKER) == {
        ("audit_auditentry", "target_username"),
        ("audit_auditentry", "actor_username"),
    }
    assert log_hits(logs, MARKER) == []
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.EVIDENCE_PURGED, target_user_id=full_life["person"].pk
    ).exists()
