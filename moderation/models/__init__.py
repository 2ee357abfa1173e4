"""The moderation app's models: reports, cases and notes (``cases``), and the
sanctions a person is under with their appeals (``sanctions``)."""

from moderation.models.cases import (
    DELETED_ACCOUNT,
    MAX_COMMENT_LENGTH,
    MAX_NOTE_LENGTH,
    Case,
    Note,
    Report,
    automatic_name,
)
from moderation.models.sanctions import MAX_APPEAL_LENGTH, Appeal, Sanction

__all__ = [
    "DELETED_ACCOUNT",
    "MAX_APPEAL_LENGTH",
    "MAX_COMMENT_LENGTH",
    "MAX_NOTE_LENGTH",
    "Appeal",
    "Case",
    "Note",
    "Report",
    "Sanction",
    "automatic_name",
]
