from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from messaging.selectors import register_reported_messages_reader
        from moderation import signals  # noqa: F401 - connects the receivers
        from moderation.reports import reported_message_ids

        # The user thread view says which messages the viewer reported.
        register_reported_messages_reader(reported_message_ids)
