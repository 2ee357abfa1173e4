"""Load test: ``make load`` (or ``python -m bench.load --seconds 10 --clients 4``).

Serves the project as ``--servers`` app servers (each a gunicorn of ``--workers``
processes on its own loopback port, as on several machines) backed by this
machine's PostgreSQL and Redis, and drives them with concurrent clients for a
bounded time (and at most ``--max-requests`` requests): each client logs in as a
generated user through the real login form on one server and mixes inbox reads,
thread reads, new messages, replies and edits; a moderator, logged in once on the
first server and using that session on every server, reads the desk's pages
(dashboard, lists, a search, the queue, the audit log, the jobs). Afterwards every write
the server acknowledged (a 302 to the message's thread) is looked up in the
database and must hold exactly the text that was sent. Prints throughput and
p50/p95/p99 latencies per kind of request; exits non-zero on any 5xx, any failed
connection, or any acknowledged write missing or different.

The server runs production settings (DEBUG off, persistent database connections,
the Redis cache) except for TLS: it is plain http on the loopback, so the HTTPS
redirect and the Secure cookie flag are off for this run only.

Only loopback addresses are used. The load database (``moderation_load`` by
default) is built once with the generator and reused; drop it to rebuild. At
10,000,000 messages, point it at the benchmark's database (README, Load test):
the writes of a run stay there. The
Redis database (``redis://127.0.0.1:6379/3``) is flushed at the start: it must be
this test's alone.

This module runs the test; its parts live beside it: ``load_database`` (the data
set, and the check of the writes), ``load_server`` (gunicorn), ``load_http`` (a
browser's session), ``load_clients`` (the request mix) and ``load_report``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench.load_clients import Budget, Results, run_client
from bench.load_database import (
    GENERATED_PASSWORD,
    MODERATOR,
    MODERATOR_PASSWORD,
    count_messages,
    missing_writes,
    prepare,
)
from bench.load_http import Session
from bench.load_report import report
from bench.load_server import server_env, start_gunicorns, stop
from bench.run import ensure_postgres_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/moderation_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"


def require_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"{what} must be on this machine's loopback, not {host!r}")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many")
    parser.add_argument("--servers", type=int, default=2, help="app servers (gunicorns)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--users", type=int, default=2000, help="generated users (first run)")
    parser.add_argument("--messages", type=int, default=50_000, help="generated (first run)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request")
    parser.add_argument(
        "--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    options = parse_options()
    if options.prepare:  # the child process that builds the data set
        print(json.dumps(prepare(options)))
        return

    require_loopback(options.database_url, "The load database")
    require_loopback(options.redis_url, "Redis")
    ensure_postgres_database(options.database_url)
    import redis

    redis.Redis.from_url(options.redis_url).flushdb()
    env = server_env(options)
    print(f"Preparing {options.database_url.split('@')[-1]} ...", file=sys.stderr)
    prepared = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [PYTHON, "-m", "bench.load", "--prepare", *sys.argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if prepared.returncode != 0:
        raise SystemExit(f"Preparing the load database failed:\n{prepared.stderr[-3000:]}")
    subprocess.run(  # noqa: S603 - fixed arguments
        [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    data = json.loads(prepared.stdout.strip().splitlines()[-1])
    if data["generated_seconds"]:
        print(f"Generated the data set in {data['generated_seconds']:.0f} s", file=sys.stderr)

    log_dir = ROOT / "var" / "load"
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = start_gunicorns(options, env, log_dir)
    try:
        results, elapsed = drive(options, data, [port for _server, port in servers])
    finally:
        for server, _port in servers:
            stop(server)

    problems = missing_writes(options.database_url, results.acknowledged)
    data["messages"] = count_messages(options.database_url)
    server_5xx = sum(
        count
        for statuses in results.statuses.values()
        for status, count in statuses.items()
        if status >= 500
    )
    text = report(options, data, results, elapsed, problems, server_5xx)
    print(text)
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "load-latest.md").write_text(text + "\n")
    for problem in problems[:20]:
        print(f"  {problem}", file=sys.stderr)
    if server_5xx or results.connection_errors or problems:
        print(f"FAILED; server logs: {log_dir}/gunicorn-*.log", file=sys.stderr)
        sys.exit(1)


def drive(options: argparse.Namespace, data: dict, ports: list[int]) -> tuple[Results, float]:
    """Log everyone in, spread the clients over the servers, run them; the results
    and the seconds they ran."""
    # One moderator session, logged in on the first server, used on every one:
    # the session lives in the shared database, not in a server.
    moderators = [Session(port, options.timeout) for port in ports]
    moderators[0].log_in("/admin/login/", MODERATOR, MODERATOR_PASSWORD, "/admin/")
    for session in moderators[1:]:
        session.cookies = dict(moderators[0].cookies)
    sessions = []
    for number, client in enumerate(data["clients"]):
        session = Session(ports[number % len(ports)], options.timeout)
        session.log_in("/accounts/login/", client["username"], GENERATED_PASSWORD, "/")
        sessions.append(session)
    print(
        f"Serving on 127.0.0.1 ports {', '.join(map(str, ports))}; "
        f"{options.clients} clients for {options.seconds:g} s",
        file=sys.stderr,
    )
    results = Results()
    budget = Budget(options.seconds, options.max_requests)
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=run_client,
            args=(number, client),
            kwargs={
                "user": session,
                "moderator": moderators[number % len(moderators)],
                "receivers": data["receivers"],
                "budget": budget,
                "results": results,
                "seed": options.seed,
            },
        )
        for number, (client, session) in enumerate(zip(data["clients"], sessions, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


if __name__ == "__main__":
    main()
