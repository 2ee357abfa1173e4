"""The command palette's search (admin_ext/command_search.py, served by the site's
``search`` view): what a term finds, for whom, how many and at what cost, and
that odd input answers without a server error and nothing is cached."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains

from admin_ext.admin.base import MAX_SEARCH_TERM_LENGTH
from admin_ext.command_search import RESULTS_PER_KIND
from moderation.models import Case
from tests.factories import MessageFactory, UserFactory, reported_message
from tests.reliability.privacy_scan import cache_hits

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("admin:search")
# The palette's answer, whatever the term finds: the role look-ups, the pages,
# one query per kind (people, cases, the messages' user look-up per word and the
# messages), three for an id.
SEARCH_QUERY_BUDGET = 14


def found(client, term: str) -> list[tuple[str, str]]:
    """(title, link) of each result the palette shows for ``term``."""
    response = client.get(SEARCH_URL, {"s": term})
    assert response.status_code == 200
    return [(result.title, str(result.link)) for result in response.context["results"]]


def links(client, term: str) -> list[str]:
    return [link for _title, link in found(client, term)]


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:{model}_change", args=[pk])


def test_a_message_id_with_or_without_hash_jumps_to_the_message(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="see you")

    for term in (str(message.pk), f"#{message.pk}"):
        assert change_url("messaging_message", message.pk) in links(moderator_client, term)


def test_an_id_finds_the_case_and_the_person_with_it(moderator_client, alice):
    case = reported_message(author=alice).case

    assert change_url("moderation_case", case.pk) in links(moderator_client, f"#{case.pk}")
    assert change_url("auth_user", alice.pk) in links(moderator_client, f"#{alice.pk}")


def test_words_find_messages_through_the_messages_search(moderator_client, alice, bob):
    wanted = MessageFactory(sender=alice, receiver=bob, content="the blue heron flew")
    MessageFactory(sender=alice, receiver=bob, content="a red heron")

    results = found(moderator_client, "heron blue")

    assert [link for _, link in results if "/message/" in link] == [
        change_url("messaging_message", wanted.pk)
    ]
    assert f"Message #{wanted.pk}: alice → bob" in [title for title, _ in results]


def test_a_username_finds_the_person_first_and_their_case(moderator_client):
    zeno = UserFactory(username="zeno")
    UserFactory(username="zenobia")
    case = reported_message(author=zeno).case

    results = links(moderator_client, "zeno")

    people = [link for link in results if "/auth/user/" in link]
    assert people[0] == change_url("auth_user", zeno.pk)
    assert len(people) == 2
    assert change_url("moderation_case", case.pk) in results


def test_pages_are_found_by_the_names_the_sidebar_gives_them(moderator_client):
    assert found(moderator_client, "queue") == [
        ("Review queue", reverse("admin:moderation_case_changelist"))
    ]


def test_a_moderator_is_offered_no_page_of_groups_and_a_superuser_is(moderator, superuser):
    groups = reverse("admin:auth_group_changelist")
    moderator_client, superuser_client = Client(), Client()
    moderator_client.force_login(moderator)
    superuser_client.force_login(superuser)

    assert groups not in links(moderator_client, "group")
    assert groups in links(superuser_client, "group")


def test_staff_without_the_group_find_no_people_messages_or_cases(client, alice, bob):
    client.force_login(UserFactory(username="staffer", is_staff=True))
    MessageFactory(sender=alice, receiver=bob, content="alice was here")
    reported_message(author=alice)

    assert found(client, "alice") == []
    assert found(client, str(alice.pk)) == []
    assert links(client, "dash") == [reverse("admin:index")]


def test_each_kind_finds_at_most_its_limit(moderator_client):
    author = UserFactory(username="author")
    for number in range(RESULTS_PER_KIND + 3):
        person = UserFactory(username=f"many{number}")
        MessageFactory(sender=author, receiver=person, content=f"many thanks {number}")
        reported_message(author=person)

    results = links(moderator_client, "many")

    assert len([link for link in results if "/auth/user/" in link]) == RESULTS_PER_KIND
    assert len([link for link in results if "/case/" in link]) == RESULTS_PER_KIND
    assert len([link for link in results if "/message/" in link]) == RESULTS_PER_KIND


def test_a_search_costs_the_same_queries_for_many_matches_as_for_one(
    moderator_client, django_assert_max_num_queries
):
    reported_message(author=UserFactory(username="match0"), content="match")
    moderator_client.get(SEARCH_URL, {"s": "match"})  # warm the session
    with CaptureQueriesContext(connection) as one_match:
        found(moderator_client, "match")
    for number in range(1, 20):
        reported_message(author=UserFactory(username=f"match{number}"), content="match")

    with django_assert_max_num_queries(len(one_match)):
        found(moderator_client, "match")
    assert len(one_match) <= SEARCH_QUERY_BUDGET


@pytest.mark.parametrize(
    "term",
    [
        "#abc",
        "#",
        "# 12",
        "9" * 19,
        "9" * 40,
        "-1",
        "0",
        "%",
        "_",
        "'\"",
        "a" * MAX_SEARCH_TERM_LENGTH,
    ],
    ids=repr,
)
def test_odd_terms_answer_without_an_error(moderator_client, term):
    response = moderator_client.get(SEARCH_URL, {"s": term})

    assert response.status_code == 200


def test_a_term_too_long_to_search_says_so(moderator_client):
    response = moderator_client.get(SEARCH_URL, {"s": "a" * 10_000})

    assertContains(response, "Search for at most 1,000 characters: nothing was searched.")


def test_a_nul_character_is_refused_as_a_bad_request(moderator_client):
    assert moderator_client.get(SEARCH_URL, {"s": "ab\x00c"}).status_code == 400


def test_an_empty_term_answers_nothing(moderator_client):
    response = moderator_client.get(SEARCH_URL, {"s": "   "})

    assert response.status_code == 200
    assert response.content == b""


def test_results_are_never_cached(moderator_client):
    """unfold's own search kept each answer five minutes: a deleted person's name
    would outlive their deletion in the cache."""
    UserFactory(username="zenobia-private")

    assert links(moderator_client, "zenobia-private")
    assert cache_hits("zenobia-private") == []  # local memory or Redis, whichever runs


def test_results_are_escaped(moderator_client, alice, bob):
    MessageFactory(sender=alice, receiver=bob, content="<script>alert(1)</script> hello")

    response = moderator_client.get(SEARCH_URL, {"s": "alert"})

    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt; hello")
    assert b"<script>alert(1)" not in response.content


def test_a_deleted_accounts_case_is_found_by_its_id(moderator_client):
    case = reported_message(author=UserFactory(username="gone")).case
    Case.objects.filter(pk=case.pk).update(reported_user=None, reported_username="")

    expected = (f"Case #{case.pk}: deleted account", change_url("moderation_case", case.pk))
    assert expected in found(moderator_client, f"#{case.pk}")
