"""The Moderators group holds exactly ``moderation_site.roles.MODERATOR_PERMISSIONS``.

This is the one migration that decides what the group holds; the earlier ones
that granted piecemeal (messaging/0002, audit/0002 and 0004, jobs/0002,
moderation/0002) are history.

It imports the live constant on purpose, against the rule that a migration
uses only frozen data: what moderators may do is declared in one place (roles.py)
and this applies it. The cost: a fresh database replays this migration with the
constant of its own day, not of this one. So a change to the constant comes with
a new migration that calls ``set_moderators_permissions`` again (an existing
database does not re-run this one), depending on the migrations that create the
models it names; here, permissions of models that do not exist yet are left for
that later migration to give.

Idempotent (the group is set, not added to); reversing it does nothing, since
the set before it is what the earlier migrations granted, and they are reversed
on their own.
"""

from django.db import migrations

from moderation_site.moderators import set_moderators_permissions
from moderation_site.roles import MODERATOR_PERMISSIONS


def apply_moderator_permissions(apps, schema_editor):
    set_moderators_permissions(apps, MODERATOR_PERMISSIONS)


class Migration(migrations.Migration):
    # The latest migration of every app whose permissions the constant names, so
    # each model (and its historical model) exists when the group is set.
    dependencies = [
        ("moderation", "0004_evidence_keeps_account_ids"),
        ("messaging", "0006_hidden_messages_and_warnings"),
        ("audit", "0006_second_factor_actions"),
        ("jobs", "0003_job_deletions_seen"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(apply_moderator_permissions, migrations.RunPython.noop, elidable=False)
    ]
