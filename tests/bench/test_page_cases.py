"""The benchmark's page cases run: each moderator page of ``bench/run.py`` answers
200 twice on a tiny database built by ``bench.setup_data`` (the generator's data
and every shape of the bench, its desk shapes small), as ``make bench`` would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.run import PAGE_CASES

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Every page case in one process: the measured numbers mean nothing here, only
# that prepare (first request) and run (second request) both succeed.
RUN_PAGES = """
import json, sys
from bench import cases
for name in sys.argv[1:]:
    prepare, run = cases.CASES[name]("ours")
    prepare()
    print(json.dumps({"case": name, "note": run()}))
"""


def test_every_page_case_answers_on_a_tiny_bench_database(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        # Static files served from the apps' folders: nothing to collect first
        # (make bench collects them and runs with DEBUG off).
        "DEBUG": "1",
        "SECRET_KEY": "bench-smoke-test-not-secret",
        "ALLOWED_HOSTS": "*",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "STAFF_2FA": "0",
        "PYTHONPATH": str(PROJECT_DIR),
    }

    def python(*args: str) -> str:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *args],
            env=environment,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        return completed.stdout

    setup = python("-m", "bench.setup_data", "--messages", "600", "--users", "40", "--small-desk")
    assert json.loads(setup.splitlines()[-1])["messages"] == 600 + 1_200 + 5_000
    pages = sorted(PAGE_CASES)
    answered = [json.loads(line) for line in python("-c", RUN_PAGES, *pages).splitlines()]

    assert [row["case"] for row in answered] == pages
    assert all(row["note"].endswith(" KB") for row in answered)
