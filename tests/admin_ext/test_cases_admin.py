"""The review queue and the case page (admin_ext/admin/cases.py, case_actions.py),
through the test client: the queue's order, filters and query budget; the case
page's evidence, threads, timeline and notes; the actions, alone and in bulk,
through the services, with their refusals writing nothing; and who may do what."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from admin_ext.admin.case_bulk import MAX_CASES_PER_BULK_ACTION
from admin_ext.admin.case_page import user_notes_context
from audit.models import AuditEntry
from messaging import services as messaging_services
from messaging.models import Message, Notification
from moderation import retention, services
from moderation.models import Case, Note
from moderation.services import CaseAction
from tests.factories import MessageFactory, ReplyFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db
User = get_user_model()

QUEUE_URL = reverse("admin:moderation_case_changelist")
HOSTILE = "<script>alert(1)</script>"
# A page of the queue, and a case page, cost at most this many queries whatever
# the number of cases, reports, threads or notes.
# Each with the role policy's look-up of the moderator's group (admin_ext.site).
QUEUE_QUERY_BUDGET = 8
# The case page: with one query for the names of everyone in every report's evidence,
# two for the messages around the reported ones (thread_windows), one for the
# cases before and after it in the queue (queue_neighbours), and one for the
# reporters' reliability (moderation.reliability.reporters_reliability).
CASE_PAGE_QUERY_BUDGET = 14


def case_url(case: Case, name: str = "change") -> str:
    return reverse(f"admin:moderation_case_{name}", args=[case.pk])


def act_data(*actions: str, reason: str = "Repeated abuse", warning: str = "", close=True):
    data = {"act-actions": list(actions), "act-reason": reason, "act-warning": warning}
    if close:
        data["act-close"] = "on"
    return data


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def case_with_reporters(author, count: int, **fields) -> Case:
    for _ in range(count):
        report = reported_message(author=author, **fields)
    return report.case


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True))
    return client


@pytest.fixture
def report(alice, bob):
    """bob reports alice's reply to him; the thread has a parent and a reply below."""
    parent = MessageFactory(sender=bob, receiver=alice, content="Are you coming?")
    message = ReplyFactory(parent_message=parent, content="Leave me alone, idiot")
    ReplyFactory(parent_message=message, content="That was rude")
    return services.report_message(
        reporter=bob, message=message, reason="harassment", comment="Third time this week"
    )


def closed_case(report, moderator) -> Case:
    services.act_on_case(
        report.case, moderator=moderator, actions=[CaseAction.DISMISS], reason="Nothing wrong"
    )
    return Case.objects.get(pk=report.case_id)


# --- the queue ------------------------------------------------------------------------


def listed(client, **params) -> list[Case]:
    response = client.get(QUEUE_URL, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_queue_lists_open_cases_highest_priority_first(moderator_client, alice, bob):
    one_reporter = case_with_reporters(bob, 1)
    three_reporters = case_with_reporters(alice, 3)  # older last report does not matter

    Case.objects.filter(pk=three_reporters.pk).update(
        last_reported_at=timezone.now() - datetime.timedelta(hours=2)
    )

    assert listed(moderator_client) == [three_reporters, one_reporter]


def test_the_queue_shows_the_counts_and_status(moderator_client, alice):
    case_with_reporters(alice, 2)

    response = moderator_client.get(QUEUE_URL)

    assertContains(response, "alice")
    assertContains(response, "held while open")
    row = response.context["cl"].result_list[0]
    assert (row.priority, row.reporter_count, row.report_count) == (2 * 3 + 2, 2, 2)


def test_closed_cases_are_hidden_by_default_and_shown_by_the_status_filter(
    moderator_client, moderator, report, carol
):
    closed = closed_case(report, moderator)
    still_open = case_with_reporters(carol, 1)

    assert listed(moderator_client) == [still_open]
    assert listed(moderator_client, status="closed") == [closed]
    assert set(listed(moderator_client, status="all")) == {closed, still_open}
    response = moderator_client.get(QUEUE_URL, {"status": "closed"})
    assertContains(response, "Dismissed")
    assertContains(response, f"{closed.retain_until:%Y}")


def test_the_reason_filter_selects_cases_with_a_report_for_that_reason(
    moderator_client, alice, bob
):
    spam = case_with_reporters(alice, 1, reason="spam")
    harassment = case_with_reporters(bob, 1, reason="harassment")

    assert listed(moderator_client, reason="spam") == [spam]
    assert listed(moderator_client, reason="harassment") == [harassment]


def test_the_queue_searches_by_reported_username(moderator_client, alice, bob):
    alices = case_with_reporters(alice, 1)
    case_with_reporters(bob, 1)

    assert listed(moderator_client, q="alic") == [alices]


def test_a_deleted_account_shows_as_such(moderator_client, moderator, report, alice):
    messaging_services.delete_account(alice, actor=moderator, reason="gone")

    response = moderator_client.get(QUEUE_URL, {"status": "all"})

    assertContains(response, f"deleted account #{alice.pk}")
    assertNotContains(response, "alice")


def test_a_queue_page_costs_the_same_queries_for_30_cases_as_for_3(
    moderator_client, django_assert_max_num_queries
):
    for _ in range(3):
        case_with_reporters(UserFactory(), 2)
    moderator_client.get(QUEUE_URL)  # warm the session and content type caches
    with CaptureQueriesContext(connection) as three_cases:
        assert len(listed(moderator_client)) == 3

    for _ in range(27):
        case_with_reporters(UserFactory(), 1)
    with django_assert_max_num_queries(len(three_cases)):
        assert len(listed(moderator_client)) == 30
    assert len(three_cases) <= QUEUE_QUERY_BUDGET


@pytest.mark.parametrize("user_fixture", ["moderator_client", "superuser_client"])
def test_nobody_adds_changes_or_deletes_cases_in_the_admin(request, report, user_fixture):
    client = request.getfixturevalue(user_fixture)

    assert client.get(reverse("admin:moderation_case_add")).status_code == 403
    assert client.get(case_url(report.case, "delete")).status_code == 403
    assert client.post(case_url(report.case), {"status": "closed"}).status_code == 403
    response = client.get(QUEUE_URL)
    assert list(response.context["action_form"].fields["action"].choices)[1:] == [
        ("act_on_cases", "Act on selected cases"),
        ("claim_cases", "Claim selected cases"),
    ]
    assert Case.objects.get().is_open


# --- the case page -----------------------------------------------------------------------


def test_the_case_page_shows_the_report_with_its_evidence(moderator_client, report, alice):
    messaging_services.edit_message(
        Message.objects.get(pk=report.reported_message_id), editor=alice, content="Sorry"
    )

    response = moderator_client.get(case_url(report.case))

    assertContains(response, "Case #")
    evidence = response.context["case_page"].evidence
    assert [m.role for m in evidence[0].evidence.messages] == ["parent", "reported", "reply"]
    for text in ("bob", "Harassment or bullying", "Third time this week", "Are you coming?",
                 "Leave me alone, idiot", "That was rude"):  # fmt: skip
        assertContains(response, text)
    # The thread as it is now: the edit shows there; the evidence kept the old text.
    assertContains(response, "Sorry")
    assertContains(response, reverse("admin:auth_user_change", args=[alice.pk]))


def test_the_evidence_shows_the_edit_history_of_the_snapshot(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="first words")
    messaging_services.edit_message(message, editor=alice, content="second words")
    report = services.report_message(reporter=bob, message=message, reason="spam")

    response = moderator_client.get(case_url(report.case))

    assertContains(response, "1 earlier version")
    assertContains(response, "first words")


def test_hostile_content_is_escaped_on_the_case_page(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content=HOSTILE)
    messaging_services.edit_message(message, editor=alice, content=f"edited {HOSTILE}")
    report = services.report_message(reporter=bob, message=message, reason="other", comment=HOSTILE)
    services.add_note(author=UserFactory(is_superuser=True), text=HOSTILE, case=report.case)

    response = moderator_client.get(case_url(report.case))

    assertNotContains(response, HOSTILE)
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")


def test_the_case_page_shows_every_thread_and_flags_hidden_messages(
    moderator_client, moderator, alice, bob, carol
):
    first = reported_message(author=alice, reporter=bob, content="first thread")
    second = reported_message(author=alice, reporter=carol, content="second thread")
    hidden = Message.objects.get(pk=second.reported_message_id)
    services.hide_message(hidden, moderator=moderator, reason="rude")

    response = moderator_client.get(case_url(first.case))

    threads = response.context["case_page"].threads
    assert [thread.root.content for thread in threads] == ["first thread", "second thread"]
    assertContains(response, "second thread")  # moderators still read hidden content
    assertContains(response, "caseadmin-node-hidden", count=1)


def test_the_case_page_costs_the_same_queries_for_many_reports_and_threads(
    moderator_client, moderator, alice, django_assert_max_num_queries
):
    first = reported_message(author=alice)
    url = case_url(first.case)
    moderator_client.get(url)  # warm the caches
    with CaptureQueriesContext(connection) as one_report:
        moderator_client.get(url)

    for _ in range(6):
        report = reported_message(author=alice)
        ReplyFactory(parent_message=Message.objects.get(pk=report.reported_message_id))
        services.add_note(author=moderator, text="seen", case=report.case)
    services.add_note(author=moderator, text="on the user", user=alice)
    with django_assert_max_num_queries(len(one_report)):
        response = moderator_client.get(url)
    assert len(response.context["case_page"].threads) == 7
    assert len(one_report) <= CASE_PAGE_QUERY_BUDGET


def test_the_timeline_lists_the_cases_audit_entries_newest_first(
    moderator_client, moderator, report
):
    services.add_note(author=moderator, text="looked", case=report.case)
    closed_case(report, moderator)

    response = moderator_client.get(case_url(report.case))

    actions = [entry.action for entry in response.context["case_page"].timeline]
    assert actions == [AuditEntry.Action.CASE_DISMISSED, AuditEntry.Action.NOTE_ADDED]
    assertContains(response, "Nothing wrong")


def test_the_timeline_shows_each_entrys_details_with_message_links(
    moderator_client, moderator, report
):
    message = Message.objects.get(pk=report.reported_message_id)
    services.hide_message(message, moderator=moderator, reason="rude", case=report.case)

    response = moderator_client.get(case_url(report.case))

    # Once in the report's evidence, once in the timeline's hide entry.
    assertContains(
        response,
        f'<a href="{reverse("admin:messaging_message_change", args=[message.pk])}" '
        f'class="msgadmin-link">message #{message.pk}</a>',
        count=2,
        html=True,
    )


def test_an_open_case_shows_the_action_form_and_a_closed_one_its_resolution(
    moderator_client, moderator, report
):
    response = moderator_client.get(case_url(report.case))
    assertContains(response, case_url(report.case, "act"))

    closed_case(report, moderator)
    response = moderator_client.get(case_url(report.case))
    assertNotContains(response, case_url(report.case, "act"))
    assertContains(response, "Resolution")
    assertContains(response, "Dismissed")


def test_an_unknown_or_forged_case_id_is_not_found(moderator_client):
    for object_id in ("999", "abc", "9" * 30):
        response = moderator_client.get(f"{QUEUE_URL}{object_id}/change/")
        assert response.status_code in (302, 404)  # Django redirects to the list
        response = moderator_client.post(f"{QUEUE_URL}{object_id}/act/", act_data("dismiss"))
        assert response.status_code == 404


# --- acting on one case ------------------------------------------------------------------


def test_several_actions_at_once_hide_warn_suspend_and_close(
    moderator_client, moderator, report, alice
):
    response = moderator_client.post(
        case_url(report.case, "act"),
        act_data("hide", "warn", "suspend", warning="Please stop insulting people."),
    )

    assert response.status_code == 302
    assert response.url == case_url(report.case)
    assert Message.objects.get(pk=report.reported_message_id).is_hidden
    warning = Notification.objects.get(user=alice, kind=Notification.Kind.WARNING)
    assert warning.text == "Please stop insulting people."
    alice.refresh_from_db()
    assert not alice.is_active
    case = Case.objects.get(pk=report.case_id)
    assert (case.status, case.resolution) == ("closed", Case.Resolution.ACTIONED)
    assert case.retain_until is not None
    entries = AuditEntry.objects.filter(case_id=case.pk)
    assert set(entries.values_list("action", flat=True)) == {
        AuditEntry.Action.MESSAGE_HIDDEN,
        AuditEntry.Action.USER_WARNED,
        AuditEntry.Action.USER_SUSPENDED,
    }
    assert set(entries.values_list("reason", flat=True)) == {"Repeated abuse"}
    assert set(entries.values_list("actor", flat=True)) == {moderator.pk}
    assert flash(response) == [
        f"Case #{case.pk} (alice): 1 message hidden, warned, suspended; case closed."
    ]


def test_acting_without_closing_leaves_the_case_open(moderator_client, report):
    moderator_client.post(case_url(report.case, "act"), act_data("hide", close=False))

    assert Case.objects.get(pk=report.case_id).is_open
    assert Message.objects.get(pk=report.reported_message_id).is_hidden


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (act_data("hide", reason="   "), "This field is required."),
        (act_data("dismiss", "warn", warning="stop"), "cannot be combined with another action"),
        (act_data("warn", warning=""), "Write the warning the user will read."),
        (act_data(), "Choose at least one action."),
    ],
    ids=["no reason", "dismiss and warn", "warn without text", "no action"],
)
def test_a_refused_submission_keeps_the_input_and_writes_nothing(
    moderator_client, report, data, error
):
    entries_before = AuditEntry.objects.count()

    response = moderator_client.post(case_url(report.case, "act"), data)

    assert response.status_code == 200
    assertContains(response, error)
    form = response.context["case_act_form"]
    assert form.is_bound
    assert form.data.getlist("act-actions") == data["act-actions"]
    if data["act-reason"].strip():
        assertContains(response, data["act-reason"])
    if data["act-warning"]:
        assertContains(response, data["act-warning"])
    assert AuditEntry.objects.count() == entries_before
    assert Case.objects.get(pk=report.case_id).is_open
    assert not Message.objects.get(pk=report.reported_message_id).is_hidden
    assert not Notification.objects.filter(kind=Notification.Kind.WARNING).exists()


def test_acting_on_a_closed_case_is_refused_with_a_message(moderator_client, moderator, report):
    closed_case(report, moderator)

    response = moderator_client.post(case_url(report.case, "act"), act_data("hide"))

    assert response.status_code == 302
    assert "is closed already" in flash(response)[0]
    assert not Message.objects.get(pk=report.reported_message_id).is_hidden


def test_the_act_url_answers_only_post(moderator_client, report):
    response = moderator_client.get(case_url(report.case, "act"))

    assert response.status_code == 405


def test_the_act_form_needs_a_csrf_token(moderator, report):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = client.post(case_url(report.case, "act"), act_data("dismiss"))

    assert response.status_code == 403
    assert Case.objects.get(pk=report.case_id).is_open


def test_deleting_the_account_shows_the_counts_first_and_deletes_on_confirmation(
    moderator_client, report, alice
):
    url = case_url(report.case, "act")

    response = moderator_client.post(url, act_data("delete_account", reason="Spam bot"))

    assert response.status_code == 200
    assertTemplateUsed(response, "admin_ext/account_deletion/confirm.html")
    assertContains(response, "Messages deleted")
    (row,) = response.context["preview"].shown_rows
    assert row.refusal is None and sum(row.counts) > 0
    assert User.objects.filter(pk=alice.pk).exists()

    response = moderator_client.post(
        url, {**act_data("delete_account", reason="Spam bot"), "confirm_account_deletion": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    case = Case.objects.get(pk=report.case_id)
    assert (case.status, case.resolution) == ("closed", Case.Resolution.ACCOUNT_DELETED)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert (entry.case_id, entry.reason) == (case.pk, "Spam bot")


def test_a_moderator_cannot_delete_a_staff_account_through_a_case(moderator_client, bob):
    staff_author = UserFactory(username="helper", is_staff=True)
    report = reported_message(author=staff_author, reporter=bob)
    url = case_url(report.case, "act")

    preview = moderator_client.post(url, act_data("delete_account"))
    assert (
        preview.context["preview"].shown_rows[0].refusal
        == "only a superuser can delete a staff account"
    )
    response = moderator_client.post(
        url, {**act_data("delete_account"), "confirm_account_deletion": "yes"}
    )

    assert response.status_code == 200
    assertContains(response, "only a superuser can delete a staff account")
    assert User.objects.filter(pk=staff_author.pk).exists()
    assert Case.objects.get(pk=report.case_id).is_open


# --- undoing: restore a message, lift a suspension --------------------------------------


@pytest.fixture
def sanctioned(moderator, report):
    services.act_on_case(
        report.case,
        moderator=moderator,
        actions=[CaseAction.HIDE, CaseAction.SUSPEND],
        reason="Abuse",
    )
    return report


def test_a_closed_case_offers_restore_and_lift(moderator_client, sanctioned):
    response = moderator_client.get(case_url(sanctioned.case))

    assertContains(response, "Restore message")
    assertContains(response, "Lift suspension")


def test_restoring_a_hidden_message_is_audited_with_the_case(moderator_client, sanctioned):
    message_id = sanctioned.reported_message_id

    response = moderator_client.post(
        case_url(sanctioned.case, "restore"),
        {"restore-message": message_id, "restore-reason": "Appeal accepted"},
    )

    assert response.status_code == 302
    assert not Message.objects.get(pk=message_id).is_hidden
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MESSAGE_RESTORED)
    assert (entry.case_id, entry.reason) == (sanctioned.case_id, "Appeal accepted")


def test_restoring_needs_a_reason_and_a_message_of_the_case(moderator_client, sanctioned, carol):
    url = case_url(sanctioned.case, "restore")

    response = moderator_client.post(
        url, {"restore-message": sanctioned.reported_message_id, "restore-reason": ""}
    )
    assert response.status_code == 200
    assertContains(response, "This field is required.")

    other = MessageFactory(sender=carol, receiver=carol)
    response = moderator_client.post(url, {"restore-message": other.pk, "restore-reason": "x"})
    assert response.status_code == 404
    assert Message.objects.get(pk=sanctioned.reported_message_id).is_hidden


def test_lifting_a_suspension_is_audited_with_the_case(moderator_client, sanctioned, alice):
    response = moderator_client.post(
        case_url(sanctioned.case, "lift"), {"lift-reason": "Served their time"}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.is_active
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SUSPENSION_LIFTED)
    assert (entry.case_id, entry.reason) == (sanctioned.case_id, "Served their time")


# --- notes ------------------------------------------------------------------------------------


def test_notes_on_the_case_and_on_the_user_show_in_one_list(moderator_client, report, alice):
    url = case_url(report.case, "add_note")

    moderator_client.post(url, {"note-text": "Warned by phone", "note-on": "case"})
    moderator_client.post(url, {"note-text": "Known troll", "note-on": "user"})

    assert Note.objects.get(text="Warned by phone").case_id == report.case_id
    assert Note.objects.get(text="Known troll").user_id == alice.pk
    response = moderator_client.get(case_url(report.case))
    assert [note.text for note in response.context["case_page"].notes] == [
        "Known troll",
        "Warned by phone",
    ]
    assertContains(response, "on the account")
    assertContains(response, "this case")


def test_an_empty_note_is_refused_and_writes_nothing(moderator_client, report):
    response = moderator_client.post(
        case_url(report.case, "add_note"), {"note-text": "  ", "note-on": "case"}
    )

    assert response.status_code == 200
    assertContains(response, "This field is required.")
    assert not Note.objects.exists()


def test_the_user_page_notes_list_and_form(rf, moderator, moderator_client, report, alice):
    services.add_note(author=moderator, text="On the case", case=report.case)
    request = rf.get("/")
    request.user = moderator

    context = user_notes_context(request, alice)

    assert [note.text for note in context["moderation_notes"]] == ["On the case"]
    html = render_to_string(
        "admin_ext/cases/user_notes.html", {**context, "original": alice}, request=request
    )
    assert "On the case" in html
    assert f'action="{context["moderation_note_url"]}"' in html
    response = moderator_client.post(
        context["moderation_note_url"], {"note-text": "Second account of someone banned"}
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:auth_user_change", args=[alice.pk]) + "#moderation-notes"
    assert Note.objects.get(user=alice).text == "Second account of someone banned"

    refused = moderator_client.post(context["moderation_note_url"], {"note-text": ""})
    assert refused.status_code == 200
    assertContains(refused, "This field is required.")


# --- retention ------------------------------------------------------------------------------


def test_a_moderator_sees_the_retention_date_but_cannot_change_it(
    moderator_client, moderator, report
):
    case = closed_case(report, moderator)
    response = moderator_client.get(case_url(case))
    assertContains(response, "Only a superuser can change this date.")

    response = moderator_client.post(
        case_url(case, "retention"),
        {"retention-retain_until": "2099-01-01", "retention-reason": "Court order"},
    )

    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).retain_until == case.retain_until


def test_a_superuser_changes_the_retention_and_it_is_audited(
    superuser_client, moderator, superuser, report
):
    case = closed_case(report, moderator)

    response = superuser_client.post(
        case_url(case, "retention"),
        {"retention-retain_until": "2099-01-01", "retention-reason": "Court order"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert timezone.localtime(case.retain_until).date() == datetime.date(2099, 1, 1)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RETENTION_CHANGED)
    assert (entry.case_id, entry.actor_id, entry.reason) == (case.pk, superuser.pk, "Court order")


def test_a_retention_in_the_past_is_refused(superuser_client, moderator, report):
    case = closed_case(report, moderator)

    response = superuser_client.post(
        case_url(case, "retention"),
        {"retention-retain_until": "2001-01-01", "retention-reason": "Oops"},
    )

    assert response.status_code == 200
    assertContains(response, "Retention cannot end in the past.")
    assert Case.objects.get(pk=case.pk).retain_until == case.retain_until


# --- bulk from the queue -----------------------------------------------------------------------


def bulk_post(cases, **data) -> dict:
    return {
        "action": "act_on_cases",
        "_selected_action": [case.pk for case in cases],
        **data,
    }


def test_the_bulk_action_shows_the_selection_then_acts_on_each_case(
    moderator_client, alice, bob, carol
):
    cases = [case_with_reporters(user, 1) for user in (alice, bob, carol)]

    page = moderator_client.post(QUEUE_URL, bulk_post(cases, index="0"))
    assert page.status_code == 200
    assert page.context["cases"] and len(page.context["cases"]) == 3
    assert Case.objects.open().count() == 3

    response = moderator_client.post(
        QUEUE_URL, bulk_post(cases, apply="yes", **act_data("dismiss", reason="Spam wave"))
    )

    assert response.status_code == 302
    assert not Case.objects.open().exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CASE_DISMISSED).count() == 3
    assert len(flash(response)) == 3


def test_one_refused_case_does_not_undo_the_others(moderator_client, moderator, alice, bob):
    refused = case_with_reporters(alice, 1)
    accepted = case_with_reporters(bob, 1)
    services.act_on_case(refused, moderator=moderator, actions=["dismiss"], reason="done")

    response = moderator_client.post(
        QUEUE_URL, bulk_post([refused, accepted], apply="yes", **act_data("hide"))
    )

    assert Case.objects.get(pk=accepted.pk).resolution == Case.Resolution.ACTIONED
    messages = flash(response)
    assert any("refused" in text and f"#{refused.pk}" in text for text in messages)
    assert any("1 message hidden" in text for text in messages)


def test_a_refused_bulk_submission_keeps_the_input(moderator_client, alice, bob):
    cases = [case_with_reporters(user, 1) for user in (alice, bob)]

    response = moderator_client.post(
        QUEUE_URL, bulk_post(cases, apply="yes", **act_data("warn", reason="Tone"))
    )

    assert response.status_code == 200
    assertContains(response, "Write the warning the user will read.")
    assertContains(response, "Tone")
    assert Case.objects.open().count() == 2


def test_the_bulk_action_refuses_more_than_100_cases(moderator_client):
    users = UserFactory.create_batch(MAX_CASES_PER_BULK_ACTION + 1)
    cases = Case.objects.bulk_create(
        Case(reported_user=user, account_id=user.pk, reported_username=user.username)
        for user in users
    )

    response = moderator_client.post(
        QUEUE_URL, bulk_post(cases, apply="yes", **act_data("dismiss"))
    )

    assert response.status_code == 302
    assert "at most 100 cases" in flash(response)[0]
    assert Case.objects.open().count() == MAX_CASES_PER_BULK_ACTION + 1


def test_the_bulk_action_deletes_at_most_10_accounts(moderator_client):
    cases = [case_with_reporters(UserFactory(), 1) for _ in range(11)]

    response = moderator_client.post(
        QUEUE_URL, bulk_post(cases, apply="yes", **act_data("delete_account"))
    )

    assert response.status_code == 200
    assertContains(response, "use the Users list")
    assert User.objects.filter(pk__in=[case.account_id for case in cases]).count() == 11


def test_the_bulk_account_deletion_asks_for_confirmation(moderator_client, alice, bob):
    cases = [case_with_reporters(user, 1) for user in (alice, bob)]
    data = bulk_post(cases, apply="yes", **act_data("delete_account", reason="Bots"))

    preview = moderator_client.post(QUEUE_URL, data)
    assert [row.refusal for row in preview.context["preview"].shown_rows] == [None, None]
    assert User.objects.filter(username__in=["alice", "bob"]).count() == 2

    response = moderator_client.post(QUEUE_URL, {**data, "confirm_account_deletion": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username__in=["alice", "bob"]).exists()


@pytest.mark.parametrize("forged", ["abc", "9" * 30])
def test_a_forged_selection_is_a_bad_request(moderator_client, report, forged):
    response = moderator_client.post(
        QUEUE_URL, {"action": "act_on_cases", "_selected_action": [forged], "index": "0"}
    )

    assert response.status_code == 400


# --- permissions ---------------------------------------------------------------------------------


def test_staff_without_the_group_is_refused_everywhere(staff_client, report, moderator):
    case = report.case
    for url in (QUEUE_URL, case_url(case)):
        assert staff_client.get(url).status_code == 403
    posts = {
        "act": act_data("dismiss"),
        "restore": {"restore-message": report.reported_message_id, "restore-reason": "x"},
        "lift": {"lift-reason": "x"},
        "add_note": {"note-text": "x", "note-on": "case"},
        "retention": {"retention-retain_until": "2099-01-01", "retention-reason": "x"},
    }
    for name, data in posts.items():
        assert staff_client.post(case_url(case, name), data).status_code == 403, name
    user_notes = reverse("admin:moderation_case_add_user_note", args=[report.case.account_id])
    assert staff_client.post(user_notes, {"note-text": "x"}).status_code == 403
    assert staff_client.post(QUEUE_URL, bulk_post([case], **act_data("dismiss"))).status_code == 403
    assert Case.objects.get(pk=case.pk).is_open
    assert not Note.objects.exists()


def test_the_evidence_names_a_deleted_reporter_deleted_account_and_marks_removed_words(
    moderator_client, moderator, alice
):
    ben = UserFactory(username="ben")
    question = MessageFactory(sender=ben, receiver=alice, content="ben asks")
    answer = ReplyFactory(parent_message=question, content="alice answers")
    report = services.report_message(
        reporter=ben, message=answer, reason="spam", comment="ben's comment"
    )
    messaging_services.delete_account(ben, actor=moderator, reason="r")

    retention.purge_expired_evidence(now=timezone.now() + datetime.timedelta(days=91))
    response = moderator_client.get(case_url(report.case))

    assertNotContains(response, "ben")
    parent = response.context["case_page"].evidence[0].evidence.messages[0]
    assert (parent.sender, parent.is_removed) == ("deleted account", True)
    assertContains(response, "Removed: the words of a deleted account")
    assertContains(response, "alice answers")
