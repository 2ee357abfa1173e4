"""A rule backtest's result on its job page (``JobAdmin.job_page_context``):
the counts, the precision estimate and the sample with the matches marked.

The job's result keeps only message ids and spans (detection.backtest); the
content is read here, when the page is shown, so a message deleted since is
simply missing from the sample.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from detection.backtest import sample_messages
from jobs.models import Job


def highlighted(text: str, spans: list[tuple[int, int]]) -> SafeString:
    """``text`` escaped, each span wrapped in <mark>. Spans outside the text or
    overlapping an earlier one (the message was edited since) are left out."""
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start < at or end <= start or end > len(text):
            continue
        pieces.append(escape(text[at:start]))
        pieces.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    pieces.append(escape(text[at:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text went through escape


def precision_text(result: dict[str, Any]) -> str:
    caught = result.get("messages_caught", 0)
    known = result.get("reported_or_hidden", 0)
    if not caught:
        return "It would have caught nothing in this period."
    return (
        f"{known:,} of {caught:,} caught were already reported or sanctioned "
        f"({100 * known // caught}%): a floor on its precision, since the desk never saw "
        "most messages."
    )


def backtest_context(job: Job, *, admin_site_name: str) -> dict[str, Any]:
    """What the job page shows of a backtest (empty for other jobs and before
    it succeeded). One query: the sampled messages."""
    result = job.result if isinstance(job.result, dict) else {}
    if job.kind != Job.Kind.RULE_BACKTEST or job.status != Job.Status.SUCCEEDED:
        return {}
    shown, gone = sample_messages(job)
    return {
        "backtest_precision": precision_text(result),
        "backtest_sample": [
            {
                "id": sampled.message.pk,
                "url": reverse(
                    f"{admin_site_name}:messaging_message_change", args=[sampled.message.pk]
                ),
                "text": highlighted(sampled.message.content, sampled.spans),
            }
            for sampled in shown
        ],
        "backtest_sample_gone": gone,
    }
