"""Build the benchmark database once: ``python -m bench.setup_data --messages N --users N``.

Reuses what is there when it already holds the data set, then adds the bench's
own shapes (bench.data, bench.desk_data) that are missing. Prints the data's
size and the generator's time (its run's, when it generated earlier).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation_site.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench import data, desk_data  # noqa: E402
from fixtures.models import GenerationRun  # noqa: E402
from messaging.models import Message  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--small-desk",
        action="store_true",
        help="a few cases, audit entries and jobs (the smoke test's tiny database)",
    )
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    generated_seconds = None
    existing = Message.objects.count()
    # An interrupted build resumes: the generator commits chunk by chunk.
    is_unfinished = GenerationRun.objects.filter(finished_at=None).exists()
    if existing < options.messages or is_unfinished:
        if existing and not is_unfinished:
            raise SystemExit(
                f"The benchmark database holds {existing:,} messages, fewer than asked: drop it "
                "(see README, Benchmarks) and run again."
            )
        started = time.perf_counter()
        call_command(
            "generate_messages",
            users=options.users,
            messages=options.messages,
            seed=options.seed,
            no_progress=True,
        )
        generated_seconds = time.perf_counter() - started
    data.create_special_threads()
    data.create_big_thread()
    data.create_bench_moderator()
    if options.small_desk:
        desk_data.create_desk_data(queue=20, audit_entries=500, jobs=20)
    else:
        desk_data.create_desk_data()
    if generated_seconds is None:
        run = GenerationRun.objects.exclude(finished_at=None).order_by("-pk").first()
        if run is not None:
            generated_seconds = (run.finished_at - run.started_at).total_seconds()
    print(
        json.dumps(
            {
                "generated_seconds": generated_seconds,
                "messages": Message.objects.count(),
                "users": get_user_model().objects.count(),
            }
        )
    )


if __name__ == "__main__":
    main()
