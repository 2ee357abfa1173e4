"""Load the demo data and bring its dates up to today.

The fixtures hold fixed dates; a dashboard of "messages today" on a demo loaded
a month later would be empty. This loads them with ``loaddata`` (idempotent: the
rows keep their ids) and then moves every demo date by the same amount, so the
newest demo message is an hour old and the threads keep their shape.

Then it files the demo reports (DEMO_REPORTS) through the reporting service, so
the review queue has cases whose evidence matches the messages; a report filed
before is refused by the service as a duplicate and skipped.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from messaging.models import Message, MessageHistory, Notification
from messaging.stats import forget_dashboard_figures_on_commit

DEMO_FIXTURES = ("01_users", "02_messages", "03_message_history", "04_notifications")
# (reporter, fixture message id, reason, comment): zeno's threats and spam,
# reported by four people, and one report about priya's thread with oskar.
DEMO_REPORTS = (
    ("jun", 1, "threat", "He says he will post my address."),
    ("jun", 6, "spam", ""),
    ("quinn", 10, "threat", "Same threat as to my friends."),
    ("uma", 16, "spam", "A link that looks like a scam."),
    ("uma", 19, "threat", ""),
    ("mila", 9, "spam", ""),
    ("oskar", 26, "harassment", "Not sure it is harassment, but it felt like it."),
)


class Command(BaseCommand):
    help = "Load the demo data from fixtures/ and move its dates so it ends an hour ago."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = {name: _read_fixture(name) for name in DEMO_FIXTURES}
        ids = {
            model: [
                row["pk"] for rows_of in rows.values() for row in rows_of if row["model"] == model
            ]
            for model in (
                "auth.user",
                "messaging.message",
                "messaging.messagehistory",
                "messaging.notification",
            )
        }
        newest = max(
            datetime.fromisoformat(row["fields"]["timestamp"]) for row in rows["02_messages"]
        )
        shift = timezone.now() - timedelta(hours=1) - newest
        with transaction.atomic():
            call_command("loaddata", *DEMO_FIXTURES, verbosity=options["verbosity"])
            _move(
                Message.objects.filter(pk__in=ids["messaging.message"]),
                shift,
                "timestamp",
                "edited_at",
            )
            _move(
                MessageHistory.objects.filter(pk__in=ids["messaging.messagehistory"]),
                shift,
                "edited_at",
            )
            _move(
                Notification.objects.filter(pk__in=ids["messaging.notification"]),
                shift,
                "created_at",
            )
            _move(get_user_model().objects.filter(pk__in=ids["auth.user"]), shift, "date_joined")
            forget_dashboard_figures_on_commit()
        filed = _file_demo_reports()
        days = shift / timedelta(days=1)
        self.stdout.write(
            f"Demo data loaded; dates moved by {days:+.1f} days; {filed} demo reports filed."
        )


def _file_demo_reports() -> int:
    from moderation.services import report_message  # moderation builds on messaging

    users = get_user_model().objects.in_bulk(
        {reporter for reporter, *_ in DEMO_REPORTS}, field_name="username"
    )
    messages = Message.objects.in_bulk([message_id for _, message_id, *_ in DEMO_REPORTS])
    filed = 0
    for reporter, message_id, reason, comment in DEMO_REPORTS:
        if reporter not in users or message_id not in messages:
            continue  # the demo account or message was deleted since
        try:
            report_message(
                reporter=users[reporter],
                message=messages[message_id],
                reason=reason,
                comment=comment,
            )
        except ValidationError:
            continue  # filed by an earlier run, or its message hidden since
        filed += 1
    return filed


def _read_fixture(name: str) -> list[dict[str, Any]]:
    for directory in settings.FIXTURE_DIRS:
        path = Path(directory) / f"{name}.json"
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise CommandError(f"Demo fixture {name}.json not found in FIXTURE_DIRS")


def _move(queryset: Any, shift: timedelta, *fields: str) -> None:
    queryset.update(**{field: F(field) + shift for field in fields})
