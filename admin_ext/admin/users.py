"""Accounts and groups in the moderators' admin.

Moderators (group "Moderators": auth.view_user and auth.delete_user) look users
up and delete ordinary accounts with all their data; they cannot change users,
passwords or permissions. Superusers manage moderators and staff. Every change
is saved by a service that writes its audit entry: accounts by
``messaging.services`` (``save_account``, ``delete_account``), groups by
``moderation.services`` (``save_group``, ``delete_groups``).

A user's page is a person's page for moderators (``person_page``): their cases,
reports, strike history, counts, recent messages and notes above the account's
fields, with warn, suspend and lift (``person_actions``) beside the note form.
The list shows each account's state (active or suspended) and filters by it.
"""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from admin_ext.admin import actions as account_deletion
from admin_ext.admin.base import DeskModelAdmin, VersionHistoryAdmin, admin_url
from admin_ext.admin.case_page import user_notes_context
from admin_ext.admin.filters import HasUnreadFilter, JoinedBetweenFilter
from admin_ext.admin.paginators import ShownCount, capped
from admin_ext.admin.person_actions import person_action_view
from admin_ext.admin.person_forms import PERSON_FORMS
from admin_ext.admin.person_page import (
    ACTIVE,
    ACTIVE_HELP,
    STATE_LABELS,
    SUSPENDED,
    SuspendedFilter,
    account_state,
    person_page_context,
)
from admin_ext.exports.mixins import CsvExportAdminMixin
from admin_ext.second_factor.reset import reset_second_factor_view
from exports.resources import UserResource
from messaging.selectors import with_activity_counts
from messaging.services import save_account
from moderation.services import delete_groups, save_group

# Each person's counts on the list stop here; their page has the exact ones.
COUNTS_AT_MOST = 1_000


class RelationsSavedWithObjectMixin:
    """An admin whose ``save_model`` hands the form's many-to-many fields (groups,
    permissions) to the service that saves the object, so that they, the row and
    its audit entry are one write: Django's ``save_related`` saves inlines only."""

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[Any], change: bool
    ) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        # Read-only pages show these too (Django's AdminReadonlyField reads them).
        labels = {"is_active": "Active (not suspended)"}
        help_texts = {"is_active": ACTIVE_HELP}


if admin.site.is_registered(User):
    admin.site.unregister(User)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(
    RelationsSavedWithObjectMixin,
    CsvExportAdminMixin,
    BaseUserAdmin,
    VersionHistoryAdmin,
    DeskModelAdmin,
):
    # List options. Other admins' autocomplete filters rely on search_fields.
    list_display = (
        "username",
        "display_name",
        "email",
        "display_state",
        "display_staff",
        "display_joined",
        "display_messages_sent",
        "display_unread_received",
        "display_edits_made",
    )
    list_filter = (
        SuspendedFilter,
        ("is_staff", BooleanRadioFilter),
        HasUnreadFilter,
        ("date_joined", JoinedBetweenFilter),
    )
    list_filter_submit = True
    search_fields = ("username", "first_name", "last_name", "email")
    ordering = ("username",)
    # The orders an index serves: at 1,000,000 accounts any other sorts them all.
    sortable_by = ("username", "display_joined")
    list_per_page = 50

    # Form options: unfold's forms, so the change, add and password pages match,
    # with the desk's words for the active flag.
    form = AccountChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm

    # Actions. Django's delete_selected is replaced: its confirmation lists every
    # related row.
    actions = ["delete_accounts"]
    withheld_actions = ("delete_selected",)
    # A superuser resets someone's second factor (a lost phone): a page, then a POST.
    actions_detail = ["delete_account_detail", "reset_second_factor"]

    # Export: CSV of the filtered list, never passwords or e-mail addresses
    # (UserResource); needs auth.export_user.
    resource_classes = (UserResource,)

    # A person's page: their moderation context, the actions on the account and
    # the notes, above the account's fields (outside the change form: each form
    # posts on its own). See person_page.
    change_form_outer_before_template = "admin_ext/users/person_context.html"

    def get_urls(self) -> list[URLPattern]:
        # Warn, suspend, lift: before the stock patterns, whose "<path:object_id>/"
        # would match first. Their names are the role policy's pages.
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(partial(self.person_action, name=name)),
                name=f"{prefix}_{name}",
            )
            for name in PERSON_FORMS
        ] + super().get_urls()

    def person_action(self, request: HttpRequest, object_id: str, *, name: str) -> HttpResponse:
        return person_action_view(self, request, object_id, name=name)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each count is a correlated subquery, so a page costs the same number of
        # queries whatever its size, and the counts never multiply each other.
        return with_activity_counts(super().get_queryset(request), at_most=COUNTS_AT_MOST)

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        # A superuser's add or change (a stored version's revert too): the account,
        # its groups and permissions, and its audit entry, naming the fields only.
        save_account(
            obj,
            actor=request.user,
            change_message=self.construct_change_message(request, form, None, add=not change),
            groups=form.cleaned_data.get("groups"),
            permissions=form.cleaned_data.get("user_permissions"),
        )

    @method_decorator(transaction.atomic)
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Django's page, with its refusals and its form's errors; a valid new
        # password is saved by save_account (with its audit entry) instead of
        # Django's form.save(), then logged, announced and redirected as Django does.
        account = self.get_object(request, unquote(id))
        if (
            request.method != "POST"
            or account is None
            or not self.has_change_permission(request, account)
        ):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(account, request.POST)
        if not (form.is_valid() and self.is_password_submission_valid(request, form)):
            return super().user_change_password(request, id, form_url)
        form.save(commit=False)  # sets the new hash (or none) on the account
        change_message = self.construct_change_message(request, form, None)
        save_account(account, actor=request.user, change_message=change_message)
        self.log_change(request, account, change_message)  # Django's admin log
        if account.has_usable_password():
            messages.success(request, gettext("Password changed successfully."))
        else:
            messages.success(request, gettext("Password-based authentication was disabled."))
        update_session_auth_hash(request, form.user)
        return HttpResponseRedirect(admin_url(self, "change", account.pk))

    @staticmethod
    def is_password_submission_valid(request: HttpRequest, form: Any) -> bool:
        # Django's rule: disabling password login needs its own submit button
        # (two buttons without JavaScript could send conflicting data).
        return form.cleaned_data["set_usable_password"] or "unset-password" in request.POST

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
            context.update(person_page_context(request, obj, site_name=self.admin_site.name))
            context["title"] = obj.get_username()
            # One delete button: the "Delete account" action at the top, which
            # opens the preview; the submit row's stock link would be a second.
            context["show_delete"] = False
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

    @display(
        description="State",
        ordering="is_active",
        label={STATE_LABELS[ACTIVE]: "success", STATE_LABELS[SUSPENDED]: "danger"},
    )
    def display_state(self, user: User) -> str:
        return STATE_LABELS[account_state(user)]

    @display(description="Staff", boolean=True, ordering="is_staff")
    def display_staff(self, user: User) -> bool:
        return user.is_staff

    @display(description="Joined", ordering="date_joined")
    def display_joined(self, user: User) -> datetime.date:
        # The day, as the joined filter counts; the time is on the user's page.
        return timezone.localtime(user.date_joined).date()

    @display(description="Messages sent")
    def display_messages_sent(self, user: User) -> int | ShownCount:
        return capped(user.messages_sent, COUNTS_AT_MOST)

    @display(description="Unread received")
    def display_unread_received(self, user: User) -> int | ShownCount:
        return capped(user.unread_received, COUNTS_AT_MOST)

    @display(description="Edits made")
    def display_edits_made(self, user: User) -> int | ShownCount:
        return capped(user.edits_made, COUNTS_AT_MOST)


@admin.register(Group)
class GroupAdmin(RelationsSavedWithObjectMixin, BaseGroupAdmin, DeskModelAdmin):
    """Superusers' groups: each add, change and deletion goes through its service,
    which writes the audit entry."""

    def save_model(self, request: HttpRequest, obj: Group, form: ModelForm, change: bool) -> None:
        save_group(
            obj,
            actor=request.user,
            change_message=self.construct_change_message(request, form, None, add=not change),
            permissions=form.cleaned_data.get("permissions"),
        )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        delete_groups([obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        delete_groups(queryset, actor=request.user)
