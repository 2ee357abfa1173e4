"""The moderators' admin, one module per model or concern.

Importing the modules registers their ModelAdmins with the default admin site.
"""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from admin_ext.admin import (  # noqa: F401
    appeals,
    audit,
    cases,
    dashboard,
    jobs,
    message_history,
    messages,
    rules,
    sanctions,
    users,
)
from admin_ext.admin.base import DeclaredFiltersAdminMixin

# django-otp's own pages would show a device's secret key: staff enrol on their
# own second-factor page, and a superuser resets a device from the user's page.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class TaskResultAdmin(DeclaredFiltersAdminMixin, DBTaskResultAdmin):
    """django-tasks-db's task queue (superusers look at it), filtering only by its
    own filters: its list applied any lookup in the query string, so
    ``?enqueued_at__year=`` followed by 20 digits was a server error."""


# Importing its admin above registered it first, whatever the order of the apps.
admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
