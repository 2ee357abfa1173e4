"""The benchmark's rule matching case runs as ``make bench`` runs it (its own
process, ``python -m bench.cases``), and its data is what it says: 1,000 valid
rules and a 1,000-character message with watched words in it. It needs no data,
so no bench database is built here; the time it prints means nothing here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.detection_data import MESSAGE_LENGTH, RULES, message_with_hits, watched_rules
from bench.run import CASE_BUDGET_SECONDS, CASES
from detection.matching import Matcher

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_matching_data_is_a_thousand_valid_rules_and_a_message_they_catch():
    rules = watched_rules()
    matcher = Matcher.build(rules)
    message = message_with_hits(rules)

    assert len(rules) == RULES
    assert matcher.skipped == {}
    assert len(message) == MESSAGE_LENGTH
    assert [match.rule_id for match in matcher.match(message)] == [3, 7]


def test_the_rule_matching_case_is_listed_with_its_budget_and_answers(tmp_path):
    assert "rule_matching" in {name for name, _, _ in CASES}
    assert CASE_BUDGET_SECONDS["rule_matching"] == 0.001
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "DEBUG": "1",
        "SECRET_KEY": "bench-smoke-test-not-secret",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_DIR),
    }

    completed = subprocess.run(
        [sys.executable, "-m", "bench.cases", "rule_matching", "ours"],
        env=environment,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.splitlines()[-1])
    assert result["note"] == "2 matches, 1,000 characters"
    assert result["queries"] == 0
