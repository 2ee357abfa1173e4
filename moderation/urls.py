from django.urls import path

from moderation import login, views

app_name = "moderation"

urlpatterns = [
    path("messages/<int:message_id>/report/", views.report_message, name="report"),
    # Decisions about one's account, and their appeals.
    path("account/decisions/", views.decisions, name="decisions"),
    path(
        "account/decisions/<int:sanction_id>/appeal/",
        views.appeal_sanction,
        name="appeal_sanction",
    ),
    path("account/appeals/<int:appeal_id>/", views.appeal_page, name="appeal"),
    path("messages/<int:message_id>/appeal/", views.appeal_message, name="appeal_message"),
    # A suspended person, from the login page, without a session (moderation.login).
    path(
        "accounts/suspended/<int:sanction_id>/appeal/",
        login.suspended_appeal,
        name="suspended_appeal",
    ),
    path(
        "accounts/suspended/<int:sanction_id>/answer/",
        login.suspended_answer,
        name="suspended_answer",
    ),
]
