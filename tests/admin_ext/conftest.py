"""Fixtures of the appeals admin attacks: kim, a moderator who warned alice, and
alice's appeal of it. A module defining fixtures of these names keeps its own."""

from __future__ import annotations

import pytest

from moderation.models import Sanction
from moderation.services import file_appeal, warn_user
from tests.factories import ModeratorFactory


@pytest.fixture
def kim(db):
    return ModeratorFactory(username="kim")


@pytest.fixture
def warning_appeal(alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop the links.")
    return file_appeal(Sanction.objects.get(), user=alice, text="They were my own links.")
