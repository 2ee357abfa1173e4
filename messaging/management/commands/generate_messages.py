"""``manage.py generate_messages --users N --messages M --seed S``: large data.

The data set is described in fixtures/generator.py. Writes are set-based:
PostgreSQL's COPY, one executemany per batch on SQLite, all in one transaction
(an interrupted run leaves nothing behind).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from fixtures.generator import Plan, message_batches, user_rows
from messaging.models import Message, MessageHistory, Notification
from messaging.stats import forget_dashboard_figures_on_commit

USER_COLUMNS = (
    "id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
    "email", "is_staff", "is_active", "date_joined",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "sender_id", "receiver_id", "content", "timestamp", "parent_message_id", "thread_id",
    "depth", "edited", "edited_at", "edited_by_id", "read", "is_tombstone", "is_hidden",
)  # fmt: skip
NOTIFICATION_COLUMNS = ("id", "user_id", "message_id", "kind", "text", "created_at", "is_seen")
HISTORY_COLUMNS = ("id", "message_id", "old_content", "edited_at", "edited_by_id")
GENERATED_PASSWORD = "generated-2026"  # noqa: S105 - demo data only


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError
    return number


class Command(BaseCommand):
    help = "Generate a large, realistic, reproducible data set (users, threads, edits)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=positive, required=True, help="users to create (≥ 2)")
        parser.add_argument("--messages", type=positive, required=True, help="messages to create")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
        parser.add_argument("--batch-size", type=positive, default=50_000)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["users"] < 2:
            raise CommandError(
                "--users must be at least 2: a message needs a sender and a receiver."
            )
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if user_model.objects.filter(username__startswith=f"gen{options['seed']}_").exists():
            raise CommandError(
                f"Users of seed {options['seed']} exist already; use another --seed "
                "(or a fresh database)."
            )
        started = time.monotonic()
        plan = Plan(
            users=options["users"],
            messages=options["messages"],
            seed=options["seed"],
            first_user_id=_next_id(user_model),
            first_message_id=_next_id(Message),
            first_notification_id=_next_id(Notification),
            first_history_id=_next_id(MessageHistory),
            now=timezone.now(),
        )
        progress = Progress(plan.messages, enabled=not options["no_progress"])
        writer = Writer()
        with transaction.atomic():
            users = user_rows(plan, make_password(GENERATED_PASSWORD))
            writer.write(user_model._meta.db_table, USER_COLUMNS, users)
            user_ids = [row[0] for row in users]
            written = 0
            for batch in message_batches(plan, user_ids, options["batch_size"]):
                writer.write(Message._meta.db_table, MESSAGE_COLUMNS, batch.messages)
                writer.write(Notification._meta.db_table, NOTIFICATION_COLUMNS, batch.notifications)
                writer.write(MessageHistory._meta.db_table, HISTORY_COLUMNS, batch.history)
                written += len(batch.messages)
                progress.show(written)
            writer.finish([user_model, Message, Notification, MessageHistory])
            forget_dashboard_figures_on_commit()
        writer.vacuum([user_model, Message, Notification, MessageHistory])
        progress.done()
        self.stdout.write(
            f"Generated {plan.users:,} users and {plan.messages:,} messages (seed {plan.seed}) "
            f"in {time.monotonic() - started:.1f} s on {connection.vendor}. "
            f"Users log in as gen{plan.seed}_000000 … with password {GENERATED_PASSWORD}."
        )


def _next_id(model: Any) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


class Writer:
    """Set-based inserts: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.copy(
                    f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) "  # noqa: S608
                    f"VALUES ({placeholders})",
                    [tuple(_plain(value) for value in row) for row in rows],
                )

    def finish(self, models: list[Any]) -> None:
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)

    def vacuum(self, models: list[Any]) -> None:
        """Fresh statistics for the planner and a visibility map for index-only
        scans (counts per user read only the index). Outside the transaction:
        PostgreSQL's VACUUM cannot run inside one."""
        if self.vendor != "postgresql" or connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _plain(value: Any) -> Any:
    # Django stores aware datetimes on SQLite as naive UTC text.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


class Progress:
    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.started = time.monotonic()

    def show(self, done: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / self.total)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} messages "
            f"{elapsed:.1f} s"
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
