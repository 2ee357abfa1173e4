"""Sanction rows for the measures already in force when sanctions became rows.

Before 0008 a measure lived only in its effect and in the audit log: a hidden
message (``Message.is_hidden``), a warning (its ``Notification``), a suspended
account (``is_active`` off after a ``user_suspended`` entry). Without a row, such
a person could not appeal, their strike history was empty and their case's
priority missed the strike. Each measure in force gets its row, dated and
attributed from its audit entry where one names it, with no end (they were
given without one); the case id comes from that entry too, if the case still
exists. Warnings were strikes until withdrawn: each warning notification is one.

Idempotent (a measure that already has its row is skipped); reversing it does
nothing, the rows being indistinguishable from later ones.
"""

from django.db import migrations

BATCH = 1_000


def _entries_by(audit_entry, action, key):
    """detail value → (created_at, actor_id, case_id) of the newest entry naming it."""
    found = {}
    rows = (
        audit_entry.objects.filter(action=action)
        .order_by("created_at", "id")
        .values_list("details", "created_at", "actor_id", "case_id")
    )
    for details, created_at, actor_id, case_id in rows.iterator(chunk_size=BATCH):
        value = (details or {}).get(key)
        if value is not None:
            found[value] = (created_at, actor_id, case_id)
    return found


def add_sanctions_in_force(apps, schema_editor):
    audit_entry = apps.get_model("audit", "AuditEntry")
    case_model = apps.get_model("moderation", "Case")
    message_model = apps.get_model("messaging", "Message")
    notification_model = apps.get_model("messaging", "Notification")
    sanction_model = apps.get_model("moderation", "Sanction")
    user_model = apps.get_model("auth", "User")
    cases = set(case_model.objects.values_list("id", flat=True))
    rows = []

    def add(kind, user_id, origin, fallback_date, **ids):
        created_at, actor_id, case_id = origin or (fallback_date, None, None)
        rows.append(
            sanction_model(
                user_id=user_id,
                kind=kind,
                case_id=case_id if case_id in cases else None,
                imposed_by_id=actor_id,
                imposed_at=created_at,
                **ids,
            )
        )

    hidden_by = _entries_by(audit_entry, "message_hidden", "message_id")
    recorded = set(sanction_model.objects.filter(kind="hide").values_list("message_id", flat=True))
    hidden = message_model.objects.filter(is_hidden=True).values_list(
        "id", "sender_id", "timestamp"
    )
    for message_id, sender_id, sent_at in hidden.iterator(chunk_size=BATCH):
        if message_id not in recorded and sender_id is not None:
            add("hide", sender_id, hidden_by.get(message_id), sent_at, message_id=message_id)

    warned_by = _entries_by(audit_entry, "user_warned", "notification_id")
    recorded = set(
        sanction_model.objects.filter(kind="warn").values_list("notification_id", flat=True)
    )
    warnings = notification_model.objects.filter(kind="warning").values_list(
        "id", "user_id", "created_at"
    )
    for notification_id, user_id, created_at in warnings.iterator(chunk_size=BATCH):
        if notification_id not in recorded:
            add("warn", user_id, warned_by.get(notification_id), created_at,
                notification_id=notification_id)  # fmt: skip

    recorded = set(
        sanction_model.objects.filter(kind="suspend", ended_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    for user_id, joined in user_model.objects.filter(is_active=False).values_list(
        "id", "date_joined"
    ):
        latest = (
            audit_entry.objects.filter(
                target_user_id=user_id, action__in=("user_suspended", "suspension_lifted")
            )
            .order_by("-created_at", "-id")
            .values_list("action", "created_at", "actor_id", "case_id")
            .first()
        )
        # Only accounts the desk suspended: an account switched off by other means
        # (a superuser's form, a script) has no suspension to appeal.
        if user_id not in recorded and latest is not None and latest[0] == "user_suspended":
            add("suspend", user_id, latest[1:], joined)

    sanction_model.objects.bulk_create(rows, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0009_moderators_decide_appeals"),
        ("messaging", "0013_moderation_notices"),
        ("audit", "0009_sanction_and_appeal_actions"),
    ]

    operations = [
        migrations.RunPython(add_sanctions_in_force, migrations.RunPython.noop, elidable=True)
    ]
