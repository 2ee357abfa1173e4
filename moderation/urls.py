from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("messages/<int:message_id>/report/", views.report_message, name="report"),
]
