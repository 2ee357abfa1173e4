"""The server under load: gunicorn on a free loopback port, with production
settings except TLS (plain http on the loopback)."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.load_http import Session

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


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


def start_gunicorns(
    options: argparse.Namespace, env: dict[str, str], log_dir: Path
) -> list[tuple[subprocess.Popen, int]]:
    """``options.servers`` app servers, each its own gunicorn on its own port (as
    on several machines), sharing the database, Redis and the secret key."""
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        for number in range(options.servers):
            log = log_dir / f"gunicorn-{number + 1}.log"
            log.write_text("")
            servers.append(start_gunicorn(options, env, log))
    except BaseException:
        for server, _port in servers:
            stop(server)
        raise
    return servers


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
