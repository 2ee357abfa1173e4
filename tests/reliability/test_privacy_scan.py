"""After an account deletion, nothing of the person is left anywhere but the audit log.

A person lives a full life here, every text they write and their username
carrying a marker (``MARKER``): messages sent, answered and answering, edited by
them and by a moderator through the admin, messages received, notifications,
versions (django-simple-history), their account changed in the admin, a failed
login on their name, cached thread views and dashboard, a background export of
the messages, a deletion job. Their account is then deleted, and every text
column of every table (the history tables, the admin log, the task results and
the decoded sessions included) and every cache entry is searched for the marker.

It may stay only in the audit log's names (``AuditEntry.target_username``, and
``actor_username`` when the person deleted themselves): the append-only record
of who did what to whom; and, because they were reported, in the evidence of
their case while its retention lasts (the snapshot of the reported messages,
the case's username, the notes on the case). Once the retention ends and
``purge_expired_evidence`` runs, only the audit log's names are left.
"""

from __future__ import annotations

import contextlib
import json
import pickle
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from admin_ext.exports.resources import MessageResource
from audit.models import AuditEntry
from jobs import services as job_services
from jobs.models import Job
from messaging import services
from messaging.models import Message
from moderation import services as moderation_services
from moderation.models import Case
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import PASSWORD, UserFactory
from tests.jobs.worker import run_db_worker

pytestmark = pytest.mark.django_db

MARKER = "qz7"  # in the username and in everything the person writes
USERNAME = f"{MARKER}-person"
TEXT_TYPES = {
    "CharField",
    "TextField",
    "JSONField",
    "EmailField",
    "SlugField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
    "GenericIPAddressField",
    "BinaryField",
}
# Tables no model stands for: Django's own bookkeeping, never personal data.
UNMODELLED_TABLES = {"django_migrations"}


# --- the scan ---------------------------------------------------------------------------------


def scanned_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)  # JSONField: as text


def database_hits() -> set[tuple[str, str]]:
    """(table, column) of every value holding the marker, every row of every table."""
    hits = set()
    for model in scanned_models():
        fields = [
            field
            for field in model._meta.concrete_fields
            if field.get_internal_type() in TEXT_TYPES
        ]
        if not fields:
            continue
        for values in model._base_manager.values_list(*(field.attname for field in fields)):
            for field, value in zip(fields, values, strict=True):
                if MARKER in as_text(value).lower():
                    hits.add((model._meta.db_table, field.column))
    # Session data is signed and encoded: search it decoded.
    for session in Session.objects.all():
        if MARKER in json.dumps(session.get_decoded(), default=str).lower():
            hits.add(("django_session", "session_data (decoded)"))
    return hits


def cache_hits() -> list[str]:
    """Keys of cache entries whose key or value holds the marker: the local-memory
    store as it is held, or every key of the Redis database (SCAN, GET)."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        entries = [(key.encode(), value) for key, value in backend._cache.items()]
    elif isinstance(backend, RedisCache):
        client = backend._cache.get_client(None)
        entries = []
        for key in client.scan_iter(count=1000):
            assert client.type(key) == b"string", f"{key!r}: not a Django cache entry"
            entries.append((key, client.get(key)))
    else:
        raise AssertionError(f"no way to scan {type(backend).__name__}")
    hits = []
    for key, stored in entries:
        if stored is None:  # expired meanwhile
            continue
        text = stored if isinstance(stored, bytes) else str(stored).encode()
        # Pickles hold strings as UTF-8 bytes; search the object too, when it is
        # one (an int is stored as such).
        with contextlib.suppress(Exception):
            text += repr(pickle.loads(stored)).encode()  # noqa: S301 - our own cache
        if MARKER.encode() in key.lower() or MARKER.encode() in text.lower():
            hits.append(key.decode())
    return hits


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


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def full_life(
    settings, tmp_path, moderator, superuser, bob, django_capture_on_commit_callbacks
) -> dict:
    """The person, their clients, and the export job written about them."""
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_STREAM_LIMIT = 1  # any export is a background job
    person = UserFactory(username=USERNAME)  # email qz7-person@example.test
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
    return {
        "person": person,
        "them": them,
        "bob": bob_client,
        "moderator": moderator_client,
        "threads": [root, received],
        "export_file": export_file,
    }


def test_before_the_deletion_the_scan_finds_the_person_everywhere(full_life):
    # The scan sees what it must not find afterwards (so its silence means something).
    hits = database_hits()

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
    } <= hits
    if apps.is_installed("axes"):
        assert ("axes_accessattempt", "username") in hits
    assert len(cache_hits()) >= 3  # two thread views each of two people, the dashboard


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
    full_life, moderator, delete, django_capture_on_commit_callbacks
):
    person = full_life["person"]

    delete(full_life, moderator, django_capture_on_commit_callbacks)

    # The pages they were on, seen again and cached again, show nothing of them
    # (the moderator first reads the admin's "Deleted ... qz7-person" notice,
    # which lives in their own cookie, not on the server).
    full_life["moderator"].get(reverse("admin:auth_user_changelist"))
    for thread in full_life["threads"]:
        page = full_life["bob"].get(thread_url(thread))
        assert page.status_code == 200
        assert MARKER not in page.text.lower()
    assert MARKER not in full_life["moderator"].get(reverse("admin:index")).text.lower()

    deleted_themselves = delete is delete_themselves
    audit_names = {("audit_auditentry", "target_username")}
    if deleted_themselves:
        audit_names.add(("audit_auditentry", "actor_username"))
    # Their case's evidence stays, exactly, while its retention lasts: the
    # snapshot of their reported message, the case's username and the note on
    # the case (the note on the person went with the account).
    evidence = {
        ("moderation_report", "evidence"),
        ("moderation_case", "reported_username"),
        ("moderation_note", "text"),
    }
    assert database_hits() == audit_names | evidence
    assert cache_hits() == []
    case = Case.objects.get()
    assert (case.status, case.resolution, case.reported_user) == ("closed", "account_deleted", None)
    assert case.retain_until > timezone.now() + timedelta(days=89)
    # The audit log keeps their name where it records what was done to them: the
    # deletion, and the moderator's edit of their message.
    naming = AuditEntry.objects.filter(target_username=USERNAME)
    assert sorted(naming.values_list("action", flat=True)) == [
        AuditEntry.Action.ACCOUNT_CHANGED,  # the superuser's change in the admin
        AuditEntry.Action.ACCOUNT_DELETED,
        AuditEntry.Action.MESSAGE_EDITED,
        AuditEntry.Action.NOTE_ADDED,
        AuditEntry.Action.NOTE_ADDED,
        AuditEntry.Action.USER_WARNED,
    ]
    assert naming.get(action=AuditEntry.Action.ACCOUNT_DELETED).target_user_id == person.pk
    assert AuditEntry.objects.filter(actor_username=USERNAME).exists() == deleted_themselves
    # Export files are outside the database: those written before the deletion
    # went with it (their jobs stay, with counts and no file).
    assert not full_life["export_file"].exists()
    assert not list((Path(settings.MEDIA_ROOT) / "exports").glob("*.csv"))


def test_once_the_evidence_is_purged_only_the_audit_log_names_the_person(
    full_life, moderator, django_capture_on_commit_callbacks
):
    delete_in_the_admin(full_life, moderator, django_capture_on_commit_callbacks)
    retention_end = Case.objects.get().retain_until

    # A day before the end nothing goes; after it, the evidence does.
    assert moderation_services.purge_expired_evidence(now=retention_end - timedelta(days=1)) == 0
    assert ("moderation_report", "evidence") in database_hits()
    assert moderation_services.purge_expired_evidence(now=retention_end) == 1

    assert database_hits() == {("audit_auditentry", "target_username")}
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.EVIDENCE_PURGED, target_username=USERNAME
    ).exists()
