"""Writing watched-word rules, and the matcher built from the active ones.

``save_rule`` and ``set_rule_active`` are the only writers of ``WatchedRule``:
each validates, names its editor in the rule's history, writes one audit entry
per change and, once committed, tells every process to rebuild its matcher.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEntry
from audit.services import record_audit_entry
from detection.matching import REGEX, WORDS, Matcher, validate_rule
from detection.models import WatchedRule

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# What an edit compares, in the order the audit entry names them.
RULE_FIELDS = ("name", "kind", "words", "pattern", "action", "refusal_message", "is_active")
TEXT_FIELDS = ("name", "words", "pattern", "refusal_message")
MAX_CHANGE_MESSAGE_LENGTH = 1_000
MAX_REFUSAL_MESSAGE_LENGTH = 1_000
# A rule of 5,000 over-long words has 5,000 problems: the first few say enough.
MAX_PROBLEMS_SHOWN = 5

# The matcher's version: a token in the shared cache, replaced on every save, so
# each process knows when its own matcher is stale. Finite like every entry of
# the app (moderation_site.cache): a replacement lost while Redis was
# unreachable leaves a process's matcher stale for at most this long.
RULES_VERSION_KEY = "detection:rules-version"
RULES_VERSION_SECONDS = 300
_built: tuple[str, ActiveRules] | None = None


def _shown_problems(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS_SHOWN:
        return problems
    hidden = len(problems) - MAX_PROBLEMS_SHOWN
    return [*problems[:MAX_PROBLEMS_SHOWN], f"… and {hidden:,} more problems like these."]


def rule_problems(rule: WatchedRule) -> dict[str, list[str]]:
    """What is wrong with ``rule``, by field; empty when it can be saved.

    The matcher's own checks (``validate_rule``) decide what can run; their
    messages go on the field the rule's kind reads (words or pattern), the
    complaint that the other one is filled on that other one.
    """
    problems: dict[str, list[str]] = {}
    for field in TEXT_FIELDS:
        if "\x00" in getattr(rule, field):
            problems.setdefault(field, []).append("This cannot contain a NUL character.")
    if problems:
        return problems  # the matcher and the database both refuse NUL: nothing more to say
    try:
        rule.full_clean(exclude=["created_by", "updated_by"])
    except ValidationError as error:
        problems.update(error.message_dict)
    if rule.action == WatchedRule.Action.REFUSE and not rule.refusal_message.strip():
        problems.setdefault("refusal_message", []).append(
            "A rule that refuses messages needs the message the sender sees."
        )
    if len(rule.refusal_message) > MAX_REFUSAL_MESSAGE_LENGTH:
        problems.setdefault("refusal_message", []).append(
            f"Write at most {MAX_REFUSAL_MESSAGE_LENGTH:,} characters."
        )
    if rule.kind not in (WORDS, REGEX):
        return problems  # full_clean named the kind
    read, other = ("words", "pattern") if rule.kind == WORDS else ("pattern", "words")
    matcher_rule = rule.as_rule()
    # The rule with the field its kind does not read emptied: what is wrong with its own.
    emptied = {"pattern": ""} if rule.kind == WORDS else {"words": ()}
    own = validate_rule(dataclasses.replace(matcher_rule, **emptied))
    mixed = [problem for problem in validate_rule(matcher_rule) if problem not in own]
    for field, found in ((read, own), (other, mixed)):
        if found:
            problems.setdefault(field, []).extend(_shown_problems(found))
    return problems


def _bump_rules_version() -> None:
    transaction.on_commit(
        lambda: cache.set(RULES_VERSION_KEY, uuid.uuid4().hex, RULES_VERSION_SECONDS)
    )


@transaction.atomic
def save_rule(
    rule: WatchedRule, *, actor: AbstractBaseUser | None, change_message: str = ""
) -> WatchedRule:
    """Create or change ``rule`` as ``actor``; ValidationError by field when it
    cannot run (RE2's reason for a pattern included), nothing written.

    The history's version names ``actor`` and ``change_message``; an edit that
    changes nothing writes nothing. One audit entry (created, or changed with
    the fields named), and a second when the edit switched the rule on or off.
    """
    if len(change_message) > MAX_CHANGE_MESSAGE_LENGTH or "\x00" in change_message:
        raise ValidationError(
            {"change_message": f"Say why in at most {MAX_CHANGE_MESSAGE_LENGTH:,} characters."}
        )
    problems = rule_problems(rule)
    if problems:
        raise ValidationError(problems)
    creating = rule._state.adding
    if creating:
        rule.created_by = actor
        changed = [field for field in RULE_FIELDS if field != "is_active"]
    else:
        # Locked: two editors of one rule each see what the other saved.
        previous = WatchedRule.objects.select_for_update().get(pk=rule.pk)
        changed = [f for f in RULE_FIELDS if getattr(previous, f) != getattr(rule, f)]
        if not changed:
            return rule
    rule.updated_by = actor
    rule._history_user = actor  # read by simple-history for the stored version
    rule._change_reason = change_message
    rule.save()
    record_audit_entry(
        action=AuditEntry.Action.RULE_CREATED if creating else AuditEntry.Action.RULE_CHANGED,
        actor=actor,
        reason=change_message,
        details={"rule_id": rule.pk, "rule_name": rule.name, "fields": changed},
    )
    switched = rule.is_active if creating else "is_active" in changed
    if switched:
        _record_switch(rule, actor=actor, reason=change_message)
    _bump_rules_version()
    return rule


@transaction.atomic
def set_rule_active(
    rule: WatchedRule, *, actor: AbstractBaseUser | None, active: bool
) -> WatchedRule:
    """Switch ``rule`` on or off as ``actor`` (nothing written when it already is)."""
    rule = WatchedRule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_active == active:
        return rule
    rule.is_active = active
    rule.updated_by = actor
    rule._history_user = actor
    rule._change_reason = "Switched on" if active else "Switched off"
    rule.save(update_fields=["is_active", "updated_by", "updated_at"])
    _record_switch(rule, actor=actor, reason="")
    _bump_rules_version()
    return rule


def _record_switch(rule: WatchedRule, *, actor: AbstractBaseUser | None, reason: str) -> None:
    record_audit_entry(
        action=AuditEntry.Action.RULE_SWITCHED_ON
        if rule.is_active
        else AuditEntry.Action.RULE_SWITCHED_OFF,
        actor=actor,
        reason=reason,
        details={"rule_id": rule.pk, "rule_name": rule.name},
    )


@dataclass(frozen=True, slots=True)
class ActiveRules:
    """The active rules as the sending path reads them: their matcher, and each
    rule by id (its name, action and refusal message)."""

    matcher: Matcher
    by_id: dict[int, WatchedRule]


def current_rules() -> ActiveRules:
    """The active rules, built once per process and rebuilt when a save has
    replaced the version token (or it expired, or the cache is out: then every
    call builds, which is slower but never stale). No query while the version
    holds: one cache read."""
    global _built
    version = cache.get(RULES_VERSION_KEY)
    if version is None:
        cache.add(RULES_VERSION_KEY, uuid.uuid4().hex, RULES_VERSION_SECONDS)
        version = cache.get(RULES_VERSION_KEY)
    built = _built
    if version is not None and built is not None and built[0] == version:
        return built[1]
    rules = list(WatchedRule.objects.active_rules())
    active = ActiveRules(
        matcher=Matcher.build(rule.as_rule() for rule in rules),
        by_id={rule.pk: rule for rule in rules},
    )
    if version is not None:
        _built = (version, active)
    return active


def current_matcher() -> Matcher:
    """The matcher of the active rules (``current_rules``)."""
    return current_rules().matcher
