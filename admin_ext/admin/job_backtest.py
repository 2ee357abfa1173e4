"""A rule backtest's result on its job page (``JobAdmin.job_page_context``):
the counts, the precision estimate and the sample with the matches marked.

The job's result keeps only message ids and spans (detection.backtest); the
content is read here, when the page is shown, so a message deleted since is
simply missing from the sample.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from admin_ext.marks import highlighted
from detection.backtest import sample_messages
from jobs.models import Job


def precision_text(result: dict[str, Any]) -> str:
    caught = result.get("messages_caught", 0)
    known = result.get("reported_or_hidden", 0)
    if not caught:
        return "It would have caught nothing in this period."
    estimate = (
        f"{known:,} of {caught:,} caught were already reported or sanctioned "
        f"({100 * known // caught}%): a floor on its precision, since the desk never saw "
        "most messages."
    )
    if "senders_sanctioned" not in result:  # a backtest run before it was counted
        return estimate
    sanctioned, senders = result["senders_sanctioned"], result.get("senders", 0)
    return f"{estimate} {sanctioned:,} of its {senders:,} senders had been sanctioned before."


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
