"""Two app servers and two workers on one PostgreSQL and one Redis, started from the
Procfile's own commands with production settings (plain HTTP on the loopback, as
the load test runs them), against the test database.

What scaling out must not break: every job runs exactly once; a write through one
server is seen at once through the other (thread page and dashboard figures come
from the shared Redis, and each write drops them there); a login made through one
server holds on the other, and failed logins through both add up to one lockout;
a worker killed mid-job leaves the other to finish it (jobs.worker's heartbeat).

Each process is started as ``bash -c "exec <the Procfile's line>"`` rather than by
honcho itself: honcho stops every process once one exits, and the last test kills
a worker on purpose. ``tests/test_procfile.py`` checks honcho reads the file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from bench.load_http import CSRF_FIELD, Reply, Session
from jobs import services as job_services
from jobs.models import Job, WorkerHeartbeat
from tests.factories import PASSWORD, MessageFactory, SuperuserFactory, UserFactory
from tests.reliability.test_faults import (
    ACCOUNTS,
    DEADLINE,
    account_state,
    build_accounts,
    wait_until,
    worker_database_url,
)
from tests.test_settings import PRODUCTION_ENV, PROJECT_DIR, clean_env, production_secret_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

HOST = "127.0.0.1"
# Short, so the takeover comes within seconds; workers then beat every 0.8 s.
STALLED_SECONDS = 4
FINISHED = (Job.Status.SUCCEEDED, Job.Status.FAILED)
MESSAGES_TODAY = re.compile(r"Messages today.*?>\s*([\d,]+)\s*<", re.DOTALL)


def procfile_commands() -> dict[str, str]:
    """The Procfile's process types, with this interpreter's folder for ``.venv/bin/``."""
    commands = {}
    for line in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip().replace(
                ".venv/bin/", f"{Path(sys.executable).parent}/"
            )
    return commands


@dataclass
class Formation:
    web_ports: list[int]
    workers: list[subprocess.Popen]
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def session(self, server: int) -> Session:
        return Session(self.web_ports[server], timeout=30)

    def log_text(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)


def start(command: str, *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 - the Procfile's own commands
            ["/bin/bash", "-c", f"exec {command}"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def is_ready(port: int) -> bool:
    try:
        return Session(port, timeout=5).request("GET", "/ready/").status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def formation(django_db_setup, tmp_path_factory) -> Iterator[Formation]:
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip("needs PostgreSQL and Redis; .ci/run runs it")
    folder = tmp_path_factory.mktemp("scale-out")
    env = clean_env(
        **{**PRODUCTION_ENV, "ALLOWED_HOSTS": HOST},
        SECRET_KEY=production_secret_key(),  # one for all: sessions cross servers
        DATABASE_URL=worker_database_url(),
        REDIS_URL=os.environ["REDIS_URL"],
        STATIC_ROOT=str(folder / "static"),
        # Plain HTTP on the loopback: nothing to redirect to, cookies not Secure.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        # The superuser here has no authenticator to answer a second factor with.
        STAFF_2FA="0",
        JOB_STALLED_SECONDS=str(STALLED_SECONDS),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="INFO",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    commands = procfile_commands()
    web_ports = [free_port() for _ in range(2)]
    running = Formation(web_ports=web_ports, workers=[])
    try:
        for number, port in enumerate(web_ports, start=1):
            log = folder / f"web.{number}.log"
            running.logs.append(log)
            web = start(commands["web"], env={**env, "PORT": str(port)}, log=log)
            running.processes.append(web)
        for number in (1, 2):
            log = folder / f"worker.{number}.log"
            running.logs.append(log)
            worker = start(commands["worker"], env=env, log=log)
            running.workers.append(worker)
            running.processes.append(worker)
        wait_until(
            lambda: (
                any(process.poll() is not None for process in running.processes)
                or all(is_ready(port) for port in web_ports)
            ),
            what="both app servers to answer /ready/ with 200",
        )
        assert all(process.poll() is None for process in running.processes), running.log_text()
        yield running
    finally:
        for process in running.processes:
            stop(process)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def post_form(session: Session, page_path: str, fields: dict[str, str]) -> Reply:
    """GET the page for its CSRF token, POST the form to the same path."""
    page = session.request("GET", page_path)
    token = CSRF_FIELD.search(page.body)
    assert page.status == 200 and token, f"{page_path} answered {page.status}"
    return session.request("POST", page_path, {"csrfmiddlewaretoken": token.group(1), **fields})


def person_who_logs_in(username: str, factory=UserFactory):
    """The suite hashes passwords with MD5 for speed (conftest.py); the servers only
    know production's hashers."""
    user = factory(username=username)
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    return user


def log_in(session: Session, username: str, password: str = PASSWORD) -> Reply:
    return post_form(session, "/accounts/login/", {"username": username, "password": password})


def sharing_cookies(first: Session, second: Session) -> tuple[Session, Session]:
    """One browser behind a load balancer: its requests reach either server."""
    second.cookies = first.cookies
    return first, second


def wait_for_jobs(job_ids: list[int]) -> None:
    wait_until(
        lambda: Job.objects.filter(pk__in=job_ids, status__in=FINISHED).count() == len(job_ids),
        what=f"{len(job_ids)} jobs to finish",
    )


# --- the formation ------------------------------------------------------------------------------


def test_both_servers_answer_health_and_readiness_and_log_json_lines(formation):
    for server in (0, 1):
        session = formation.session(server)
        assert json.loads(session.request("GET", "/health/").body) == {"status": "ok"}
        ready = session.request("GET", "/ready/")
        assert ready.status == 200
        assert json.loads(ready.body) == {
            "status": "ready",
            "checks": {"database": "ok", "cache": "ok", "worker": "ok"},
        }
    assert WorkerHeartbeat.objects.count() == 2

    probe = Session(formation.web_ports[0], timeout=30)
    probe.request("GET", "/accounts/login/?next=/secret-search-words/")
    log = formation.logs[0]
    wait_until(lambda: "/accounts/login/" in log.read_text(), what="the request's log line")
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    request_line = next(line for line in lines if line.get("path") == "/accounts/login/")
    assert request_line["status"] == 200 and request_line["method"] == "GET"
    assert request_line["request_id"] and request_line["logger"] == "moderation_site.requests"
    assert "secret-search-words" not in log.read_text()


# --- jobs ---------------------------------------------------------------------------------------


def test_each_of_twenty_jobs_runs_exactly_once_across_two_workers(formation):
    moderator = SuperuserFactory(username="deleter")
    people = [UserFactory(username=f"leaving{number}") for number in range(20)]
    # Queued as the admin queues them; outside a transaction each task is queued at once.
    jobs = [
        job_services.start_job(
            kind=Job.Kind.ACCOUNT_DELETION,
            started_by=moderator,
            params={"user_ids": [person.pk], "reason": "scale-out test"},
            total=1,
        )
        for person in people
    ]

    wait_for_jobs([job.pk for job in jobs])

    for job in Job.objects.filter(pk__in=[job.pk for job in jobs]):
        assert (job.status, job.attempts) == (Job.Status.SUCCEEDED, 1), job.error
        assert job.result == {"deleted": 1, "refused": 0, "already_deleted": 0, "failed": 0}
    tasks = DBTaskResult.objects.filter(id__in=[job.task_id for job in Job.objects.all()])
    assert tasks.count() == DBTaskResult.objects.count() == 20
    assert all(task.status == TaskResultStatus.SUCCESSFUL for task in tasks)
    assert all(len(task.worker_ids) == 1 for task in tasks)  # claimed once, by one worker
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == 20


# --- caches -------------------------------------------------------------------------------------


def messages_today(session: Session) -> int:
    page = session.request("GET", "/admin/")
    assert page.status == 200, page.status
    match = MESSAGES_TODAY.search(page.body)
    assert match, "no 'Messages today' figure on the dashboard"
    return int(match.group(1).replace(",", ""))


def test_a_write_through_one_server_is_seen_at_once_through_the_other(formation):
    alice, bob = person_who_logs_in("alice"), UserFactory(username="bob")
    person_who_logs_in("watcher", SuperuserFactory)
    question = MessageFactory(sender=bob, receiver=alice, content="Are you there?")
    on_a, on_b = sharing_cookies(formation.session(0), formation.session(1))
    assert log_in(on_a, "alice").status == 302
    moderator_on_b = formation.session(1)
    assert log_in(moderator_on_b, "watcher").status == 302

    thread = f"/messages/{question.pk}/"
    before = on_b.request("GET", thread)  # cached in Redis by server B
    assert before.status == 200 and "Are you there?" in before.body
    figure_before = messages_today(moderator_on_b)  # cached in Redis too
    assert messages_today(moderator_on_b) == figure_before

    reply = post_form(on_a, f"{thread}reply/", {"content": "Here through server A"})
    assert reply.status == 302

    after = on_b.request("GET", thread)
    assert after.status == 200 and "Here through server A" in after.body
    assert messages_today(moderator_on_b) == figure_before + 1


# --- sessions and rate limits -------------------------------------------------------------------


def test_a_login_and_its_rate_limit_hold_across_servers(formation):
    person_who_logs_in("carol")
    person_who_logs_in("dave")
    on_a, on_b = sharing_cookies(formation.session(0), formation.session(1))

    assert log_in(on_a, "carol").status == 302
    inbox = on_b.request("GET", "/")
    assert inbox.status == 200 and "carol" in inbox.body

    attacker_a, attacker_b = formation.session(0), formation.session(1)
    # AXES_FAILURE_LIMIT (5) failures of dave from this address, through either server.
    answers = [
        log_in(attacker, "dave", "wrong-password").status
        for attacker in (attacker_a, attacker_b, attacker_a, attacker_b, attacker_a)
    ]
    assert answers == [200, 200, 200, 200, 429]
    # Locked out everywhere, even with the right password.
    assert log_in(attacker_b, "dave").status == 429
    assert log_in(attacker_a, "dave").status == 429


# --- a worker killed mid-job (last: it leaves one worker) ---------------------------------------


def worker_running(job: Job, formation: Formation) -> subprocess.Popen | None:
    """The worker process whose heartbeat row names the worker that claimed the job's task."""
    task = DBTaskResult.objects.filter(id=job.task_id).first()
    if task is None or not task.worker_ids:
        return None
    beat = WorkerHeartbeat.objects.filter(worker_id=task.worker_ids[-1]).first()
    return next((worker for worker in formation.workers if beat and worker.pid == beat.pid), None)


def test_a_worker_killed_mid_job_leaves_the_other_to_finish_it(formation):
    moderator = SuperuserFactory(username="deleter")
    partner = UserFactory(username="partner")
    owned = build_accounts(partner)
    job = job_services.start_job(
        kind=Job.Kind.ACCOUNT_DELETION,
        started_by=moderator,
        params={"user_ids": sorted(owned), "reason": "spam wave"},
        total=ACCOUNTS,
    )
    wait_until(
        lambda: Job.objects.filter(pk=job.pk, progress_done__gt=0).exists(),
        what="a worker to delete its first account",
    )
    job.refresh_from_db()
    victim = worker_running(job, formation)
    assert victim is not None, formation.log_text()
    victim.send_signal(signal.SIGKILL)
    victim.wait(DEADLINE)
    job.refresh_from_db()
    first_task = job.task_id
    assert job.status == Job.Status.RUNNING and job.progress_done < ACCOUNTS, "finished too soon"

    started = time.monotonic()
    wait_for_jobs([job.pk])
    took_over_in = time.monotonic() - started

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    assert job.task_id != first_task
    survivor = worker_running(job, formation)
    assert survivor is not None and survivor is not victim
    assert DBTaskResult.objects.get(id=first_task).status == TaskResultStatus.FAILED
    assert {user_id: account_state(user_id, owned[user_id]) for user_id in owned} == dict.fromkeys(
        owned, "gone"
    )  # each deleted exactly once: one audit entry each
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == ACCOUNTS
    assert took_over_in < DEADLINE
