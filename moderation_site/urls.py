from django.contrib import admin
from django.urls import include, path

from moderation.login import SuspensionAwareLoginView
from moderation_site.health import health, ready
from moderation_site.views import after_login

urlpatterns = [
    # Liveness and readiness (moderation_site/health.py): open to all, JSON.
    path("health/", health, name="health"),
    path("ready/", ready, name="ready"),
    path("admin/", admin.site.urls),
    # Before Django's: the people's login tells a suspended person that they are.
    path("accounts/login/", SuspensionAwareLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/welcome/", after_login, name="after_login"),
    path("", include("messaging.urls")),
    path("", include("moderation.urls")),
]
