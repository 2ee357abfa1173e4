"""How a message is folded before the watched-word rules look at it.

Two layers, both keeping a map back to the original text so a match can be
highlighted where the sender wrote it:

``normalise`` (what regular-expression rules read, and the first step for word
rules):
- case folded with ``str.casefold`` ("Straße" reads "strasse");
- compatibility-decomposed (NFKD) with the combining marks dropped, so accents
  and look-alike forms go ("idiöt", full-width and script letters read plain
  letters);
  invisible format characters (zero-width space, soft hyphen) go too, since
  their only use inside a word is to break a match;
- letters spelled out one at a time are joined: three or more single letters or
  digits, each separated by exactly one of ``SPACED_LETTER_SEPARATORS``
  ("i.d.i.o.t", "i d i o t", "i-d-i-o-t", "i_d_i_o_t") read as one word. Two are
  left apart, so initials and "e.g." stay as written; the cost is that letters
  spelled out by chance ("U S A") read as a word, which only matters when that
  word is watched.

Repeated letters are left as written here, so a regular expression says exactly
how many it means (``o+``). Word rules deal with them in ``skeleton``: see
``elongation_matches``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

SPACED_LETTER_SEPARATORS = " .-_*·"
# Three or more single letters or digits, each separated from the next by one
# separator, with no letter or digit touching either end. `[^\W_]` is a letter
# or a digit in Python's Unicode-aware re.
_SPACED_LETTERS = re.compile(
    r"(?<![^\W_])[^\W_](?:[" + re.escape(SPACED_LETTER_SEPARATORS) + r"][^\W_]){2,}(?![^\W_])"
)
# A run of the same letter three times or more stands for that letter written any
# number of times: "sooo" is "so" or "soo" (see elongation_matches).
ELONGATED_RUN = 3


@functools.lru_cache(maxsize=8192)
def _fold_character(character: str) -> str:
    # Decompose before and after folding: casefold's output is not always in
    # normal form, and a look-alike (a script capital) must decompose before it can fold.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", character).casefold())
    return "".join(
        part
        for part in folded
        if not unicodedata.combining(part) and unicodedata.category(part) != "Cf"
    )


def _fold(text: str) -> tuple[str, list[int]]:
    if text.isascii():
        # The common case, and nothing but lower-casing applies to ASCII.
        return text.lower(), list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for position, character in enumerate(text):
        folded = character.lower() if character < "\x80" else _fold_character(character)
        parts.append(folded)
        origin.extend([position] * len(folded))
    return "".join(parts), origin


def _join_spaced_letters(folded: str, origin: list[int]) -> tuple[str, list[int]]:
    spans = [match.span() for match in _SPACED_LETTERS.finditer(folded)]
    if not spans:
        return folded, origin
    parts: list[str] = []
    joined_origin: list[int] = []
    kept_until = 0
    for start, end in spans:
        parts.append(folded[kept_until:start])
        joined_origin.extend(origin[kept_until:start])
        # The letters sit at every other position from the start of the run.
        parts.append(folded[start:end:2])
        joined_origin.extend(origin[start:end:2])
        kept_until = end
    parts.append(folded[kept_until:])
    joined_origin.extend(origin[kept_until:])
    return "".join(parts), joined_origin


def normalise(text: str) -> tuple[str, list[int]]:
    """The text folded for matching, and for each of its characters the position
    in ``text`` it came from (see the module's docstring for the rules)."""
    folded, origin = _fold(text)
    return _join_spaced_letters(folded, origin)


def unmatchable_characters(pattern: str) -> dict[str, str]:
    """The characters of a regular expression that no normalised text contains
    ("é", "ß", full-width letters), each with what a message has instead ("" when
    it is dropped). Simple case is left alone: RE2 rules are case-insensitive."""
    found: dict[str, str] = {}
    for character in pattern:
        if character < "\x80" or character in found:
            continue
        folded = _fold_character(character)
        if folded not in (character, character.lower()):
            found[character] = folded
    return found


def original_span(text: str, origin: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of ``text`` that the normalised characters ``start:end`` came from,
    with any accents that followed its last character (they were dropped)."""
    original_start = origin[start]
    original_end = origin[end - 1] + 1
    while original_end < len(text) and unicodedata.combining(text[original_end]):
        original_end += 1
    return original_start, original_end


@dataclass(frozen=True, slots=True)
class Skeleton:
    """The normalised text as word rules read it: each run of one letter is one
    character (its length kept in ``run_lengths``), and each run of anything that
    is neither letter nor digit (spaces, punctuation, emoji) is one space."""

    text: str
    run_starts: list[int]  # where each character's run starts in the normalised text
    run_lengths: list[int]


def skeleton(normalised: str) -> Skeleton:
    characters: list[str] = []
    run_starts: list[int] = []
    run_lengths: list[int] = []
    previous = ""
    for position, character in enumerate(normalised):
        if character.isalnum():
            # Digits are never runs: "1000" must not read "10".
            if character == previous and character.isalpha():
                run_lengths[-1] += 1
                continue
        else:
            if previous == " ":
                run_lengths[-1] += 1
                continue
            character = " "
        characters.append(character)
        run_starts.append(position)
        run_lengths.append(1)
        previous = character
    return Skeleton("".join(characters), run_starts, run_lengths)


def elongation_matches(written: int, watched: int) -> bool:
    """Whether a letter written ``written`` times in a message matches the same
    letter written ``watched`` times in a watched word.

    Once or twice, the count must be the same: "good" never matches "god" and
    "ass" never matches "as", so normal spelling raises no false positives. Three
    times or more is an elongation and matches any count ("idiooot" is "idiot",
    "goooood" is both "god" and "good": the sender's meaning is ambiguous there).
    """
    return written == watched or written >= ELONGATED_RUN
