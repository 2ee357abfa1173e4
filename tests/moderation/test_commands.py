"""manage.py purge_expired_evidence."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from moderation import services
from moderation.models import Case, Report
from tests.factories import reported_message

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
