from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # The jobs runner sits below messaging: messaging adds its own job kind.
        from jobs.handlers import register_handler
        from jobs.models import Job
        from messaging import signals  # noqa: F401 - connects the receivers
        from messaging.jobs import run_account_deletion

        register_handler(Job.Kind.ACCOUNT_DELETION, run_account_deletion)
