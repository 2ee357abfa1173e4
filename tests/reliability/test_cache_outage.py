"""A Redis outage (moderation_site.cache.ResilientRedisCache): every page still
answers, uncached; the failure is logged without keys or values; once Redis
answers again nothing stale is served.

The outage is Redis at a port where nothing listens (connection refused at once),
or, for the recovery, the backend's client made to raise redis.ConnectionError.
"""

from __future__ import annotations

import logging
import os

import pytest
import redis
from django.core.cache import cache, caches
from django.urls import reverse

from messaging import services
from messaging.thread_cache import thread_view_key
from moderation_site import cache as resilient_cache
from moderation_site.cache import ResilientRedisCache
from moderation_site.dashboard_cache import DASHBOARD_FIGURES_KEY
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import PASSWORD, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

BACKEND = "moderation_site.cache.ResilientRedisCache"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
CACHE_LOGGER = "moderation_site.cache"


def cache_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == CACHE_LOGGER and record.levelno >= logging.WARNING
    ]


@pytest.fixture
def fresh_cache_health(monkeypatch):
    # The backend remembers failures per process and LOCATION; each test starts
    # from a process that has seen none.
    monkeypatch.setattr(resilient_cache, "_health_by_location", {})


@pytest.fixture
def redis_down(settings, fresh_cache_health, monkeypatch, caplog):
    """The cache is Redis at a dead port; every operation tries it (no pause
    between attempts), so every page's cache use meets the outage."""
    monkeypatch.setattr(ResilientRedisCache, "retry_interval", 0)
    # pytest-django's settings fixture sends setting_changed, which resets
    # django.core.cache.caches: the next access builds this backend.
    settings.CACHES = {
        "default": {"BACKEND": BACKEND, "LOCATION": DEAD_REDIS, "KEY_PREFIX": "outage"}
    }
    assert isinstance(caches["default"], ResilientRedisCache)
    assert caches["default"]._servers == [DEAD_REDIS]
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
    return caches["default"]


# --- the backend's operations, degraded -----------------------------------------------------


def test_every_operation_degrades_to_no_cache_and_is_logged_without_keys_or_values(
    redis_down, caplog
):
    secret_key, secret_value = "messaging:thread-view:7:user:8", "a private message"

    assert cache.get(secret_key) is None
    assert cache.get(secret_key, "default") == "default"
    assert cache.get_many([secret_key, "other"]) == {}
    assert cache.set(secret_key, secret_value, 60) is None
    assert cache.add(secret_key, secret_value, 60) is False
    assert cache.set_many({secret_key: secret_value, "other": 1}, 60) == [secret_key, "other"]
    assert cache.touch(secret_key, 60) is False
    assert cache.has_key(secret_key) is False
    assert cache.delete(secret_key) is False
    assert cache.delete_many([secret_key, "other"]) is None
    assert cache.get_or_set(secret_key, secret_value, 60) == secret_value
    with pytest.raises(ValueError):
        cache.incr("counter")
    assert cache.clear() is False

    warnings = cache_warnings(caplog)
    for operation in ("get", "get_many", "set", "add", "set_many", "touch", "has_key"):
        assert any(f"during {operation} (ConnectionError" in line for line in warnings)
    for operation in ("delete", "delete_many", "incr", "clear"):
        assert any(f"during {operation} (" in line for line in warnings)
    assert secret_key not in caplog.text
    assert secret_value not in caplog.text


def test_after_a_failure_redis_is_left_alone_for_the_retry_interval(
    settings, fresh_cache_health, monkeypatch, caplog
):
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": DEAD_REDIS}}
    backend = caches["default"]
    attempts = []
    real_get_client = backend._cache.get_client

    def counting_get_client(*args, **kwargs):
        attempts.append(args)
        return real_get_client(*args, **kwargs)

    monkeypatch.setattr(backend._cache, "get_client", counting_get_client)
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)

    for _ in range(5):
        assert cache.get("key") is None
        cache.delete("key")

    # One attempt found the outage; the others did not wait for a connection.
    assert len(attempts) == 1
    assert len(cache_warnings(caplog)) == 1


def test_short_socket_timeouts_bound_the_attempt_that_meets_an_outage(settings):
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": DEAD_REDIS}}
    options = caches["default"]._options
    assert options["socket_connect_timeout"] <= 1
    assert options["socket_timeout"] <= 1

    settings.CACHES = {
        "default": {"BACKEND": BACKEND, "LOCATION": DEAD_REDIS, "OPTIONS": {"socket_timeout": 3}}
    }
    assert caches["default"]._options["socket_timeout"] == 3  # OPTIONS win


# --- every page, Redis down --------------------------------------------------------------------


@pytest.fixture
def thread(alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="Hello Bob")
    answer = MessageFactory(sender=bob, receiver=alice, parent_message=root, content="Hi Alice")
    return root, answer


def test_every_user_page_answers_uncached_while_redis_is_down(
    redis_down, client, thread, alice, bob, caplog, django_capture_on_commit_callbacks
):
    root, answer = thread
    assert client.get(reverse("login")).status_code == 200
    client.force_login(alice)

    pages = {
        "inbox": reverse("messaging:inbox"),
        "conversations": reverse("messaging:conversations"),
        "thread": reverse("messaging:thread", args=[root.pk]),
        "new message": reverse("messaging:send"),
        "reply": reverse("messaging:reply", args=[answer.pk]),
        "edit": reverse("messaging:edit", args=[root.pk]),
        "delete account": reverse("messaging:delete_user"),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
    thread_page = client.get(pages["thread"]).text
    assert "Hello Bob" in thread_page and "Hi Alice" in thread_page

    # Writes go through, and their invalidations (after commit) meet the outage.
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(pages["new message"], {"receiver": "bob", "content": "New topic"})
        replied = client.post(pages["reply"], {"content": "Fine, thanks"})
        edited = client.post(pages["edit"], {"content": "Hello Bob, edited"})
    assert [sent.status_code, replied.status_code, edited.status_code] == [302, 302, 302]
    thread_page = client.get(pages["thread"]).text
    assert "Fine, thanks" in thread_page and "Hello Bob, edited" in thread_page

    # An account deletion too: the person is logged out and told.
    leaver = UserFactory(username="leaver")
    MessageFactory(sender=leaver, receiver=bob, content="goodbye")
    client.force_login(leaver)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(pages["delete account"], {"password": PASSWORD}, follow=True)
    assert deleted.status_code == 200
    assert deleted.redirect_chain[-1][0] == reverse("messaging:account_deleted")

    warnings = cache_warnings(caplog)
    assert any("during get (" in line for line in warnings)  # the thread view
    assert any("during set (" in line for line in warnings)
    assert any("during delete_many (" in line for line in warnings)  # thread views dropped
    assert any("during delete (" in line for line in warnings)  # dashboard figures dropped
    assert "Hello Bob" not in caplog.text
    assert "thread-view" not in caplog.text


def test_the_admin_message_pages_and_dashboard_answer_uncached_while_redis_is_down(
    redis_down, client, moderator, thread, caplog, django_capture_on_commit_callbacks
):
    root, _answer = thread
    client.force_login(moderator)
    change_url = reverse("admin:messaging_message_change", args=[root.pk])

    dashboard = client.get(reverse("admin:index"))
    assert dashboard.status_code == 200
    assert "Messages today" in dashboard.text  # the figures, computed uncached
    assert client.get(reverse("admin:messaging_message_changelist")).status_code == 200
    assert client.get(change_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url, {"content": "Hello", **INLINE_MANAGEMENT_FORMS})
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.content == "Hello"
    assert client.get(reverse("admin:index")).status_code == 200

    warnings = cache_warnings(caplog)
    assert any("during get (" in line for line in warnings)  # the dashboard's figures
    assert any("during delete (" in line for line in warnings)  # dropped after the edit


# --- recovery: nothing stale once Redis is back ------------------------------------------------


class FlakyRedisClient:
    """Stands in for Django's RedisCacheClient (the backend's ``_cache``): an
    in-memory Redis that can be taken down, for the recovery on any test run."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}
        self.up = True
        self.flushes = 0

    def _check(self) -> None:
        if not self.up:
            raise redis.ConnectionError("Error 111 connecting to cache:6379. Connection refused.")

    def get(self, key, default):
        self._check()
        return self.data.get(key, default)

    def set(self, key, value, timeout):
        self._check()
        self.data[key] = value

    def delete(self, key):
        self._check()
        return self.data.pop(key, None) is not None

    def delete_many(self, keys):
        self._check()
        for key in keys:
            self.data.pop(key, None)

    def clear(self):
        self._check()
        self.flushes += 1
        self.data.clear()
        return True


def test_the_first_request_after_an_outage_flushes_then_renders_fresh_data(
    settings,
    fresh_cache_health,
    monkeypatch,
    client,
    thread,
    alice,
    bob,
    caplog,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(ResilientRedisCache, "retry_interval", 0)
    settings.CACHES = {"default": {"BACKEND": BACKEND, "LOCATION": "redis://cache:6379/0"}}
    backend = caches["default"]
    flaky = FlakyRedisClient()
    monkeypatch.setattr(backend, "_cache", flaky)
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
    root, _answer = thread
    thread_url = reverse("messaging:thread", args=[root.pk])
    client.force_login(bob)
    assert "Hello Bob" in client.get(thread_url).text
    assert backend.make_key(thread_view_key(root.pk, bob.pk)) in flaky.data  # cached

    flaky.up = False
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(root, editor=alice, content="Rewritten during the outage")
    # The invalidation was lost: the old page is still in the cache.
    assert "Hello Bob" in flaky.data[backend.make_key(thread_view_key(root.pk, bob.pk))]

    flaky.up = True
    page = client.get(thread_url).text

    assert "Rewritten during the outage" in page
    # Rendered afresh: the old text shows only as the edit's earlier version.
    assert "Earlier versions (1)" in page
    assert page.index("Rewritten during the outage") < page.index("Hello Bob")
    assert flaky.flushes == 1
    assert any("reachable again: flushed" in line for line in cache_warnings(caplog))
    client.get(thread_url)
    assert flaky.flushes == 1  # one flush per outage, not per operation


requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="needs Redis at REDIS_URL (the PostgreSQL + Redis pass of .ci/run)",
)


@requires_redis
def test_against_real_redis_a_page_cached_before_an_outage_is_not_served_after_it(
    client, thread, alice, bob, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    backend = caches["default"]
    assert isinstance(backend, ResilientRedisCache)
    monkeypatch.setattr(ResilientRedisCache, "retry_interval", 0)
    caplog.set_level(logging.WARNING, logger=CACHE_LOGGER)
    root, _answer = thread
    thread_url = reverse("messaging:thread", args=[root.pk])
    stored_key = backend.make_key(thread_view_key(root.pk, bob.pk))
    raw_redis = redis.Redis.from_url(backend._servers[0])
    client.force_login(bob)
    assert "Hello Bob" in client.get(thread_url).text
    assert raw_redis.exists(stored_key)

    def unreachable(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to redis. Connection refused.")

    # Redis goes away for this process: every operation of its client raises.
    monkeypatch.setattr(backend._cache, "get_client", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(root, editor=alice, content="Rewritten during the outage")
    assert any("during delete_many (ConnectionError" in line for line in cache_warnings(caplog))
    assert raw_redis.exists(stored_key)  # the stale page outlived its invalidation

    monkeypatch.delattr(backend._cache, "get_client")  # Redis is back
    page = client.get(thread_url).text

    assert "Rewritten during the outage" in page
    # Rendered afresh: the old text shows only as the edit's earlier version.
    assert "Earlier versions (1)" in page
    assert page.index("Rewritten during the outage") < page.index("Hello Bob")
    assert any("reachable again: flushed" in line for line in cache_warnings(caplog))
    assert cache.get(DASHBOARD_FIGURES_KEY) is None  # everything went with the flush
    assert raw_redis.exists(stored_key)  # the fresh page, cached again
    raw_redis.close()
