"""Backtesting a rule (detection.backtest): the counts on a known small data set,
the period's bounds, the sample's spans, progress, a rerun after a failure, and
its admin side (the rule page's form, the job page's result)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from detection import backtest
from detection.backtest import period_bounds, run_backtest, start_backtest
from detection.models import WatchedRule
from detection.services import save_rule
from jobs.models import Job
from jobs.progress import Progress
from jobs.runner import run_job
from messaging.models import Message
from moderation.automatic import RuleFinding, hide_message_automatically
from moderation.models import Sanction
from tests.factories import (
    MessageFactory,
    ReplyFactory,
    SanctionFactory,
    UserFactory,
    reported_message,
)

pytestmark = pytest.mark.django_db

SINCE = datetime.date(2026, 11, 1)
UNTIL = datetime.date(2026, 11, 10)


def on_day(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def sent(content: str, *, day: datetime.date = SINCE, **fields) -> Message:
    message = MessageFactory(content=content, **fields)
    # timestamp is not editable: set it after the save, as old data would be.
    Message.objects.filter(pk=message.pk).update(timestamp=on_day(day))
    message.refresh_from_db()
    return message


@pytest.fixture
def rule(moderator) -> WatchedRule:
    return save_rule(
        WatchedRule(name="Threats", kind="words", words="kill you\nidiot"), actor=moderator
    )


def backtest_job(rule, moderator, *, since=SINCE, until=UNTIL) -> Job:
    return start_backtest(rule, actor=moderator, since=since, until=until)


def run(job: Job) -> Job:
    run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def known_data(alice, bob):
    """Six caught (three senders, five threads), one reported, one hidden, one
    with a moderator's hide sanction, one hidden and reported by a rule; plus
    what must not count."""
    root = sent("you idiot", sender=alice, receiver=bob)
    reply = ReplyFactory(parent_message=root, content="I will kill   you")
    Message.objects.filter(pk=reply.pk).update(timestamp=on_day(SINCE))
    reported = reported_message(author=alice, content="idiot!").reported_message_id
    Message.objects.filter(pk=reported).update(timestamp=on_day(SINCE, 13))
    sent("IDIOT", sender=alice, receiver=bob, is_hidden=True)
    sanctioned = sent("an idiot idea", sender=alice, receiver=bob, day=UNTIL)
    SanctionFactory(user=alice, kind=Sanction.Kind.HIDE, message_id=sanctioned.pk)
    # A rule's own hide and report are no one's judgement: they do not count.
    by_rule = sent("kill you", sender=UserFactory(), receiver=bob, day=UNTIL)
    hide_message_automatically(by_rule, RuleFinding(rule_id=1, rule_name="Threats", matches=()))
    sent("a kind word", sender=alice, receiver=bob)  # not caught
    sent("idiot", day=SINCE - datetime.timedelta(days=1))  # before the period
    sent("idiot", day=UNTIL + datetime.timedelta(days=1))  # after it
    # A tombstone: no content, no sender, skipped.
    Message.objects.filter(pk=sent("idiot").pk).update(is_tombstone=True, content="", sender=None)
    return {"root": root, "reply": reply, "reported": reported, "sanctioned": sanctioned}


def test_the_counts_on_a_known_data_set(rule, moderator, known_data):
    job = run(backtest_job(rule, moderator))

    assert job.status == Job.Status.SUCCEEDED, job.error
    result = {name: value for name, value in job.result.items() if name != "sample"}
    assert result == {
        "messages_checked": 7,
        "messages_caught": 6,
        "senders": 3,  # alice, bob who replied, and the rule's
        "threads": 5,
        "already_reported": 1,
        "already_hidden": 2,  # one hidden, one with a hide sanction
        "reported_or_hidden": 3,
        "senders_sanctioned": 1,  # alice; the rule's sender only by the rule
    }


def test_the_period_takes_both_days_whole(rule, moderator):
    first = sent("idiot", day=SINCE)
    Message.objects.filter(pk=first.pk).update(timestamp=period_bounds(SINCE, UNTIL)[0])
    last = sent("idiot", day=UNTIL)
    end = period_bounds(SINCE, UNTIL)[1]
    Message.objects.filter(pk=last.pk).update(timestamp=end - datetime.timedelta(microseconds=1))
    outside = sent("idiot", day=UNTIL)
    Message.objects.filter(pk=outside.pk).update(timestamp=end)

    job = run(backtest_job(rule, moderator))

    assert [entry["message_id"] for entry in job.result["sample"]] == [first.pk, last.pk]


def test_the_sample_holds_ids_and_spans_never_text(rule, moderator):
    message = sent("You IDIOT, I kill you")

    job = run(backtest_job(rule, moderator))

    assert job.result["sample"] == [{"message_id": message.pk, "spans": [[4, 9], [13, 21]]}]
    assert "IDIOT" not in str(job.result)


def test_the_sample_keeps_fifty(rule, moderator, monkeypatch):
    monkeypatch.setattr(backtest, "CHUNK_SIZE", 7)
    messages = [sent(f"idiot {n}") for n in range(55)]

    job = run(backtest_job(rule, moderator))

    assert job.result["messages_caught"] == 55
    assert [entry["message_id"] for entry in job.result["sample"]] == [
        message.pk for message in messages[:50]
    ]


def test_the_rule_is_taken_as_it_was_when_the_backtest_was_asked(rule, moderator):
    sent("idiot")
    job = backtest_job(rule, moderator)
    rule.words = "something else"
    save_rule(rule, actor=moderator)

    assert run(job).result["messages_caught"] == 1


def test_progress_counts_the_messages_of_the_period(rule, moderator, known_data, monkeypatch):
    monkeypatch.setattr(backtest, "CHUNK_SIZE", 2)
    job = run(backtest_job(rule, moderator))

    assert (job.progress_done, job.progress_total) == (7, 7)


def test_chunks_cost_at_most_three_queries_each(
    rule, moderator, known_data, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(backtest, "CHUNK_SIZE", 2)
    monkeypatch.setattr("jobs.progress.PROGRESS_INTERVAL", 3600)
    job = backtest_job(rule, moderator)
    # The id range, the count and the total written; four chunks of two messages,
    # three queries each; progress written after the first chunk and at the end;
    # the caught senders' sanctions.
    with django_assert_max_num_queries(3 + 4 * 3 + 2 + 1):
        run_backtest(job, Progress(job))


def test_a_rerun_after_a_failure_does_not_count_twice(rule, moderator, known_data, monkeypatch):
    monkeypatch.setattr(backtest, "CHUNK_SIZE", 2)
    job = backtest_job(rule, moderator)
    real_tally = backtest.tally_chunk
    calls = []

    def failing_on_the_third_chunk(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        real_tally(*args)

    monkeypatch.setattr(backtest, "tally_chunk", failing_on_the_third_chunk)
    assert run(job).status == Job.Status.FAILED

    monkeypatch.setattr(backtest, "tally_chunk", real_tally)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
    job = run(job)

    assert job.status == Job.Status.SUCCEEDED
    assert job.result["messages_caught"] == 6
    assert job.progress_done == 7


def test_starting_is_audited(rule, moderator):
    job = backtest_job(rule, moderator)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.BACKTEST_STARTED)
    assert entry.actor == moderator
    assert entry.details["job_id"] == job.pk
    assert entry.details["rule_id"] == rule.pk
    assert job.params["words"] == ["kill you", "idiot"]


# --- the rule's page ---------------------------------------------------------------------


def backtest_url(rule) -> str:
    return reverse("admin:detection_watchedrule_backtest", args=[rule.pk])


def test_the_rule_page_offers_the_last_thirty_days(moderator_client, rule):
    page = moderator_client.get(reverse("admin:detection_watchedrule_change", args=[rule.pk]))

    assert page.status_code == 200
    assert backtest_url(rule) in page.content.decode()
    since = timezone.localdate() - datetime.timedelta(days=29)
    assert since.isoformat() in page.content.decode()


def test_a_moderator_without_the_change_permission_backtests(moderator_client, rule):
    answer = moderator_client.post(
        backtest_url(rule), {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    )

    job = Job.objects.get(kind=Job.Kind.RULE_BACKTEST)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.params["since"] == "2026-11-01"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"since": "2026-11-10", "until": "2026-11-01"}, "must start on or before"),
        ({"since": "yesterday", "until": "2026-11-01"}, "valid date"),
        ({"since": "2020-01-01", "until": "2026-11-01"}, "at most 366 days"),
        ({}, "required"),
    ],
)
def test_bad_dates_go_back_to_the_rule_with_the_reason(moderator_client, rule, data, says):
    answer = moderator_client.post(backtest_url(rule), data, follow=True)

    assert answer.status_code == 200
    assert says in answer.content.decode()
    assert not Job.objects.exists()


def test_backtesting_is_post_only(moderator_client, rule):
    assert moderator_client.get(backtest_url(rule)).status_code == 405
    assert not Job.objects.exists()


def test_an_unknown_rule_is_a_404(moderator_client):
    answer = moderator_client.post(
        reverse("admin:detection_watchedrule_backtest", args=[999_999]),
        {"since": SINCE.isoformat(), "until": UNTIL.isoformat()},
    )
    assert answer.status_code == 404


# --- the job's page ----------------------------------------------------------------------


def job_page(client, job: Job) -> str:
    answer = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_job_page_marks_the_matches_and_escapes_the_rest(moderator_client, moderator, rule):
    sent("<b>you</b> idiot & co")
    page = job_page(moderator_client, run(backtest_job(rule, moderator)))

    assert "&lt;b&gt;you&lt;/b&gt; <mark>idiot</mark> &amp; co" in page
    assert "<b>you</b>" not in page


def test_the_job_page_gives_the_precision_estimate(moderator_client, moderator, rule, known_data):
    page = job_page(moderator_client, run(backtest_job(rule, moderator)))

    assert "3 of 6 caught were already reported or sanctioned" in page
    assert "1 of its 3 senders had been sanctioned before." in page


def test_a_message_deleted_since_vanishes_from_the_sample(moderator_client, moderator, rule):
    kept = sent("idiot one", sender=UserFactory())
    gone = sent("idiot secret two", sender=UserFactory())
    job = run(backtest_job(rule, moderator))
    Message.objects.filter(pk=gone.pk).delete()

    page = job_page(moderator_client, job)

    assert f"#{kept.pk}" in page
    assert "secret" not in page
    assert "1 sampled message was deleted since." in page
