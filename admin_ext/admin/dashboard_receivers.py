"""How the dashboard stays fresh: the one place that hears of the writes that
change a figure and drops the cached figures after their commit.

The apps below say what happened and know nothing of a dashboard:

- a row of a table the figures count is saved: ``post_save`` of Message,
  MessageHistory, Case, Appeal and AuditEntry (every moderator action, every
  appeal step and every account deletion writes an audit entry, so an appeal
  changed by ``QuerySet.update()`` is heard too);
- an account is deleted: ``post_delete`` of the user, which every way of
  deleting one sends (its messages went by raw deletes and updates, and its open
  case closed, inside the same transaction);
- a write by ``QuerySet.update()`` or a bulk delete, which sends no model signal,
  says so itself: ``messaging.events.read_state_changed``,
  ``moderation.events.case_acted_on``, ``moderation.events.evidence_purged``.

No ``post_delete`` receiver on the counted models: Django would then fetch every
row of a bulk delete to signal it, where the purge and the account erasure
delete set-based on purpose. Appeals go with their case's evidence
(``evidence_purged``) and with their person's account (the user's
``post_delete``). Loaddata's raw saves are left out: the demo data commands
drop the figures once, after their bulk writes. Connected from
``AdminExtConfig.ready``, so every process that writes (web, worker, commands)
listens.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from audit.models import AuditEntry
from messaging.events import read_state_changed
from messaging.models import Message, MessageHistory
from moderation.events import case_acted_on, evidence_purged
from moderation.models import Appeal, Case
from moderation_site.dashboard_cache import forget_dashboard_figures_on_commit


@receiver(post_save, sender=Message, dispatch_uid="dashboard.message_saved")
@receiver(post_save, sender=MessageHistory, dispatch_uid="dashboard.edit_saved")
@receiver(post_save, sender=Case, dispatch_uid="dashboard.case_saved")
@receiver(post_save, sender=Appeal, dispatch_uid="dashboard.appeal_saved")
@receiver(post_save, sender=AuditEntry, dispatch_uid="dashboard.audit_entry_saved")
def counted_row_saved(sender: type[Any], raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        forget_dashboard_figures_on_commit()


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="dashboard.account_deleted")
@receiver(read_state_changed, dispatch_uid="dashboard.read_state_changed")
@receiver(case_acted_on, dispatch_uid="dashboard.case_acted_on")
@receiver(evidence_purged, dispatch_uid="dashboard.evidence_purged")
def counted_rows_changed(sender: Any, **kwargs: Any) -> None:
    forget_dashboard_figures_on_commit()
