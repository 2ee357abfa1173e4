"""The benchmark's backtest case: listed with issue 16's budget (60 s at 1M), its
rule is 20 valid words including the generator's common word, and the case runs
the handler over every message and writes nothing (its job is never saved)."""

from __future__ import annotations

import pytest

from bench.data import COMMON_WORD
from bench.detection_data import BACKTEST_WORDS, backtest_words
from bench.run import CASE_BUDGET_SECONDS, CASES
from detection.matching import Matcher, Rule
from jobs.models import Job
from messaging.models import Message
from tests.factories import MessageFactory


def test_the_backtest_case_is_listed_with_its_budget():
    assert "rule_backtest" in {name for name, _, _ in CASES}
    assert CASE_BUDGET_SECONDS["rule_backtest"] == 60.0


def test_the_backtest_rule_is_twenty_valid_words_with_the_common_one():
    words = backtest_words()
    matcher = Matcher.build([Rule(id=1, kind="words", words=tuple(words))])

    assert len(set(words)) == BACKTEST_WORDS
    assert COMMON_WORD in words
    assert matcher.skipped == {}


@pytest.mark.django_db
def test_the_backtest_case_reads_every_message_and_writes_nothing(settings):
    # bench.cases sets ALLOWED_HOSTS on import: inside the settings fixture's
    # override, which puts the whole settings object back afterwards.
    settings.DEBUG = True
    from bench.cases import rule_backtest

    MessageFactory(content=f"two {COMMON_WORD} please")
    MessageFactory(content="nothing here")
    prepare, run = rule_backtest("ours")
    prepare()

    assert run() == "2 messages, 1 caught, 0 already reported or hidden"
    assert not Job.objects.exists()
    assert Message.objects.count() == 2
