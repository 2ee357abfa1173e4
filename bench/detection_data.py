"""The watched-word rules and the message of the matching benchmark: made up,
deterministic (seeded), and no database needed."""

from __future__ import annotations

import random

from detection.matching import REGEX, WORDS, Rule

RULES = 1_000
REGEX_RULES = 50  # the rest are word lists
WORDS_PER_RULE = 5
MESSAGE_LENGTH = 1_000
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CHAT = (
    "Thanks for yesterday, honestly the café was great and I think we should meet "
    "again soon to talk about the plan, the budget and who brings what. "
)


def _made_up_word(generator: random.Random) -> str:
    return "".join(generator.choice(_LETTERS) for _ in range(generator.randint(4, 9)))


def watched_rules() -> list[Rule]:
    """RULES active rules: word lists (a phrase in every fifth slot) and a few
    regular expressions of the usual shapes (alternatives, classes, \\s*)."""
    generator = random.Random(16)  # noqa: S311 - benchmark data, not secrets
    rules = []
    for number in range(RULES - REGEX_RULES):
        words = tuple(
            f"{_made_up_word(generator)} {_made_up_word(generator)}"
            if slot == 0
            else _made_up_word(generator)
            for slot in range(WORDS_PER_RULE)
        )
        rules.append(Rule(id=number, kind=WORDS, words=words))
    for number in range(RULES - REGEX_RULES, RULES):
        first, second = _made_up_word(generator), _made_up_word(generator)
        pattern = rf"\b{first}\s*[0-9@]+\s*{second}\b|{second[:3]}[a-z]{{2,4}}{first[:3]}"
        rules.append(Rule(id=number, kind=REGEX, pattern=pattern))
    return rules


def message_with_hits(rules: list[Rule]) -> str:
    """MESSAGE_LENGTH characters of chat (accents included) ending in two watched
    words, one elongated and one spelled out with dots, as abuse usually looks."""
    elongated = rules[3].words[1].replace(rules[3].words[1][-1], rules[3].words[1][-1] * 4)
    dotted = ".".join(rules[7].words[2]).upper()
    tail = f" so {elongated}, and {dotted}!"
    chat = (_CHAT * (MESSAGE_LENGTH // len(_CHAT) + 1))[: MESSAGE_LENGTH - len(tail)]
    return chat + tail


BACKTEST_WORDS = 20


def backtest_words() -> list[str]:
    """The backtest benchmark's rule: BACKTEST_WORDS words, one the generator's
    common word (so the rule catches ~8% of messages and the per-chunk report and
    sanction lookups run), the rest made up."""
    from bench.data import COMMON_WORD

    generator = random.Random(61)  # noqa: S311 - benchmark data, not secrets
    return [COMMON_WORD, *(_made_up_word(generator) for _ in range(BACKTEST_WORDS - 1))]
