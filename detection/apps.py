from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "detection"
    verbose_name = "Detection"

    def ready(self) -> None:
        from detection.backtest import run_backtest
        from detection.enforcement import check_message
        from jobs.handlers import register_handler
        from jobs.models import Job
        from messaging.content_checks import register_content_check

        # Backtesting a rule over past messages (detection.backtest).
        register_handler(Job.Kind.RULE_BACKTEST, run_backtest)
        # The active rules, applied to every message people send or edit.
        register_content_check(check_message)
