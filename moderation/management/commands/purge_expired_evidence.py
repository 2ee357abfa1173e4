"""Delete the evidence of closed cases whose retention has ended (run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from moderation.models import Case
from moderation.retention import purge_expired_evidence


class Command(BaseCommand):
    help = (
        "Delete every closed moderation case whose evidence retention has ended, with "
        "its reports, evidence snapshots and notes. Each purged case leaves one audit "
        "entry. Safe to run at any time and to run again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the cases that would go."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            count = Case.objects.past_retention().count()
            self.stdout.write(f"{count} case{'s' if count != 1 else ''} past retention.")
            return
        count = purge_expired_evidence()
        self.stdout.write(
            self.style.SUCCESS(f"Purged the evidence of {count} case{'s' if count != 1 else ''}.")
        )
