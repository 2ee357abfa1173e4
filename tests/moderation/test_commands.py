"""manage.py purge_expired_evidence and lift_expired_sanctions."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from moderation import services
from moderation.models import Case, Report, Sanction
from tests.factories import SanctionFactory, reported_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired_case(moderator):
    report = reported_message()
    services.act_on_case(report.case, moderator=moderator, actions=["dismiss"], reason="r")
    Case.objects.filter(pk=report.case.pk).update(retain_until=timezone.now() - timedelta(days=1))
    return report.case


def run(*args: str) -> str:
    out = StringIO()
    call_command("purge_expired_evidence", *args, stdout=out)
    return out.getvalue()


def test_dry_run_counts_and_deletes_nothing(expired_case):
    assert run("--dry-run").strip() == "1 case past retention."
    assert Case.objects.filter(pk=expired_case.pk).exists()


def test_it_purges_expired_cases_and_can_run_again(expired_case):
    open_case = reported_message().case

    assert "Purged the evidence of 1 case." in run()
    assert "Purged the evidence of 0 cases." in run()
    assert list(Case.objects.all()) == [open_case]
    assert list(Report.objects.values_list("case", flat=True)) == [open_case.pk]


# --- manage.py lift_expired_sanctions ------------------------------------------------------


def lift(*args: str) -> str:
    out = StringIO()
    call_command("lift_expired_sanctions", *args, stdout=out)
    return out.getvalue()


def test_lift_dry_run_counts_and_ends_nothing(alice, bob, moderator):
    ends_at = timezone.now() - timedelta(minutes=1)
    SanctionFactory(user=alice, imposed_by=moderator, ends_at=ends_at)
    SanctionFactory(user=bob, imposed_by=moderator, ends_at=None)

    assert lift("--dry-run").strip() == "1 sanction due to end."
    assert Sanction.objects.active().count() == 2


def test_lift_ends_what_is_due_says_how_many_and_can_run_again(alice, bob, moderator):
    ends_at = timezone.now() - timedelta(minutes=1)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    SanctionFactory(user=alice, imposed_by=moderator, ends_at=ends_at)
    SanctionFactory(user=bob, kind=Sanction.Kind.WARN, imposed_by=moderator, ends_at=ends_at)
    SanctionFactory(user=bob, kind=Sanction.Kind.WARN, imposed_by=moderator, ends_at=None)

    assert "Ended 2 sanctions on time." in lift()
    assert "Ended 0 sanctions on time." in lift()
    alice.refresh_from_db()
    assert alice.is_active
    assert Sanction.objects.active().count() == 1


def test_lift_takes_every_batch_in_one_run(alice, moderator):
    ends_at = timezone.now() - timedelta(minutes=1)
    SanctionFactory.create_batch(
        3, user=alice, kind=Sanction.Kind.WARN, imposed_by=moderator, ends_at=ends_at
    )

    with mock.patch("moderation.sanctions.LIFT_BATCH", 2):
        assert "Ended 3 sanctions on time." in lift()


def test_lift_refuses_an_unknown_argument_clearly():
    with pytest.raises(CommandError, match="unrecognized arguments: --everything"):
        lift("--everything")
