"""The audit log in the admin: readable by moderators, writable by nobody."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains

from admin_ext.admin import paginators
from admin_ext.admin.audit import AuditEntryAdmin
from admin_ext.admin.paginators import LargeTablePaginator, ShownCount
from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging import services
from moderation.services import act_on_case
from tests.factories import MessageFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditentry_changelist")
HOSTILE_REASON = '<script>alert("reason")</script>'
HOSTILE_USERNAME = "<img src=x onerror=alert(1)>"


def change_url(entry: AuditEntry) -> str:
    return reverse("admin:audit_auditentry_change", args=[entry.pk])


def delete_url(entry: AuditEntry) -> str:
    return reverse("admin:audit_auditentry_delete", args=[entry.pk])


@pytest.fixture(params=["moderator", "superuser"])
def staff(request):
    return request.getfixturevalue(request.param)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def deletions(moderator, superuser, alice, bob, carol):
    """alice deleted by the moderator, bob by the superuser; an edit entry too."""
    MessageFactory.create_batch(2, sender=alice, receiver=carol)
    services.delete_account(alice, actor=moderator, reason="Spam campaign")
    services.delete_account(bob, actor=superuser, reason="Asked to leave")
    record_audit_entry(
        action=AuditEntry.Action.MESSAGE_EDITED,
        actor=moderator,
        target_user_id=carol.pk,
        target_username="carol",
        reason="Removed a phone number",
    )
    return {entry.target_username: entry for entry in AuditEntry.objects.all()}


@pytest.fixture
def case_actions(moderator):
    """Two cases of two people: alice's message hidden and alice warned; dave's
    case dismissed."""
    hidden = reported_message(author=UserFactory(username="alice")).case
    act_on_case(
        hidden, moderator=moderator, actions=["hide", "warn"], reason="Abuse", warning="Stop"
    )
    dismissed = reported_message(author=UserFactory(username="dave")).case
    act_on_case(dismissed, moderator=moderator, actions=["dismiss"], reason="Nothing to see")
    return {"hidden": hidden, "dismissed": dismissed}


def listed_targets(response) -> set[str]:
    return {entry.target_username for entry in response.context["cl"].result_list}


def listed_actions(response) -> set[str]:
    return {entry.action for entry in response.context["cl"].result_list}


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_the_entries_written_by_delete_account(staff_client, deletions):
    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    assert listed_targets(response) == {"alice", "bob", "carol"}
    content = response.content.decode()
    for text in ("Spam campaign", "Asked to leave", "Account deleted", "Message edited"):
        assert text in content
    assert "messages deleted: 2" in content
    assert f"#{deletions['alice'].target_user_id}" in content


def test_the_list_costs_the_same_queries_whatever_the_number_of_entries(
    client, moderator, django_assert_max_num_queries
):
    client.force_login(moderator)
    record_audit_entry(action=AuditEntry.Action.MESSAGE_EDITED, actor=moderator)
    with django_assert_max_num_queries(20) as few:
        client.get(CHANGELIST)
    for _ in range(30):
        record_audit_entry(action=AuditEntry.Action.MESSAGE_EDITED, actor=moderator)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 31


def test_the_list_filters_by_action(staff_client, deletions):
    response = staff_client.get(CHANGELIST, {"action__exact": "message_edited"})

    assert listed_targets(response) == {"carol"}


def test_the_action_filter_takes_several_actions(staff_client, deletions):
    response = staff_client.get(
        CHANGELIST, {"action__exact": ["message_edited", "messages_marked_read"]}
    )

    assert listed_targets(response) == {"carol"}


def test_the_action_filter_takes_several_case_actions_at_once(staff_client, case_actions):
    response = staff_client.get(CHANGELIST, {"action__exact": ["message_hidden", "case_dismissed"]})

    assert listed_actions(response) == {"message_hidden", "case_dismissed"}
    assert listed_targets(response) == {"alice", "dave"}


def test_the_list_filters_by_target_username_exactly(staff_client, deletions):
    response = staff_client.get(CHANGELIST, {"target": "carol"})

    assert response.status_code == 200
    assert listed_targets(response) == {"carol"}
    assert listed_targets(staff_client.get(CHANGELIST, {"target": "caro"})) == set()


def test_the_target_filter_finds_a_deleted_account_by_name_or_id(staff_client, deletions):
    alice_id = deletions["alice"].target_user_id

    by_name = staff_client.get(CHANGELIST, {"target": "alice"})
    by_id = staff_client.get(CHANGELIST, {"target": f"#{alice_id}"})

    assert listed_targets(by_name) == listed_targets(by_id) == {"alice"}


def test_the_target_filter_refuses_what_no_account_can_match(staff_client, deletions):
    for value in ("#abc", f"#{10**30}"):
        response = staff_client.get(CHANGELIST, {"target": value})

        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")
    # A NUL is refused by the admin site before any filter runs.
    assert staff_client.get(CHANGELIST, {"target": "ali\x00ce"}).status_code == 400


def test_the_list_filters_by_case(staff_client, case_actions):
    case = case_actions["hidden"]

    response = staff_client.get(CHANGELIST, {"case_id__exact": case.pk})

    assert listed_actions(response) == {"message_hidden", "user_warned"}
    assert {entry.case_id for entry in response.context["cl"].result_list} == {case.pk}
    with_hash = staff_client.get(CHANGELIST, {"case_id__exact": f"#{case.pk}"})
    assert listed_actions(with_hash) == {"message_hidden", "user_warned"}


def test_the_case_filter_refuses_what_is_not_a_case_id(staff_client, case_actions):
    response = staff_client.get(CHANGELIST, {"case_id__exact": "twelve"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_filters_combine_target_actions_and_actor(staff_client, case_actions, moderator):
    response = staff_client.get(
        CHANGELIST,
        {
            "target": "alice",
            "action__exact": ["user_warned", "case_dismissed"],
            "actor__id__exact": moderator.pk,
        },
    )

    assert listed_actions(response) == {"user_warned"}


def test_the_list_links_each_entry_to_its_case(staff_client, case_actions):
    content = staff_client.get(CHANGELIST).content.decode()

    for case in case_actions.values():
        assert reverse("admin:moderation_case_change", args=[case.pk]) in content
    for label in ("Message hidden", "User warned", "Case dismissed"):
        assert label in content


def test_the_counts_column_leaves_out_the_ids_of_case_entries(staff_client, case_actions):
    content = staff_client.get(CHANGELIST).content.decode()

    assert "message id:" not in content
    assert "notification id:" not in content


def test_every_moderation_action_has_a_colour():
    colours = AuditEntryAdmin.display_action.label
    uncoloured = set(AuditEntry.Action) - set(colours)

    assert uncoloured == {AuditEntry.Action.EXPORT, AuditEntry.Action.JOB_RETRIED}


def test_the_list_filters_by_actor(staff_client, deletions, moderator):
    response = staff_client.get(CHANGELIST, {"actor__id__exact": moderator.pk})

    assert listed_targets(response) == {"alice", "carol"}


def test_the_actor_filter_autocompletes_usernames(staff_client, deletions):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "audit", "model_name": "auditentry", "field_name": "actor", "term": "mod"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["moderator"]


def test_the_list_filters_by_date_range(staff_client, moderator, monkeypatch):
    for day in (1, 10, 20):
        moment = datetime(2026, 5, day, 12, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        record_audit_entry(
            action=AuditEntry.Action.ACCOUNT_DELETED, actor=moderator, target_username=f"day{day}"
        )
    monkeypatch.undo()

    response = staff_client.get(
        CHANGELIST,
        {
            "created_at_from_0": "2026-05-10",
            "created_at_from_1": "00:00",
            "created_at_to_0": "2026-05-10",
            "created_at_to_1": "23:59",
        },
    )

    assert response.status_code == 200
    assert listed_targets(response) == {"day10"}


def test_the_list_searches_target_and_actor_usernames_and_reasons(staff_client, deletions):
    assert listed_targets(staff_client.get(CHANGELIST, {"q": "bob"})) == {"bob"}
    assert listed_targets(staff_client.get(CHANGELIST, {"q": "root"})) == {"bob"}
    assert listed_targets(staff_client.get(CHANGELIST, {"q": "phone"})) == {"carol"}


def test_the_list_never_counts_the_whole_log_beside_a_filtered_count(staff_client, deletions):
    response = staff_client.get(CHANGELIST, {"target": "carol"})

    assert response.context["cl"].show_full_result_count is False
    # Unfiltered, past a size, PostgreSQL's estimate instead of a COUNT (shown as "about").
    assert AuditEntryAdmin.paginator is LargeTablePaginator


def test_the_list_shows_its_total_and_the_filtered_total(staff_client, deletions):
    assertContains(staff_client.get(CHANGELIST), ">3 entries<")
    assertContains(
        staff_client.get(CHANGELIST, {"target": "carol"}), ">1 entry matches the filters<"
    )
    assertContains(
        staff_client.get(CHANGELIST, {"action__exact": "account_deleted"}),
        ">2 entries match the filters<",
    )


def test_an_estimated_total_says_about(staff_client, deletions, monkeypatch):
    estimate = ShownCount(2_000_000, kind="estimate")  # PostgreSQL's, at that size
    monkeypatch.setattr(LargeTablePaginator, "count", property(lambda paginator: estimate))

    assertContains(staff_client.get(CHANGELIST), ">about 2,000,000 entries<")


def test_a_capped_total_says_plus(staff_client, deletions, monkeypatch):
    monkeypatch.setattr(paginators, "COUNT_CAP", 1)
    monkeypatch.setattr(paginators, "_sort_keys", lambda queryset: None)  # PostgreSQL too

    assertContains(
        staff_client.get(CHANGELIST, {"action__exact": "account_deleted"}),
        ">1+ entries match the filters<",
    )


# --- nobody writes ---------------------------------------------------------------------


def test_adding_is_forbidden(staff_client, deletions):
    add_url = reverse("admin:audit_auditentry_add")

    assert staff_client.get(add_url).status_code == 403
    assert staff_client.post(add_url, {"action": "account_deleted"}).status_code == 403
    assert AuditEntry.objects.count() == 3


def test_the_change_view_only_shows_the_entry(staff_client, deletions):
    response = staff_client.get(change_url(deletions["alice"]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Spam campaign" in content
    assert 'name="_save"' not in content
    assert 'name="reason"' not in content
    assert reverse("admin:audit_auditentry_delete", args=[deletions["alice"].pk]) not in content
    # An entry never changes: no History button to say so.
    assert reverse("admin:audit_auditentry_history", args=[deletions["alice"].pk]) not in content


def test_posting_to_the_change_view_is_forbidden_and_changes_nothing(staff_client, deletions):
    entry = deletions["alice"]

    response = staff_client.post(
        change_url(entry),
        {"action": "message_edited", "target_username": "someone", "reason": "rewritten"},
    )

    assert response.status_code == 403
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.target_username, stored.reason) == (
        "account_deleted",
        "alice",
        "Spam campaign",
    )


def test_deleting_is_forbidden(staff_client, deletions):
    entry = deletions["alice"]

    assert staff_client.get(delete_url(entry)).status_code == 403
    assert staff_client.post(delete_url(entry), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_there_is_no_delete_selected_action(staff_client, deletions):
    response = staff_client.get(CHANGELIST)
    assert "delete_selected" not in response.content.decode()

    staff_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [e.pk for e in deletions.values()]},
    )

    assert AuditEntry.objects.count() == 3


def test_no_admin_link_offers_to_add_an_entry(staff_client, deletions):
    content = staff_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:audit_auditentry_add") not in content


# --- escaping ----------------------------------------------------------------------------


def test_hostile_reasons_and_usernames_are_escaped(staff_client, moderator):
    hostile = UserFactory(username=HOSTILE_USERNAME)
    services.delete_account(hostile, actor=moderator, reason=HOSTILE_REASON)
    entry = AuditEntry.objects.get()

    for url in (CHANGELIST, change_url(entry)):
        content = staff_client.get(url).content.decode()
        assert HOSTILE_REASON not in content
        assert HOSTILE_USERNAME not in content
        assert "&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;" in content
        assert "&lt;img src=x onerror=alert(1)&gt;" in content
