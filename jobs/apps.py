from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from jobs import signals  # noqa: F401 - connects the receivers
        from jobs.worker import worker_ready
        from moderation_site.health import register_readiness_check

        register_readiness_check("worker", worker_ready)
