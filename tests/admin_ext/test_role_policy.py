"""The role policy, tested from the outside: every URL pattern the admin site
serves, for every role, with GET and POST, against what ``moderation_site.roles``
says.

The patterns come from ``admin.site.get_urls()`` (the URL resolver), not from a
list: a page that Django, django-simple-history, django-import-export, unfold
or the desk adds is walked as soon as it exists. Each request runs in a
savepoint rolled back afterwards, so one role's POST cannot change what the
next one finds. An answer the policy allows must be neither a 403 nor the
login page; one it refuses must be the login page (not signed in to the admin)
or a 403; none may be a server error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLResolver, reverse

from admin_ext.site import requested_pages
from audit.models import AuditEntry
from audit.services import record_audit_entry
from detection.models import WatchedRule
from detection.services import save_rule
from jobs.models import Job
from jobs.tasks import run_job
from messaging import services
from messaging.models import Message, MessageHistory
from moderation.services import CaseAction, act_on_case
from moderation_site import roles
from moderation_site.roles import Role
from tests.factories import (
    AppealFactory,
    MessageFactory,
    ModeratorFactory,
    SanctionFactory,
    SuperuserFactory,
    UserFactory,
    reported_message,
)
from tests.jobs.factories import JobFactory

pytestmark = pytest.mark.django_db

ROLES = tuple(Role)
LOGIN_URL = reverse("admin:login")
# Kinds of model page Django and the libraries name; any other suffix must be
# written in the policy (a decision, not an accident).
KNOWN_SUFFIXES = {"changelist", "add", "change", "delete", "history", "simple_history", "export"}
# What a page needs in its query string to be itself (a bare autocomplete request
# is refused by Django as malformed, which says nothing about the policy).
QUERIES = {
    "autocomplete": {
        "app_label": "messaging",
        "model_name": "message",
        "field_name": "sender",
        "term": "a",
    },
    "search": {"s": "mess"},
}


@dataclass(frozen=True)
class AdminPage:
    route: str  # the pattern as the resolver holds it
    name: str | None
    model_label: str | None  # None: a page of the site itself
    suffix: str | None  # the URL name after "<app>_<model>_", or the site page's name

    @property
    def id(self) -> str:
        return f"{self.model_label or 'site'}:{self.suffix or self.route}"


def admin_pages() -> list[AdminPage]:
    pages = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
                continue
            model_label, suffix = entry.callback.desk_policy
            pages.append(AdminPage(prefix + str(entry.pattern), entry.name, model_label, suffix))

    walk(admin.site.get_urls(), "")
    return pages


PAGES = admin_pages()


# --- a world in which every page has something to show --------------------------------


@pytest.fixture
def world(db):
    accounts = {
        Role.USER: UserFactory(username="plain"),
        Role.STAFF: UserFactory(username="staff", is_staff=True),
        Role.MODERATOR: ModeratorFactory(username="mod"),
        Role.SUPERUSER: SuperuserFactory(username="root"),
    }
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    message = MessageFactory(sender=alice, receiver=bob, content="Hello")
    services.edit_message(message, editor=alice, content="Hello again")
    alice.first_name = "Alice"
    alice.save()  # a stored version of the account
    case = reported_message(author=alice, reporter=bob).case
    closed = reported_message(author=UserFactory(username="dora"), reporter=bob).case
    act_on_case(
        closed, moderator=accounts[Role.MODERATOR], actions=[CaseAction.DISMISS], reason="ok"
    )
    job = JobFactory(
        kind=Job.Kind.EXPORT,
        status=Job.Status.FAILED,
        started_by=accounts[Role.MODERATOR],  # its starter may retry it
        params={"model": "messaging.message"},
    )
    task = run_job.enqueue(job.pk)
    # Imposed by the superuser: the moderator may decide it (four eyes), and the
    # superuser may override.
    appeal = AppealFactory(sanction__user=alice, sanction__imposed_by=accounts[Role.SUPERUSER])
    # The policy opens writing rules to the desk and Django's permission decides:
    # this moderator is one a superuser gave it to.
    accounts[Role.MODERATOR].user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="detection",
            codename__in=["add_watchedrule", "change_watchedrule"],
        )
    )
    rule = save_rule(
        WatchedRule(name="Threats", kind="words", words="kill you"),
        actor=accounts[Role.MODERATOR],
    )
    ids = {
        "messaging.message": message.pk,
        "messaging.messagehistory": MessageHistory.objects.get().pk,
        "auth.user": alice.pk,
        "auth.group": Group.objects.get(name=roles.MODERATORS_GROUP).pk,
        "audit.auditentry": record_audit_entry(
            action=AuditEntry.Action.ACCOUNT_DELETED, actor=None
        ).pk,
        "jobs.job": job.pk,
        "moderation.case": case.pk,
        "moderation.sanction": SanctionFactory(user=alice, case=case).pk,
        "moderation.appeal": appeal.pk,
        "detection.watchedrule": rule.pk,
        "django_tasks_database.dbtaskresult": str(task.id),
    }
    versions = {
        "messaging.message": Message.versions.filter(id=message.pk).first().history_id,
        "auth.user": alice.versions.first().history_id,
        "detection.watchedrule": rule.history.get().history_id,
    }
    return {"accounts": accounts, "ids": ids, "versions": versions, "message": message}


def concrete_url(page: AdminPage, world: dict) -> str:
    """The page's URL with every parameter filled from ``world``."""
    ids = world["ids"]
    object_id = str(ids.get(page.model_label, 1))
    values = {
        "object_id": object_id,
        "id": object_id,
        "user_id": str(ids["auth.user"]),
        "content_type_id": str(ContentType.objects.get_for_model(Message).pk),
        "app_label": "messaging",
        "url": "no-such-page/",
    }
    path = page.route.removeprefix("^").removesuffix("$")
    # A (?P<name>...) or <converter:name> takes its value by name.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: values[match.group(1)], path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], path)
    # simple-history's version page: two unnamed groups, the object and the version.
    positional = iter([object_id, str(world["versions"].get(page.model_label, 1))])
    path = re.sub(r"\([^)]*\)", lambda _match: next(positional), path)
    return "/admin/" + path


def client_for(role: Role, world: dict) -> Client:
    client = Client()
    if role != Role.ANONYMOUS:
        client.force_login(world["accounts"][role])
    return client


def action_names(page: AdminPage) -> list[str]:
    """Every action a changelist could be asked for: those its ModelAdmin
    declares, those the policy names, and Django's delete_selected."""
    model_admin = next(
        admin_ for model, admin_ in admin.site._registry.items()
        if model._meta.label_lower == page.model_label
    )  # fmt: skip
    declared = {name for name in (model_admin.actions or ()) if isinstance(name, str)}
    in_policy = {
        page_name.removeprefix("action:")
        for page_name in roles.MODEL_PAGES.get(page.model_label, {})
        if page_name.startswith("action:")
    }
    return sorted(declared | in_policy | {"delete_selected"})


def expected_allowed(page: AdminPage, role: Role, method: str, data: dict) -> bool:
    if page.model_label is None:
        if page.suffix in roles.OPEN_PAGES or page.suffix is None:
            return True
        return roles.site_page_allows(role, page.suffix)
    request = getattr(RequestFactory(), method.lower())("/", data)
    return all(
        roles.model_page_allows(role, page.model_label, asked)
        for asked in requested_pages(page.suffix, request)
    )


def check_answer(
    page: AdminPage, role: Role, method: str, data: dict, world: dict, client: Client
) -> None:
    url = concrete_url(page, world)
    with transaction.atomic():
        response = getattr(client, method.lower())(url, data)
        transaction.set_rollback(True)
    where = f"{method} {url} {data} as {role}"
    assert response.status_code < 500, where
    went_to_login = response.status_code == 302 and response["Location"].startswith(LOGIN_URL)
    if expected_allowed(page, role, method, data):
        assert response.status_code != 403, f"{where}: refused, the policy allows it"
        if page.model_label is not None or page.suffix not in roles.OPEN_PAGES | {None}:
            assert not went_to_login, f"{where}: sent to log in, the policy allows it"
    elif role in (Role.ANONYMOUS, Role.USER):
        assert went_to_login, f"{where}: answered {response.status_code}, not the login page"
    else:
        assert response.status_code == 403, f"{where}: answered {response.status_code}, not 403"


# --- the walk ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=[page.id for page in PAGES])
def test_every_admin_page_answers_each_role_as_the_policy_says(world, page):
    for role in ROLES:
        client = client_for(role, world)
        check_answer(page, role, "GET", QUERIES.get(page.suffix, {}), world, client)
        check_answer(page, role, "POST", {}, world, client)
        if page.suffix == "changelist":
            for name in action_names(page):
                data = {
                    "action": name,
                    "index": "0",
                    "_selected_action": [world["ids"][page.model_label]],
                }
                check_answer(page, role, "POST", data, world, client)


def test_the_walk_covers_every_pattern_of_every_registered_model():
    walked = {page.model_label for page in PAGES if page.model_label}
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert walked == registered
    # A page unknown to Django's own naming is a decision written in the policy.
    for page in PAGES:
        if page.model_label and page.suffix not in KNOWN_SUFFIXES | {None}:
            assert page.suffix in roles.MODEL_PAGES.get(page.model_label, {}), page.id


def test_every_site_page_is_open_or_in_the_policy():
    for page in PAGES:
        if page.model_label is None and page.suffix is not None:
            assert page.suffix in roles.OPEN_PAGES | set(roles.SITE_PAGES), page.id
