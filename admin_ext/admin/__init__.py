"""The moderators' admin, one module per model or concern.

Importing the modules registers their ModelAdmins with the default admin site.
"""

from admin_ext.admin import audit, cases, dashboard, jobs, messages, users  # noqa: F401
