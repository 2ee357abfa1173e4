"""moderation_site.settings reads the environment; each test runs it in a fresh
interpreter with a controlled environment, the way a server would start."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Every variable the settings read, plus what would point the child elsewhere.
# Removed from the inherited environment so the machine running the tests (for
# example .ci/run with DATABASE_URL and REDIS_URL) cannot change the outcome. The
# browser tests' DJANGO_ALLOW_ASYNC_UNSAFE too: check --deploy refuses it (async.E001).
SETTINGS_VARIABLES = {
    "ALLOWED_HOSTS",
    "AXES_COOLOFF_MINUTES",
    "AXES_FAILURE_LIMIT",
    "CACHE_KEY_PREFIX",
    "CSRF_COOKIE_SECURE",
    "CSRF_TRUSTED_ORIGINS",
    "CSP_REPORT_ONLY",
    "CSP_REPORT_URI",
    "DATABASE_CONN_MAX_AGE",
    "DATABASE_URL",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "JOB_STALLED_SECONDS",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "LOG_REQUESTS",
    "REDIS_URL",
    "REQUIRE_POSTGRES_AND_REDIS",
    "SECRET_KEY",
    "SESSION_COOKIE_SECURE",
    "STAFF_2FA",
    "STATIC_ROOT",
    "THREAD_VIEW_CACHE_SECONDS",
}

# Prints the requested settings (names in argv) as JSON after a full setup.
PRINT_SETTINGS = """
import json, os, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "moderation_site.settings"
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "moderation.example",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def clean_env(**variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES and not name.startswith("SECURE_")
    }
    env.update(variables)
    return env


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_settings(*names: str, **variables: str) -> dict[str, Any]:
    result = run_python("-c", PRINT_SETTINGS, *names, env=clean_env(**variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_secret_key() -> str:
    return secrets.token_urlsafe(64)  # 86 characters, well past check --deploy's 50


# --- Database and cache ------------------------------------------------------------


def test_debug_defaults_use_sqlite_in_the_project_directory():
    loaded = load_settings("DATABASES", DEBUG="1")

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(PROJECT_DIR / "db.sqlite3")


def test_debug_defaults_use_the_local_memory_cache():
    loaded = load_settings("CACHES", DEBUG="1")

    assert loaded["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_url_selects_postgresql():
    loaded = load_settings(
        "DATABASES", DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x"
    )

    database = loaded["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["NAME"] == "x"
    assert database["HOST"] == "127.0.0.1"
    assert database["PORT"] == 5432
    assert database["USER"] == "postgres"


def test_postgresql_gets_none_of_the_sqlite_options():
    loaded = load_settings(
        "DATABASES", DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/x"
    )

    options = loaded["DATABASES"]["default"].get("OPTIONS", {})
    assert "init_command" not in options
    assert "timeout" not in options


def test_sqlite_database_url_uses_that_file_in_wal_mode(tmp_path):
    path = tmp_path / "elsewhere.sqlite3"

    loaded = load_settings("DATABASES", DEBUG="1", DATABASE_URL=f"sqlite:///{path}")

    database = loaded["DATABASES"]["default"]
    assert database["NAME"] == str(path)
    assert database["OPTIONS"]["init_command"] == "PRAGMA journal_mode=WAL;"


def test_redis_url_selects_the_redis_cache():
    loaded = load_settings("CACHES", DEBUG="1", REDIS_URL="redis://127.0.0.1:6379/1")

    cache = loaded["CACHES"]["default"]
    # Django's Redis backend or a subclass of it (moderation_site.cache).
    assert issubclass(import_string(cache["BACKEND"]), RedisCache)
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/1"


# --- DEBUG and SECRET_KEY ------------------------------------------------------------


def test_debug_off_without_secret_key_refuses_to_start():
    result = run_python("-c", PRINT_SETTINGS, "DEBUG", env=clean_env(DEBUG="0"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_unset_debug_counts_as_off_and_needs_a_secret_key():
    result = run_python("-c", PRINT_SETTINGS, "DEBUG", env=clean_env())

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_that_is_not_a_boolean_fails_with_a_clear_message():
    result = run_python("-c", PRINT_SETTINGS, "DEBUG", env=clean_env(DEBUG="maybe"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG must be a boolean (1/0, true/false), got 'maybe'" in result.stderr


def test_debug_off_uses_the_given_secret_key():
    key = production_secret_key()

    loaded = load_settings("DEBUG", "SECRET_KEY", DEBUG="0", SECRET_KEY=key)

    assert loaded == {"DEBUG": False, "SECRET_KEY": key}


# --- Hosts -----------------------------------------------------------------------------


def test_allowed_hosts_is_parsed_from_a_comma_separated_list():
    loaded = load_settings("ALLOWED_HOSTS", DEBUG="1", ALLOWED_HOSTS="a.example,b.example")

    assert loaded["ALLOWED_HOSTS"] == ["a.example", "b.example"]


def test_allowed_hosts_ignores_spaces_and_empty_items():
    loaded = load_settings("ALLOWED_HOSTS", DEBUG="1", ALLOWED_HOSTS=" a.example , b.example ,")

    assert loaded["ALLOWED_HOSTS"] == ["a.example", "b.example"]


def test_allowed_hosts_is_empty_in_production_unless_given():
    loaded = load_settings("ALLOWED_HOSTS", DEBUG="0", SECRET_KEY=production_secret_key())

    assert loaded["ALLOWED_HOSTS"] == []


# --- Security --------------------------------------------------------------------------


def test_debug_off_makes_cookies_secure_and_the_session_cookie_http_only():
    loaded = load_settings(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        DEBUG="0",
        SECRET_KEY=production_secret_key(),
    )

    # CSRF_COOKIE_HTTPONLY stays False on purpose: Django documents that it brings
    # no protection, and check --deploy no longer asks for it. (The cookies a
    # production server really sets: tests/test_security.py.)
    assert loaded == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": False,
    }


def test_debug_off_redirects_http_to_https():
    loaded = load_settings("SECURE_SSL_REDIRECT", DEBUG="0", SECRET_KEY=production_secret_key())

    assert loaded["SECURE_SSL_REDIRECT"] is True


def test_debug_on_keeps_plain_http_working_for_local_development():
    loaded = load_settings(
        "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", DEBUG="1"
    )

    assert loaded == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
    }


def test_hsts_is_off_unless_configured():
    loaded = load_settings(
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        DEBUG="0",
        SECRET_KEY=production_secret_key(),
    )

    assert loaded == {
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_hsts_is_configured_from_the_environment():
    loaded = load_settings(
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        DEBUG="0",
        SECRET_KEY=production_secret_key(),
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="0",
    )

    assert loaded == {
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }


def test_hsts_seconds_that_is_not_an_integer_fails_with_a_clear_message():
    env = clean_env(DEBUG="1", SECURE_HSTS_SECONDS="one year")

    result = run_python("-c", PRINT_SETTINGS, "SECURE_HSTS_SECONDS", env=env)

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS must be an integer, got 'one year'" in result.stderr


# --- Content Security Policy -------------------------------------------------------------


def test_the_content_security_policy_is_enforced_by_default():
    loaded = load_settings(
        "SECURE_CSP", "SECURE_CSP_REPORT_ONLY", DEBUG="0", SECRET_KEY=production_secret_key()
    )

    assert loaded["SECURE_CSP_REPORT_ONLY"] == {}
    assert loaded["SECURE_CSP"]["default-src"] == ["'none'"]
    assert loaded["SECURE_CSP"]["script-src"] == ["'self'", "'unsafe-eval'"]


def test_csp_report_only_sends_the_same_policy_as_report_only():
    enforced = load_settings("SECURE_CSP", DEBUG="1")["SECURE_CSP"]

    loaded = load_settings("SECURE_CSP", "SECURE_CSP_REPORT_ONLY", DEBUG="1", CSP_REPORT_ONLY="1")

    assert loaded == {"SECURE_CSP": {}, "SECURE_CSP_REPORT_ONLY": enforced}


def test_csp_report_uri_is_added_to_the_policy():
    loaded = load_settings("SECURE_CSP", DEBUG="1", CSP_REPORT_URI="https://reports.example/csp")

    assert loaded["SECURE_CSP"]["report-uri"] == ["https://reports.example/csp"]


def test_csp_report_only_that_is_not_a_boolean_fails_with_a_clear_message():
    env = clean_env(DEBUG="1", CSP_REPORT_ONLY="sometimes")

    result = run_python("-c", PRINT_SETTINGS, "SECURE_CSP", env=env)

    assert result.returncode != 0
    assert "CSP_REPORT_ONLY must be a boolean" in result.stderr


# --- Login rate limiting (django-axes) ---------------------------------------------------


def test_axes_checks_every_login_first_and_locks_five_failures_for_15_minutes():
    loaded = load_settings(
        "AUTHENTICATION_BACKENDS",
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "AXES_LOCKOUT_PARAMETERS",
        "AXES_RESET_ON_SUCCESS",
        "AXES_ENABLED",
        DEBUG="0",
        SECRET_KEY=production_secret_key(),
    )

    assert loaded == {
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": "0:15:00",
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_ENABLED": True,
    }


def test_axes_limits_come_from_the_environment():
    loaded = load_settings(
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        DEBUG="1",
        AXES_FAILURE_LIMIT="10",
        AXES_COOLOFF_MINUTES="60",
    )

    assert loaded == {"AXES_FAILURE_LIMIT": 10, "AXES_COOLOFF_TIME": "1:00:00"}


def test_axes_middleware_comes_last():
    loaded = load_settings("MIDDLEWARE", DEBUG="1")

    assert loaded["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"


# --- check --deploy --------------------------------------------------------------------


def run_deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)


def test_deploy_check_is_clean_with_production_variables(tmp_path):
    env = clean_env(
        **PRODUCTION_ENV,
        SECRET_KEY=production_secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )

    result = run_deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_is_clean_with_the_policy_in_report_only_mode(tmp_path):
    env = clean_env(
        **PRODUCTION_ENV,
        SECRET_KEY=production_secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        CSP_REPORT_ONLY="1",
    )

    result = run_deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_flags_production_without_hsts(tmp_path):
    # The counterpart of the test above: proves the check really runs the deploy
    # checks against these variables, so its silence there means something.
    env = clean_env(
        **PRODUCTION_ENV,
        SECRET_KEY=production_secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
    )
    del env["SECURE_HSTS_SECONDS"]

    result = run_deploy_check(env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr
