"""End every warning's strike and suspension whose time has come. Each background
worker does this every few seconds (``moderation.apps``); run this from cron
(every minute) where no worker runs, or to catch up at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from moderation.models import Sanction
from moderation.sanctions import lift_expired_sanctions


class Command(BaseCommand):
    help = (
        "End every sanction (a warning's strike, a suspension) whose end has come: a "
        "suspended account may log in again and is told so. Each leaves one audit "
        "entry, by the system. Safe to run at any time, again, and beside workers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the sanctions that would end."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        # One moment for the whole run: what comes due meanwhile is the next run's.
        now = timezone.now()
        if dry_run:
            count = Sanction.objects.due(now=now).count()
            self.stdout.write(f"{count} sanction{'s' if count != 1 else ''} due to end.")
            return
        total = 0
        # Each call ends at most LIFT_BATCH; one that ends none leaves nothing due
        # (or only what a worker is ending at this moment).
        while ended := lift_expired_sanctions(now=now):
            total += ended
        self.stdout.write(
            self.style.SUCCESS(f"Ended {total} sanction{'s' if total != 1 else ''} on time.")
        )
