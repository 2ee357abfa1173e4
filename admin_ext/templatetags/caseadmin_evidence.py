"""How a report's evidence shows what a rule matched (admin_ext/cases/evidence.html)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from admin_ext.marks import highlighted
from moderation.evidence import RuleMatch

register = template.Library()


@register.filter
def with_rule_matches(content: str, matches: list[RuleMatch]) -> SafeString:
    """``content`` escaped, each of the rule's ``matches`` in <mark>."""
    return highlighted(content, [(match.start, match.end) for match in matches])
