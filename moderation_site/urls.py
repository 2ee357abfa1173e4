from django.contrib import admin
from django.urls import include, path

from moderation_site.views import after_login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/welcome/", after_login, name="after_login"),
    path("", include("messaging.urls")),
    path("", include("moderation.urls")),
]
