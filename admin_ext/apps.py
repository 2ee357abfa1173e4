from django.apps import AppConfig


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # The jobs runner sits below the admin: the admin adds its export job.
        from admin_ext.exports.files import write_export_file
        from jobs.handlers import register_handler
        from jobs.models import Job

        register_handler(Job.Kind.EXPORT, write_export_file)
