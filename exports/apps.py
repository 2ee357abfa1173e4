from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "CSV exports"

    def ready(self) -> None:
        # The jobs runner sits below: this app adds its export job.
        from exports.jobs import write_export_file
        from jobs.handlers import register_handler
        from jobs.models import Job

        register_handler(Job.Kind.EXPORT, write_export_file)
