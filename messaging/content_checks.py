"""Checks of what people write, run by the sending services (send, reply, edit)
inside their transaction.

Messaging sits below the apps that decide what may be written (``detection``'s
watched-word rules), so it keeps a registry they fill from their
``AppConfig.ready``, as ``jobs`` does for job kinds. A check reads the text
only, before anything is written or locked, and answers with a ``Verdict``:

- ``refusal``: the message is refused with these words to the sender, and
  nothing is written;
- ``act``: called with the saved message in the same transaction, after the
  write; what it writes (a hidden message, a report) commits or rolls back with
  the message. A check that will act makes the sending service lock the
  accounts for update up front, the lock its action takes on the author's
  account (``moderation``'s lock order: the account first), so two sends of one
  person never each hold a share lock the other's action must upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from messaging.models import Message


@dataclass(frozen=True, slots=True)
class Verdict:
    refusal: str = ""
    act: Callable[[Message], object] | None = None


ContentCheck = Callable[[str], Verdict | None]
_checks: list[ContentCheck] = []


def register_content_check(check: ContentCheck) -> None:
    """Run ``check`` on every message people send or edit (once, however often
    ``ready`` runs)."""
    if check not in _checks:
        _checks.append(check)


def check_content(content: str) -> list[Verdict]:
    """The verdicts that act on ``content`` once written; ValidationError (code
    "refused", the check's words) when a check refuses it."""
    verdicts = [verdict for check in _checks if (verdict := check(content)) is not None]
    for verdict in verdicts:
        if verdict.refusal:
            raise ValidationError(verdict.refusal, code="refused")
    return [verdict for verdict in verdicts if verdict.act is not None]


def act_on_message(verdicts: list[Verdict], message: Message) -> None:
    for verdict in verdicts:
        verdict.act(message)
