import pytest

from detection.matching import (
    MAX_PATTERN_LENGTH,
    MAX_WORD_LENGTH,
    MAX_WORDS_PER_RULE,
    REGEX,
    WORDS,
    Match,
    Matcher,
    Rule,
    validate_pattern,
    validate_rule,
)


def words(*watched: str, rule_id: int | str = 1) -> Rule:
    return Rule(id=rule_id, kind=WORDS, words=watched)


def regex(pattern: str, rule_id: int | str = 1) -> Rule:
    return Rule(id=rule_id, kind=REGEX, pattern=pattern)


def matched(rules: list[Rule], text: str) -> list[str]:
    found = Matcher.build(rules).match(text)
    # The span is where the sender wrote it, whatever the obfuscation.
    assert all(text[match.start : match.end] == match.matched_text for match in found)
    return [match.matched_text for match in found]


# --- word rules -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "idiot",
        "You IDIOT!",
        "(idiot)",
        "'idiot'",
        "#idiot",
        "idiot...",
        "😀idiot😀",
        "日本語 idiot",
    ],
)
def test_a_watched_word_matches_with_anything_but_letters_around_it(text):
    assert matched([words("idiot")], text) == [text[text.lower().index("idiot") :][:5]]


@pytest.mark.parametrize("text", ["idiotic", "idiots", "anidiot", "idiot2", "skill", "killer"])
def test_a_watched_word_inside_another_word_does_not_match(text):
    assert matched([words("idiot", "kill")], text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("idiöt", "idiöt"),
        ("ÏDÏÔT", "ÏDÏÔT"),
        ("idio\u0308t", "idio\u0308t"),
        ("you idiooooot", "idiooooot"),
        ("i.d.i.o.t", "i.d.i.o.t"),
        ("what an i d i o t", "i d i o t"),
        ("i-d-i-o-t!", "i-d-i-o-t"),
        ("i_d_i_o_t", "i_d_i_o_t"),
        ("I.D.I.Ö.T", "I.D.I.Ö.T"),
        ("idi\u200bot", "idi\u200bot"),
    ],
)
def test_obfuscated_spellings_match_and_highlight_what_was_written(text, expected):
    assert matched([words("idiot")], text) == [expected]


def test_a_phrase_matches_across_any_spaces_and_punctuation():
    rules = [words("kill you")]

    assert matched(rules, "I will KILL   you!") == ["KILL   you"]
    assert matched(rules, "kill... you") == ["kill... you"]
    assert matched(rules, "skill you") == []
    assert matched(rules, "killyou") == []
    assert matched(rules, "kill your plants") == []


def test_letters_written_once_or_twice_must_match_exactly():
    rules = [words("good", rule_id="good"), words("god", rule_id="god"), words("ass")]

    assert Matcher.build(rules).match("good god as") == [
        Match(rule_id="good", start=0, end=4, matched_text="good"),
        Match(rule_id="god", start=5, end=8, matched_text="god"),
    ]


def test_letters_written_three_times_or_more_match_either_spelling():
    rules = [words("good", rule_id="good"), words("god", rule_id="god")]

    found = Matcher.build(rules).match("goooood")

    assert [(match.rule_id, match.matched_text) for match in found] == [
        ("good", "goooood"),
        ("god", "goooood"),
    ]


def test_digits_are_not_collapsed_as_repeated_letters():
    assert matched([words("100")], "1000 and 100") == ["100"]


def test_non_latin_words_match_case_insensitively():
    assert matched([words("дурак")], "Ты ДУРАК!") == ["ДУРАК"]


def test_empty_and_emoji_only_text_match_nothing():
    matcher = Matcher.build([words("idiot"), regex("bad")])

    assert matcher.match("") == []
    assert matcher.match("😀👍🏽🇫🇷") == []


def test_every_occurrence_is_found_in_order_of_position():
    found = Matcher.build([words("spam", rule_id=2), words("idiot", rule_id=1)]).match(
        "idiot spam IDIOT"
    )

    assert [(match.rule_id, match.start, match.end) for match in found] == [
        (1, 0, 5),
        (2, 6, 10),
        (1, 11, 16),
    ]


def test_rules_on_the_same_span_come_in_the_order_they_were_given():
    found = Matcher.build([words("idiot", rule_id="b"), words("IDIOT", rule_id="a")]).match("idiot")

    assert [match.rule_id for match in found] == ["b", "a"]


def test_one_rule_matching_twice_on_the_same_span_reports_it_once():
    assert matched([words("idiot", "IDIÖT")], "idiot") == ["idiot"]


def test_a_thousand_word_rules_build_once_and_each_still_matches():
    rules = [
        words(f"word{number}x", f"phrase {number} y", rule_id=number) for number in range(1_000)
    ]
    matcher = Matcher.build(rules)

    for number in range(1_000):
        found = matcher.match(f"you said WORD{number}X, then phrase {number}   y.")
        assert [match.rule_id for match in found] == [number, number]


# --- regular-expression rules -------------------------------------------------------


def test_a_regular_expression_is_case_insensitive_and_reads_the_normalised_text():
    text = "Café: a BÄD   w.o.r.d here"

    assert matched([regex(r"bad\s+word")], text) == ["BÄD   w.o.r.d"]


def test_a_regular_expression_sees_repeated_letters_as_written():
    assert matched([regex("idio+t")], "idiooot idit") == ["idiooot"]
    assert matched([regex("idiot")], "idiooot") == []


def test_regular_expression_and_word_matches_come_together_in_order():
    found = Matcher.build([regex(r"\d{3}-\d{4}", rule_id="phone"), words("call", rule_id="call")])

    assert [(match.rule_id, match.matched_text) for match in found.match("CALL 555-1234")] == [
        ("call", "CALL"),
        ("phone", "555-1234"),
    ]


def test_re2_word_boundaries_know_ascii_only_so_non_latin_words_need_letter_classes():
    # What the README tells rule writers: \b misses here, \pL does not.
    word = "дурак"

    assert matched([regex(rf"\b{word}\b")], "ты дурак") == []
    assert matched([regex(rf"(?:^|\PL){word}(?:\PL|$)")], "ты дурак") == [" дурак"]


def test_catastrophic_backtracking_patterns_run_in_linear_time():
    # Python's re would take ages here; RE2 finishes at once (not timed: that
    # would make a flaky test).
    matcher = Matcher.build([regex("(a+)+$")])

    assert matcher.match("a" * 50_000 + "b") == []
    assert validate_pattern("(a+)+$") is None


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", r"RE2 does not support backreferences such as \1."),
        (r"(?P<x>a)(?P=x)", "RE2 does not support backreferences such as (?P=name)."),
        (r"(?=idiot)\w+", "RE2 does not support lookahead such as (?=...)."),
        (r"idiot(?!s)", "RE2 does not support lookahead such as (?!...)."),
        (r"(?<=you )idiot", "RE2 does not support lookbehind such as (?<=...)."),
        (r"(?<!not )idiot", "RE2 does not support lookbehind such as (?<!...)."),
        ("(((", "The pattern is not valid: missing ): (((."),
        ("a{5000}", "The pattern is not valid: invalid repetition size: {5000}."),
        ("", "The pattern is empty."),
        ("a*", "The pattern matches an empty text, so it would catch every message."),
        ("x" * (MAX_PATTERN_LENGTH + 1), "The pattern is longer than 1,000 characters."),
        ("\ud800", "The pattern contains characters that are not valid text."),
        (None, "The pattern must be text."),
        (
            "caf[ée]",
            "Messages are matched with accents and special forms removed, so “é” never "
            "appears in them: write “e” instead.",
        ),
        (
            "stra(ß|ss)e",
            "Messages are matched with accents and special forms removed, so “ß” never "
            "appears in them: write “ss” instead.",
        ),
        (
            "idio\u0308t",
            "Messages are matched with accents and special forms removed, so “\u0308” never "
            "appears in them: leave it out.",
        ),
    ],
)
def test_validate_pattern_refuses_what_re2_cannot_run_with_the_reason(pattern, reason):
    assert validate_pattern(pattern) == reason


def test_validate_pattern_accepts_what_re2_runs():
    assert validate_pattern(r"\bb[a@]d\s*w[o0]rds?\b") is None
    assert validate_pattern("ДУРАК|дурак") is None  # case alone is no obstacle


# --- validate_rule and building -------------------------------------------------------


def test_validate_rule_accepts_a_good_rule_of_each_kind():
    assert validate_rule(words("idiot", "kill you")) == []
    assert validate_rule(regex("idio+t")) == []


@pytest.mark.parametrize(
    ("rule", "problems"),
    [
        (words(), ["Add at least one word or phrase."]),
        (words("idiot", "  "), ["One of the words is empty."]),
        (words("!!!"), ["“!!!” has no letters or digits to match."]),
        (words("😀"), ["“😀” has no letters or digits to match."]),
        (
            words("a" * (MAX_WORD_LENGTH + 1)),
            [f"“{'a' * 40}…” is longer than {MAX_WORD_LENGTH} characters."],
        ),
        (
            words(*[f"w{number}" for number in range(MAX_WORDS_PER_RULE + 1)]),
            [
                "A rule takes at most 1,000 words or phrases (this one has 1,001): "
                "split it into several rules."
            ],
        ),
        (
            Rule(id=1, kind=WORDS, words=("idiot",), pattern="x"),
            ["A word rule takes words, not a pattern."],
        ),
        (regex(r"(a)\1"), [r"RE2 does not support backreferences such as \1."]),
        (
            Rule(id=1, kind=REGEX, words=("idiot",), pattern="x"),
            ["A regular-expression rule takes a pattern, not words."],
        ),
        (Rule(id=1, kind="fuzzy"), ["Unknown kind of rule 'fuzzy': choose 'words' or 'regex'."]),
    ],
)
def test_validate_rule_says_what_is_wrong(rule, problems):
    assert validate_rule(rule) == problems


def test_a_word_and_a_phrase_at_the_limits_are_accepted():
    longest = "a" * MAX_WORD_LENGTH
    rule = words(longest, *[f"w{number}" for number in range(MAX_WORDS_PER_RULE - 1)])

    assert validate_rule(rule) == []
    assert matched([rule], f"say {longest}") == [longest]


def test_build_skips_a_rule_that_cannot_run_and_says_why():
    matcher = Matcher.build([regex(r"(a)\1", rule_id="broken"), words("idiot", rule_id="ok")])

    assert matcher.skipped == {"broken": [r"RE2 does not support backreferences such as \1."]}
    assert [match.rule_id for match in matcher.match("aa idiot")] == ["ok"]


def test_a_matcher_without_rules_matches_nothing():
    assert Matcher.build([]).match("idiot") == []
