"""A rule's matches marked in a text: a backtest's sample on its job page
(``admin.job_backtest``) and a rule's report in a case's evidence (the
``caseadmin_evidence`` template filter). Outside the ``admin`` package so the
filter can load without the admin's modules.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


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
