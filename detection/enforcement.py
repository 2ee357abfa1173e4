"""Watched-word rules applied as people send or edit a message: the content
check ``DetectionConfig.ready`` registers with ``messaging.content_checks``.

Every active rule is matched at once (``current_rules``: one cache read, no
query, while no rule has changed). When rules with different actions match,
the strongest acts: refuse, then hide, then flag; between rules of one action,
the one whose match comes first. Refusing writes nothing and tells the sender
the rule's message; hiding and flagging are ``moderation.automatic``'s, in the
sending transaction, with the deciding rule's matches as evidence.
"""

from __future__ import annotations

from functools import partial

from detection.matching import Match
from detection.models import WatchedRule
from detection.services import current_rules
from messaging.content_checks import Verdict
from moderation.automatic import (
    RuleFinding,
    flag_message_automatically,
    hide_message_automatically,
)

Action = WatchedRule.Action
STRONGEST_FIRST = (Action.REFUSE, Action.HIDE, Action.FLAG)
ACTS = {Action.HIDE: hide_message_automatically, Action.FLAG: flag_message_automatically}


def check_message(content: str) -> Verdict | None:
    """What the active rules say of ``content``: None when none matches."""
    active = current_rules()
    if not active.by_id:
        return None
    matches = active.matcher.match(content)
    if not matches:
        return None
    by_rule: dict[int, list[Match]] = {}
    for match in matches:  # in the order they start
        by_rule.setdefault(match.rule_id, []).append(match)
    rule = deciding_rule([active.by_id[rule_id] for rule_id in by_rule])
    if rule.action == Action.REFUSE:
        return Verdict(refusal=rule.refusal_message)
    finding = RuleFinding(
        rule_id=rule.pk,
        rule_name=rule.name,
        matches=tuple((match.start, match.end, match.matched_text) for match in by_rule[rule.pk]),
    )
    return Verdict(act=partial(ACTS[rule.action], finding=finding))


def deciding_rule(rules: list[WatchedRule]) -> WatchedRule:
    """Of the rules that matched (in the order of their first match), the one
    that acts."""
    return min(rules, key=lambda rule: STRONGEST_FIRST.index(rule.action))
