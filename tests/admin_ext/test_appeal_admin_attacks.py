"""Attacks on the admin side of appeals and sanctions (admin_ext/admin/appeals.py,
admin_ext/admin/sanctions.py, moderation/appeals.py): every URL the admin serves
for the two models, tried by the moderator who imposed the sanction, a staff
account outside the Moderators group, an ordinary user and an anonymous visitor;
double decisions, CSRF, the superuser's override, a moderator's own appeal. Bad
input: test_appeal_admin_input_attacks.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from moderation.models import Appeal, Sanction
from moderation.services import ask_appeal_question, file_appeal, warn_user
from tests.admin_ext.appeal_attack_support import (
    LOGIN_PREFIX,
    POSTED,
    client_of,
    decide,
    flash,
    model_urls,
    state,
)
from tests.factories import ModeratorFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- who reaches what ---------------------------------------------------------------------


def test_the_walk_covers_ask_decide_history_delete_and_the_sanctions_list(warning_appeal):
    urls = model_urls(warning_appeal)

    assert len(urls) == 13
    assert any(url.endswith("/ask/") for url in urls)
    assert any(url.endswith("/history/") for url in urls)


@pytest.mark.parametrize("who", ["anonymous", "user", "staff"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_reach_no_appeal_or_sanction_url_and_change_nothing(
    who, method, warning_appeal, alice
):
    user = {
        "anonymous": None,
        "user": alice,
        "staff": UserFactory(username="helper", is_staff=True),
    }[who]
    client = client_of(user)
    before = state()

    for url in model_urls(warning_appeal):
        data = {**POSTED, "_selected_action": str(warning_appeal.pk)}
        response = getattr(client, method)(url, data)
        if user is None or not user.is_staff:
            assert response.status_code == 302, url
            assert response["Location"].startswith(LOGIN_PREFIX), url
        else:
            assert response.status_code == 403, (url, response.status_code)

    assert state() == before


def test_the_imposer_changes_nothing_through_any_url(kim, warning_appeal):
    client = client_of(kim)
    before = state()

    for url in model_urls(warning_appeal):
        data = {**POSTED, "_selected_action": str(warning_appeal.pk)}
        response = client.post(url, data)
        assert response.status_code != 500, url

    assert state() == before


def test_the_imposers_ask_is_refused_in_words(kim, warning_appeal):
    response = client_of(kim).post(
        reverse("admin:moderation_appeal_ask", args=[warning_appeal.pk]),
        {"ask-question": "Sure?"},
    )

    assert response.status_code == 302
    assert any("four eyes" in words for words in flash(response))
    assert Appeal.objects.get().question == ""


def test_the_imposer_sees_no_decide_form_and_no_action_on_the_queue(kim, warning_appeal):
    client = client_of(kim)

    page = client.get(reverse("admin:moderation_appeal_change", args=[warning_appeal.pk]))
    queue = client.get(reverse("admin:moderation_appeal_changelist"))

    assert page.status_code == 200 and "decide-reason" not in page.content.decode()
    assert queue.status_code == 200 and not queue.context["action_form"]


def test_a_staff_account_outside_the_group_with_the_permission_still_may_not_decide(
    warning_appeal,
):
    helper = UserFactory(username="helper", is_staff=True)
    helper.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_appeal", "view_appeal", "change_case"])
    )
    before = state()

    response = decide(client_of(helper), warning_appeal, "approve", "sure")

    assert response.status_code == 403
    assert state() == before


def test_a_superusers_override_works_and_is_audited_as_one(alice):
    boss = SuperuserFactory(username="boss")
    warn_user(alice, moderator=boss, reason="spam", warning="Stop.")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text="Please.")

    response = decide(client_of(boss), appeal, "approve", "I was wrong.")

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_APPROVED)
    assert entry.actor == boss
    assert entry.details["four_eyes_override"] is True


def test_another_moderators_decision_is_not_marked_as_an_override(warning_appeal, moderator):
    decide(client_of(moderator), warning_appeal, "reject", "It stands.")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_REJECTED)
    assert "four_eyes_override" not in entry.details


# --- double submissions --------------------------------------------------------------------


def test_approving_twice_reverses_once(warning_appeal, moderator):
    client = client_of(moderator)

    decide(client, warning_appeal, "approve", "Fine.")
    entries = AuditEntry.objects.count()
    response = decide(client, warning_appeal, "approve", "Fine again.")

    assert any("already decided" in words for words in flash(response))
    assert AuditEntry.objects.count() == entries
    assert Appeal.objects.get().decision_reason == "Fine."


def test_approve_then_reject_keeps_the_approval(warning_appeal, moderator):
    client = client_of(moderator)

    decide(client, warning_appeal, "approve", "Fine.")
    response = decide(client, warning_appeal, "reject", "No.")

    assert any("already decided" in words for words in flash(response))
    assert Appeal.objects.get().status == Appeal.Status.APPROVED
    assert Sanction.objects.get().ending == Sanction.Ending.OVERTURNED


def test_asking_twice_keeps_the_first_question(warning_appeal, moderator):
    client = client_of(moderator)
    url = reverse("admin:moderation_appeal_ask", args=[warning_appeal.pk])

    client.post(url, {"ask-question": "First?"})
    response = client.post(url, {"ask-question": "Second?"})

    assert response.status_code == 302
    assert any("only one is possible" in words for words in flash(response))
    assert Appeal.objects.get().question == "First?"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_QUESTION_ASKED).count() == 1


def test_asking_after_the_decision_is_refused(warning_appeal, moderator):
    decide(client_of(moderator), warning_appeal, "reject", "No.")

    ask_url = reverse("admin:moderation_appeal_ask", args=[warning_appeal.pk])
    response = client_of(moderator).post(ask_url, {"ask-question": "Late?"})

    assert any("already decided" in words for words in flash(response))
    assert Appeal.objects.get().question == ""


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ask", "decide"])
def test_the_admin_posts_need_csrf(warning_appeal, moderator, name):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    before = state()

    response = client.post(
        reverse(f"admin:moderation_appeal_{name}", args=[warning_appeal.pk]),
        {"decide-decision": "approve", "decide-reason": "x", "ask-question": "?"},
    )

    assert response.status_code == 403
    assert state() == before


# --- what the moderators' pages keep from the log ------------------------------------------


def test_the_question_and_the_answer_stay_out_of_the_audit_log(warning_appeal, moderator, alice):
    ask_appeal_question(warning_appeal, moderator=moderator, question="Zqxwv which links?")

    for entry in AuditEntry.objects.all():
        assert "Zqxwv" not in f"{entry.reason} {entry.details}"
        assert "They were my own links." not in f"{entry.reason} {entry.details}"


# --- a moderator under a sanction -----------------------------------------------------------


@pytest.fixture
def kims_own_appeal(kim):
    """kim, a moderator, warned by another moderator, appeals from the people's pages."""
    lee = ModeratorFactory(username="lee")
    warn_user(kim, moderator=lee, reason="rude to a colleague", warning="Be civil.")
    client_of(kim).post(
        reverse("moderation:appeal_sanction", args=[Sanction.objects.get().pk]),
        {"text": "I was civil."},
    )
    return Appeal.objects.get(user=kim)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_moderator_may_not_decide_their_own_appeal(kim, kims_own_appeal, decision):
    before = state()

    response = decide(client_of(kim), kims_own_appeal, decision, "Looks fine to me.")

    assert response.status_code == 302
    assert any("your own appeal" in words for words in flash(response))
    assert state() == before


def test_a_moderator_may_not_ask_on_their_own_appeal(kim, kims_own_appeal):
    before = state()

    response = client_of(kim).post(
        reverse("admin:moderation_appeal_ask", args=[kims_own_appeal.pk]),
        {"ask-question": "Was I civil?"},
    )

    assert any("your own appeal" in words for words in flash(response))
    assert state() == before


def test_a_moderators_own_appeal_page_offers_no_forms(kim, kims_own_appeal):
    response = client_of(kim).get(
        reverse("admin:moderation_appeal_change", args=[kims_own_appeal.pk])
    )

    assert response.status_code == 200
    assert "decide-reason" not in response.content.decode()
    assert "your own appeal" in response.content.decode()


def test_another_moderator_decides_a_moderators_appeal(moderator, kims_own_appeal):
    response = decide(client_of(moderator), kims_own_appeal, "approve", "Civil enough.")

    assert response.status_code == 302
    assert Appeal.objects.get().status == Appeal.Status.APPROVED


def test_the_appeal_page_escapes_the_persons_words(moderator, alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop.")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text="<script>alert('x')</script>")

    response = client_of(moderator).get(reverse("admin:moderation_appeal_change", args=[appeal.pk]))

    assert response.status_code == 200
    assert "<script>alert('x')" not in response.content.decode()
    assert "&lt;script&gt;alert(" in response.content.decode()
