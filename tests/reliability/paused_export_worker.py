"""A task worker whose first export pauses once its rows are written, for
test_export_deletion_race: ``python -m tests.reliability.paused_export_worker
<reached> <resume>``.

The pause is injected here, never in the code under test: the export's CSV
writer is wrapped so that, after its first run (the rows are read and in the
temporary file), it creates the file ``reached`` and waits for ``resume`` to
exist. The test deletes an account in between; then the worker goes on with
``manage.py db_worker --batch`` as in production.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

PAUSE_LIMIT = 60  # seconds: a test that never resumes must not leave a worker behind


def main(reached: Path, resume: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from exports import jobs

    real_write_csv = jobs.write_csv
    runs: list[int] = []

    def write_csv_then_pause(*args, **kwargs):
        rows = real_write_csv(*args, **kwargs)
        runs.append(rows)
        if len(runs) == 1:
            args[0].flush()  # the file: its rows on disk, for the test to see
            reached.touch()
            deadline = time.monotonic() + PAUSE_LIMIT
            while not resume.exists():
                if time.monotonic() > deadline:
                    raise TimeoutError("the test never said to resume")
                time.sleep(0.02)
        return rows

    jobs.write_csv = write_csv_then_pause
    call_command(
        "db_worker", batch=True, startup_delay=False, reload=False, interval=0.1, verbosity=1
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
