"""Evidence snapshots name people by account id, not username, and a deleted
account's name leaves the cases (moderation.evidence, moderation.retention).

Forward: each snapshot's ``sender``, ``receiver`` and edits' ``edited_by``
usernames become ``sender_id``, ``receiver_id`` and ``edited_by_id``: the id of
the account of that name when it exists and already existed when the snapshot
was taken (a name freed by a deletion and taken again is someone else), else
nothing. What earlier deletions left behind goes too: the comments of reporters
already deleted (their quoted words get the retention period from today, since
the day of their deletion is not kept here), the names on the cases of deleted
accounts and on the notes of deleted authors.

Backward: ids become the usernames of the accounts that still exist.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations
from django.utils import timezone

BATCH = 500
NAME_KEYS = (("sender", "sender_id"), ("receiver", "receiver_id"))


def messages_of(snapshot):
    if not isinstance(snapshot, dict):
        return
    for role in ("parent", "message"):
        if isinstance(snapshot.get(role), dict):
            yield snapshot[role]
    replies = snapshot.get("replies")
    for reply in replies if isinstance(replies, list) else []:
        if isinstance(reply, dict):
            yield reply


def edits_of(message):
    edits = message.get("edits")
    return [edit for edit in (edits if isinstance(edits, list) else []) if isinstance(edit, dict)]


def taken_at(snapshot):
    try:
        moment = datetime.datetime.fromisoformat(snapshot.get("taken_at"))
    except (TypeError, ValueError, AttributeError):
        return None
    return moment if moment.tzinfo is not None else None  # comparable with date_joined


def in_batches(queryset):
    batch = []
    for row in queryset.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def account_id(accounts, name, moment):
    """The id of the account named ``name`` when the snapshot was taken, or None."""
    account = accounts.get(name) if isinstance(name, str) else None
    if account is None:
        return None
    pk, joined = account
    if joined is not None and moment is not None and joined > moment:
        return None  # a later account that took a name freed by a deletion
    return pk


def username_of(names, value):
    return names.get(value, "") if isinstance(value, int) else ""


def usernames_to_ids(apps, schema_editor):
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    # Historical models lack USERNAME_FIELD: the current model's (a constant).
    username_field = get_user_model().USERNAME_FIELD
    has_joined = any(field.name == "date_joined" for field in user_model._meta.fields)
    Report = apps.get_model("moderation", "Report")
    for reports in in_batches(Report.objects.all()):
        names = set()
        for report in reports:
            for message in messages_of(report.evidence):
                names.update(message.get(old) for old, _new in NAME_KEYS)
                names.update(edit.get("edited_by") for edit in edits_of(message))
        names = {name for name in names if isinstance(name, str) and name}
        fields = ("pk", username_field, "date_joined") if has_joined else ("pk", username_field)
        accounts = {
            row[1]: (row[0], row[2] if has_joined else None)
            for row in user_model._default_manager.filter(
                **{f"{username_field}__in": names}
            ).values_list(*fields)
        }
        for report in reports:
            moment = taken_at(report.evidence) if isinstance(report.evidence, dict) else None
            for message in messages_of(report.evidence):
                for old, new in NAME_KEYS:
                    if old in message:
                        message[new] = account_id(accounts, message.pop(old), moment)
                for edit in edits_of(message):
                    if "edited_by" in edit:
                        edit["edited_by_id"] = account_id(accounts, edit.pop("edited_by"), moment)
        Report.objects.bulk_update(reports, ["evidence"])

    retention = datetime.timedelta(days=settings.EVIDENCE_RETENTION_DAYS)
    Report.objects.filter(reporter__isnull=True).update(
        comment="", reporter_words_kept_until=timezone.now() + retention
    )
    apps.get_model("moderation", "Case").objects.filter(reported_user__isnull=True).update(
        reported_username=""
    )
    apps.get_model("moderation", "Note").objects.filter(author__isnull=True).update(
        author_username=""
    )


def ids_to_usernames(apps, schema_editor):
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    Report = apps.get_model("moderation", "Report")
    for reports in in_batches(Report.objects.all()):
        ids = set()
        for report in reports:
            for message in messages_of(report.evidence):
                ids.update(message.get(new) for _old, new in NAME_KEYS)
                ids.update(edit.get("edited_by_id") for edit in edits_of(message))
        names = dict(
            user_model._default_manager.filter(
                pk__in=[value for value in ids if isinstance(value, int)]
            ).values_list("pk", get_user_model().USERNAME_FIELD)
        )
        for report in reports:
            for message in messages_of(report.evidence):
                for old, new in NAME_KEYS:
                    if new in message:
                        message[old] = username_of(names, message.pop(new))
                for edit in edits_of(message):
                    if "edited_by_id" in edit:
                        edit["edited_by"] = username_of(names, edit.pop("edited_by_id"))
        Report.objects.bulk_update(reports, ["evidence"])


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0003_deleted_accounts_leave_the_evidence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(usernames_to_ids, ids_to_usernames)]
