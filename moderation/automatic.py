"""What a watched-word rule does to a message as it is sent or edited: flag it
into its author's open case, or hide it until a moderator reviews it (and flag
it, so that one does).

``detection.enforcement`` calls these inside the sending transaction, through
messaging's content checks, after the message is written: they commit or roll
back with it. Each is audited like a moderator's action, with no actor and the
rule named where the moderator would be ("automatic · rule “name”"), never the
matched words (the audit log keeps no message text). Its report has no reporter
and names the rule, with what it matched as evidence; its hide is a sanction
like a moderator's, appealed and reversed the same way, which any moderator
decides (nobody imposed it: ``roles.may_decide_appeal``).

Rules act on people, not on staff: a staff account's message is left to the
superusers, who alone act on staff (``messaging.services.deletion_refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.services import set_message_hidden, withdraw_notification
from moderation.models import Case, Report, Sanction, automatic_name
from moderation.reports import join_open_case
from moderation.service_support import lock_account

if TYPE_CHECKING:
    from messaging.models import Message

# The matched words kept as evidence: enough to see why, not a copy of a flood.
MAX_MATCHES_KEPT = 20


@dataclass(frozen=True, slots=True)
class RuleFinding:
    """What a rule found in a message: the rule, and (start, end, text) of each
    match in the message as written."""

    rule_id: int
    rule_name: str
    matches: tuple[tuple[int, int, str], ...]

    def as_evidence(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "matches": [
                {"start": start, "end": end, "text": text}
                for start, end, text in self.matches[:MAX_MATCHES_KEPT]
            ],
        }


def flag_message_automatically(message: Message, finding: RuleFinding) -> Report | None:
    """Put ``message`` in its author's open case as the rule's report; None when
    it is not acted on (a staff author, the account gone, or flagged by a rule
    already)."""
    return _act(message, finding, hide=False)


def hide_message_automatically(message: Message, finding: RuleFinding) -> Report | None:
    """Hide ``message`` from people and flag it; None when it is not acted on."""
    return _act(message, finding, hide=True)


@transaction.atomic
def _act(message: Message, finding: RuleFinding, *, hide: bool) -> Report | None:
    author = lock_account(message.sender_id)  # the lock order: the account first
    if author is None or author.is_staff or message.is_tombstone:
        return None
    # One rule's report a message in an open case: an edit matching again adds
    # nothing, except a hide where there was only a flag.
    earlier = Report.objects.filter(
        reported_message_id=message.pk, rule_id__isnull=False, case__status=Case.Status.OPEN
    ).first()
    if earlier is not None and not hide:
        return None
    report = earlier or join_open_case(
        author,
        reporter=None,
        message=message,
        reason=Report.Reason.OTHER,
        comment="",
        automatic=finding.as_evidence(),
    )
    hidden = hide and set_message_hidden(message, hidden=True)
    if earlier is not None and not hidden:
        return None
    if hidden:
        withdraw_notification(message)
        Sanction.objects.create(
            user_id=author.pk,
            kind=Sanction.Kind.HIDE,
            case_id=report.case_id,
            message_id=message.pk,
            rule_name=finding.rule_name,
        )
    record_audit_entry(
        action=AuditEntry.Action.MESSAGE_HIDDEN if hidden else AuditEntry.Action.MESSAGE_FLAGGED,
        actor=None,
        actor_username=automatic_name(finding.rule_name),
        target_user_id=author.pk,
        target_username=author.get_username(),
        case_id=report.case_id,
        reason=f"Watched-word rule “{finding.rule_name}”",
        details={
            "message_id": message.pk,
            "report_id": report.pk,
            "rule_id": finding.rule_id,
            "rule_name": finding.rule_name,
        },
    )
    return report
