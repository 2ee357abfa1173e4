"""moderation_site/health.py: /health/ (liveness) and /ready/ (database, cache, a
worker's recent heartbeat), open to anyone, JSON, 200 or 503, nothing internal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import WorkerHeartbeat
from jobs.worker import heartbeat_interval
from moderation_site import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_beating():
    return WorkerHeartbeat.objects.create(worker_id="worker-1", pid=1, hostname="here")


def test_health_answers_ok_without_asking_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_ready_answers_200_when_database_cache_and_a_worker_answer(client, worker_beating):
    response = client.get("/ready/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "worker": "ok"},
    }


def test_ready_answers_503_when_no_worker_beat_recently(client, worker_beating):
    long_ago = timezone.now() - timedelta(seconds=3 * heartbeat_interval() + 1)
    WorkerHeartbeat.objects.update(beat_at=long_ago)

    response = client.get("/ready/")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "failing"


def test_ready_needs_no_worker_with_the_immediate_task_backend(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

    assert client.get("/ready/").status_code == 200


def test_ready_answers_503_and_no_error_text_when_the_cache_loses_values(
    client, worker_beating, monkeypatch
):
    # What the resilient Redis backend does during an outage: writes vanish.
    monkeypatch.setattr("moderation_site.health.cache.get", lambda *args, **kwargs: None)

    response = client.get("/ready/")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "failing", "worker": "ok"}


def test_ready_answers_503_and_logs_the_error_when_the_database_raises(
    client, worker_beating, monkeypatch, caplog
):
    def refuse() -> bool:
        raise ConnectionError("db.internal:5432 refused")

    monkeypatch.setitem(health.READINESS_CHECKS, "database", refuse)

    response = client.get("/ready/")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failing"
    assert "db.internal" not in response.content.decode()
    assert "db.internal:5432 refused" in caplog.text


@pytest.mark.parametrize("path", ["/health/", "/ready/"])
def test_probes_are_not_redirected_to_https(client, settings, worker_beating, path):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(path).status_code == 200
    assert client.get("/accounts/login/").status_code == 301  # everything else is


@pytest.mark.parametrize("path", ["/health/", "/ready/"])
def test_probes_refuse_writes(client, path):
    assert client.post(path).status_code == 405
