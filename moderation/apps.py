from datetime import timedelta

from django.apps import AppConfig

# How often each worker ends the sanctions whose time has come: with a beat at
# most ten seconds apart (jobs.worker), one ends about 20 s after its time at most.
LIFT_EXPIRED_EVERY = timedelta(seconds=15)


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from jobs.periodic import register_periodic
        from messaging.selectors import (
            register_account_decisions_reader,
            register_reported_messages_reader,
        )
        from moderation import signals  # noqa: F401 - connects the receivers
        from moderation.person_selectors import has_account_decisions
        from moderation.reports import reported_message_ids
        from moderation.sanctions import lift_expired_sanctions

        # The user thread view says which messages the viewer reported.
        register_reported_messages_reader(reported_message_ids)
        # The inbox links the person's decisions and appeals when they have any.
        register_account_decisions_reader(has_account_decisions)
        # Timed warnings and suspensions end without anyone acting (README).
        register_periodic(
            "lift_expired_sanctions", lift_expired_sanctions, every=LIFT_EXPIRED_EVERY
        )
