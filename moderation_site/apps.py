"""Django's own apps under the desk's names.

The admin names an app by its AppConfig's ``verbose_name`` (the index, the
breadcrumbs, the page titles): ``django.contrib.auth`` would show as
"Authentication and Authorization > Users". Listed in INSTALLED_APPS in place of
the app's own config; the app's name and label (``auth``) stay Django's, so
permissions, migrations and ``apps.is_installed("django.contrib.auth")`` are
unchanged.
"""

from django.contrib.auth.apps import AuthConfig


class AccountsConfig(AuthConfig):
    verbose_name = "Accounts"
