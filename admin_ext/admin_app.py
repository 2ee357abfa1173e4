"""django.contrib.admin's app config with the desk's site as ``admin.site``.

Its own module: beside AdminExtConfig, Django could not tell which config
``admin_ext`` means.
"""

from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    # The role policy on every admin page (admin_ext.site); imported lazily.
    default_site = "admin_ext.site.DeskAdminSite"
