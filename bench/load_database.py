"""The load test's database: the data set its clients use (built in a child
process with the server's settings, generated once and reused) and, afterwards,
the check that every acknowledged write is stored exactly as sent."""

from __future__ import annotations

import argparse
import random
import time

GENERATED_PASSWORD = "generated-2026"  # noqa: S105 - generated demo users
MODERATOR = "load_moderator"
MODERATOR_PASSWORD = "load-moderator-2026"  # noqa: S105 - load database only


def prepare(options: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db.models import Count, Q

    from fixtures.models import GenerationRun
    from messaging.models import Message

    user_model = get_user_model()
    call_command("migrate", verbosity=0)
    generated_seconds = None
    prefix = f"gen{options.seed}_"
    # Generated once and reused; an interrupted generation resumes.
    is_unfinished = GenerationRun.objects.filter(finished_at=None).exists()
    if is_unfinished or not user_model.objects.filter(username__startswith=prefix).exists():
        started = time.perf_counter()
        call_command(
            "generate_messages",
            users=options.users,
            messages=options.messages,
            seed=options.seed,
            no_progress=True,
        )
        generated_seconds = time.perf_counter() - started

    moderator, _ = user_model.objects.get_or_create(username=MODERATOR, defaults={"is_staff": True})
    moderator.set_password(MODERATOR_PASSWORD)
    moderator.save()
    moderator.groups.add(Group.objects.get(name="Moderators"))

    # Clients are ordinary, moderately active people (the three giant accounts
    # would turn every thread read into a 1,000-message page).
    candidates = list(
        user_model.objects.filter(username__startswith=prefix)
        .annotate(sent=Count("sent_messages"))
        .filter(sent__gte=5, sent__lte=300)
        .order_by("pk")
        .values_list("pk", "username")
    )
    rng = random.Random(options.seed)  # noqa: S311 - a reproducible sample, not security
    chosen = rng.sample(candidates, options.clients)
    clients = []
    for user_id, username in chosen:
        # Messages they sent or received (their threads), and their own (to edit).
        in_threads = Message.objects.filter(
            Q(sender_id=user_id) | Q(receiver_id=user_id), is_tombstone=False
        ).order_by("pk")
        thread_ids = list(in_threads.values_list("pk", flat=True))
        own_ids = list(in_threads.filter(sender_id=user_id).values_list("pk", flat=True))
        clients.append(
            {
                "username": username,
                "message_ids": rng.sample(thread_ids, min(100, len(thread_ids))),
                "own_message_ids": rng.sample(own_ids, min(50, len(own_ids))),
            }
        )
    generated = list(
        user_model.objects.filter(username__startswith=prefix)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    receivers = rng.sample(generated, min(500, len(generated)))
    return {
        "generated_seconds": generated_seconds,
        "messages": Message.objects.count(),
        "users": user_model.objects.count(),
        "clients": clients,
        "receivers": receivers,
    }


def missing_writes(database_url: str, acknowledged: dict[int, tuple[str, str]]) -> list[str]:
    import psycopg

    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT m.id, u.username, m.content FROM messaging_message m "
            "LEFT JOIN auth_user u ON u.id = m.sender_id WHERE m.id = ANY(%s)",
            [list(acknowledged)],
        ).fetchall()
    stored = {message_id: (username, content) for message_id, username, content in rows}
    problems = []
    for message_id, (username, content) in sorted(acknowledged.items()):
        if message_id not in stored:
            problems.append(f"message {message_id} (from {username}) is missing")
        elif stored[message_id] != (username, content):
            problems.append(
                f"message {message_id}: expected {(username, content)!r}, "
                f"stored {stored[message_id]!r}"
            )
    return problems


def count_messages(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
