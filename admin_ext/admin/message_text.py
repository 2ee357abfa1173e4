"""How the message admin shows text: one-line excerpts, the word diff of an edit,
and the sizes the thread tree and the lists keep to.

Everything here returns plain text the caller escapes, or HTML built with
format_html (escaped).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

# A changelist cell shows this many characters of a message; the thread tree more.
EXCERPT_CHARS = 80
TREE_EXCERPT_CHARS = 300
# Deeper replies stay at this indentation and show their depth as a number, so a
# thread thousands of messages deep stays readable.
MAX_TREE_INDENT = 12
TOMBSTONE_TEXT = "Message deleted"

# Words and the whitespace between them, so a diff keeps the text's spacing.
_DIFF_TOKENS = re.compile(r"\s+|\S+")
# A changed stretch of up to 200 tokens on each side (about 100 words) is diffed
# word by word, worst case 30 ms; beyond, it is shown removed and added whole.
MAX_DIFF_COMPARISONS = 200 * 200


def excerpt(text: str, *, length: int = EXCERPT_CHARS) -> str:
    """One line of at most ``length`` characters (plain text: callers escape it)."""
    return Truncator(" ".join(text.split())).chars(length)


def word_diff(before: str, after: str) -> SafeString:
    """What an edit changed, word by word: removed words in <del>, added in <ins>.

    Every piece of text goes through format_html, so the result is escaped.
    """
    pieces: list[SafeString] = []
    for operation, removed, added in _token_changes(
        _DIFF_TOKENS.findall(before), _DIFF_TOKENS.findall(after)
    ):
        if operation == "equal":
            pieces.append(format_html("{}", removed))
            continue
        if removed:
            pieces.append(format_html("<del>{}</del>", removed))
        if added:
            pieces.append(format_html("<ins>{}</ins>", added))
    return format_html(
        '<div class="msgadmin-diff">{}</div>',
        format_html_join("", "{}", ((piece,) for piece in pieces)),
    )


def _token_changes(old_tokens: list[str], new_tokens: list[str]) -> Iterator[tuple[str, str, str]]:
    """The diff of two token lists as ``(operation, removed text, added text)``;
    an "equal" piece's text is in ``removed``.

    The common beginning and end are matched in linear time and only the stretch
    between them is compared, with SequenceMatcher only while it is small: it
    compares tokens pairwise, so a 10,000-character "a a a …" took 10 s and a
    100 KB message 70 s, for each edit on the page. A larger changed stretch is
    shown removed and added whole.
    """
    shortest = min(len(old_tokens), len(new_tokens))
    start = 0
    while start < shortest and old_tokens[start] == new_tokens[start]:
        start += 1
    end = 0  # tokens in common at the end, not overlapping the start
    while end < shortest - start and old_tokens[-1 - end] == new_tokens[-1 - end]:
        end += 1
    old_middle = old_tokens[start : len(old_tokens) - end]
    new_middle = new_tokens[start : len(new_tokens) - end]
    if start:
        yield "equal", "".join(old_tokens[:start]), ""
    if len(old_middle) * len(new_middle) <= MAX_DIFF_COMPARISONS:
        matcher = difflib.SequenceMatcher(a=old_middle, b=new_middle, autojunk=False)
        for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
            yield (
                operation,
                "".join(old_middle[old_start:old_end]),
                "".join(new_middle[new_start:new_end]),
            )
    else:
        yield "replace", "".join(old_middle), "".join(new_middle)
    if end:
        yield "equal", "".join(old_tokens[len(old_tokens) - end :]), ""


def count_messages(count: int) -> str:
    return f"{count} message{pluralize(count)}"


def message_change_url(message_id: int) -> str:
    return reverse("admin:messaging_message_change", args=[message_id])
