"""Watched-word rules ("Watched words"): the desk reads them and their versions;
moderators given ``detection.add_watchedrule``/``change_watchedrule`` by a
superuser write them. Every write goes through ``detection.services``
(validated by the matcher's own checks, audited, the editor named in the
history); a version is never reverted to, and a rule is switched off rather
than deleted.

Any moderator may backtest a rule (``<id>/backtest/``, a POST from the rule's
page), even one who may not change rules: a backtest only reads past messages,
and its job page shows them to the desk, who may read them anyway.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from unfold.decorators import action, display
from unfold.widgets import UnfoldAdminDateWidget, UnfoldAdminTextInputWidget

from admin_ext.admin.base import DeskModelAdmin, VersionHistoryAdmin
from detection.backtest import DEFAULT_DAYS, period_problem, start_backtest
from detection.matching import MAX_PATTERN_LENGTH, MAX_WORD_LENGTH, MAX_WORDS_PER_RULE
from detection.models import WatchedRule
from detection.services import (
    MAX_CHANGE_MESSAGE_LENGTH,
    rule_problems,
    save_rule,
    set_rule_active,
)
from moderation_site.time_format import time_element

CHANGE_MESSAGE = "change_message"


class WatchedRuleForm(forms.ModelForm):
    """Shows every refusal of ``save_rule`` on its field before anything is
    saved (RE2's reason on the pattern, each word's problem on the words), the
    moderator's input kept as typed."""

    change_message = forms.CharField(
        label="Why this change",
        required=False,
        max_length=MAX_CHANGE_MESSAGE_LENGTH,
        widget=UnfoldAdminTextInputWidget,
        help_text="Kept with this version in the rule's history and in the audit log.",
    )

    class Meta:
        model = WatchedRule
        fields = ("name", "kind", "words", "pattern", "action", "refusal_message")
        help_texts = {
            "words": (
                f"One word or phrase per line, at most {MAX_WORDS_PER_RULE:,} of "
                f"{MAX_WORD_LENGTH} characters each. Case, accents, look-alike letters "
                "and stretched letters are matched anyway."
            ),
            "pattern": (
                f"For a regular-expression rule: RE2 syntax, at most {MAX_PATTERN_LENGTH:,} "
                "characters, matched case-insensitively against the text with accents "
                "removed. No backreferences or lookaround."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("words", "pattern"):
            if name in self.fields:
                self.fields[name].strip = False  # stored as typed; the matcher trims

    def _post_clean(self) -> None:
        super()._post_clean()
        # A field that failed its own cleaning kept the stored value on the
        # instance: checking that would answer about text the moderator replaced.
        for field, problems in rule_problems(self.instance).items():
            if field not in self.fields or field in self.errors:
                continue
            for problem in problems:
                self.add_error(field, problem)


class BacktestForm(forms.Form):
    """The period of a backtest: local days, both included (detection.backtest)."""

    since = forms.DateField(label="From", widget=UnfoldAdminDateWidget)
    until = forms.DateField(label="To (included)", widget=UnfoldAdminDateWidget)

    @classmethod
    def last_days(cls) -> BacktestForm:
        today = timezone.localdate()
        since = today - datetime.timedelta(days=DEFAULT_DAYS - 1)
        return cls(initial={"since": since, "until": today})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            problem = period_problem(cleaned.get("since"), cleaned.get("until"))
            if problem:
                raise ValidationError(problem)
        return cleaned


@admin.register(WatchedRule)
class WatchedRuleAdmin(VersionHistoryAdmin, DeskModelAdmin):
    list_title = "Watched words"
    # List options
    list_display = (
        "name",
        "kind",
        "action",
        "display_active",
        "display_updated",
        "display_updated_by",
    )
    list_filter = ("is_active", "kind", "action")
    search_fields = ("name",)
    search_help_text = "Search by the rule's name."
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    # Form options
    form = WatchedRuleForm
    change_form_template = "admin_ext/rules/change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "kind", "words", "pattern")}),
        ("What it does", {"fields": ("action", "refusal_message")}),
        ("This change", {"fields": (CHANGE_MESSAGE,)}),
        (
            "Record",
            {
                "fields": (
                    "display_active",
                    "display_created",
                    "display_created_by",
                    "display_updated",
                    "display_updated_by",
                )
            },
        ),
    )
    readonly_fields = (
        "display_active",
        "display_created",
        "display_created_by",
        "display_updated",
        "display_updated_by",
    )

    # Actions: POST from the list, through set_rule_active.
    actions = ("switch_on", "switch_off")
    withheld_actions = ("delete_selected",)  # switched off, never deleted

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The "by" column names the last editor: no query per row.
        return super().get_queryset(request).select_related("created_by", "updated_by")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        # A stored version's page (read-only) and a reader's page save nothing.
        writing = not getattr(request, "_version_read_only", False) and (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        if not writing:
            fieldsets = [entry for entry in fieldsets if CHANGE_MESSAGE not in entry[1]["fields"]]
        if obj is None:  # adding: no record yet
            fieldsets = [entry for entry in fieldsets if entry[0] != "Record"]
        return fieldsets

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        # Before the stock patterns: their "<path:object_id>/" would match first.
        return [
            path(
                "<path:object_id>/backtest/",
                self.admin_site.admin_view(self.backtest_view),
                name=f"{prefix}_backtest",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not getattr(request, "_version_read_only", False):
            extra_context = {
                **(extra_context or {}),
                "backtest_form": BacktestForm.last_days(),
                "backtest_url": reverse(
                    f"{self.admin_site.name}:detection_watchedrule_backtest", args=[object_id]
                ),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def backtest_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST only: queue a backtest of the rule over the period asked, then show
        its job; a bad period goes back to the rule's page with the reason."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        rule = self.get_object(request, unquote(object_id))
        if rule is None:
            raise Http404("No such rule.")
        rule_url = reverse(f"{self.admin_site.name}:detection_watchedrule_change", args=[rule.pk])
        form = BacktestForm(request.POST)
        if not form.is_valid():
            problems = [problem for errors in form.errors.values() for problem in errors]
            self.message_user(request, "Not backtested: " + " ".join(problems), messages.ERROR)
            return redirect(rule_url)
        try:
            job = start_backtest(
                rule,
                actor=request.user,
                since=form.cleaned_data["since"],
                until=form.cleaned_data["until"],
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return redirect(rule_url)
        self.message_user(request, f"{job.description} is queued.", messages.SUCCESS)
        return redirect(reverse(f"{self.admin_site.name}:jobs_job_change", args=[job.pk]))

    def save_model(
        self, request: HttpRequest, obj: WatchedRule, form: forms.ModelForm, change: bool
    ) -> None:
        # The form ran rule_problems already; a refusal here means a race.
        save_rule(obj, actor=request.user, change_message=form.cleaned_data.get(CHANGE_MESSAGE, ""))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        pass  # no relations of its own; save_rule saved everything

    @action(description="Switch on the selected rules", permissions=["change"])
    def switch_on(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, active=True)

    @action(description="Switch off the selected rules", permissions=["change"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._switch(request, queryset, active=False)

    def _switch(self, request: HttpRequest, queryset: QuerySet, *, active: bool) -> None:
        switched = 0
        for rule in queryset:
            try:
                if rule.is_active != active:
                    set_rule_active(rule, actor=request.user, active=active)
                    switched += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        state = "on" if active else "off"
        self.message_user(
            request,
            f"{switched} rule{'s' if switched != 1 else ''} switched {state}."
            if switched
            else f"The selected rules were already {state}.",
            messages.SUCCESS if switched else messages.WARNING,
        )

    @display(description="active", boolean=True, ordering="is_active")
    def display_active(self, rule: WatchedRule) -> bool:
        return rule.is_active

    @display(description="created", ordering="created_at")
    def display_created(self, rule: WatchedRule) -> SafeString:
        return time_element(rule.created_at)

    @display(description="created by")
    def display_created_by(self, rule: WatchedRule) -> str:
        return rule.created_by.get_username() if rule.created_by else "—"

    @display(description="updated", ordering="updated_at")
    def display_updated(self, rule: WatchedRule) -> SafeString:
        return time_element(rule.updated_at)

    @display(description="by")
    def display_updated_by(self, rule: WatchedRule) -> str:
        return rule.updated_by.get_username() if rule.updated_by else "—"
