"""Backtesting a watched-word rule: what it would have caught over past messages.

``start_backtest`` (audited) queues a ``Job.Kind.RULE_BACKTEST`` job whose
params hold the rule as it was when the moderator asked (its words or pattern,
so an edit made while the job waits does not change the answer) and the period;
``run_backtest`` (registered in ``DetectionConfig.ready``) reads the period's
messages by primary key in chunks and matches them.

The period is local calendar days (TIME_ZONE), both included: from ``since`` at
midnight up to, not including, the midnight after ``until``. Tombstones hold no
content and are skipped.

The result holds counts and, for the sample, message ids with the matched
spans, never message text: the job page reads the content when it is shown, so
a message deleted since (its author's account erased) drops out of the sample.

Budget: at most three queries per chunk of CHUNK_SIZE messages (their content and
hidden flag, which of them were reported, which have a hide sanction), plus
three at the start and one per SENDERS_PER_QUERY senders caught at the end
(which of them a moderator sanctioned). Safe to run again: the job writes nothing but its result,
so a retry starts from the first chunk with its counts at zero.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from detection.matching import Matcher, Rule
from detection.models import WatchedRule
from jobs.models import Job
from jobs.services import start_job
from messaging.models import Message
from moderation.models import Report, Sanction

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from jobs.progress import Progress

CHUNK_SIZE = 20_000
# Below SQLite's limit of variables in one statement.
SENDERS_PER_QUERY = 10_000
SAMPLE_SIZE = 50
DEFAULT_DAYS = 30
# A year of messages is what a moderator means by "past"; longer periods are
# refused rather than left running for minutes.
MAX_DAYS = 366


def period_bounds(
    since: datetime.date, until: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware datetimes [start, end) of the local days ``since``..``until``."""
    start = datetime.datetime.combine(since, datetime.time.min)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start), timezone.make_aware(end)


def period_problem(since: object, until: object) -> str | None:
    """Why ``since``..``until`` cannot be backtested, or None. One answer for the
    form and the service."""
    if not isinstance(since, datetime.date) or not isinstance(until, datetime.date):
        return "Give both dates of the period."
    if since > until:
        return "The period must start on or before the day it ends."
    if (until - since).days + 1 > MAX_DAYS:
        return f"Backtest at most {MAX_DAYS} days at a time."
    return None


def rule_snapshot(rule: WatchedRule) -> dict[str, Any]:
    return {
        "rule_id": rule.pk,
        "rule_name": rule.name,
        "rule_kind": rule.kind,
        "words": list(rule.word_list),
        "pattern": rule.pattern,
    }


@transaction.atomic
def start_backtest(
    rule: WatchedRule,
    *,
    actor: AbstractBaseUser | None,
    since: datetime.date,
    until: datetime.date,
) -> Job:
    """Queue a backtest of ``rule`` as it is now over the local days ``since`` to
    ``until`` (both included); ValidationError when the period cannot be run."""
    problem = period_problem(since, until)
    if problem:
        raise ValidationError(problem)
    params = {**rule_snapshot(rule), "since": since.isoformat(), "until": until.isoformat()}
    job = start_job(
        kind=Job.Kind.RULE_BACKTEST,
        started_by=actor,
        params=params,
        description=f"Backtest of “{rule.name}”, {since.isoformat()} to {until.isoformat()}",
    )
    record_audit_entry(
        action=AuditEntry.Action.BACKTEST_STARTED,
        actor=actor,
        details={
            "rule_id": rule.pk,
            "rule_name": rule.name,
            "job_id": job.pk,
            "since": params["since"],
            "until": params["until"],
        },
    )
    return job


@dataclass
class BacktestTally:
    checked: int = 0
    caught: int = 0
    reported: int = 0
    hidden: int = 0
    reported_or_hidden: int = 0
    senders_sanctioned: int = 0
    senders: set[int] = field(default_factory=set)
    threads: set[int] = field(default_factory=set)
    sample: list[dict[str, Any]] = field(default_factory=list)

    def as_result(self) -> dict[str, Any]:
        return {
            "messages_checked": self.checked,
            "messages_caught": self.caught,
            "senders": len(self.senders),
            "threads": len(self.threads),
            "already_reported": self.reported,
            "already_hidden": self.hidden,
            "reported_or_hidden": self.reported_or_hidden,
            "senders_sanctioned": self.senders_sanctioned,
            "sample": self.sample,
        }


def snapshot_matcher(params: dict[str, Any]) -> Matcher:
    rule = Rule(
        id=params["rule_id"],
        kind=params["rule_kind"],
        words=tuple(params.get("words") or ()),
        pattern=params.get("pattern") or "",
    )
    return Matcher.build([rule])


def run_backtest(job: Job, progress: Progress) -> dict[str, Any]:
    """The job's handler: match the period's messages, return the tally."""
    params = job.params
    matcher = snapshot_matcher(params)
    start, end = period_bounds(
        datetime.date.fromisoformat(params["since"]), datetime.date.fromisoformat(params["until"])
    )
    # msg_newest_idx (timestamp, id) answers both: the period's id range, then
    # its size for the progress bar.
    in_period = Message.objects.filter(timestamp__gte=start, timestamp__lt=end, is_tombstone=False)
    bounds = in_period.aggregate(first=Min("pk"), last=Max("pk"))
    progress.set_total(in_period.count() if bounds["first"] is not None else 0)
    tally = BacktestTally()
    after = (bounds["first"] or 0) - 1
    last = bounds["last"] or 0
    while after < last:
        rows = list(
            in_period.filter(pk__gt=after, pk__lte=last)
            .order_by("pk")
            .values_list("pk", "content", "sender_id", "thread_id", "is_hidden")[:CHUNK_SIZE]
        )
        if not rows:
            break
        after = rows[-1][0]
        tally_chunk(tally, matcher, rows)
        progress.advance(len(rows))
    tally.senders_sanctioned = sanctioned_senders(tally.senders)
    progress.flush()
    return tally.as_result()


def sanctioned_senders(sender_ids: set[int]) -> int:
    """How many of ``sender_ids`` a moderator has ever sanctioned (hidden a
    message of, warned, suspended; rules' hides left out, as above): one query
    per SENDERS_PER_QUERY senders (sanction_user_idx)."""
    ids = sorted(sender_ids)
    return sum(
        Sanction.objects.filter(user_id__in=ids[at : at + SENDERS_PER_QUERY], rule_name="")
        .order_by()
        .values("user_id")
        .distinct()
        .count()
        for at in range(0, len(ids), SENDERS_PER_QUERY)
    )


def tally_chunk(tally: BacktestTally, matcher: Matcher, rows: list[tuple]) -> None:
    """Match one chunk and add it to ``tally``: two more queries, only for the
    chunk's caught messages."""
    caught: dict[int, tuple] = {}
    for message_id, content, sender_id, thread_id, is_hidden in rows:
        matches = matcher.match(content)
        if matches:
            caught[message_id] = (sender_id, thread_id, is_hidden, matches)
    tally.checked += len(rows)
    if not caught:
        return
    # report_message_idx and sanction_message_idx; order_by(): the default orderings
    # would sort for nothing.
    # What people and moderators judged: a rule's own reports and hides (this
    # one's, once it is on) would only count the rule as agreeing with itself.
    reported = set(
        Report.objects.filter(reported_message_id__in=caught, rule_id__isnull=True)
        .order_by()
        .values_list("reported_message_id", flat=True)
    )
    hides = list(
        Sanction.objects.filter(kind=Sanction.Kind.HIDE, message_id__in=caught)
        .order_by()
        .values_list("message_id", "rule_name")
    )
    hidden_by_moderator = {message_id for message_id, rule_name in hides if not rule_name}
    hidden_by_rule = {message_id for message_id, rule_name in hides if rule_name}
    for message_id, (sender_id, thread_id, is_hidden, matches) in caught.items():
        tally.caught += 1
        if sender_id is not None:
            tally.senders.add(sender_id)
        if thread_id is not None:
            tally.threads.add(thread_id)
        was_reported = message_id in reported
        was_hidden = message_id in hidden_by_moderator or (
            is_hidden and message_id not in hidden_by_rule
        )
        tally.reported += was_reported
        tally.hidden += was_hidden
        tally.reported_or_hidden += was_reported or was_hidden
        if len(tally.sample) < SAMPLE_SIZE:
            spans = [[match.start, match.end] for match in matches]
            tally.sample.append({"message_id": message_id, "spans": spans})


@dataclass(frozen=True)
class SampleMessage:
    message: Message
    spans: list[tuple[int, int]]


def sample_messages(job: Job) -> tuple[list[SampleMessage], int]:
    """The sample of a finished backtest with each message read now, and how many
    sampled messages are gone since (deleted). One query."""
    result = job.result if isinstance(job.result, dict) else {}
    sample = result.get("sample") if job.kind == Job.Kind.RULE_BACKTEST else None
    if not isinstance(sample, list):
        return [], 0
    wanted: dict[int, list[tuple[int, int]]] = {}
    for entry in sample:
        try:
            message_id = int(entry["message_id"])
            spans = [(int(start), int(end)) for start, end in entry["spans"]]
        except (KeyError, TypeError, ValueError):
            continue  # a result written by hand or by an older version: skip it
        wanted[message_id] = spans
    found = Message.objects.filter(pk__in=wanted, is_tombstone=False).in_bulk()
    shown = [
        SampleMessage(message=found[message_id], spans=spans)
        for message_id, spans in wanted.items()
        if message_id in found
    ]
    return shown, len(wanted) - len(shown)
