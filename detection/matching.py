"""The watched-word matcher: every active rule compiled once, then one message at
a time matched against all of them.

Plain data in, plain data out: no models and no database, so the sending path,
the backtest job and the rule form all use the same matcher.

- Word rules: every word and phrase of every rule goes into one Aho-Corasick
  automaton (pyahocorasick), run once over the message's ``Skeleton``. A hit
  counts only on word boundaries at both ends (the character before and after is
  neither letter nor digit, or the text ends), and only when each of its
  letters is written as many times as in the watched word, or three times or
  more (``elongation_matches``). Inside a phrase, any run of spaces or
  punctuation matches any other ("kill you" catches "KILL   you" and "kill...
  you", but not "killyou" nor "skill you").
- Regular-expression rules: RE2 (google-re2), which runs in time linear in the
  text whatever the pattern, so no pattern can backtrack catastrophically; a
  pattern needing backtracking (backreferences, lookaround) is refused by
  ``validate_pattern`` instead. They read the ``normalise``-d text (folded case
  and accents, spelled-out letters joined, repeated letters as written) and are
  case-insensitive. One ``re2.Set`` says which patterns hit in one pass; only
  those are run again for their spans. RE2's ``\\b`` and ``\\w`` know ASCII only:
  non-Latin words belong in word rules (or a pattern uses ``\\pL``).

Spans are given in the original text, so ``text[match.start:match.end]`` is what
the sender wrote, obfuscation included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick
import re2

from detection.normalisation import (
    elongation_matches,
    normalise,
    original_span,
    skeleton,
    unmatchable_characters,
)

__all__ = [
    "MAX_PATTERN_LENGTH",
    "MAX_WORDS_PER_RULE",
    "MAX_WORD_LENGTH",
    "Match",
    "Matcher",
    "Rule",
    "normalise",
    "validate_pattern",
    "validate_rule",
]

WORDS = "words"
REGEX = "regex"
MAX_WORD_LENGTH = 100
MAX_WORDS_PER_RULE = 1_000
MAX_PATTERN_LENGTH = 1_000


@dataclass(frozen=True, slots=True)
class Rule:
    id: int | str
    kind: str  # WORDS or REGEX
    words: tuple[str, ...] = ()
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    rule_id: int | str
    start: int  # in the original text
    end: int
    matched_text: str


def _regex_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    # Refusals are answered to the moderator; RE2 would also print them to stderr.
    options.log_errors = False
    # Only the whole match's span is used; without groups RE2 can use its faster engines.
    options.never_capture = True
    return options


REGEX_OPTIONS = _regex_options()


def _refusal(message: str, pattern: str) -> str:
    """RE2's error in a moderator's words, for the constructs people try most."""
    detail = message.partition(": ")[2]
    if "(?P=" in pattern:
        return "RE2 does not support backreferences such as (?P=name)."
    if (detail.startswith("\\") and detail[1:2].isdigit()) or detail.startswith("\\k"):
        return f"RE2 does not support backreferences such as {detail}."
    if detail.startswith(("(?=", "(?!")):
        return f"RE2 does not support lookahead such as {detail}...)."
    if detail.startswith(("(?<=", "(?<!")):
        return f"RE2 does not support lookbehind such as {detail}...)."
    if "too large" in message:
        return "The pattern is too large for RE2: make its repetitions smaller."
    return f"The pattern is not valid: {message}."


def validate_pattern(pattern: object) -> str | None:
    """Why RE2 cannot run ``pattern`` as a rule, in words; None when it can.
    Never raises: whatever the moderator typed gets an answer."""
    if not isinstance(pattern, str):
        return "The pattern must be text."
    if not pattern.strip():
        return "The pattern is empty."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"The pattern is longer than {MAX_PATTERN_LENGTH:,} characters."
    try:
        compiled = re2.compile(pattern, REGEX_OPTIONS)
        matches_nothing = compiled.search("") is not None
    except re2.error as error:
        message = error.args[0] if error.args else ""
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return _refusal(str(message), pattern)
    except (ValueError, TypeError):  # a lone surrogate cannot be encoded for RE2
        return "The pattern contains characters that are not valid text."
    if matches_nothing:
        return "The pattern matches an empty text, so it would catch every message."
    # The pattern reads the normalised text, where these characters never occur.
    unmatchable = unmatchable_characters(pattern)
    if unmatchable:
        character, folded = next(iter(unmatchable.items()))
        instead = f"write “{folded}” instead" if folded else "leave it out"
        return (
            "Messages are matched with accents and special forms removed, so "
            f"“{character}” never appears in them: {instead}."
        )
    return None


@dataclass(frozen=True, slots=True)
class _WatchedWord:
    text: str  # the word's skeleton
    letter_runs: tuple[tuple[int, int], ...]  # (offset, times written) of each letter


def _watched_word(word: str) -> _WatchedWord:
    shape = skeleton(normalise(word)[0])
    trimmed = shape.text.strip(" ")
    leading = len(shape.text) - len(shape.text.lstrip(" "))
    letter_runs = tuple(
        (offset, shape.run_lengths[leading + offset])
        for offset, character in enumerate(trimmed)
        if character.isalpha()
    )
    return _WatchedWord(trimmed, letter_runs)


def _shown(word: str) -> str:
    return f"“{word[:40]}…”" if len(word) > 40 else f"“{word}”"


def _word_problems(words: object) -> list[str]:
    if not isinstance(words, tuple | list) or not words:
        return ["Add at least one word or phrase."]
    problems: list[str] = []
    if len(words) > MAX_WORDS_PER_RULE:
        problems.append(
            f"A rule takes at most {MAX_WORDS_PER_RULE:,} words or phrases "
            f"(this one has {len(words):,}): split it into several rules."
        )
    for word in words:
        if not isinstance(word, str):
            problems.append("Each word or phrase must be text.")
        elif not word.strip():
            problems.append("One of the words is empty.")
        elif len(word) > MAX_WORD_LENGTH:
            problems.append(f"{_shown(word)} is longer than {MAX_WORD_LENGTH} characters.")
        elif not _watched_word(word).text:
            problems.append(f"{_shown(word)} has no letters or digits to match.")
    return problems


def validate_rule(rule: Rule) -> list[str]:
    """Everything wrong with ``rule``, one message each; empty when it can run."""
    if rule.kind == WORDS:
        problems = _word_problems(rule.words)
        if rule.pattern:
            problems.append("A word rule takes words, not a pattern.")
        return problems
    if rule.kind == REGEX:
        problems = []
        if rule.words:
            problems.append("A regular-expression rule takes a pattern, not words.")
        reason = validate_pattern(rule.pattern)
        if reason:
            problems.append(reason)
        return problems
    return [f"Unknown kind of rule {rule.kind!r}: choose {WORDS!r} or {REGEX!r}."]


class Matcher:
    """All the rules, compiled once (``Matcher.build``); ``match`` is then cheap
    and safe to call from any thread (nothing in it changes after building)."""

    def __init__(
        self,
        *,
        rules: tuple[Rule, ...],
        automaton: ahocorasick.Automaton | None,
        regexes: tuple[tuple[int, object], ...],
        regex_set: re2.Set | None,
        skipped: dict[int | str, list[str]],
    ) -> None:
        self.rules = rules
        self._automaton = automaton
        self._regexes = regexes  # (rule position, compiled pattern), in Set order
        self._regex_set = regex_set
        # Rules that cannot run, with why: one broken rule must not stop sending,
        # and validate_rule refuses them when they are saved anyway.
        self.skipped = skipped

    @classmethod
    def build(cls, rules: Iterable[Rule]) -> Matcher:
        rules = tuple(rules)
        skipped: dict[int | str, list[str]] = {}
        # One automaton key per skeleton: "good" and "god" share "god" and are told
        # apart by their letter runs.
        watched: dict[str, dict[tuple[int, tuple[tuple[int, int], ...]], None]] = {}
        regexes: list[tuple[int, object]] = []
        for position, rule in enumerate(rules):
            problems = validate_rule(rule)
            if problems:
                skipped[rule.id] = problems
            elif rule.kind == WORDS:
                for word in rule.words:
                    shape = _watched_word(word)
                    watched.setdefault(shape.text, {})[position, shape.letter_runs] = None
            else:
                regexes.append((position, re2.compile(rule.pattern, REGEX_OPTIONS)))

        automaton = None
        if watched:
            automaton = ahocorasick.Automaton()
            for key, entries in watched.items():
                automaton.add_word(key, (len(key), tuple(entries)))
            automaton.make_automaton()
        return cls(
            rules=rules,
            automaton=automaton,
            regexes=tuple(regexes),
            regex_set=cls._build_regex_set(regexes),
            skipped=skipped,
        )

    @staticmethod
    def _build_regex_set(regexes: list[tuple[int, object]]) -> re2.Set | None:
        if not regexes:
            return None
        try:
            regex_set = re2.Set.SearchSet(REGEX_OPTIONS)
            for _, compiled in regexes:
                regex_set.Add(compiled.pattern)
            regex_set.Compile()
        except re2.error:
            # Too big for one set's memory: each pattern is then searched in turn.
            return None
        return regex_set

    def match(self, text: str) -> list[Match]:
        """Every match of every rule in ``text``, ordered by where it starts, then
        where it ends, then the rule's place in the list it was built from."""
        if not text:
            return []
        normalised, origin = normalise(text)
        # (rule position, start, end) in the normalised text.
        found: set[tuple[int, int, int]] = set()
        if self._automaton is not None:
            found.update(self._word_hits(normalised))
        if self._regexes:
            found.update(self._regex_hits(normalised))
        matches = []
        for position, start, end in sorted(found, key=lambda hit: (hit[1], hit[2], hit[0])):
            original_start, original_end = original_span(text, origin, start, end)
            matches.append(
                Match(
                    rule_id=self.rules[position].id,
                    start=original_start,
                    end=original_end,
                    matched_text=text[original_start:original_end],
                )
            )
        return matches

    def _word_hits(self, normalised: str) -> Iterable[tuple[int, int, int]]:
        shape = skeleton(normalised)
        letters, run_lengths, run_starts = shape.text, shape.run_lengths, shape.run_starts
        last = len(letters) - 1
        for end, (length, entries) in self._automaton.iter(letters):
            start = end - length + 1
            # A word boundary on both sides: the skeleton's space, or the text's end.
            if start > 0 and letters[start - 1] != " ":
                continue
            if end < last and letters[end + 1] != " ":
                continue
            for position, letter_runs in entries:
                if all(
                    elongation_matches(run_lengths[start + offset], times)
                    for offset, times in letter_runs
                ):
                    yield position, run_starts[start], run_starts[end] + run_lengths[end]

    def _regex_hits(self, normalised: str) -> Iterable[tuple[int, int, int]]:
        if self._regex_set is not None:
            candidates = sorted(self._regex_set.Match(normalised) or ())
        else:
            candidates = range(len(self._regexes))
        for index in candidates:
            position, compiled = self._regexes[index]
            for found in compiled.finditer(normalised):
                start, end = found.span()
                if start < end:  # validate_pattern refuses empty matches; be sure
                    yield position, start, end
