import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.factories import MessageFactory, ModeratorFactory, SuperuserFactory, UserFactory


def pytest_sessionstart(session: pytest.Session) -> None:
    # .ci/run sets this for its PostgreSQL + Redis pass: a suite that quietly fell
    # back to SQLite or local memory must fail, not pass.
    if os.environ.get("REQUIRE_POSTGRES_AND_REDIS") != "1":
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    backend = settings.CACHES["default"]["BACKEND"]
    if engine != "django.db.backends.postgresql" or not backend.endswith("RedisCache"):
        raise pytest.UsageError(
            f"REQUIRE_POSTGRES_AND_REDIS=1 but the database is {engine} and the cache {backend}"
        )
    cache.set("ci:ping", "pong", 5)
    if cache.get("ci:ping") != "pong":
        raise pytest.UsageError("Redis did not answer at REDIS_URL")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs ~0.3 s per user created; the demo
    # fixtures' PBKDF2 hashes must still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL; .ci/run runs it")


@pytest.fixture
def database_task_backend(settings):
    # What production runs (settings.TASKS_BACKEND defaults to "database"), and what
    # tests.jobs.worker.run_db_worker works through.
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def carol(db):
    return UserFactory(username="carol")


@pytest.fixture
def moderator(db):
    return ModeratorFactory(username="moderator")


@pytest.fixture
def superuser(db):
    return SuperuserFactory(username="root")


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def conversation(alice, bob):
    """alice → bob, bob → alice (reply), alice → bob (reply to the reply)."""
    root = MessageFactory(sender=alice, receiver=bob, content="Hello Bob")
    answer = MessageFactory(sender=bob, receiver=alice, parent_message=root, content="Hi Alice")
    follow_up = MessageFactory(
        sender=alice, receiver=bob, parent_message=answer, content="How are you?"
    )
    return root, answer, follow_up
