"""Fixtures of the appeal attacks: kim, a moderator who warned or suspended alice,
and alice's appeal. A module defining fixtures of these names keeps its own."""

from __future__ import annotations

import pytest

from moderation.models import Sanction
from moderation.services import file_appeal, suspend_user, warn_user
from tests.factories import ModeratorFactory
from tests.moderation.appeal_attack_support import SECRET_WORDS


@pytest.fixture
def kim(db):
    return ModeratorFactory(username="kimthemoderator")


@pytest.fixture
def warning(alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop sending links.")
    return Sanction.objects.get(kind=Sanction.Kind.WARN)


@pytest.fixture
def appeal(alice, warning):
    return file_appeal(warning, user=alice, text=SECRET_WORDS)


@pytest.fixture
def suspended(alice, kim):
    suspend_user(alice, moderator=kim, reason="spam")
    alice.refresh_from_db()
    return Sanction.objects.get(kind=Sanction.Kind.SUSPEND)
