"""Accounts and groups in the moderators' admin.

Moderators (group "Moderators": auth.view_user and auth.delete_user) look users
up and delete ordinary accounts with all their data; they cannot change users,
passwords or permissions. Superusers manage moderators and staff.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.core.validators import EMPTY_VALUES
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from unfold.contrib.filters.admin import BooleanRadioFilter, RadioFilter, RangeDateFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.utils import parse_date_str

from admin_ext.admin import actions as account_deletion
from admin_ext.admin.base import AuditedAdminMixin, DeskModelAdmin, VersionHistoryAdmin
from admin_ext.admin.case_page import user_notes_context
from admin_ext.exports.mixins import CsvExportAdminMixin
from admin_ext.exports.resources import UserResource
from admin_ext.second_factor.reset import reset_second_factor_view
from audit.models import AuditEntry
from messaging.models import Message, MessageHistory


def count_subquery(queryset: QuerySet, group_by: str) -> Coalesce:
    """COUNT(*) of ``queryset`` (filtered on an OuterRef) as a correlated subquery.

    One subquery per column instead of JOIN + COUNT: several joined counts would
    multiply each other, and a subquery costs no extra query per row.
    """
    counted = queryset.order_by().values(group_by).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class HasUnreadFilter(RadioFilter):
    title = "unread messages"
    parameter_name = "has_unread"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "Has unread messages"), ("no", "No unread messages")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        # EXISTS stops at the first row (msg_unread_inbox_idx, receiver first).
        has_unread = Exists(Message.objects.filter(receiver=OuterRef("pk"), read=False))
        if self.value() == "yes":
            return queryset.filter(has_unread)
        if self.value() == "no":
            return queryset.filter(~has_unread)
        return queryset


class JoinedBetweenFilter(RangeDateFilter):
    """unfold's date range on ``date_joined`` (a datetime), both days included.

    The stock filter compares the datetime with a bare date: midnight, so the
    last day was left out (and Django warns about the naive datetime).
    """

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        filters = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            value = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if value in EMPTY_VALUES or not isinstance(value, str):
                continue
            day = parse_date_str(value)
            if day is None:
                return None  # unfold's form shows the invalid date
            filters[f"{self.field_path}__date__{lookup}"] = day
        return queryset.filter(**filters)


if admin.site.is_registered(User):
    admin.site.unregister(User)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(
    AuditedAdminMixin, CsvExportAdminMixin, BaseUserAdmin, VersionHistoryAdmin, DeskModelAdmin
):
    # List options. Other admins' autocomplete filters rely on search_fields.
    list_display = (
        "username",
        "display_name",
        "email",
        "display_active",
        "display_staff",
        "display_joined",
        "display_messages_sent",
        "display_unread_received",
        "display_edits_made",
    )
    list_filter = (
        ("is_active", BooleanRadioFilter),
        ("is_staff", BooleanRadioFilter),
        HasUnreadFilter,
        ("date_joined", JoinedBetweenFilter),
    )
    list_filter_submit = True
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    list_per_page = 50

    # Form options: unfold's forms, so the change, add and password pages match.
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm

    # Actions. Django's delete_selected is replaced (see get_actions): its
    # confirmation lists every related row.
    actions = ["delete_accounts"]
    # A superuser resets someone's second factor (a lost phone): a page, then a POST.
    actions_detail = ["delete_account_detail", "reset_second_factor"]

    # Export: CSV of the filtered list, never passwords or e-mail addresses
    # (UserResource); needs auth.export_user.
    resource_classes = (UserResource,)

    # A superuser's changes to an account (and its password) are audited.
    audit_action = AuditEntry.Action.ACCOUNT_CHANGED

    # Moderators' notes on the person and on their cases, in one list, with a form
    # to add one (outside the change form: its own POST).
    change_form_outer_after_template = "admin_ext/cases/user_notes.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each count is a correlated subquery, so a page costs the same number of
        # queries whatever its size, and the counts never multiply each other.
        return (
            super()
            .get_queryset(request)
            .annotate(
                messages_sent=count_subquery(
                    Message.objects.filter(sender=OuterRef("pk")), "sender"
                ),
                unread_received=count_subquery(
                    Message.objects.filter(receiver=OuterRef("pk"), read=False), "receiver"
                ),
                # Edits they made (their own messages, or anyone's for a
                # moderator): one index lookup each, where counting edits of
                # their messages walked every message of a big account.
                edits_made=count_subquery(
                    MessageHistory.objects.filter(edited_by=OuterRef("pk")), "edited_by"
                ),
            )
        )

    def audit_target(self, obj: User) -> dict[str, Any]:
        return {"target_user_id": obj.pk, "target_username": obj.get_username()}

    @method_decorator(transaction.atomic)
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Django saves the password and logs it in two steps: one transaction, so
        # the audit entry and the new password commit together.
        return super().user_change_password(request, id, form_url)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # unfold's read-only view prints the raw password hash: moderators, who
        # only view accounts, get the page without it.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: User | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(user_notes_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django drops an action the user may not run with a "No action selected"
        # warning; a forged deletion POST gets a plain 403 instead.
        if (
            request.method == "POST"
            and account_deletion.ACTION_NAME in request.POST.getlist("action")
            and not self.has_delete_permission(request)
        ):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Django's per-object delete page would collect and list every related
        # row (26.9 s and 24 MB for a 100,000-message account): show ours instead.
        return account_deletion.account_deletion_preview_view(self, request, object_id)

    @action(description="Delete accounts and all their data", permissions=["delete"])
    def delete_accounts(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return account_deletion.delete_accounts_action(self, request, queryset)

    @action(
        description="Delete account",
        url_path="delete-account",
        permissions=["delete"],
        icon="person_remove",
        variant=ActionVariant.DANGER,
    )
    def delete_account_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # A plain link (GET, no CSRF token): it only shows the preview.
        return account_deletion.account_deletion_preview_view(self, request, object_id)

    def has_reset_second_factor_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        return request.user.is_superuser

    @action(
        description="Reset second factor",
        url_path="reset-second-factor",
        permissions=["reset_second_factor"],
        icon="phonelink_erase",
    )
    def reset_second_factor(self, request: HttpRequest, object_id: str) -> HttpResponse:
        # A plain link (GET) shows what it does; the reset is its form's POST.
        return reset_second_factor_view(self, request, object_id)

    @display(description="Name", ordering="last_name")
    def display_name(self, user: User) -> str:
        return user.get_full_name()

    @display(description="Active", boolean=True, ordering="is_active")
    def display_active(self, user: User) -> bool:
        return user.is_active

    @display(description="Staff", boolean=True, ordering="is_staff")
    def display_staff(self, user: User) -> bool:
        return user.is_staff

    @display(description="Joined", ordering="date_joined")
    def display_joined(self, user: User) -> datetime.date:
        # The day, as the joined filter counts; the time is on the user's page.
        return timezone.localtime(user.date_joined).date()

    @display(description="Messages sent", ordering="messages_sent")
    def display_messages_sent(self, user: User) -> int:
        return user.messages_sent

    @display(description="Unread received", ordering="unread_received")
    def display_unread_received(self, user: User) -> int:
        return user.unread_received

    @display(description="Edits made", ordering="edits_made")
    def display_edits_made(self, user: User) -> int:
        return user.edits_made


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, BaseGroupAdmin, DeskModelAdmin):
    audit_action = AuditEntry.Action.GROUP_CHANGED
