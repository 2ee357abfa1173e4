"""The moderation pages people use: reporting a message of their conversations,
and the decisions about their own account with their appeals.

As on the messaging pages, a message outside the user's own threads is a 404,
as if it did not exist; so is someone else's sanction or appeal.
``moderation.services.report_message`` decides what may be reported, and
``appeal_refusal`` what may be appealed; the pages only avoid offering a form
the service would refuse. A suspended person cannot log in: they appeal from
the login page instead (``moderation.login``).
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from messaging.models import Message
from moderation import services
from moderation.appeals import appeal_deadline, appeal_of, sanctioned_words
from moderation.forms import AnswerForm, AppealForm, ReportForm
from moderation.models import Appeal, Sanction

DECISIONS_PAGE_SIZE = 25
# The largest id a database column holds: a larger one in a URL is simply no row
# (SQLite would fail on it with an OverflowError).
MAX_ID = 2**63 - 1

# Service refusals that belong to one field of the form; the rest are about the
# message and show above the form.
FIELD_OF_ERROR_CODE = {
    "reason": "reason",
    "too_long": "comment",
    "null_characters_not_allowed": "comment",
}


@login_required
@require_http_methods(["GET", "POST"])
def report_message(request: HttpRequest, message_id: int) -> HttpResponse:
    message = get_object_or_404(Message.objects.select_related("sender"), pk=message_id)
    if not Message.objects.user_takes_part_in_thread(request.user, message.thread_id):
        raise Http404("No such message.")
    form = ReportForm(request.POST if request.method == "POST" else None)
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            try:
                services.report_message(
                    reporter=request.user,
                    message=message,
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                for item in error.error_list:
                    form.add_error(FIELD_OF_ERROR_CODE.get(item.code), item)
            else:
                flash.success(request, "Thank you. A moderator will look at your report.")
                return redirect(f"{reverse('messaging:thread', args=[message.pk])}#m{message.pk}")
    elif reason_not_to := services.report_refusal(reporter=request.user, message=message):
        refusal = reason_not_to.message  # instead of a form the service would refuse
    return render(
        request,
        "moderation/report.html",
        {"form": form, "quoted": message, "refusal": refusal},
    )


# --- decisions about one's account, and their appeals ------------------------------------


def _own_or_404(queryset, *, pk: int, user) -> object:
    if pk > MAX_ID:
        raise Http404("No such decision.")
    return get_object_or_404(queryset, pk=pk, user=user)


@login_required
@require_GET
def decisions(request: HttpRequest) -> HttpResponse:
    """The person's sanctions, newest first, each with its state and its appeal
    (or the button to file one while it may be appealed)."""
    sanctions = Sanction.objects.of_user(request.user.pk).select_related("appeal")
    page = Paginator(sanctions, DECISIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "sanction": sanction,
            "appeal": appeal_of(sanction),
            "refusal": services.appeal_refusal(sanction, user=request.user, now=now),
            "deadline": appeal_deadline(sanction),
        }
        for sanction in page
    ]
    return render(request, "moderation/decisions.html", {"page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def appeal_sanction(request: HttpRequest, sanction_id: int) -> HttpResponse:
    """The appeal form of one of the person's sanctions."""
    sanction = _own_or_404(
        Sanction.objects.select_related("appeal"), pk=sanction_id, user=request.user
    )
    if (appeal := appeal_of(sanction)) is not None:
        return redirect("moderation:appeal", appeal.pk)
    form = AppealForm(
        request.POST if request.method == "POST" else None, automatic=bool(sanction.rule_name)
    )
    if request.method == "POST" and form.is_valid():
        try:
            appeal = services.file_appeal(
                sanction, user=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error("text" if error.code != "refused" else None, error)
        else:
            flash.success(request, "Your appeal was sent. A moderator will decide on it.")
            return redirect("moderation:appeal", appeal.pk)
    return render(
        request,
        "moderation/appeal_form.html",
        {
            "sanction": sanction,
            "sanctioned": sanctioned_words(sanction),
            "refusal": services.appeal_refusal(sanction, user=request.user),
            "deadline": appeal_deadline(sanction),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_page(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """One appeal: its state, the person's words, the moderator's question with
    the answer form, the decision and its reason."""
    appeal = _own_or_404(Appeal.objects.select_related("sanction"), pk=appeal_id, user=request.user)
    form = None
    if appeal.status == Appeal.Status.ASKED:
        form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form is None:
            flash.error(request, "There is no question waiting for your answer.")
            return redirect("moderation:appeal", appeal.pk)
        if form.is_valid():
            try:
                services.answer_appeal_question(
                    appeal, user=request.user, answer=form.cleaned_data["answer"]
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, getattr(error, "messages", None) or str(error))
            else:
                flash.success(
                    request, "Your answer was sent. A moderator will decide on the appeal."
                )
                return redirect("moderation:appeal", appeal.pk)
    return render(
        request,
        "moderation/appeal.html",
        {
            "appeal": appeal,
            "sanction": appeal.sanction,
            "sanctioned": sanctioned_words(appeal.sanction),
            "form": form,
        },
    )


@login_required
@require_GET
def appeal_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """From a hidden message of the person's: to its sanction's appeal, or to the
    form, or why neither (another person's message is a 404)."""
    if message_id > MAX_ID:
        raise Http404("No such message.")
    message = get_object_or_404(Message, pk=message_id, sender=request.user)
    sanction = (
        Sanction.objects.filter(kind=Sanction.Kind.HIDE, message_id=message.pk, user=request.user)
        .select_related("appeal")
        .first()  # the newest (Sanction's ordering)
    )
    if sanction is not None and (appeal := appeal_of(sanction)) is not None:
        return redirect("moderation:appeal", appeal.pk)
    refusal = (
        services.appeal_refusal(sanction, user=request.user)
        if sanction is not None
        else "No moderator's decision about this message is on record."
    )
    if refusal is None:
        return redirect("moderation:appeal_sanction", sanction.pk)
    return render(
        request, "moderation/appeal_refused.html", {"refusal": refusal, "message": message}
    )
