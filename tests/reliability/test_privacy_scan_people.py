"""The privacy scan (``privacy_scan.py``) for the people around a reported person.

``chen`` is reported. ``ben`` (marker ``bx4``) writes to chen, edits his words,
reports chen's reply with a comment; ``dana`` (marker ``dv8``) only talks with
chen and reports nothing. A moderator looks both up, and every message is
exported. Each is then deleted in turn: afterwards their username is found only
in the audit log's names. Ben's words quoted as context in chen's case stay
until his deletion + EVIDENCE_RETENTION_DAYS, and ``purge_expired_evidence``
empties them after it, though chen's case is still open.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from exports.resources import MessageResource
from jobs.models import Job
from messaging import services
from messaging.models import Message
from moderation import retention
from moderation.models import Case, Report
from tests.factories import PASSWORD, UserFactory
from tests.jobs.worker import run_db_worker
from tests.reliability.privacy_scan import (
    cache_hits,
    capturing_logs,
    client_of,
    database_hits,
    file_hits,
    log_hits,
)

pytestmark = pytest.mark.django_db

BEN, DANA = "bx4", "dv8"  # markers: in the username and every word of each
AUDIT_NAME = {("audit_auditentry", "target_username")}


@pytest.fixture
def logs():
    """Every log record of the test, from its first fixture on."""
    with capturing_logs() as keeper:
        yield keeper


@pytest.fixture
def around_chen(logs, settings, tmp_path, moderator, django_capture_on_commit_callbacks) -> dict:
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_STREAM_LIMIT = 1  # any export is a background job
    chen = UserFactory(username="chen")
    ben, dana = UserFactory(username=f"{BEN}-ben"), UserFactory(username=f"{DANA}-dana")
    ben_client, dana_client = client_of(ben), client_of(dana)
    moderator_client = client_of(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        ben_client.post(reverse("messaging:send"), {"receiver": "chen", "content": f"{BEN} hi"})
        question = Message.objects.get(sender=ben)
        ben_client.post(reverse("messaging:edit", args=[question.pk]), {"content": f"{BEN} hi!"})
        answer = services.reply(sender=chen, parent=question, content="go away")
        response = ben_client.post(
            reverse("moderation:report", args=[answer.pk]),
            {"reason": "harassment", "comment": f"{BEN} is scared"},
        )
        assert response.status_code == 302
        dana_client.post(reverse("messaging:send"), {"receiver": "chen", "content": f"{DANA} yo"})
        services.reply(sender=chen, parent=Message.objects.get(sender=dana), content="hello there")
        for marker in (BEN, DANA):
            moderator_client.get(reverse("admin:auth_user_changelist"), {"q": marker})
        fields = MessageResource().get_export_order()
        response = moderator_client.post(
            reverse("admin:messaging_message_export"),
            {"format": "0", "resource": "0", **{f"messageresource_{f}": "on" for f in fields}},
        )
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        run_db_worker()
    assert Job.objects.get(kind=Job.Kind.EXPORT).status == Job.Status.SUCCEEDED
    for client, marker in ((ben_client, BEN), (dana_client, DANA)):  # cached thread views
        thread = Message.objects.get(content__startswith=marker)
        assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 200
    return {"ben": ben, "dana": dana, "clients": {BEN: ben_client, DANA: dana_client}}


def delete_themselves(life, marker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = life["clients"][marker].post(
            reverse("messaging:delete_user"), {"password": PASSWORD}
        )
    assert response.status_code == 302


def test_before_the_deletions_the_scan_finds_both_people(around_chen):
    ben_hits, dana_hits = database_hits(BEN), database_hits(DANA)

    assert {
        ("auth_user", "username"),
        ("messaging_message", "content"),
        ("moderation_report", "comment"),
        ("moderation_report", "evidence"),
    } <= ben_hits
    assert {("auth_user", "username"), ("messaging_message", "content")} <= dana_hits
    assert ("moderation_report", "evidence") not in dana_hits  # never quoted in a case
    for marker in (BEN, DANA):
        assert len(file_hits(marker)) == 1  # the export
        assert cache_hits(marker)  # the thread view they saw


def test_after_a_reporters_deletion_only_the_audit_log_and_their_quoted_words_remain(
    around_chen, logs, django_capture_on_commit_callbacks
):
    delete_themselves(around_chen, BEN, django_capture_on_commit_callbacks)

    # His words in chen's evidence stay for the retention period; nothing else.
    assert database_hits(BEN) == AUDIT_NAME | {("audit_auditentry", "actor_username")} | {
        ("moderation_report", "evidence")
    }
    report = Report.objects.get()
    assert (report.reporter, report.comment) == (None, "")
    assert BEN not in str(report.evidence).replace(f"{BEN} hi", "")  # his words, not his name
    assert cache_hits(BEN) == file_hits(BEN) == log_hits(logs, BEN) == []


def test_a_deleted_reporters_words_go_when_their_retention_ends_in_an_open_case(
    around_chen, logs, django_capture_on_commit_callbacks
):
    delete_themselves(around_chen, BEN, django_capture_on_commit_callbacks)
    deleted_at = timezone.now()
    kept_until = Report.objects.get().reporter_words_kept_until
    assert kept_until - deleted_at < timedelta(days=settings.EVIDENCE_RETENTION_DAYS, minutes=1)

    assert retention.purge_expired_evidence(now=kept_until - timedelta(days=1)) == 0
    assert ("moderation_report", "evidence") in database_hits(BEN)
    retention.purge_expired_evidence(now=kept_until)

    assert database_hits(BEN) == AUDIT_NAME | {("audit_auditentry", "actor_username")}
    assert Case.objects.get().is_open  # chen's case, with chen's reported reply
    assert Report.objects.get().evidence["message"]["content"] == "go away"
    assert log_hits(logs, BEN) == []


def test_after_a_conversation_partners_deletion_only_the_audit_log_names_them(
    around_chen, logs, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(moderator).post(
            reverse("admin:auth_user_changelist"),
            {
                "action": "delete_accounts",
                "_selected_action": [around_chen["dana"].pk],
                "post": "yes",
                "reason": "asked to leave",
            },
        )
    assert response.status_code == 302

    assert database_hits(DANA) == AUDIT_NAME
    assert cache_hits(DANA) == file_hits(DANA) == log_hits(logs, DANA) == []
    assert Message.objects.filter(content="hello there").exists()  # chen's words stay
