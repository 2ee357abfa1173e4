"""messaging.jobs: the account-deletion job kind messaging adds to the jobs runner."""

from jobs.handlers import HANDLERS
from jobs.models import Job
from messaging.jobs import run_account_deletion


def test_messaging_registers_the_account_deletion_handler_at_start_up():
    assert HANDLERS[Job.Kind.ACCOUNT_DELETION] is run_account_deletion
