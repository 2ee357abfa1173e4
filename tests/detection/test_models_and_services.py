"""Watched-word rules as data: validation on save (the matcher's checks, RE2's
reasons), the history naming the editor with the previous patterns, the audit
entries, and the per-process matcher rebuilt after every save."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from detection import services
from detection.matching import MAX_WORDS_PER_RULE, Rule
from detection.models import WatchedRule
from detection.services import current_matcher, save_rule, set_rule_active

pytestmark = pytest.mark.django_db


def words_rule(**fields) -> WatchedRule:
    return WatchedRule(**{"name": "Threats", "kind": "words", "words": "kill you", **fields})


def regex_rule(pattern: str, **fields) -> WatchedRule:
    return WatchedRule(name="Links", kind="regex", pattern=pattern, **fields)


def refusal(rule: WatchedRule, moderator) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        save_rule(rule, actor=moderator)
    assert not WatchedRule.objects.exists()
    return caught.value.message_dict


# --- the model ---------------------------------------------------------------------------


def test_as_rule_gives_the_matcher_one_word_per_line_without_blank_lines(moderator):
    rule = save_rule(words_rule(words="kill you\n\n  idiot \r\n"), actor=moderator)

    assert rule.as_rule() == Rule(id=rule.pk, kind="words", words=("kill you", "idiot"))


def test_a_new_rule_starts_switched_off(moderator):
    assert save_rule(words_rule(), actor=moderator).is_active is False


def test_active_rules_are_the_switched_on_ones(moderator):
    on = save_rule(words_rule(name="on", is_active=True), actor=moderator)
    save_rule(words_rule(name="off"), actor=moderator)

    assert list(WatchedRule.objects.active_rules()) == [on]


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "RE2 does not support backreferences"),
        (r"foo(?=bar)", "RE2 does not support lookahead"),
        (r"(?<!x)y", "RE2 does not support lookbehind"),
        ("x*", "matches an empty text"),
        ("(unclosed", "The pattern is not valid"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_with_its_reason_on_the_pattern(
    moderator, pattern, reason
):
    problems = refusal(regex_rule(pattern), moderator)

    assert reason in " ".join(problems["pattern"])
    assert set(problems) == {"pattern"}


def test_a_word_rule_without_words_is_refused_on_the_words(moderator):
    assert refusal(words_rule(words="\n \n"), moderator) == {
        "words": ["Add at least one word or phrase."]
    }


def test_a_word_rule_with_a_pattern_is_refused_on_the_pattern(moderator):
    problems = refusal(words_rule(pattern="kill"), moderator)

    assert problems == {"pattern": ["A word rule takes words, not a pattern."]}


def test_a_regex_rule_with_words_is_refused_on_the_words(moderator):
    problems = refusal(regex_rule("kill", words="kill"), moderator)

    assert problems == {"words": ["A regular-expression rule takes a pattern, not words."]}


def test_a_refusing_rule_needs_the_message_the_sender_sees(moderator):
    problems = refusal(words_rule(action="refuse", refusal_message="  "), moderator)

    assert list(problems) == ["refusal_message"]


def test_nul_is_refused_on_its_field(moderator):
    problems = refusal(words_rule(words="kill\x00you"), moderator)

    assert problems == {"words": ["This cannot contain a NUL character."]}


def test_too_many_words_are_refused_with_the_count_and_few_messages(moderator):
    words = "\n".join(f"{'x' * 200}{n}" for n in range(5_000))

    problems = refusal(words_rule(words=words), moderator)["words"]

    assert f"at most {MAX_WORDS_PER_RULE:,}" in problems[0]
    assert "(this one has 5,000)" in problems[0]
    assert len(problems) == services.MAX_PROBLEMS_SHOWN + 1
    assert problems[-1] == "… and 4,996 more problems like these."


def test_an_unknown_kind_is_refused_on_the_kind(moderator):
    assert list(refusal(words_rule(kind="glob"), moderator)) == ["kind"]


# --- history and audit ---------------------------------------------------------------------


def test_the_history_names_the_editor_and_keeps_the_previous_pattern(moderator, superuser):
    rule = save_rule(regex_rule(r"bad\s+word"), actor=moderator, change_message="first")
    rule.pattern = r"worse\s+word"
    save_rule(rule, actor=superuser, change_message="tighter")

    newest, oldest = rule.history.order_by("-history_id")
    assert (oldest.pattern, oldest.history_user, oldest.history_change_reason) == (
        r"bad\s+word",
        moderator,
        "first",
    )
    assert (newest.pattern, newest.history_user, newest.history_change_reason) == (
        r"worse\s+word",
        superuser,
        "tighter",
    )
    rule.refresh_from_db()
    assert (rule.created_by, rule.updated_by) == (moderator, superuser)


def test_creating_and_changing_are_audited_with_the_fields_changed(moderator):
    rule = save_rule(words_rule(), actor=moderator, change_message="new list")
    rule.words, rule.action = "kill you\nhurt you", "hide"
    save_rule(rule, actor=moderator, change_message="more")

    changed, created = AuditEntry.objects.order_by("-id")[:2]
    assert created.action == AuditEntry.Action.RULE_CREATED
    assert created.reason == "new list"
    assert created.details["rule_id"] == rule.pk
    assert changed.action == AuditEntry.Action.RULE_CHANGED
    assert changed.actor == moderator
    assert changed.details["fields"] == ["words", "action"]


def test_an_edit_that_changes_nothing_writes_nothing(moderator):
    rule = save_rule(words_rule(), actor=moderator)
    entries, versions = AuditEntry.objects.count(), rule.history.count()

    save_rule(WatchedRule.objects.get(pk=rule.pk), actor=moderator)

    assert (AuditEntry.objects.count(), rule.history.count()) == (entries, versions)


def test_switching_on_and_off_is_audited_and_kept_in_the_history(moderator):
    rule = save_rule(words_rule(), actor=moderator)

    set_rule_active(rule, actor=moderator, active=True)
    set_rule_active(rule, actor=moderator, active=True)  # already on: nothing
    set_rule_active(rule, actor=moderator, active=False)

    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["rule_created", "rule_switched_on", "rule_switched_off"]
    assert [v.is_active for v in rule.history.order_by("history_id")] == [False, True, False]


def test_a_refused_change_message_writes_nothing(moderator):
    with pytest.raises(ValidationError) as caught:
        save_rule(words_rule(), actor=moderator, change_message="x" * 1_001)

    assert "change_message" in caught.value.message_dict
    assert not WatchedRule.objects.exists()


# --- the matcher of the active rules -------------------------------------------------------


def test_the_matcher_is_built_once_per_version(moderator, django_assert_num_queries):
    save_rule(words_rule(is_active=True), actor=moderator)
    current_matcher()

    with django_assert_num_queries(0):
        matcher = current_matcher()

    assert [match.matched_text for match in matcher.match("I will KILL   you")] == ["KILL   you"]


def test_a_save_invalidates_the_matcher(moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rule = save_rule(words_rule(is_active=True), actor=moderator)
    assert current_matcher().match("kill you")

    rule.words = "hurt you"
    with django_capture_on_commit_callbacks(execute=True):
        save_rule(rule, actor=moderator)

    matcher = current_matcher()
    assert not matcher.match("kill you")
    assert matcher.match("hurt you")


def test_switching_off_invalidates_the_matcher(moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rule = save_rule(words_rule(is_active=True), actor=moderator)
    assert current_matcher().match("kill you")

    with django_capture_on_commit_callbacks(execute=True):
        set_rule_active(rule, actor=moderator, active=False)

    assert not current_matcher().match("kill you")


def test_the_version_changes_only_once_the_save_commits(
    moderator, django_capture_on_commit_callbacks
):
    current_matcher()
    version = services.cache.get(services.RULES_VERSION_KEY)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        save_rule(words_rule(is_active=True), actor=moderator)

    assert services.cache.get(services.RULES_VERSION_KEY) == version
    for callback in callbacks:
        callback()
    assert services.cache.get(services.RULES_VERSION_KEY) not in (None, version)
