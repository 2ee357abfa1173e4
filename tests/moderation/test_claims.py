"""Claiming cases (moderation/claims.py): a claim, its refusal while held, its
lapse after CLAIM_MINUTES, its renewal by the holder's actions, its release,
the confirmation another moderator's action needs, and the audit entries.
Two claims at once on PostgreSQL: tests/moderation/test_concurrency.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from messaging.services import delete_account
from moderation import services
from moderation.models import Case
from moderation.services import CaseAction, claim_case, claim_of, release_case
from tests.factories import ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)


@pytest.fixture
def case(alice):
    return reported_message(author=alice).case


@pytest.fixture
def other_moderator(db):
    return ModeratorFactory(username="other_moderator")


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the services read when not given ``now=``."""

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def claims(case: Case) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(
            case_id=case.pk,
            action__in=[AuditEntry.Action.CASE_CLAIMED, AuditEntry.Action.CASE_RELEASED],
        )
        .order_by("id")
        .values_list("action", "actor_username")
    )


def test_a_moderator_claims_an_open_case(case, moderator):
    claim = claim_case(case, moderator=moderator, now=START)

    case.refresh_from_db()
    assert (case.claimed_by, case.claimed_at) == (moderator, START)
    assert claim.holder_id == moderator.pk
    assert claim.until == START + timedelta(minutes=30)
    assert claim_of(case, now=START + timedelta(minutes=29)).holder_name == moderator.username
    assert claims(case) == [("case_claimed", moderator.username)]


def test_a_claim_held_by_another_is_refused_naming_them_and_since_when(
    case, moderator, other_moderator
):
    claim_case(case, moderator=moderator, now=START)

    with pytest.raises(ValidationError) as refused:
        claim_case(case, moderator=other_moderator, now=START + timedelta(minutes=10))

    assert moderator.username in refused.value.messages[0]
    assert START.strftime("%Y-%m-%d %H:%M") in refused.value.messages[0]
    case.refresh_from_db()
    assert case.claimed_by == moderator
    assert claims(case) == [("case_claimed", moderator.username)]


def test_claiming_ones_own_claim_again_renews_it_without_a_new_entry(case, moderator):
    claim_case(case, moderator=moderator, now=START)
    claim = claim_case(case, moderator=moderator, now=START + timedelta(minutes=20))

    assert claim.until == START + timedelta(minutes=50)
    assert len(claims(case)) == 1


def test_a_claim_lapses_after_claim_minutes_and_another_may_take_it(
    case, moderator, other_moderator
):
    claim_case(case, moderator=moderator, now=START)
    case.refresh_from_db()

    assert claim_of(case, now=START + timedelta(minutes=30)) is None
    claim_case(case, moderator=other_moderator, now=START + timedelta(minutes=30))

    case.refresh_from_db()
    assert case.claimed_by == other_moderator
    entry = AuditEntry.objects.filter(case_id=case.pk).order_by("-id").first()
    assert entry.details == {"lapsed_claim_of": moderator.pk}  # an id, never a name


def test_claim_minutes_comes_from_the_settings(case, moderator, settings):
    settings.CLAIM_MINUTES = 5
    claim_case(case, moderator=moderator, now=START)
    case.refresh_from_db()

    assert claim_of(case, now=START + timedelta(minutes=4)) is not None
    assert claim_of(case, now=START + timedelta(minutes=5)) is None


def test_an_action_of_the_holder_renews_the_claim(case, moderator, clock):
    claim_case(case, moderator=moderator, now=START)
    case.refresh_from_db()  # as a request reads it
    clock(START + timedelta(minutes=25))
    services.add_note(author=moderator, text="Looking into it", case=case)

    case.refresh_from_db()
    assert case.claimed_at == START + timedelta(minutes=25)
    assert claim_of(case, now=START + timedelta(minutes=50)) is not None


def test_acting_on_a_case_renews_the_claim_of_its_holder(case, moderator, clock):
    claim_case(case, moderator=moderator, now=START)
    clock(START + timedelta(minutes=25))

    services.act_on_case(
        case, moderator=moderator, actions=[CaseAction.WARN], reason="r", warning="w", close=False
    )

    case.refresh_from_db()
    assert case.claimed_at == START + timedelta(minutes=25)


def test_an_action_of_someone_else_does_not_renew_the_claim(
    case, moderator, other_moderator, clock
):
    claim_case(case, moderator=moderator, now=START)
    case.refresh_from_db()
    clock(START + timedelta(minutes=25))
    services.add_note(author=other_moderator, text="Seen", case=case)

    case.refresh_from_db()
    assert case.claimed_at == START


def test_acting_on_a_case_another_holds_needs_confirmation(case, moderator, other_moderator):
    claim_case(case, moderator=moderator)

    with pytest.raises(ValidationError) as refused:
        services.act_on_case(
            case, moderator=other_moderator, actions=[CaseAction.DISMISS], reason="Nothing"
        )

    assert refused.value.code == "claimed"
    assert moderator.username in refused.value.messages[0]
    case.refresh_from_db()
    assert case.is_open
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.CASE_DISMISSED).exists()


def test_a_confirmed_action_on_a_held_case_runs(case, moderator, other_moderator):
    claim_case(case, moderator=moderator)

    services.act_on_case(
        case,
        moderator=other_moderator,
        actions=[CaseAction.DISMISS],
        reason="Nothing",
        despite_claim=True,
    )

    case.refresh_from_db()
    assert not case.is_open
    assert claim_of(case) is None  # a closed case has no claim


def test_a_superuser_acts_on_a_held_case_without_confirmation(case, moderator, superuser):
    claim_case(case, moderator=moderator)

    services.act_on_case(case, moderator=superuser, actions=[CaseAction.DISMISS], reason="Spam")

    case.refresh_from_db()
    assert not case.is_open


def test_the_holder_acts_without_confirmation(case, moderator):
    claim_case(case, moderator=moderator)

    services.act_on_case(case, moderator=moderator, actions=[CaseAction.DISMISS], reason="Fine")

    case.refresh_from_db()
    assert not case.is_open


def test_a_lapsed_claim_needs_no_confirmation(case, moderator, other_moderator):
    claim_case(case, moderator=moderator, now=timezone.now() - timedelta(minutes=31))

    services.act_on_case(case, moderator=other_moderator, actions=[CaseAction.DISMISS], reason="x")

    case.refresh_from_db()
    assert not case.is_open


def test_the_holder_releases_their_claim(case, moderator):
    claim_case(case, moderator=moderator)

    release_case(case, moderator=moderator)

    case.refresh_from_db()
    assert (case.claimed_by, case.claimed_at) == (None, None)
    assert claims(case) == [
        ("case_claimed", moderator.username),
        ("case_released", moderator.username),
    ]


def test_another_moderator_cannot_release_a_claim(case, moderator, other_moderator):
    claim_case(case, moderator=moderator)

    with pytest.raises(ValidationError, match="only they or a superuser"):
        release_case(case, moderator=other_moderator)

    case.refresh_from_db()
    assert case.claimed_by == moderator


def test_a_superuser_releases_anyones_claim(case, moderator, superuser):
    claim_case(case, moderator=moderator)

    release_case(case, moderator=superuser)

    case.refresh_from_db()
    assert case.claimed_by is None
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.CASE_RELEASED).get()
    assert (entry.actor, entry.details) == (superuser, {"holder": moderator.username})


def test_releasing_an_unclaimed_case_is_refused(case, moderator):
    with pytest.raises(ValidationError, match="not claimed"):
        release_case(case, moderator=moderator)


def test_a_closed_case_cannot_be_claimed(case, moderator):
    services.act_on_case(case, moderator=moderator, actions=[CaseAction.DISMISS], reason="x")

    with pytest.raises(ValidationError, match="closed"):
        claim_case(case, moderator=moderator)
    assert claims(case) == []


def test_a_case_gone_meanwhile_cannot_be_claimed(case, moderator):
    Case.objects.filter(pk=case.pk).delete()

    with pytest.raises(ValidationError, match="no longer exists"):
        claim_case(case, moderator=moderator)


def test_claiming_needs_the_permission_to_act_on_cases(case):
    with pytest.raises(PermissionDenied):
        claim_case(case, moderator=UserFactory(is_staff=True))
    with pytest.raises(PermissionDenied):
        release_case(case, moderator=UserFactory(is_staff=True))


def test_the_claimants_account_deletion_ends_the_claim(case, other_moderator, superuser):
    claim_case(case, moderator=other_moderator)

    delete_account(other_moderator, actor=superuser, reason="left")

    case.refresh_from_db()
    assert claim_of(case) is None
