"""Every write of the messaging domain. Views, the admin, commands and signal
receivers call these; none re-implements them."""

from messaging.services.account_deletion_preview import (
    PREVIEW_COUNT_AT_MOST,
    AccountDeletionPreview,
    preview_account_deletions,
    preview_account_deletions_together,
)
from messaging.services.account_erasure import AccountDeletionSummary, erase_account_content
from messaging.services.accounts import (
    AccountAlreadyDeleted,
    AccountDeletionOutcome,
    delete_account,
    delete_accounts,
    deletion_refusal,
    record_account_deletion,
    save_account,
)
from messaging.services.messages import (
    acknowledge_warning,
    edit_message,
    mark_read,
    mark_thread_read,
    notify_receiver,
    record_edit_history,
    reply,
    send_message,
    set_message_hidden,
    set_read_state,
    validate_message,
    withdraw_notification,
)

__all__ = [
    "PREVIEW_COUNT_AT_MOST",
    "AccountAlreadyDeleted",
    "AccountDeletionOutcome",
    "AccountDeletionPreview",
    "AccountDeletionSummary",
    "acknowledge_warning",
    "delete_account",
    "delete_accounts",
    "deletion_refusal",
    "edit_message",
    "erase_account_content",
    "mark_read",
    "mark_thread_read",
    "notify_receiver",
    "preview_account_deletions",
    "preview_account_deletions_together",
    "record_account_deletion",
    "record_edit_history",
    "reply",
    "save_account",
    "send_message",
    "set_message_hidden",
    "set_read_state",
    "validate_message",
    "withdraw_notification",
]
