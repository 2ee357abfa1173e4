from django.contrib import admin
from django.urls import include, path

from admin_ext.admin.search import command_search
from moderation_site.views import after_login

urlpatterns = [
    # Before admin.site.urls, whose own "search/" it wraps (admin_ext/admin/search.py).
    path("admin/search/", admin.site.admin_view(command_search)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/welcome/", after_login, name="after_login"),
    path("", include("messaging.urls")),
    path("", include("moderation.urls")),
]
