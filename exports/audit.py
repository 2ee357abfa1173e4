"""The audit entry of an export: one writer for the streamed export and the job.

Audit entries outlive every account they mention, so an export's entry keeps of
its selection only ``ExportSelection.audit`` (ids, numbers, dates and choice
values; that a search or a typed filter was used, without its words), what was
exported (model, fields, rows) and the job, if any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.models import AuditEntry
from audit.services import record_audit_entry
from exports.selection import EXPORT_FORMAT, ExportSelection

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def record_export(
    *,
    actor: AbstractBaseUser | None,
    selection: ExportSelection,
    rows: int,
    job_id: int | None,
) -> AuditEntry:
    """The one audit entry of an export: when the stream starts, or when the
    job's file is published (in the transaction that publishes it)."""
    return record_audit_entry(
        action=AuditEntry.Action.EXPORT,
        actor=actor,
        details={
            "model": selection.model,
            **selection.audit.as_details(),
            "rows": rows,
            "format": EXPORT_FORMAT,
            "job_id": job_id,
            "fields": list(selection.fields),
        },
    )
