"""Load test: ``make load`` (or ``python -m bench.load --seconds 10 --clients 4``).

Serves the project with gunicorn on 127.0.0.1, backed by this machine's PostgreSQL
and Redis, and drives it with concurrent clients for a bounded time (and at most
``--max-requests`` requests): each client logs in as a generated user through the
real login form and mixes inbox reads, thread reads, new messages, replies and
edits; a shared moderator session reads admin changelists. Afterwards every write
the server acknowledged (a 302 to the message's thread) is looked up in the
database and must hold exactly the text that was sent. Prints throughput and
p50/p95/p99 latencies per kind of request; exits non-zero on any 5xx, any failed
connection, or any acknowledged write missing or different.

The server runs production settings (DEBUG off, persistent database connections,
the Redis cache) except for TLS: it is plain http on the loopback, so the HTTPS
redirect and the Secure cookie flag are off for this run only.

Only loopback addresses are used. The load database (``moderation_load`` by
default) is built once with the generator and reused; drop it to rebuild. The
Redis database (``redis://127.0.0.1:6379/3``) is flushed at the start: it must be
this test's alone.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.run import ensure_postgres_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = Path(PYTHON).with_name("gunicorn")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/moderation_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
GENERATED_PASSWORD = "generated-2026"  # noqa: S105 - generated demo users
MODERATOR = "load_moderator"
MODERATOR_PASSWORD = "load-moderator-2026"  # noqa: S105 - load database only

# Share of each kind of request in the mix (weights).
MIX = {
    "inbox": 25,
    "thread": 25,
    "send": 15,
    "reply": 10,
    "edit": 10,
    "admin: messages": 6,
    "admin: edited messages": 4,
    "admin: users": 5,
}
# The admin changelists the moderator reads (first page each).
ADMIN_CHANGELISTS = {
    "admin: messages": "/admin/messaging/message/",
    "admin: edited messages": "/admin/messaging/message/?edited__exact=1",
    "admin: users": "/admin/auth/user/",
}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACKNOWLEDGED = re.compile(r"^/messages/(\d+)/(?:#m(\d+))?$")


# --- Preparing the database (runs in a child process with the load settings) --------------


def prepare(options: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db.models import Count, Q

    from messaging.models import Message

    user_model = get_user_model()
    call_command("migrate", verbosity=0)
    generated_seconds = None
    prefix = f"gen{options.seed}_"
    if not user_model.objects.filter(username__startswith=prefix).exists():
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


# --- HTTP: one connection per request, cookies kept per session ---------------------------


@dataclass
class Reply:
    status: int
    location: str
    body: str
    seconds: float


class Session:
    """A browser's session: its cookies, and plain http.client requests."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Reply:
        headers = {"Host": "127.0.0.1"}
        with self._lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        with self._lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Reply(response.status, response.headers.get("Location", ""), text, seconds)

    def csrf_token(self) -> str:
        # Django accepts its unmasked secret (the cookie's value) as the form token.
        with self._lock:
            return self.cookies["csrftoken"]

    def log_in(self, login_path: str, username: str, password: str, next_path: str) -> None:
        """Through the real form: GET it for its CSRF token, then POST it."""
        page = self.request("GET", login_path)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or not match:
            raise SystemExit(f"{login_path} answered {page.status} without a login form")
        form = {
            "csrfmiddlewaretoken": match.group(1),
            "username": username,
            "password": password,
            "next": next_path,
        }
        answer = self.request("POST", login_path, form)
        if answer.status != 302:
            raise SystemExit(f"Logging in as {username} at {login_path} got {answer.status}")


# --- The clients ---------------------------------------------------------------------------


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    connection_errors: Counter = field(default_factory=Counter)
    # message id -> (client's username, the exact text the server acknowledged)
    acknowledged: dict[int, tuple[str, str]] = field(default_factory=dict)
    acknowledged_counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, reply: Reply) -> None:
        with self.lock:
            self.latencies[kind].append(reply.seconds)
            self.statuses[kind][reply.status] += 1

    def acknowledge(self, kind: str, message_id: int, username: str, content: str) -> None:
        with self.lock:
            self.acknowledged[message_id] = (username, content)
            self.acknowledged_counts[kind] += 1


class Budget:
    """Stops every client at the deadline or after max_requests, whichever first."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.remaining = max_requests
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.remaining <= 0 or time.monotonic() >= self.deadline:
                return False
            self.remaining -= 1
            return True


def acknowledged_id(reply: Reply) -> int | None:
    """The message id of a write the server accepted: 302 to /messages/<id>/#m<id>."""
    if reply.status != 302:
        return None
    match = ACKNOWLEDGED.match(urlsplit(reply.location).path + _fragment(reply.location))
    return int(match.group(2) or match.group(1)) if match else None


def _fragment(location: str) -> str:
    fragment = urlsplit(location).fragment
    return f"#{fragment}" if fragment else ""


def run_client(
    number: int,
    client: dict,
    *,
    user: Session,
    moderator: Session,
    receivers: list[str],
    budget: Budget,
    results: Results,
    seed: int,
) -> None:
    rng = random.Random(seed * 1000 + number)  # noqa: S311 - a load mix, not security
    username = client["username"]
    thread_ids = list(client["message_ids"])
    own_ids = list(client["own_message_ids"])
    recipients = [name for name in receivers if name != username]
    sequence = 0
    while budget.take():
        kind = _next_request_kind(rng, thread_ids=thread_ids, own_ids=own_ids)
        sequence += 1
        text = f"load {number}-{sequence} {uuid.uuid4().hex}"
        try:
            reply = _send_request(
                kind,
                rng=rng,
                user=user,
                moderator=moderator,
                recipients=recipients,
                text=text,
                thread_ids=thread_ids,
                own_ids=own_ids,
            )
        except (OSError, http.client.HTTPException) as error:
            with results.lock:
                results.connection_errors[f"{kind}: {type(error).__name__}"] += 1
            continue
        results.record(kind, reply)
        _remember_acknowledged_write(
            kind,
            reply,
            results=results,
            username=username,
            text=text,
            thread_ids=thread_ids,
            own_ids=own_ids,
        )


def _next_request_kind(rng: random.Random, *, thread_ids: list[int], own_ids: list[int]) -> str:
    """A kind drawn from MIX, or the closest one the client can make: a thread or
    a reply needs a thread (else the inbox), an edit a message of its own (else a send)."""
    kind = rng.choices(list(MIX), list(MIX.values()))[0]
    if kind in {"thread", "reply"} and not thread_ids:
        return "inbox"
    if kind == "edit" and not own_ids:
        return "send"
    return kind


def _send_request(
    kind: str,
    *,
    rng: random.Random,
    user: Session,
    moderator: Session,
    recipients: list[str],
    text: str,
    thread_ids: list[int],
    own_ids: list[int],
) -> Reply:
    """One request of ``kind``: a page read, or a write of ``text``."""
    if kind == "inbox":
        return user.request("GET", "/")
    if kind == "thread":
        return user.request("GET", f"/messages/{rng.choice(thread_ids)}/")
    if kind in ADMIN_CHANGELISTS:
        return moderator.request("GET", ADMIN_CHANGELISTS[kind])
    if kind == "send":
        form = {
            "csrfmiddlewaretoken": user.csrf_token(),
            "receiver": rng.choice(recipients),
            "content": text,
        }
        return user.request("POST", "/messages/new/", form)
    if kind == "reply":
        form = {"csrfmiddlewaretoken": user.csrf_token(), "content": text}
        return user.request("POST", f"/messages/{rng.choice(thread_ids)}/reply/", form)
    message_id = rng.choice(own_ids)  # edit
    form = {"csrfmiddlewaretoken": user.csrf_token(), "content": text}
    return user.request("POST", f"/messages/{message_id}/edit/", form)


def _remember_acknowledged_write(
    kind: str,
    reply: Reply,
    *,
    results: Results,
    username: str,
    text: str,
    thread_ids: list[int],
    own_ids: list[int],
) -> None:
    """Record a write the server acknowledged (checked in the database at the end);
    a new message becomes one the client may open, reply to and edit."""
    if kind not in {"send", "reply", "edit"}:
        return
    message_id = acknowledged_id(reply)
    if message_id is None:
        return
    results.acknowledge(kind, message_id, username, text)
    if kind in {"send", "reply"}:
        thread_ids.append(message_id)
        own_ids.append(message_id)


# --- Checking the acknowledged writes --------------------------------------------------------


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


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(options: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "moderation_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": options.database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": options.redis_url,
        # Plain http on the loopback: no TLS to redirect to or to keep cookies in.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        # Production's static files (WhiteNoise, hashed names), collected once.
        "STATIC_ROOT": str(ROOT / "var" / "load" / "static"),
        # The load test measures pages, not sign-ins: its moderator has no
        # authenticator to answer the second factor with.
        "STAFF_2FA": "0",
    }


def start_gunicorn(options: argparse.Namespace, env: dict[str, str], log: Path) -> tuple:
    port = free_port()
    command = [
        str(GUNICORN),
        "moderation_site.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(options.workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--error-logfile",
        str(log),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed arguments
    probe = Session(port, timeout=5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            if probe.request("GET", "/accounts/login/").status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.25)
    stop(server)
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- Report -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(
    options: argparse.Namespace,
    data: dict,
    results: Results,
    elapsed: float,
    problems: list[str],
    server_5xx: int,
) -> str:
    total = sum(len(values) for values in results.latencies.values())
    every = [value for values in results.latencies.values() for value in values]
    lines = [
        f"Load test: {options.clients} clients for {elapsed:.1f} s against gunicorn "
        f"({options.workers} sync workers) on 127.0.0.1; PostgreSQL "
        f"({data['users']:,} users, {data['messages']:,} messages after the run) "
        f"and Redis on the same machine.",
        f"Machine: {cpu()}, {os.cpu_count()} cores shared by the server, the database, "
        f"Redis and the clients; Python {platform.python_version()}.",
        "",
        "| requests | count | statuses | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in MIX:
        values = results.latencies.get(kind, [])
        if not values:
            continue
        statuses = ", ".join(
            f"{status}: {count:,}" for status, count in sorted(results.statuses[kind].items())
        )
        lines.append(
            f"| {kind} | {len(values):,} | {statuses} | {milliseconds(percentile(values, 0.50))} "
            f"| {milliseconds(percentile(values, 0.95))} "
            f"| {milliseconds(percentile(values, 0.99))} | {milliseconds(max(values))} |"
        )
    if every:
        lines.append(
            f"| **all** | {total:,} | | {milliseconds(percentile(every, 0.50))} "
            f"| {milliseconds(percentile(every, 0.95))} "
            f"| {milliseconds(percentile(every, 0.99))} | {milliseconds(max(every))} |"
        )
    acknowledged = results.acknowledged_counts
    lines += [
        "",
        f"Throughput: {total / elapsed:,.1f} requests/s ({total:,} requests in {elapsed:.1f} s).",
        f"5xx responses: {server_5xx}. Failed connections: "
        f"{sum(results.connection_errors.values())}"
        + (f" ({dict(results.connection_errors)})" if results.connection_errors else "")
        + ".",
        f"Acknowledged writes: {acknowledged['send']:,} messages sent, "
        f"{acknowledged['reply']:,} replies, {acknowledged['edit']:,} edits; "
        f"{len(results.acknowledged):,} messages checked in the database afterwards: "
        + (
            "every one present with exactly the text sent."
            if not problems
            else f"{len(problems)} missing or different."
        ),
    ]
    refused = sum(
        count
        for kind in ("send", "reply", "edit")
        for status, count in results.statuses[kind].items()
        if status == 200
    )
    if refused:
        lines.append(
            f"Writes refused with the form shown again (200, nothing written): {refused:,}."
        )
    return "\n".join(lines)


def cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


# --- Main -------------------------------------------------------------------------------------


def require_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"{what} must be on this machine's loopback, not {host!r}")


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
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
    log = log_dir / "gunicorn.log"
    log.write_text("")
    server, port = start_gunicorn(options, env, log)
    try:
        moderator = Session(port, options.timeout)
        moderator.log_in("/admin/login/", MODERATOR, MODERATOR_PASSWORD, "/admin/")
        sessions = []
        for client in data["clients"]:
            session = Session(port, options.timeout)
            session.log_in("/accounts/login/", client["username"], GENERATED_PASSWORD, "/")
            sessions.append(session)
        print(
            f"Serving on 127.0.0.1:{port}; {options.clients} clients for {options.seconds:g} s",
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
                    "moderator": moderator,
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
        elapsed = time.monotonic() - started
    finally:
        stop(server)

    problems = missing_writes(options.database_url, results.acknowledged)
    data["messages"] = _count_messages(options.database_url)
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
        print(f"FAILED; server log: {log}", file=sys.stderr)
        sys.exit(1)


def _count_messages(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT count(*) FROM messaging_message").fetchone()[0]


if __name__ == "__main__":
    main()
