"""Build the benchmark database once: ``python -m bench.setup_data --messages N --users N``.

Reuses what is there when it already holds the data set; prints the generator's
time when it had to generate.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation_site.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from bench import data  # noqa: E402
from fixtures.models import GenerationRun  # noqa: E402
from messaging.models import Message  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
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
    data.create_bench_moderator()
    print(json.dumps({"generated_seconds": generated_seconds, "messages": Message.objects.count()}))


if __name__ == "__main__":
    main()
