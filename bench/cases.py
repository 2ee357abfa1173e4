"""One benchmark measurement, in a process of its own: ``python -m bench.cases CASE VARIANT``.

Prints one JSON line: seconds, SQL statements, peak resident memory (the whole
process: Python, Django and the data) and a note. A fresh process per
measurement makes the peak memory of each variant its own, and keeps caches and
connections of one run from flattering the next. A moderator's page is timed on
its second request in the process (``admin_page``), as a moderator meets it
after the first.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation_site.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import data, desk_data  # noqa: E402
from messaging.managers import walk_thread  # noqa: E402
from messaging.models import Message  # noqa: E402

User = get_user_model()
settings.ALLOWED_HOSTS = ["*"]


class StatementCounter:
    """Counts SQL statements without keeping them (a million would not fit)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- cases: each returns (prepare, run); run returns a short note -----------------------


def thread_tree(variant: str, *, thread: str) -> tuple[Callable, Callable]:
    root_id = data.special_thread_root(thread)

    def ours() -> str:
        nodes = list(walk_thread(Message.objects.thread_tree(root_id)))
        return f"{len(nodes)} messages"

    def naive() -> str:
        # What the course's implementation did: replies.all() on every node.
        def walk(message: Message) -> list[Message]:
            found = [message]
            for reply in message.replies.all():
                found.extend(walk(reply))
            return found

        nodes = walk(Message.objects.get(pk=root_id))
        return f"{len(nodes)} messages"

    return (lambda: None), {"ours": ours, "baseline": naive}[variant]


def account_deletion(variant: str) -> tuple[Callable, Callable]:
    from django.db.models.signals import pre_delete

    from messaging import services

    state: dict[str, Any] = {}

    def prepare() -> None:
        state["user"] = data.make_big_account(messages=10_000)

    def ours() -> str:
        summary = services.delete_account(state["user"], reason="bench")
        return f"{summary.messages_deleted + summary.messages_tombstoned} messages"

    def stock() -> str:
        # Django's stock cascade with this project's own receiver off: the collector
        # loads every message and sends the signals of each (django-simple-history's
        # included), as the stock admin confirmation does.
        pre_delete.disconnect(dispatch_uid="messaging.erase_user", sender=settings.AUTH_USER_MODEL)
        user = state["user"]
        with transaction.atomic():
            deleted, _ = Message.objects.filter(sender=user).delete()
            user.delete()
        return f"{deleted} rows"

    return prepare, {"ours": ours, "baseline": stock}[variant]


def export(variant: str) -> tuple[Callable, Callable]:
    from exports.csv_writer import write_csv
    from exports.resources import MessageResource, export_columns

    # What the admin exports: every message, newest first, users joined.
    queryset = Message.objects.select_related("sender", "receiver").order_by("-timestamp", "-id")

    def ours() -> str:
        with open(os.devnull, "w", newline="") as sink:
            rows = write_csv(sink, queryset, export_columns(MessageResource))
        return f"{rows:,} rows"

    def import_export_default() -> str:
        # django-import-export's own path: a whole tablib Dataset, then CSV text
        # (with this project's formula sanitising on, as ours).
        dataset = MessageResource().export(queryset=queryset)
        with open(os.devnull, "w") as sink:
            sink.write(dataset.csv)
        return f"{len(dataset):,} rows"

    return (lambda: None), {"ours": ours, "baseline": import_export_default}[variant]


def admin_page(
    variant: str, *, path: Callable[[], str], cold: bool = False
) -> tuple[Callable, Callable]:
    """A moderator's page, timed on its second request in the process: the first
    (in prepare) warms what any visit after the first finds warm (the session,
    permission caches, templates). ``cold`` drops the dashboard's cached figures
    after it, so the timed request computes them again."""
    from moderation_site.dashboard_cache import forget_dashboard_figures

    client = Client()
    state: dict[str, str] = {}

    def prepare() -> None:
        client.force_login(data.bench_moderator())
        state["path"] = path()
        response = client.get(state["path"])
        assert response.status_code == 200, (state["path"], response.status_code)
        if cold:
            forget_dashboard_figures()

    def ours() -> str:
        response = client.get(state["path"])
        assert response.status_code == 200, response.status_code
        return f"{len(response.content) // 1024} KB"

    return prepare, {"ours": ours}[variant]


def inbox(variant: str) -> tuple[Callable, Callable]:
    user = data.busiest_receiver()

    def ours() -> str:
        page = list(Message.unread.unread_for_user(user)[:25])
        [(m.sender.username, m.content) for m in page]
        plan = Message.unread.unread_for_user(user)[:25].explain()
        uses_index = "msg_unread_inbox_idx" in plan
        return f"index {'used' if uses_index else 'NOT used'}"

    def naive() -> str:
        # The course's inbox: .only() without select_related, a query per row.
        page = list(
            Message.objects.filter(receiver=user, read=False)
            .only("content", "sender__username")
            .order_by("-timestamp")[:25]
        )
        [(m.sender.username, m.content) for m in page]
        return f"{len(page)} rows"

    return (lambda: None), {"ours": ours, "baseline": naive}[variant]


def rule_matching(variant: str) -> tuple[Callable, Callable]:
    """One 1,000-character message against 1,000 active rules (issue 16's budget:
    under 1 ms median). No data: the rules are made up and compiled in prepare, as
    the sending path will find them compiled."""
    from bench.detection_data import message_with_hits, watched_rules
    from detection.matching import Matcher

    state: dict[str, Any] = {}

    def prepare() -> None:
        rules = watched_rules()
        state["matcher"] = Matcher.build(rules)
        state["message"] = message_with_hits(rules)
        # RE2 builds its automata lazily on first use; a warm process has them.
        for _ in range(20):
            state["matcher"].match(state["message"])

    def ours() -> str:
        matches = state["matcher"].match(state["message"])
        return f"{len(matches)} matches, {len(state['message']):,} characters"

    return prepare, {"ours": ours}[variant]


def rule_backtest(variant: str) -> tuple[Callable, Callable]:
    """A 20-word rule backtested over every message (issue 16's budget: under 60 s
    at 1M). The handler's loop itself, on a job never saved: its progress writes
    match no row, so the benchmark database is only read."""
    from bench.detection_data import backtest_words
    from detection.backtest import run_backtest
    from jobs.models import Job
    from jobs.progress import Progress

    state: dict[str, Any] = {}

    def prepare() -> None:
        days = Message.objects.aggregate(first=Min("timestamp"), last=Max("timestamp"))
        job = Job(
            kind=Job.Kind.RULE_BACKTEST,
            params={
                "rule_id": 0,
                "rule_kind": "words",
                "words": backtest_words(),
                "pattern": "",
                "since": timezone.localdate(days["first"]).isoformat(),
                "until": timezone.localdate(days["last"]).isoformat(),
            },
        )
        state["job"] = job

    def ours() -> str:
        result = run_backtest(state["job"], Progress(state["job"]))
        return (
            f"{result['messages_checked']:,} messages, {result['messages_caught']:,} caught, "
            f"{result['reported_or_hidden']:,} already reported or hidden"
        )

    return prepare, {"ours": ours}[variant]


def _page(path: Callable[[], str], *, cold: bool = False) -> Callable:
    return lambda variant: admin_page(variant, path=path, cold=cold)


MESSAGES = "/admin/messaging/message/"
USERS = "/admin/auth/user/"

CASES: dict[str, Callable[[str], tuple[Callable, Callable]]] = {
    "thread_chain": lambda variant: thread_tree(variant, thread="chain"),
    "thread_bushy": lambda variant: thread_tree(variant, thread="bushy"),
    "account_deletion": account_deletion,
    "export": export,
    "inbox": inbox,
    "rule_matching": rule_matching,
    "rule_backtest": rule_backtest,
    # The moderators' pages (paths computed in prepare: some look the data up).
    "message_changelist": _page(lambda: MESSAGES),
    "message_unread": _page(lambda: f"{MESSAGES}?unread=1"),
    "message_filter_user": _page(
        lambda: f"{MESSAGES}?sender__id__exact={data.busiest_sender().pk}"
    ),
    "message_search": _page(lambda: f"{MESSAGES}?q={data.COMMON_WORD}"),
    "message_search_rare": _page(lambda: f"{MESSAGES}?q={data.RARE_WORD}"),
    "message_search_username": _page(lambda: f"{MESSAGES}?q={data.busiest_sender().username}"),
    "user_changelist": _page(lambda: USERS),
    "user_search": _page(lambda: f"{USERS}?q={data.busiest_sender().username}"),
    "dashboard_cold": _page(lambda: "/admin/", cold=True),
    "dashboard_warm": _page(lambda: "/admin/"),
    "case_queue": _page(lambda: "/admin/moderation/case/"),
    "case_page": _page(lambda: f"/admin/moderation/case/{desk_data.thread_case().pk}/change/"),
    "message_page": _page(lambda: f"{MESSAGES}{data.big_thread_middle().pk}/change/"),
    "audit_log": _page(lambda: "/admin/audit/auditentry/"),
    # The preview of the "Delete account" button on a person's page.
    "deletion_preview": _page(lambda: f"{USERS}{data.busiest_sender().pk}/delete-account/"),
    "jobs_list": _page(lambda: "/admin/jobs/job/"),
}


def main() -> None:
    name, variant = sys.argv[1], sys.argv[2]
    prepare, run = CASES[name](variant)
    prepare()
    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        note = run()
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "queries": counter.count, "peak_mb": peak_rss_mb(), "note": note}
        )
    )


if __name__ == "__main__":
    main()
