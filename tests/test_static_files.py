"""Static files in production: after `collectstatic`, with DEBUG off, the app itself
(WhiteNoise) serves every script and stylesheet the pages link, under hashed names,
compressed when asked and cacheable for ever. Run in a fresh interpreter with the
production environment, as tests/test_settings.py does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.test_settings import PRODUCTION_ENV, clean_env, production_secret_key, run_python

# After collectstatic, as the README's production section runs it: what the login pages
# link and what the app itself answers for each of those files, asked for compressed.
STATIC_REQUESTS = """
import json, os, re, sys
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "moderation_site.settings"
django.setup()
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client

call_command("collectstatic", "--noinput", verbosity=0)
client = Client(HTTP_HOST="moderation.example")
linked = set()
for page in ("/admin/login/", "/accounts/login/"):
    html = client.get(page, secure=True).content.decode()
    linked.update(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
named = {name: staticfiles_storage.url(name) for name in sys.argv[1:]}
files = {}
for url in sorted(linked | set(named.values())):
    response = client.get(url, secure=True, HTTP_ACCEPT_ENCODING="gzip")
    files[url] = {
        "status": response.status_code,
        "encoding": response.get("Content-Encoding"),
        "cache": response.get("Cache-Control"),
    }
print(json.dumps({"linked": sorted(linked), "named": named, "files": files}))
"""

# unfold's Alpine.js (without it the admin cannot even log in) and the desk's own CSS.
STATIC_NAMES = ("unfold/js/alpine/alpine.js", "admin_ext/messages.css", "messaging/site.css")
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.(js|css)$")


@pytest.fixture(scope="module")
def production_static(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("production-static")
    env = clean_env(
        **PRODUCTION_ENV,
        SECRET_KEY=production_secret_key(),
        DATABASE_URL=f"sqlite:///{folder / 'production.sqlite3'}",
        STATIC_ROOT=str(folder / "static"),
    )

    result = run_python("-c", STATIC_REQUESTS, *STATIC_NAMES, env=env)

    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_serves_unfold_alpine_and_the_desks_css_under_hashed_names(production_static):
    named = production_static["named"]
    files = production_static["files"]

    assert all(HASHED_NAME.search(url) for url in named.values()), named
    assert {url: files[url]["status"] for url in named.values()} == dict.fromkeys(
        named.values(), 200
    )


def test_production_login_pages_link_only_hashed_static_files_that_answer(production_static):
    linked = production_static["linked"]
    files = production_static["files"]

    assert production_static["named"]["unfold/js/alpine/alpine.js"] in linked
    assert [url for url in linked if not HASHED_NAME.search(url)] == []
    assert [url for url in linked if files[url]["status"] != 200] == []


def test_production_sends_static_files_compressed_when_asked(production_static):
    files = production_static["files"]

    encodings = {url: files[url]["encoding"] for url in production_static["named"].values()}

    assert set(encodings.values()) == {"gzip"}, encodings


def test_production_lets_browsers_cache_hashed_static_files_for_ever(production_static):
    caching = {url: file["cache"] for url, file in production_static["files"].items()}

    assert set(caching.values()) == {"max-age=315360000, public, immutable"}, caching
