"""The pages of the people whose messages are moderated.

Views validate input and call services; reads come from the managers. A person
sees only threads they take part in: anything else is a 404, as if it did not
exist.
"""

from __future__ import annotations

import contextlib

from django.contrib import messages as flash
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from messaging import services
from messaging.forms import DeleteAccountForm, MessageContentForm, NewMessageForm
from messaging.managers import walk_thread
from messaging.models import Message, Notification
from messaging.selectors import (
    earlier_versions_in_thread,
    has_account_decisions,
    messages_reported_by,
)
from messaging.thread_cache import cache_thread_view, get_cached_thread_view

INBOX_PAGE_SIZE = 25
CONVERSATIONS_PAGE_SIZE = 25
# Unseen notices (warnings, report outcomes) shown above the inbox, newest
# first; older ones show as these are acknowledged.
INBOX_WARNINGS_SHOWN = 5
# Deeper replies stay at this indentation (their depth is printed instead), so a
# thread thousands of messages deep still fits the page.
MAX_INDENT = 12


def _message_in_users_thread(request: HttpRequest, message_id: int) -> Message:
    """The message, if the requesting user takes part in its thread; 404 otherwise."""
    message = get_object_or_404(Message.objects.select_related("sender", "receiver"), pk=message_id)
    if not Message.objects.user_takes_part_in_thread(request.user, message.thread_id):
        raise Http404("No such message.")
    return message


def _posted(request: HttpRequest):
    """The submitted data on POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _apply_service_error(form: MessageContentForm, error: ValidationError) -> None:
    for text in error.messages:
        form.add_error("content" if "content" in form.fields else None, text)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread = Paginator(Message.unread.unread_for_user(request.user), INBOX_PAGE_SIZE)
    page = unread.get_page(request.GET.get("page"))
    warnings = Notification.objects.unseen_notices_for(request.user)[:INBOX_WARNINGS_SHOWN]
    context = {
        "page": page,
        "warnings": warnings,
        "show_decisions": has_account_decisions(request.user.pk),
    }
    return render(request, "messaging/inbox.html", context)


@login_required
@require_POST
def acknowledge_warning(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        services.acknowledge_warning(notification_id, user=request.user)
    except Notification.DoesNotExist:
        raise Http404("No such warning.") from None
    return redirect("messaging:inbox")


@login_required
def conversations(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(Message.objects.conversations_of(request.user), CONVERSATIONS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    roots = Message.objects.select_related("sender", "receiver").in_bulk(
        [row["thread_id"] for row in page]
    )
    rows = [{**row, "root": roots[row["thread_id"]]} for row in page if row["thread_id"] in roots]
    return render(request, "messaging/conversation.html", {"page": page, "rows": rows})


@login_required
def thread(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.only("id", "thread_id"), pk=message_id)
    thread_id = message.thread_id
    if not Message.objects.user_takes_part_in_thread(request.user, thread_id):
        raise Http404("No such thread.")
    # Opening a thread reads it: only the viewer's own received messages change.
    services.mark_thread_read(reader=request.user, thread_id=thread_id)
    tree_html = get_cached_thread_view(thread_id=thread_id, user_id=request.user.pk)
    if tree_html is None:
        tree_html = _render_thread_tree(message, viewer_id=request.user.pk)
        cache_thread_view(thread_id=thread_id, user_id=request.user.pk, html=tree_html)
    return render(
        request,
        "messaging/threaded.html",
        {"tree_html": tree_html, "thread_id": thread_id, "current_id": message.pk},
    )


def _render_thread_tree(message: Message, *, viewer_id: int) -> str:
    """The thread as ``viewer_id`` sees it: the tree (one query), the earlier texts
    of the edited messages they sent or received (one query) and which messages
    they reported (one query), whatever the thread's size. Cached per viewer: an
    edit, a hide or the viewer's own report drops it (messaging.thread_cache)."""
    root = Message.objects.thread_tree(message)
    versions = earlier_versions_in_thread(thread_id=message.thread_id, viewer_id=viewer_id)
    reported = messages_reported_by(viewer_id=viewer_id, thread_id=message.thread_id)
    nodes = []
    for node in walk_thread(root):
        node.earlier_versions = versions.get(node.pk, ())
        node.reported_by_viewer = node.pk in reported
        nodes.append((node, min(node.depth, MAX_INDENT)))
    return render_to_string(
        "messaging/_thread_tree.html",
        {"nodes": nodes, "viewer_id": viewer_id, "max_indent": MAX_INDENT},
    )


@login_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest) -> HttpResponse:
    form = NewMessageForm(_posted(request), initial={"receiver": request.GET.get("to", "")})
    if request.method == "POST" and form.is_valid():
        try:
            message = services.send_message(
                sender=request.user,
                receiver=form.cleaned_data["receiver"],
                content=form.cleaned_data["content"],
            )
        except ValidationError as error:
            _apply_service_error(form, error)
        else:
            flash.success(request, "Message sent.")
            return redirect(_thread_url(message))
    return render(request, "messaging/compose.html", {"form": form, "title": "New message"})


@login_required
@require_http_methods(["GET", "POST"])
def reply(request: HttpRequest, message_id: int) -> HttpResponse:
    parent = _message_in_users_thread(request, message_id)
    form = MessageContentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            message = services.reply(
                sender=request.user, parent=parent, content=form.cleaned_data["content"]
            )
        except ValidationError as error:
            _apply_service_error(form, error)
        else:
            flash.success(request, "Reply sent.")
            return redirect(_thread_url(message))
    return render(
        request, "messaging/compose.html", {"form": form, "title": "Reply", "quoted": parent}
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_in_users_thread(request, message_id)
    if message.sender_id != request.user.pk:
        raise PermissionDenied("You can only edit your own messages.")
    if message.is_hidden:
        # A refusal page, not the form: the form would hand the sender back the
        # words a moderator hid. (services.edit_message refuses too, for a hide
        # landing between this page and its POST.)
        return render(
            request,
            "messaging/compose.html",
            {
                "title": "Edit message",
                "quoted": message,
                "refusal": "The moderators hid this message; it cannot be edited.",
            },
            status=403,
        )
    form = MessageContentForm(_posted(request), initial={"content": message.content})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_message(
                message, editor=request.user, content=form.cleaned_data["content"]
            )
        except ValidationError as error:
            _apply_service_error(form, error)
        else:
            flash.success(request, "Message updated.")
            return redirect(_thread_url(message))
    return render(
        request,
        "messaging/compose.html",
        {"form": form, "title": "Edit message", "quoted": message},
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete_user(request: HttpRequest) -> HttpResponse:
    """A person deletes their own account: GET asks, POST with the password deletes."""
    form = DeleteAccountForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        # Deleted by someone else meanwhile: the outcome is the same.
        with contextlib.suppress(services.AccountAlreadyDeleted):
            services.delete_account(
                request.user, actor=request.user, reason="Deleted by the account holder"
            )
        logout(request)
        return redirect("messaging:account_deleted")
    return render(request, "messaging/delete_account.html", {"form": form})


def account_deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/account_deleted.html")


def _thread_url(message: Message) -> str:
    return f"{reverse('messaging:thread', args=[message.pk])}#m{message.pk}"
