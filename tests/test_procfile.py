"""The Procfile (README "Production", "Scaling out"): honcho reads it, and it
names one app server type and one worker type. tests/reliability/test_scale_out.py
runs its commands, two of each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reliability.test_scale_out import procfile_commands
from tests.test_settings import PROJECT_DIR

HONCHO = Path(sys.executable).with_name("honcho")


def test_honcho_reads_the_procfile():
    result = subprocess.run(  # noqa: S603 - honcho from this environment, fixed arguments
        [str(HONCHO), "check"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "Valid procfile detected (web, worker)" in result.stdout + result.stderr


def test_each_app_server_listens_on_the_port_honcho_gives_it_and_workers_never_reload():
    commands = procfile_commands()

    assert set(commands) == {"web", "worker"}
    assert "gunicorn moderation_site.wsgi" in commands["web"]
    assert ":$PORT" in commands["web"]
    assert commands["worker"].endswith("manage.py db_worker --no-reload")
