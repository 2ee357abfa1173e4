"""Export files: the one module that writes, serves and forgets them.

Export jobs write CSV files under ``MEDIA_ROOT/exports`` (never served publicly:
the jobs admin's download view checks permissions, then asks ``stored_export_file``).
What to write is the exporting app's business (``exports.jobs``); how a file is
published, found and forgotten is decided here, below every app that uses it, so
the account deletion (messaging) needs no import of the exports or the admin.

No export file outlives an account deletion:

- a deletion forgets every file once it commits (``forget_export_files_on_commit``):
  finished files and temporary ones alike, whoever wrote them;
- an export that read rows before a deletion committed does not publish its file:
  the deletion marks every export job that is queued or running (``Job.deletions_seen``,
  inside its transaction), and the job compares the mark it read before its query
  with the one it reads when publishing (``write_export_file_for_job``); if it
  moved, the file is written again from a fresh query, PUBLISH_ATTEMPTS times at
  most, then the job fails with a message saying why.

Lock order, the same as ``delete_account``'s (account rows, then the rest): a
deletion locks the account, its messages, then the export jobs' rows; a publishing
export holds its starter's account row (``FOR KEY SHARE``, what its audit entry's
foreign key check takes anyway), then its own job row.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import Job

logger = logging.getLogger(__name__)

# Under MEDIA_ROOT; nothing else is ever served as an export.
EXPORTS_DIR = "exports"
# Deletions during one export that make it give up (each costs a full rewrite).
PUBLISH_ATTEMPTS = 3
# A PostgreSQL advisory lock: deletions hold it shared from the moment they mark
# the export jobs until they commit; an export takes it alone, for an instant,
# before reading its mark, to wait for the deletions under way. Without it, a job
# queued after a deletion marked the jobs (so unmarked) could read rows before
# that deletion commits and publish after the deletion forgot the files.
DELETIONS_UNDER_WAY_LOCK = 0x6578_706F_7274  # "export"


class ExportOutdated(Exception):
    """Account deletions kept committing while the export was written."""


def exports_directory() -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORTS_DIR


def export_file_name(*, job_id: int, model_label: str) -> str:
    """Where a job's file goes, relative to MEDIA_ROOT: exports/<job>-<app>-<model>.csv."""
    return f"{EXPORTS_DIR}/{job_id}-{model_label.replace('.', '-')}.csv"


def stored_export_file(job: Job) -> Path | None:
    """The file of a finished export job, or None when there is none to serve.

    ``job.result["file"]`` is a path relative to MEDIA_ROOT written by the export
    handler. It is not trusted: an absolute path, a ``..`` part, or anything
    that resolves (symbolic links included) outside MEDIA_ROOT/exports is refused.
    """
    name = job.result.get("file") if isinstance(job.result, dict) else None
    if not isinstance(name, str) or not name:
        return None
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name:
        return None
    try:
        directory = exports_directory().resolve()
        file_path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    except (OSError, ValueError):  # a NUL byte, a symlink loop
        return None
    if not file_path.is_relative_to(directory) or not file_path.is_file():
        return None
    return file_path


def write_export_file_for_job(
    job: Job,
    *,
    name: str,
    write: Callable[[TextIO], int],
    record: Callable[[int], None],
    on_restart: Callable[[], None],
) -> int:
    """Write ``job``'s file atomically and publish it unless an account deletion
    committed since its rows were read; return the number of rows.

    ``write(file)`` runs the query and writes the rows (returning how many);
    ``record(rows)`` writes the export's audit entry, in the transaction that
    publishes the file; ``on_restart()`` runs before a rewrite. Raises
    ExportOutdated after PUBLISH_ATTEMPTS files were discarded.
    """
    target = Path(settings.MEDIA_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_temporary_files_of(job)  # an earlier attempt's, if its worker died
    for attempt in range(PUBLISH_ATTEMPTS):
        if attempt:
            on_restart()
        deletions_seen = _deletions_seen_once_none_is_under_way(job)
        # mkstemp: a unique name in the same directory (so the rename is atomic),
        # readable by this account only.
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{job.pk}-", suffix=".part"
        )
        try:
            with open(handle, "w", encoding="utf-8", newline="") as file:
                rows = write(file)
                file.flush()
                os.fsync(file.fileno())
            if _publish(
                job,
                temporary=Path(temporary),
                target=target,
                deletions_seen=deletions_seen,
                record=lambda rows=rows: record(rows),
            ):
                return rows
        finally:
            Path(temporary).unlink(missing_ok=True)
        logger.info("Job %s: export file discarded (account deletion while writing)", job.pk)
    raise ExportOutdated(
        f"Accounts were deleted while this export was written, {PUBLISH_ATTEMPTS} times in a "
        "row; no file was kept, since it could hold their data. Export again."
    )


def _deletions_seen_once_none_is_under_way(job: Job) -> int:
    connection = connections[Job.objects.db]
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DELETIONS_UNDER_WAY_LOCK])
        # SQLite runs one writing transaction at a time: the job's own start (a
        # write) came before a deletion's first write or after its commit.
        return Job.objects.filter(pk=job.pk).values_list("deletions_seen", flat=True).get()


def _publish(
    job: Job,
    *,
    temporary: Path,
    target: Path,
    deletions_seen: int,
    record: Callable[[], None],
) -> bool:
    """Rename the file into place and record it, in one transaction, if no
    deletion marked the job since ``deletions_seen``; False when it did."""
    published = False
    try:
        with transaction.atomic():
            _hold_starter(job)
            # Waits for a deletion that marked this row (PostgreSQL: until it
            # commits); on SQLite, takes the write lock.
            if not Job.objects.filter(pk=job.pk, attempts=job.attempts).update(
                heartbeat_at=timezone.now()
            ):
                raise RuntimeError("A later attempt of this job took it over.")
            seen_now, starter_id = (
                Job.objects.filter(pk=job.pk).values_list("deletions_seen", "started_by_id").get()
            )
            if starter_id is None:
                raise PermissionDenied("The account that started this export no longer exists.")
            if seen_now != deletions_seen:
                return False
            try:
                os.replace(temporary, target)
            except FileNotFoundError:
                return False  # forgotten by a deletion that committed meanwhile
            published = True
            record()
    except BaseException:
        if published:
            target.unlink(missing_ok=True)
        raise
    return True


def _hold_starter(job: Job) -> None:
    """Keep the starter's account from being deleted until the publishing
    transaction ends, taken before the job row (``delete_account``'s order)."""
    if job.started_by_id is None:
        raise PermissionDenied("The account that started this export no longer exists.")
    connection = connections[Job.objects.db]
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time
    # FOR KEY SHARE: waits for a deletion of the account, never for other writes.
    starter = get_user_model()._default_manager.filter(pk=job.started_by_id).values_list("pk")
    sql, params = starter.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR KEY SHARE", params)
        if cursor.fetchone() is None:
            raise PermissionDenied("The account that started this export no longer exists.")


def forget_export_files_on_commit() -> None:
    """Call inside an account deletion's transaction: mark the export jobs under
    way (they will not publish what they read before), and once it commits
    remove every export file, finished or temporary.

    An export file is a copy of rows as they were when it was written: any file
    may hold the deleted person's messages or name, and nothing short of reading
    it says which. So they all go (the jobs stay, with their counts; their
    download answers that the file is gone, and a new export is one click).
    Two queries (three on PostgreSQL), whatever the number of jobs.
    """
    connection = connections[Job.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [DELETIONS_UNDER_WAY_LOCK])
    # Locked in id order, so two deletions marking the same jobs wait for each
    # other instead of deadlocking.
    under_way = list(
        Job.objects.select_for_update()
        .filter(kind=Job.Kind.EXPORT, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if under_way:
        Job.objects.filter(pk__in=under_way).update(deletions_seen=F("deletions_seen") + 1)
    transaction.on_commit(remove_export_files)


def remove_export_files() -> None:
    """Remove every export file, finished (``*.csv``) or being written (``.*.part``:
    a running job notices and writes again; a dead worker's stays no longer)."""
    directory = exports_directory()
    if not directory.is_dir():
        return
    removed = 0
    for path in directory.iterdir():
        if not path.name.endswith((".csv", ".part")):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue  # removed by another deletion meanwhile
        except OSError:
            # The deletion is committed: report, never fail it now.
            logger.exception("Could not remove export file %s", path.name)
            continue
        removed += 1
    if removed:
        logger.info("Removed %d export files written before an account deletion", removed)


def _remove_temporary_files_of(job: Job) -> None:
    for path in exports_directory().glob(f".{job.pk}-*.part"):
        path.unlink(missing_ok=True)
