"""The Watched words admin: the desk reads rules, moderators given the
permission write them through save_rule (every refusal on its field, the input
kept), switching is a POST, versions are read-only, hostile input is a form
error and never a server error."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEntry
from detection.models import WatchedRule
from detection.services import save_rule
from tests.factories import ModeratorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:detection_watchedrule_changelist")
ADD = reverse("admin:detection_watchedrule_add")


def change_url(rule: WatchedRule) -> str:
    return reverse("admin:detection_watchedrule_change", args=[rule.pk])


def grant_rule_writing(user) -> None:
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="detection",
            codename__in=["add_watchedrule", "change_watchedrule"],
        )
    )


@pytest.fixture
def writer_client(client, moderator):
    grant_rule_writing(moderator)
    client.force_login(moderator)
    return client


@pytest.fixture
def rule(superuser) -> WatchedRule:
    return save_rule(WatchedRule(name="Threats", kind="words", words="kill you"), actor=superuser)


def form_data(**fields) -> dict[str, str]:
    return {
        "name": "Links",
        "kind": "regex",
        "words": "",
        "pattern": r"https?://bad\.example",
        "action": "flag",
        "refusal_message": "",
        "change_message": "",
        **fields,
    }


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


# --- reading and writing by permission ------------------------------------------------------


def test_the_moderators_group_reads_rules_and_writes_none(moderator):
    assert moderator.has_perm("detection.view_watchedrule")
    assert moderator.has_perm("detection.view_historicalwatchedrule")
    assert not moderator.has_perm("detection.add_watchedrule")
    assert not moderator.has_perm("detection.change_watchedrule")


def test_a_moderator_without_the_permission_sees_rules_but_cannot_write(moderator_client, rule):
    listing = moderator_client.get(CHANGELIST)
    page = moderator_client.get(change_url(rule))

    assert listing.status_code == 200 and "Threats" in listing.content.decode()
    assert ADD not in listing.content.decode()  # no "add" button
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert moderator_client.get(ADD).status_code == 403
    assert moderator_client.post(ADD, form_data()).status_code == 403
    posted = moderator_client.post(change_url(rule), form_data(name="Renamed"))
    assert posted.status_code == 403
    assert WatchedRule.objects.get().name == "Threats"


def test_a_moderator_given_the_permission_adds_a_rule_switched_off(writer_client, moderator):
    response = writer_client.post(ADD, form_data(change_message="links seen in spam"))

    assert response.status_code == 302
    rule = WatchedRule.objects.get()
    assert (rule.pattern, rule.is_active, rule.created_by) == (
        r"https?://bad\.example",
        False,
        moderator,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RULE_CREATED)
    assert (entry.actor, entry.reason) == (moderator, "links seen in spam")
    assert rule.history.get().history_user == moderator


def test_a_moderator_given_the_permission_changes_a_rule(writer_client, moderator, rule):
    data = form_data(name="Threats", kind="words", words="kill you\nhurt you", pattern="")

    response = writer_client.post(change_url(rule), data)

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.words, rule.updated_by) == ("kill you\nhurt you", moderator)
    assert rule.history.order_by("-history_id").first().history_user == moderator


# --- refusals on their fields, input kept ---------------------------------------------------


def test_a_refused_pattern_shows_re2s_reason_on_the_field_and_keeps_the_input(writer_client):
    response = writer_client.post(ADD, form_data(pattern=r"(\w+) \1"))

    assert response.status_code == 200
    assert "RE2 does not support backreferences" in " ".join(form_errors(response)["pattern"])
    assert r"(\w+) \1" in response.content.decode()
    assert not WatchedRule.objects.exists()


def test_a_word_rule_with_a_pattern_is_refused_on_the_pattern(writer_client):
    response = writer_client.post(ADD, form_data(kind="words", words="idiot", pattern="x"))

    assert form_errors(response) == {"pattern": ["A word rule takes words, not a pattern."]}


def test_a_refusing_rule_without_a_message_is_refused_on_the_message(writer_client):
    response = writer_client.post(ADD, form_data(action="refuse"))

    assert list(form_errors(response)) == ["refusal_message"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "words", "pattern": "", "words": "kill\x00you"}, "words"),
        ({"pattern": "bad\x00"}, "pattern"),
        ({"name": "a\x00b"}, "name"),
        ({"kind": "words", "pattern": "", "words": "x" * 100_000}, "words"),
        (
            {"kind": "words", "pattern": "", "words": "\n".join(f"w{n}" for n in range(5_000))},
            "words",
        ),
        ({"pattern": "a" * 100_000}, "pattern"),
        ({"kind": "glob"}, "kind"),
        ({"change_message": "x" * 5_000}, "change_message"),
    ],
    ids=[
        "nul-words",
        "nul-pattern",
        "nul-name",
        "long-word",
        "5000-words",
        "long-pattern",
        "kind",
        "why",
    ],
)
def test_hostile_input_is_a_form_error_on_its_field(writer_client, fields, field):
    response = writer_client.post(ADD, form_data(**fields))

    assert response.status_code == 200
    assert field in form_errors(response)
    assert not WatchedRule.objects.exists()


def test_five_thousand_words_are_refused_with_the_count(writer_client):
    words = "\n".join(f"w{n}" for n in range(5_000))

    response = writer_client.post(ADD, form_data(kind="words", pattern="", words=words))

    assert "(this one has 5,000)" in form_errors(response)["words"][0]


# --- switching ------------------------------------------------------------------------------


def switch(client, rule: WatchedRule, name: str):
    return client.post(CHANGELIST, {"action": name, "index": "0", "_selected_action": [rule.pk]})


def test_switching_on_and_off_from_the_list(writer_client, moderator, rule):
    assert switch(writer_client, rule, "switch_on").status_code == 302
    rule.refresh_from_db()
    assert rule.is_active

    switch(writer_client, rule, "switch_off")
    rule.refresh_from_db()
    assert not rule.is_active
    actions = AuditEntry.objects.filter(actor=moderator).values_list("action", flat=True)
    assert sorted(actions) == ["rule_switched_off", "rule_switched_on"]


def test_switching_is_not_done_by_a_get(writer_client, rule):
    writer_client.get(CHANGELIST, {"action": "switch_on", "_selected_action": [rule.pk]})

    rule.refresh_from_db()
    assert not rule.is_active


def test_a_moderator_without_the_permission_cannot_switch(moderator_client, rule):
    switch(moderator_client, rule, "switch_on")

    rule.refresh_from_db()
    assert not rule.is_active
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RULE_SWITCHED_ON).exists()


# --- history: read-only for everyone ---------------------------------------------------------


def test_a_version_is_shown_but_never_reverted_even_by_a_superuser(superuser_client, rule):
    rule.pattern, rule.words, rule.kind = "kill", "", "regex"
    save_rule(rule, actor=rule.created_by)
    first = rule.history.order_by("history_id").first()
    url = reverse("admin:detection_watchedrule_simple_history", args=[rule.pk, first.history_id])

    page = superuser_client.get(url)
    reverted = superuser_client.post(url, form_data(name="Threats", kind="words", words="kill you"))

    assert page.status_code == 200 and "kill you" in page.content.decode()
    assert reverted.status_code == 403
    rule.refresh_from_db()
    assert rule.kind == "regex"


def test_the_history_lists_the_editors(moderator_client, rule, superuser):
    response = moderator_client.get(reverse("admin:detection_watchedrule_history", args=[rule.pk]))

    assert response.status_code == 200
    assert superuser.get_username() in response.content.decode()


# --- the list's query budget ----------------------------------------------------------------


def test_the_list_costs_the_same_for_many_rules(
    moderator_client, superuser, django_assert_max_num_queries
):
    editors = [ModeratorFactory() for _ in range(5)]
    for number in range(30):
        save_rule(
            WatchedRule(name=f"rule {number}", kind="words", words=f"word{number}"),
            actor=editors[number % 5],
        )
    moderator_client.get(CHANGELIST)  # sessions, permissions and the role warmed up

    with django_assert_max_num_queries(8):
        response = moderator_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "rule 29" in response.content.decode()


def test_a_reader_sees_a_version_read_only(moderator_client, rule):
    version = rule.history.get()
    url = reverse("admin:detection_watchedrule_simple_history", args=[rule.pk, version.history_id])

    page = moderator_client.get(url)

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert moderator_client.post(url, form_data()).status_code == 403
