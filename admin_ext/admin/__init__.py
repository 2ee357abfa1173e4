"""The moderators' admin, one module per model or concern.

Importing the modules registers their ModelAdmins with the default admin site.
"""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from admin_ext.admin import audit, cases, dashboard, jobs, messages, users  # noqa: F401

# django-otp's own pages would show a device's secret key: staff enrol on their
# own second-factor page, and a superuser resets a device from the user's page.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)
