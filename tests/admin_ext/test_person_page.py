"""admin_ext.admin.person_page and person_actions: a person's page for moderators
(their moderation context, state and actions) and the users list's state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEntry
from messaging.models import Message, Notification
from moderation.sanctions import lift_expired_sanctions
from moderation.services import hide_message, lift_suspension, suspend_user, warn_user
from moderation_site.time_format import format_timestamp
from tests.admin_ext.test_exports import as_dicts, csv_rows, export
from tests.factories import MessageFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:auth_user_changelist")


def page_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def action_url(name: str, user) -> str:
    return reverse(f"admin:auth_user_{name}", args=[user.pk])


def listed_usernames(response) -> set[str]:
    return {user.username for user in response.context["cl"].result_list}


# --- the users list -------------------------------------------------------------------


def test_the_list_shows_the_state_instead_of_active(moderator_client, alice, bob, moderator):
    suspend_user(bob, moderator=moderator, reason="spam")

    response = moderator_client.get(CHANGELIST)

    assertContains(response, "State")
    assertContains(response, "Suspended")
    assertContains(response, "Active")


def test_the_suspended_filter(moderator_client, alice, bob, moderator):
    suspend_user(bob, moderator=moderator, reason="spam")

    suspended = listed_usernames(moderator_client.get(CHANGELIST, {"suspended": "yes"}))
    active = listed_usernames(moderator_client.get(CHANGELIST, {"suspended": "no"}))

    assert suspended == {"bob"}
    assert {"alice", "moderator"} <= active and "bob" not in active


# --- the page -------------------------------------------------------------------------


def test_the_page_shows_cases_reports_strikes_counts_and_messages(
    moderator_client, alice, bob, moderator
):
    against = reported_message(author=alice, reporter=bob, content="You are all idiots")
    filed = reported_message(author=bob, reporter=alice)
    warn_user(alice, moderator=moderator, reason="insults", warning="Be civil.")

    response = moderator_client.get(page_url(alice))

    assert response.status_code == 200
    case_url = reverse("admin:moderation_case_change", args=[against.case_id])
    assertContains(response, f'href="{case_url}"')
    assertContains(response, "Reports against them")
    assertContains(response, "Reports they filed")
    assertContains(response, f"case #{filed.case_id}")
    assertContains(response, "User warned")
    assertContains(response, "insults")  # the reason, for moderators
    message_url = reverse("admin:messaging_message_change", args=[against.reported_message_id])
    assertContains(response, f'href="{message_url}"')
    assertContains(response, "You are all idiots")
    assert response.context["person_context"].counts.reports_against == 1


def test_the_page_has_one_delete_button_and_the_desks_words(moderator_client, alice):
    response = moderator_client.get(page_url(alice))

    detail = reverse("admin:auth_user_delete_account_detail", args=[alice.pk])
    assertContains(response, f'href="{detail}"', count=1)
    assertNotContains(response, reverse("admin:auth_user_delete", args=[alice.pk]))
    assertNotContains(response, "Unselect this instead of deleting accounts")
    assertContains(response, "Active (not suspended)")


def test_the_page_costs_a_fixed_number_of_queries(
    moderator_client, django_assert_max_num_queries, moderator
):
    def person(size: int):
        user = UserFactory()
        for _ in range(size):
            reported_message(author=user)
            reported_message(author=UserFactory(), reporter=user)
            MessageFactory(sender=user)
            warn_user(user, moderator=moderator, reason="r", warning="w")
        suspend_user(user, moderator=moderator, reason="r")
        return user

    # The session, the moderator and their permissions, the account, its notes,
    # the person's context (moderation.person_selectors: nine when suspended, one
    # of them its sanctions), the account's groups and permissions: 18, whatever
    # the person's history.
    for user in (person(1), person(12)):
        with django_assert_max_num_queries(18):
            assert moderator_client.get(page_url(user)).status_code == 200


def test_an_active_person_offers_warn_and_suspend_a_suspended_one_lift(
    moderator_client, alice, bob, moderator
):
    suspend_user(bob, moderator=moderator, reason="spam")

    active_page = moderator_client.get(page_url(alice))
    suspended_page = moderator_client.get(page_url(bob))

    assert set(active_page.context["person_forms"]) == {"warn", "suspend"}
    assert set(suspended_page.context["person_forms"]) == {"warn", "lift_suspension"}
    assertContains(suspended_page, "until a moderator lifts it")


def test_a_staff_account_offers_no_suspension_to_a_moderator(moderator_client):
    staff = UserFactory(is_staff=True)

    response = moderator_client.get(page_url(staff))

    assert set(response.context["person_forms"]) == {"warn"}
    assertContains(response, "only a superuser can suspend a staff account")


# --- the actions ----------------------------------------------------------------------


def test_warn_from_the_page_sends_the_warning_and_audits_it(moderator_client, alice):
    response = moderator_client.post(
        action_url("warn", alice), {"warn-warning": "Be civil.", "warn-reason": "insults"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(page_url(alice) + "#person-actions")
    assert Notification.objects.get(user=alice, kind=Notification.Kind.WARNING).text == "Be civil."
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_WARNED)
    assert (entry.target_user_id, entry.reason, entry.case_id) == (alice.pk, "insults", None)


def test_suspend_from_the_page_with_a_message(moderator_client, alice):
    response = moderator_client.post(
        action_url("suspend", alice),
        {"suspend-warning": "Spam is not allowed.", "suspend-reason": "spam"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert Notification.objects.get(user=alice).text == "Spam is not allowed."
    assert AuditEntry.objects.filter(action=AuditEntry.Action.USER_SUSPENDED).count() == 1


def test_lift_from_the_page(moderator_client, alice, moderator):
    suspend_user(alice, moderator=moderator, reason="spam")

    response = moderator_client.post(action_url("lift_suspension", alice), {"lift-reason": "ok"})

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUSPENSION_LIFTED).count() == 1


def test_a_missing_reason_comes_back_with_the_words_kept(moderator_client, alice):
    response = moderator_client.post(
        action_url("warn", alice), {"warn-warning": "Be civil.", "warn-reason": ""}
    )

    assert response.status_code == 200
    assertContains(response, "This field is required")
    assertContains(response, "Be civil.")
    assert not Notification.objects.exists()


def test_suspending_a_staff_account_is_refused_with_a_message(moderator_client):
    staff = UserFactory(is_staff=True)

    response = moderator_client.post(action_url("suspend", staff), {"suspend-reason": "x"})

    assert response.status_code == 200
    assertContains(response, "only a superuser can delete a staff account")
    staff.refresh_from_db()
    assert staff.is_active


def test_get_shows_the_form_and_changes_nothing(moderator_client, alice):
    response = moderator_client.get(action_url("suspend", alice))

    assertContains(response, "Suspend alice")
    alice.refresh_from_db()
    assert alice.is_active


def test_an_account_that_is_not_there(moderator_client):
    for object_id in ("999999", "abc", "9" * 30):
        response = moderator_client.post(
            reverse("admin:auth_user_warn", args=[object_id]), {"warn-reason": "x"}
        )
        assert response.status_code == 302
        assert response["Location"] == CHANGELIST


def test_staff_without_the_group_cannot_act(client, alice):
    client.force_login(UserFactory(is_staff=True))

    response = client.post(action_url("suspend", alice), {"suspend-reason": "x"})

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.is_active


def test_the_export_keeps_the_suspended_filter(moderator_client, alice, bob, moderator):
    suspend_user(bob, moderator=moderator, reason="spam")

    rows = as_dicts(csv_rows(export(moderator_client, "auth.user", "suspended=yes")))

    assert [row["username"] for row in rows] == ["bob"]


def test_a_superuser_sees_the_page_and_may_suspend_a_staff_account(client, superuser):
    staff = UserFactory(is_staff=True)
    client.force_login(superuser)

    page = client.get(page_url(staff))
    response = client.post(action_url("suspend", staff), {"suspend-reason": "left the team"})

    assert set(page.context["person_forms"]) == {"warn", "suspend"}
    assertNotContains(page, reverse("admin:auth_user_delete", args=[staff.pk]))
    assert response.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_active


# --- the person's sanctions -------------------------------------------------------------------


def test_the_page_lists_the_sanctions_with_their_ends(moderator_client, alice, bob, moderator):
    report = reported_message(author=alice, reporter=bob)
    hide_message(
        Message.objects.get(pk=report.reported_message_id), moderator=moderator, reason="spam"
    )
    ends_at = timezone.now() + timedelta(days=7)
    warn_user(alice, moderator=moderator, reason="r", warning="w", ends_at=ends_at)
    lift_expired_sanctions(now=ends_at)
    suspend_user(alice, moderator=moderator, reason="r", ends_at=ends_at)

    response = moderator_client.get(page_url(alice))

    section = response.content.decode().split('id="person-sanctions"')[1].split("</section>")[0]
    assert "1 active" not in section and "2 active, 1 ended" in section
    assert section.index("Suspension") < section.index("Message hidden") < section.index("Warning")
    assert f"{format_timestamp(ends_at)}</time>" in section
    assert "until lifted" in section  # the hide
    assert "ended on time" in section
    message_url = reverse("admin:messaging_message_change", args=[report.reported_message_id])
    assert f'href="{message_url}"' in section
    assert section.count("by moderator") == 3
    state = response.content.decode().split('id="person-state"')[1].split("</section>")[0]
    assert format_timestamp(ends_at) in state and "it ends by itself then" in state


def test_a_sanction_by_a_deleted_moderator_lifted_by_another(moderator_client, alice, moderator):
    other = ModeratorFactory(username="other-moderator")
    suspend_user(alice, moderator=other, reason="r")
    lift_suspension(alice, moderator=moderator, reason="served")
    other.delete()

    response = moderator_client.get(page_url(alice))

    section = response.content.decode().split('id="person-sanctions"')[1].split("</section>")[0]
    assert "by deleted account" in section
    assert "lifted by a moderator (moderator)" in section
    assert "0 active, 1 ended" in section
