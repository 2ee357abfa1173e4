from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("conversations/", views.conversations, name="conversations"),
    path("messages/new/", views.send, name="send"),
    path("messages/<int:message_id>/", views.thread, name="thread"),
    path("messages/<int:message_id>/reply/", views.reply, name="reply"),
    path("messages/<int:message_id>/edit/", views.edit, name="edit"),
    path(
        "warnings/<int:notification_id>/acknowledge/",
        views.acknowledge_warning,
        name="acknowledge_warning",
    ),
    path("account/delete/", views.delete_user, name="delete_user"),
    path("account/deleted/", views.account_deleted, name="account_deleted"),
]
