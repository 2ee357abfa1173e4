"""``{% has_account_decisions user as name %}``: whether the inbox links the
person's "Decisions about your account" page (moderation.views.decisions).

A template tag, not an import: the inbox is messaging's, which sits below
moderation and must not import it. One query (an EXISTS over sanction_user_idx).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from moderation.models import Sanction

register = template.Library()


@register.simple_tag
def has_account_decisions(user: Any) -> bool:
    """Whether ``user`` is under a sanction now or has appealed one (decided
    appeals too, until their retention ends: the decision is theirs to read)."""
    if user is None or not user.is_authenticated:
        return False
    return (
        Sanction.objects.of_user(user.pk)
        .filter(Q(ended_at__isnull=True) | Q(appeal__isnull=False))
        .exists()
    )
