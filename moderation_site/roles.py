"""Who may do what in the moderators' admin: the one role policy.

Every page the admin site serves is gated by this table (``admin_ext.site``):
its URL says which model and which kind of page it is, the request's method
(and, for a changelist POST, the action named) says what is asked, and the
role of the account says whether it may. A page or an action that is not
listed here is refused to everyone: a page that a third-party admin mixin adds
later stays closed until it is written down below. Django's model permissions
still apply inside what the policy allows (the Moderators group holds
``MODERATOR_PERMISSIONS``, declared below), so a permission granted by hand to
an account never reaches past its role.

Kinds of page (``Page``), per model:

- ``list``: the changelist; ``view``: an object's page (GET);
- ``change``: saving an object's page (POST) or the list's editable rows;
- ``add``, ``delete``, ``history`` (Django's log of changes to an object);
- ``version``: one stored version (django-simple-history, GET), ``revert``:
  saving that page (POST);
- ``export``: django-import-export's export page;
- ``action:<name>``: a changelist action (POST);
- any other name: a page of the model's own (``retry``, ``act``, ...), named as
  its URL name after ``<app>_<model>_``.

Nothing here imports the apps: labels are text, so the settings, the admin and
a data migration can all read it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

MODERATORS_GROUP = "Moderators"


class Role(StrEnum):
    ANONYMOUS = "anonymous"
    USER = "user"  # an account holder of the messaging service, not staff
    STAFF = "staff"  # staff without the Moderators group
    MODERATOR = "moderator"  # staff in the Moderators group
    SUPERUSER = "superuser"  # staff and superuser


class Page(StrEnum):
    LIST = "list"
    VIEW = "view"
    CHANGE = "change"
    ADD = "add"
    DELETE = "delete"
    HISTORY = "history"
    VERSION = "version"
    REVERT = "revert"
    EXPORT = "export"


def action(name: str) -> str:
    """The policy's name of the changelist action ``name``."""
    return f"action:{name}"


NOBODY: frozenset[Role] = frozenset()
SUPERUSERS = frozenset({Role.SUPERUSER})
DESK = frozenset({Role.MODERATOR, Role.SUPERUSER})
ALL_STAFF = frozenset({Role.STAFF, Role.MODERATOR, Role.SUPERUSER})

# Pages of the admin site itself, by URL name.
SITE_PAGES: dict[str, frozenset[Role]] = {
    "index": ALL_STAFF,  # the dashboard: each figure only for those who may see its list
    "app_list": ALL_STAFF,
    "password_change": ALL_STAFF,  # one's own password
    "password_change_done": ALL_STAFF,
    "jsi18n": ALL_STAFF,
    "search": ALL_STAFF,  # the command palette: models one may see
    "autocomplete": DESK,  # the user filters; Django checks the model's permission too
    # "View on site" for any object of any type: the desk links its own pages.
    "view_on_site": NOBODY,
}
# Pages before or outside the role check: the login flow (each does its own
# checks), and the catch-all that answers 404 or the login page.
OPEN_PAGES = frozenset(
    {"login", "logout", "second_factor", "second_factor_setup", "second_factor_recovery_codes"}
)

# What the desk's own read-only records allow: the list, a page, the history.
_READ = {Page.LIST: DESK, Page.VIEW: DESK, Page.HISTORY: DESK}

MODEL_PAGES: dict[str, dict[str, frozenset[Role]]] = {
    "messaging.message": {
        **_READ,
        # Content and read state only, through the messaging services (audited).
        Page.CHANGE: DESK,
        Page.VERSION: DESK,
        # Never: an edit goes through edit_message, so its history names the editor.
        Page.REVERT: NOBODY,
        Page.EXPORT: DESK,
        action("mark_as_read"): DESK,
        action("mark_as_unread"): DESK,
        # Acting on a message from its page or the list, through moderation.services
        # (moderation.change_case, audited): hide, restore, warn its author, flag it
        # into its author's open case.
        "hide": DESK,
        "restore": DESK,
        "warn": DESK,
        "open_case": DESK,
        action("hide_messages"): DESK,
        action("restore_messages"): DESK,
        action("warn_authors"): DESK,
        action("open_cases"): DESK,
    },
    "messaging.messagehistory": {**_READ, Page.EXPORT: DESK},
    "auth.user": {
        **_READ,
        Page.VERSION: DESK,
        Page.EXPORT: DESK,
        # Ordinary accounts only; deletion_refusal says which, per account.
        Page.DELETE: DESK,
        "delete_account_detail": DESK,
        action("delete_accounts"): DESK,
        # A person's page acts on the account through moderation's services
        # (moderation.change_case; staff accounts only for superusers).
        "warn": DESK,
        "suspend": DESK,
        "lift_suspension": DESK,
        # Changing accounts, their passwords, groups and permissions: superusers,
        # on every path (a stored version's page saves a whole account too).
        Page.CHANGE: SUPERUSERS,
        Page.ADD: SUPERUSERS,
        Page.REVERT: SUPERUSERS,
        "password_change": SUPERUSERS,
        "reset_second_factor": SUPERUSERS,
    },
    "auth.group": {
        Page.LIST: SUPERUSERS,
        Page.VIEW: SUPERUSERS,
        Page.HISTORY: SUPERUSERS,
        Page.CHANGE: SUPERUSERS,
        Page.ADD: SUPERUSERS,
        Page.DELETE: SUPERUSERS,
        action("delete_selected"): SUPERUSERS,
    },
    "audit.auditentry": {**_READ, Page.EXPORT: DESK},
    "jobs.job": {
        **_READ,
        # Their starter or a superuser, per job (JobAdmin.may_act_on).
        "retry": DESK,
        "download": DESK,
        action("retry_jobs"): DESK,
    },
    "moderation.case": {
        **_READ,
        "act": DESK,
        "restore": DESK,
        "lift": DESK,
        "add_note": DESK,
        "add_user_note": DESK,
        action("act_on_cases"): DESK,
        # Claiming (moderation.claims): a release of someone else's claim is the
        # superuser's, decided per case by release_case.
        "claim": DESK,
        "release": DESK,
        action("claim_cases"): DESK,
        "retention": SUPERUSERS,
    },
    # A person's sanctions (moderation.sanctions): read here; imposed, lifted and
    # ended from a case, a message or a person's page.
    "moderation.sanction": {Page.LIST: DESK, Page.VIEW: DESK},
    # The appeals queue (moderation.appeals). Who may decide one appeal is
    # may_decide_appeal below: the page is open to the desk, the decision is not.
    "moderation.appeal": {
        **_READ,
        "ask": DESK,
        "decide": DESK,
    },
    # Watched-word rules (detection): the desk reads them and their versions.
    # Writing one is open to the desk here, but Django's permission decides:
    # the group holds view only, a superuser gives add/change_watchedrule to
    # chosen moderators (PERMISSIONS_GIVEN_BY_HAND). A rule changes only through
    # detection.services.save_rule, never by reverting to a version, and is
    # switched off rather than deleted (its history stays).
    "detection.watchedrule": {
        **_READ,
        Page.VERSION: DESK,
        Page.ADD: DESK,
        Page.CHANGE: DESK,
        Page.REVERT: NOBODY,
        action("switch_on"): DESK,
        action("switch_off"): DESK,
        # Backtesting only reads past messages: any moderator, writer or not.
        "backtest": DESK,
    },
    # django-tasks-db's own admin: the task queue's rows, for superusers to look at.
    "django_tasks_database.dbtaskresult": {Page.LIST: SUPERUSERS, Page.VIEW: SUPERUSERS},
}


# The Moderators group's Django permissions, as (app label, codename): exactly
# what the group holds, set by moderation/migrations/0005_moderators_permissions
# (the one migration that decides; earlier ones that granted piecemeal are
# history). The policy above is the ceiling: a page it closes to moderators stays
# closed whatever they hold. These are what Django checks inside it (the admin's
# view/change/delete, django-import-export's ``export_<model>``, the services'
# has_perm), so every page the policy opens to moderators needs its permission
# here (tests/test_roles.py checks that), and nothing here opens a page by itself.
MODERATOR_PERMISSIONS: frozenset[tuple[str, str]] = frozenset(
    {
        # Messages: read, edit through edit_message and mark read, export.
        ("messaging", "view_message"),
        ("messaging", "change_message"),
        ("messaging", "export_message"),
        ("messaging", "view_historicalmessage"),  # a message's stored versions
        ("messaging", "view_messagehistory"),
        ("messaging", "export_messagehistory"),
        ("messaging", "view_notification"),  # the notifications inline on a message's page
        # Accounts: read, delete ordinary ones (deletion_refusal says which), export.
        ("auth", "view_user"),
        ("auth", "delete_user"),
        ("auth", "export_user"),
        ("audit", "view_historicaluser"),  # an account's stored versions
        ("audit", "view_auditentry"),
        ("audit", "export_auditentry"),
        ("jobs", "view_job"),  # retrying or downloading also needs to be the starter
        # The review queue: acting on a case is changing it; notes are read and written.
        ("moderation", "view_case"),
        ("moderation", "change_case"),
        ("moderation", "view_report"),
        ("moderation", "view_note"),
        ("moderation", "add_note"),
        # Sanctions and appeals: read; deciding an appeal is changing it.
        ("moderation", "view_sanction"),
        ("moderation", "view_appeal"),
        ("moderation", "change_appeal"),
        # Watched-word rules: read, with their versions; writing is given by hand.
        ("detection", "view_watchedrule"),
        ("detection", "view_historicalwatchedrule"),
    }
)

# Permissions the policy's pages need that the group does not hold: a superuser
# gives them to chosen moderators ("moderators with a permission" write rules).
PERMISSIONS_GIVEN_BY_HAND: frozenset[tuple[str, str]] = frozenset(
    {
        ("detection", "add_watchedrule"),
        ("detection", "change_watchedrule"),
    }
)


def overrides_claims(user: Any) -> bool:
    """Whether ``user`` acts on a case another moderator holds without confirming,
    and releases anyone's claim (moderation.claims): superusers."""
    return role_of(user) is Role.SUPERUSER


def may_decide_appeal(user: Any, *, imposed_by_id: int | None, appellant_id: int) -> bool:
    """Four eyes: the moderator who imposed a sanction does not decide its appeal
    (nor ask its question); another moderator does. A superuser may override and
    decide their own. A sanction whose imposer was deleted is anyone's. Nobody,
    a superuser neither, decides an appeal of their own (moderators can be warned)."""
    role = role_of(user)
    if user.pk == appellant_id:
        return False
    if role is Role.SUPERUSER:
        return True
    return role is Role.MODERATOR and (imposed_by_id is None or imposed_by_id != user.pk)


def role_of(user: Any) -> Role:
    """The role of ``user`` (``request.user``); the group is looked up once per
    user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.ANONYMOUS
    if not user.is_staff:
        return Role.USER
    if user.is_superuser:
        return Role.SUPERUSER
    cached = getattr(user, "_desk_role", None)
    if cached is None:
        in_group = user.groups.filter(name=MODERATORS_GROUP).exists()
        cached = user._desk_role = Role.MODERATOR if in_group else Role.STAFF
    return cached


def site_page_allows(role: Role, name: str | None) -> bool:
    return role in SITE_PAGES.get(name or "", NOBODY)


def model_page_allows(role: Role, model_label: str, page: str) -> bool:
    return role in MODEL_PAGES.get(model_label, {}).get(page, NOBODY)


def allows(user: Any, model_label: str, page: str) -> bool:
    """Whether ``user``'s role may reach ``page`` of ``model_label``."""
    return model_page_allows(role_of(user), model_label, page)
