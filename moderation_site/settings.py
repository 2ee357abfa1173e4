"""Settings for the moderation desk.

One module for every environment: everything that differs between a laptop,
CI and production comes from environment variables (see README, "Configuration").
Defaults need nothing installed: SQLite and the local-memory cache. Every setting
is named here; two helpers live beside it: the parsers of the environment
(``moderation_site/env.py``) and the admin's sidebar (``admin_sidebar.py``).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.csp import CSP

from moderation_site.admin_sidebar import ADMIN_NAVIGATION
from moderation_site.env import env_bool, env_int, env_list
from moderation_site.logging_config import LOG_FORMATS, logging_settings

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------

# Off unless asked for: a forgotten variable must not expose debug pages.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For local development set DEBUG=1 "
            "(the Makefile does)."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # unfold must come before django.contrib.admin so its templates win. Its basic
    # config leaves admin.site alone: the desk's own site (admin_ext.site, through
    # DeskAdminConfig below) enforces the role policy on every admin page.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.simple_history",
    "unfold.contrib.import_export",
    "admin_ext.admin_app.DeskAdminConfig",  # django.contrib.admin, the desk's site
    "moderation_site.apps.AccountsConfig",  # django.contrib.auth, named "Accounts"
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    # Login rate limiting (see "Authentication" below).
    "axes",
    # Staff's second factor for the admin: TOTP, and recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "messaging",
    "audit",
    "jobs",
    # After jobs, so `manage.py db_worker` is jobs' (django-tasks-db's, with a heartbeat).
    "django_tasks_db",
    "moderation",
    "detection",
    "exports",  # CSV exports, below the admin: their rows, columns, writer and job
    "admin_ext",
    # Demo data and the generator: marks the database they fill (never a real one).
    "fixtures",
]

MIDDLEWARE = [
    # First, so every request (redirects and refusals included) has an id in the log.
    "moderation_site.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves static files from the app itself (compressed, hashed names), so
    # production needs nothing in front of gunicorn for them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Adds the Content-Security-Policy header (see "Content Security Policy" below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    # Records the request's user as history_user on django-simple-history rows.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "moderation_site.urls"
WSGI_APPLICATION = "moderation_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # The one way to show time, for the admin and the user pages alike
            # (moderation_site is not an app, so its filters are named here).
            "libraries": {"desk_time": "moderation_site.templatetags.desk_time"},
        },
    },
]

# --- Database ---------------------------------------------------------------
# DATABASE_URL selects the database: postgres://user@host:5432/name in production
# (psycopg 3), a SQLite file by default.

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the single writer proceed at once; the timeout makes a
    # second writer wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
# REDIS_URL selects Redis, local memory otherwise. moderation_site.cache is Django's
# Redis backend made to survive an outage (pages render uncached); it flushes the
# cache once Redis answers again, so REDIS_URL's database must be this app's alone.

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "moderation_site.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "moderation"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "moderation-desk",
        }
    }

# Seconds a rendered thread stays cached; writes invalidate it earlier.
THREAD_VIEW_CACHE_SECONDS = env_int("THREAD_VIEW_CACHE_SECONDS", 60)

# --- Background jobs (django.tasks) -------------------------------------------------
# "database": django-tasks-db's persistent queue, run by `manage.py db_worker` (make run
# starts one). "immediate": run each job at once, in the process that queued it.

TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {sorted(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# A running job whose worker has not beaten for this long lost it: another worker
# takes it over (jobs.worker). Workers beat every JOB_STALLED_SECONDS / 5 s (10 at most).
JOB_STALLED_SECONDS = env_int("JOB_STALLED_SECONDS", 300)
if JOB_STALLED_SECONDS < 1:
    raise ImproperlyConfigured("JOB_STALLED_SECONDS must be at least 1")

# --- Authentication -------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after_login"
LOGOUT_REDIRECT_URL = "login"

# django-axes checks every authenticate() call first and refuses it while its
# username + IP pair is locked out; ModelBackend then checks the password. Both
# login pages (/admin/login/ and /accounts/login/) authenticate through it, so
# both are rate limited. authenticate() must be given the request (axes refuses
# a call without one).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Locked after AXES_FAILURE_LIMIT failures of one username from one IP address,
# for AXES_COOLOFF_MINUTES (a failure during the lockout starts it again). Keyed
# on the pair so that one attacker can neither lock a person out from everywhere
# nor lock out everyone behind a shared address. Behind a proxy REMOTE_ADDR is
# the proxy's address: the lock then works per username.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failed attempts (username, address, browser) are the lock: a success deletes
# them, and axes drops expired ones at the next attempt. Successful logins are not
# logged, so axes keeps no record of who logs in from where.
AXES_DISABLE_ACCESS_LOG = True
# Its admin pages are plain Django admin, not unfold; unlock with
# `manage.py axes_reset_username <username>` (or `axes_reset` for all).
AXES_ENABLE_ADMIN = False

# Staff sign in to the admin with a second factor (TOTP, enrolled at first login,
# with recovery codes). On unless DEBUG: the local demo and the test suite run
# without it; tests of the second factor turn it on.
STAFF_2FA = env_bool("STAFF_2FA", not DEBUG)
OTP_TOTP_ISSUER = "Moderation desk"

# --- Security -------------------------------------------------------------------
# Production defaults whenever DEBUG is off; each can be overridden (for example
# behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_NAME).

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# The CSRF cookie stays readable by JavaScript (Django's default, on purpose):
# HttpOnly would protect nothing, since a script running on our pages can read the
# same token from any form's hidden input (Django's docs say as much), and it would
# break any script that sends the token from the cookie. No code reads it today.
CSRF_COOKIE_HTTPONLY = False
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if os.environ.get("SECURE_PROXY_SSL_HEADER_NAME"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER_NAME"], "https")
X_FRAME_OPTIONS = "DENY"
# Health probes may speak plain HTTP to an app server (moderation_site/health.py).
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]

# --- Content Security Policy ----------------------------------------------------
# Enforced on every response, admin and user pages alike. Everything not listed is
# refused ('none' by default). Each source below is there because a page broke
# without it, found by loading every admin and user page in Chromium with the
# policy enforced (tests/test_security.py repeats that, `pytest -m e2e`):
CSP_DIRECTIVES = {
    "default-src": [CSP.NONE],
    # 'unsafe-eval': unfold's bundled Alpine.js builds every x-data / x-on / x-show
    # expression with Function(). Without it menus, filters and tabs are dead and
    # unfold's hidden modal stays over the page, swallowing every click (the admin
    # login button cannot even be pressed). Every script is a static file (no page
    # has an inline script or on* handler: tested), so no 'unsafe-inline' and no
    # nonce are needed.
    "script-src": [CSP.SELF, CSP.UNSAFE_EVAL],
    # 'unsafe-inline': unfold writes its colour palette in a <style> element, htmx
    # adds its indicator <style>, and Alpine sets style="" attributes (x-show,
    # x-bind:style: sidebar width, action bar).
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    # unfold's Inter and Material Symbols fonts (its icons), from our static files.
    "font-src": [CSP.SELF],
    # The autocomplete filters (select2) and htmx fetch from the admin itself.
    "connect-src": [CSP.SELF],
    # No page shows an image, so img-src stays 'none' with default-src.
    # The three below do not fall back to default-src: without them, anything goes.
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],  # as X_FRAME_OPTIONS = "DENY"
}
if os.environ.get("CSP_REPORT_URI"):
    CSP_DIRECTIVES["report-uri"] = [os.environ["CSP_REPORT_URI"]]
# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only
# instead: browsers report violations (console, CSP_REPORT_URI) but block nothing.
# For trying a new unfold version or a new page before enforcing.
if env_bool("CSP_REPORT_ONLY", False):
    SECURE_CSP = {}
    SECURE_CSP_REPORT_ONLY = CSP_DIRECTIVES
else:
    SECURE_CSP = CSP_DIRECTIVES
    SECURE_CSP_REPORT_ONLY = {}

# --- Internationalisation -------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Every moment is written one way, with its zone: "2026-12-02 14:05 UTC"
# (moderation_site/formats/en/formats.py; localisation is always on, so Django
# and unfold read DATETIME_FORMAT and its siblings from there).
FORMAT_MODULE_PATH = ["moderation_site.formats"]

# --- Static files ---------------------------------------------------------------

STATIC_URL = "static/"
# Where `collectstatic` writes (the tests collect into a temporary folder).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Production serves `collectstatic`'s output through WhiteNoise: compressed, with
# hashed names cached for ever. DEBUG (runserver, the tests) serves the app
# folders as they are, so nothing needs collecting first.
# WhiteNoise would decide this from settings.DEBUG when its middleware starts, but
# pytest-django turns settings.DEBUG off for the suite, which runs with DEBUG=1 and
# collects nothing: WhiteNoise then wanted STATIC_ROOT ("No directory at ...") and
# served no file. So the environment's DEBUG decides: on, WhiteNoise finds each file
# in the apps' folders at request time, as runserver does, and never reads
# STATIC_ROOT; off, it loads collectstatic's output once, at start-up.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Files the app writes (CSV exports); never served publicly: downloads go through
# a view that checks permissions.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / "media")

# --- Exports (django-import-export) ------------------------------------------------

# Exporting needs app.export_<model> (granted to Moderators by a migration).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
# Its own escaping only handles "="; exports.csv_writer sanitises every formula start.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# Exports are audited in the audit log (one entry each), not in the admin log.
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# Exports of more rows than this run as a background job writing a file.
EXPORT_STREAM_LIMIT = env_int("EXPORT_STREAM_LIMIT", 10_000)

# --- Moderation cases -------------------------------------------------------------

# A closed case keeps its evidence this many days; then `manage.py
# purge_expired_evidence` deletes it. Superusers change it per case.
EVIDENCE_RETENTION_DAYS = env_int("EVIDENCE_RETENTION_DAYS", 90)
# A moderator's claim on a case lapses after this many minutes without an
# action of theirs on it (moderation.claims).
CLAIM_MINUTES = env_int("CLAIM_MINUTES", 30)
# When a case closes, each reporter is told on their inbox whether action was
# taken (moderation.outcomes); off, reporters hear nothing.
REPORT_OUTCOME_NOTIFICATIONS = env_bool("REPORT_OUTCOME_NOTIFICATIONS", True)
# A person may appeal a sanction once, within this many days of it (moderation.appeals).
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 20)
# A person may file this many reports in any 24 hours; more are refused, politely
# (moderation.reports: report floods are a way to bury moderators).
REPORTS_PER_DAY = env_int("REPORTS_PER_DAY", 20)

# --- Admin (django-unfold) ------------------------------------------------------

UNFOLD = {
    "SITE_TITLE": "Moderation desk",
    "SITE_HEADER": "Moderation desk",
    "SITE_SYMBOL": "shield",
    "DASHBOARD_CALLBACK": "admin_ext.admin.dashboard.dashboard_callback",
    # unfold ships precompiled Tailwind: classes of our own live in these files.
    "STYLES": [
        lambda request: static("admin_ext/messages.css"),
        lambda request: static("admin_ext/users.css"),
        lambda request: static("admin_ext/dashboard.css"),
        lambda request: static("admin_ext/cases.css"),
    ],
    # The command palette (⌘K / Ctrl+K, or the sidebar's search box) finds people,
    # messages, cases and pages. The site's search view answers it
    # (admin_ext/command_search.py: bounded, by role, never cached), so unfold's
    # search_models and search_callback are unused. No history: the browser would
    # keep the titles (usernames, excerpts) after the person's account is deleted.
    "COMMAND": {"search_models": False, "show_history": False},
    "SIDEBAR": {
        "show_search": True,  # opens the palette
        "show_all_applications": False,
        # Each entry shown only to those whose role may open its list.
        "navigation": ADMIN_NAVIGATION,
    },
}

# --- Logging --------------------------------------------------------------------
# JSON lines by default in production (several app servers and workers write to one
# collector), plain text in development; LOG_FORMAT chooses. moderation_site/
# logging_config.py builds the dict, json_logs.py the JSON, request_log.py the ids.

LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {LOG_FORMATS}, got {LOG_FORMAT!r}")
# One line per request (method, path without query string, status, time).
LOG_REQUESTS = env_bool("LOG_REQUESTS", LOG_FORMAT == "json")
LOGGING = logging_settings(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
