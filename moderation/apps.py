from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation cases"

    def ready(self) -> None:
        from moderation import signals  # noqa: F401 - connects the receivers
