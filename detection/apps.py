from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "detection"
    verbose_name = "Detection"

    def ready(self) -> None:
        from detection.backtest import run_backtest
        from jobs.handlers import register_handler
        from jobs.models import Job

        # Backtesting a rule over past messages (detection.backtest).
        register_handler(Job.Kind.RULE_BACKTEST, run_backtest)
