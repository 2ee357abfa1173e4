from django.apps import AppConfig


class AdminExtConfig(AppConfig):
    name = "admin_ext"
    verbose_name = "Moderation"

    def ready(self) -> None:
        # The dashboard follows the writes below it: one set of receivers drops
        # its figures after each commit that changes them.
        from admin_ext.admin import dashboard_receivers  # noqa: F401
