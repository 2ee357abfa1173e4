"""How moderation's reads and person-facing pages show a watched-word rule's
actions (moderation.automatic): the rule named where a person would be, its
matches kept as evidence, and a hidden message told as hidden automatically."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from detection.models import WatchedRule
from detection.services import save_rule
from messaging.models import Message
from messaging.services import send_message
from moderation.automatic import RuleFinding, hide_message_automatically
from moderation.evidence import RuleMatch, rule_matches
from moderation.models import Case, Report, Sanction
from moderation.selectors import load_case_page
from moderation.services import hide_message, restore_message
from tests.factories import MessageFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

RULE_NAME = "Slurs"
AUTOMATIC_NAME = "automatic · rule “Slurs”"
AUTOMATIC_WORDS = "Hidden automatically"


def hidden_by_rule(author, receiver, *, content: str = "you badword") -> Report:
    """``author``'s message to ``receiver`` as the rule "Slurs" hid it, "badword" matched."""
    message = MessageFactory(sender=author, receiver=receiver, content=content)
    start = content.index("badword")
    finding = RuleFinding(
        rule_id=1, rule_name=RULE_NAME, matches=((start, start + len("badword"), "badword"),)
    )
    return hide_message_automatically(message, finding)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- reads ------------------------------------------------------------------------------


def test_a_rules_report_is_shown_with_the_rule_and_its_matches(alice, bob):
    report = hidden_by_rule(alice, bob, content="well, you badword")

    (item,) = load_case_page(report.case, with_notes=False).evidence

    assert item.reporter == AUTOMATIC_NAME
    assert item.rule_matches == [RuleMatch(start=10, end=17, text="badword")]


def test_a_rules_report_has_no_reliability_beside_a_persons(alice, bob, carol):
    hidden_by_rule(alice, bob)
    reported_message(author=alice, reporter=carol)

    items = load_case_page(Case.objects.get(), with_notes=False).evidence

    assert [(item.reporter, item.reliability is None) for item in items] == [
        (AUTOMATIC_NAME, True),
        ("carol", False),
    ]


def test_a_persons_report_has_no_rule_matches(alice, bob):
    report = reported_message(author=alice, reporter=bob)

    (item,) = load_case_page(report.case, with_notes=False).evidence

    assert item.rule_matches == []


def test_the_send_path_keeps_what_the_rule_matched(
    alice, bob, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(
            WatchedRule(name=RULE_NAME, kind="words", words="badword", action="hide",
                        is_active=True),
            actor=superuser,
        )  # fmt: skip
    send_message(sender=alice, receiver=bob, content="you badword")

    (item,) = load_case_page(Case.objects.get(), with_notes=False).evidence

    assert item.reporter == AUTOMATIC_NAME
    assert item.rule_matches == [RuleMatch(start=4, end=11, text="badword")]


@pytest.mark.parametrize(
    ("matches", "content"),
    [
        ([{"start": 0, "end": 3, "text": "bad"}], "bad"),  # fits
        ([{"start": 0, "end": 3, "text": "bad"}], "good"),  # the words differ there
        ([{"start": 2, "end": 9, "text": "bad"}], "bad"),  # past the end
        ([{"start": "0", "end": 3, "text": "bad"}], "bad"),  # not a number
        ([{"start": 3, "end": 3, "text": ""}], "bad"),  # empty
        (["bad"], "bad"),
        ("bad", "bad"),
    ],
)
def test_only_stored_matches_that_still_fit_the_message_are_read(matches, content):
    snapshot = {"message": {"content": content}, "automatic": {"matches": matches}}

    found = rule_matches(snapshot)

    fits = content == "bad" and matches == [{"start": 0, "end": 3, "text": "bad"}]
    assert found == ([RuleMatch(start=0, end=3, text="bad")] if fits else [])


@pytest.mark.parametrize("snapshot", [None, [], {}, {"automatic": {}}, {"message": "x"}])
def test_a_snapshot_without_rule_matches_reads_as_none(snapshot):
    assert rule_matches(snapshot) == []


# --- the person's pages ---------------------------------------------------------------


def test_the_decisions_page_says_a_rule_hid_the_message_not_a_moderator(alice, bob, alice_client):
    hidden_by_rule(alice, bob)

    response = alice_client.get(reverse("moderation:decisions"))

    assertContains(response, AUTOMATIC_WORDS)
    assertContains(
        response, "A moderator reviews every message hidden this way, and you can appeal"
    )
    sanction = Sanction.objects.get()
    assertContains(response, reverse("moderation:appeal_sanction", args=[sanction.pk]))
    assertNotContains(response, RULE_NAME)  # the rules are the desk's, not the person's


def test_a_moderators_hide_is_not_called_automatic(alice, bob, moderator, alice_client):
    message = MessageFactory(sender=alice, receiver=bob)
    hide_message(message, moderator=moderator, reason="abuse")

    response = alice_client.get(reverse("moderation:decisions"))

    assertContains(response, "Message hidden")
    assertNotContains(response, AUTOMATIC_WORDS)


def test_the_appeal_of_a_rules_hide_reaches_its_form_from_the_thread(alice, bob, alice_client):
    report = hidden_by_rule(alice, bob)

    response = alice_client.get(
        reverse("moderation:appeal_message", args=[report.reported_message_id]), follow=True
    )

    assertContains(response, "Send appeal")
    assertContains(response, AUTOMATIC_WORDS)
    assertContains(response, "you badword")  # their own words, quoted back to them
    # Nobody took it: any moderator decides.
    assertContains(response, "A moderator decides;")
    assertNotContains(response, "who did not take it")


def test_an_ended_rules_hide_no_longer_offers_an_appeal(alice, bob, moderator, alice_client):
    report = hidden_by_rule(alice, bob)
    restore_message(
        Message.objects.get(pk=report.reported_message_id), moderator=moderator, reason="fine"
    )

    response = alice_client.get(reverse("moderation:decisions"))

    assertContains(response, AUTOMATIC_WORDS)
    assertNotContains(response, "and you can appeal")


def test_another_persons_decisions_are_not_shown(alice, bob, client):
    hidden_by_rule(alice, bob)
    client.force_login(UserFactory())

    response = client.get(reverse("moderation:decisions"))

    assertNotContains(response, AUTOMATIC_WORDS)
