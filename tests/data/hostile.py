"""Hostile message content: a corpus for the reliability tests.

Each entry is something people have typed (or pasted, or imported) that breaks
naive pages, spreadsheets or databases: markup that closes an attribute or a
textarea, spreadsheet formulas, text far longer than any real message, bidi and
invisible characters, emoji sequences, SQL, one endless word. Pages must show it
escaped, CSV files must neutralise formulas, and the database must give back
exactly what was stored.

``HOSTILE`` holds what can be stored (every entry through ``send_message``
except the one longer than MAX_CONTENT_LENGTH, which predates the limit and is
created directly); ``WITH_NUL`` holds text PostgreSQL cannot store, which every
form and service must refuse with a message.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from messaging.models import MAX_CONTENT_LENGTH


@dataclass(frozen=True)
class HostileText:
    id: str
    text: str
    # Raw fragments that must never reach a page unescaped (empty: the text has
    # no markup, it must only come back intact).
    raw_markup: tuple[str, ...] = ()

    @property
    def fits_the_services(self) -> bool:
        """False for text longer than the services accept (written before the limit)."""
        return len(self.text) <= MAX_CONTENT_LENGTH


SCRIPT = "<script>alert(1)</script>"

HOSTILE: tuple[HostileText, ...] = (
    # Markup: a script, an attribute closed from inside, a textarea closed early.
    HostileText("script-tag", SCRIPT, ("<script>alert(1)",)),
    HostileText(
        "attribute-break-double-quote",
        '"><img src=x onerror=alert(1)>',
        ('"><img', "<img src=x"),
    ),
    HostileText("attribute-break-single-quote", "' onmouseover='alert(1)", ("' onmouseover='",)),
    HostileText(
        "textarea-break",
        f"</textarea>{SCRIPT}",
        ("</textarea><script>", "<script>alert(1)"),
    ),
    # Spreadsheet formulas (OWASP "CSV injection"), one per dangerous first character.
    HostileText("formula-equals", '=HYPERLINK("http://evil.example","x")'),
    HostileText("formula-plus", "+cmd|' /C calc'!A0"),
    HostileText("formula-minus", "-2+3"),
    HostileText("formula-at", "@SUM(A1:A9)"),
    HostileText("formula-leading-tab", "\t=1"),
    HostileText("formula-leading-carriage-return", "\r=1"),
    # 100 KB, ten times MAX_CONTENT_LENGTH: imported or written before the limit.
    # Markup and a formula start, so truncating it must not unescape anything.
    HostileText(
        "100-kb",
        ("=1+1 " + SCRIPT + " " + "lorem ipsum dolor sit amet " * 4_000)[:100_000],
        ("<script>alert(1)",),
    ),
    # Bidi and invisible characters.
    HostileText("right-to-left-override", "harmless \u202etxt.exe\u202c and עברית"),
    HostileText("zero-width", "ze\u200bro\u200c wi\u200ddth\ufeff and \u2060joiners"),
    HostileText(
        "combining-characters",
        "e\u0301 (not é), Z\u0351\u036b\u0343\u036a\u0302a\u0310\u0305l\u0352g\u0307o\u0489",
    ),
    HostileText("emoji", "🙂👍🏽 family 👨\u200d👩\u200d👧\u200d👦 flag 🏳️\u200d🌈 and 🇫🇷"),
    HostileText("sql", "'; DROP TABLE messaging_message; --"),
    HostileText("long-single-word", "W" * 5_000),
)

# Usernames Django's validator accepts that still start a formula or read right
# to left ("=" and markup are refused: hostile names go in first and last names).
HOSTILE_USERNAMES: tuple[str, ...] = ("+cmd", "-2+3", "@SUM", "עברית.user")

WITH_NUL: tuple[HostileText, ...] = (
    HostileText("nul-only", "\x00"),
    HostileText("nul-inside", "before\x00after"),
    HostileText("nul-after-markup", f"{SCRIPT}\x00"),
)


def params(entries: tuple[HostileText, ...]) -> list:
    """The entries as pytest parameters named by their ids."""
    return [pytest.param(entry, id=entry.id) for entry in entries]
