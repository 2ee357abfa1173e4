"""The moderation pages people use: reporting a message of their conversations.

As on the messaging pages, a message outside the user's own threads is a 404,
as if it did not exist. ``moderation.services.report_message`` decides what may
be reported; the page only avoids offering a form it would refuse.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from messaging.models import Message
from moderation import services
from moderation.forms import ReportForm

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
