"""A watched-word rule's life in a real browser: a superuser writes it and
switches it on, a person's threat is hidden as they send it, another rule
refuses a message with its words while the sender's text stays in the form,
the person reads on their decisions page that a rule hid it, and a moderator
finds the rule's report in the queue, labelled automatic with the match marked.
Each step ends in a screenshot (docs/screenshots/<name>.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from detection.models import WatchedRule
from detection.services import save_rule
from messaging.models import Message
from moderation.models import Case
from tests.e2e.browser import log_in_to_admin, log_in_to_user_pages, save_screenshot
from tests.factories import ModeratorFactory, SuperuserFactory, UserFactory

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREAT = "Say that again and I will KILL   you."
REFUSAL = "Links to that site are not allowed here: your message was not sent."


def send(page: Page, to: str, content: str) -> None:
    page.goto(f"/messages/new/?to={to}")
    page.get_by_label("Content").fill(content)
    page.get_by_role("button", name="Send").click()


def test_a_rule_is_written_switched_on_and_hides_a_threat_as_it_is_sent(page: Page) -> None:
    root = SuperuserFactory(username="root")
    ModeratorFactory(username="mona")
    UserFactory(username="jun")
    UserFactory(username="zeno")

    # 1. A superuser writes the rule: it is saved switched off.
    log_in_to_admin(page, "root")
    page.goto("/admin/detection/watchedrule/add/")
    page.locator("[name=name]").fill("Threats")
    page.locator("[name=words]").fill("kill you\nI know where you live")
    page.locator("[name=action]").select_option("hide")
    page.get_by_role("button", name="Save", exact=True).click()
    rule = WatchedRule.objects.get()
    assert not rule.is_active

    # 2. Switched on from the list.
    page.goto("/admin/detection/watchedrule/")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option(label="Switch on the selected rules")
    page.get_by_title("Run the selected action").click()
    rule.refresh_from_db()
    assert rule.is_active
    save_screenshot(page, "watched_words_list")
    page.context.clear_cookies()

    # 3. Zeno's threat is sent, and hidden as it is.
    log_in_to_user_pages(page, "zeno")
    send(page, "jun", THREAT)
    expect(page.get_by_text("Hidden by the moderators").first).to_be_visible()
    message = Message.objects.get()
    assert message.is_hidden

    # 4. A refusing rule: the sender reads its words and keeps what they typed.
    save_rule(
        WatchedRule(
            name="Spam site",
            words="cheapwatches",
            action=WatchedRule.Action.REFUSE,
            refusal_message=REFUSAL,
            is_active=True,
        ),
        actor=root,
    )
    send(page, "jun", "Buy at cheapwatches dot example")
    expect(page.get_by_text(REFUSAL)).to_be_visible()
    expect(page.get_by_label("Content")).to_have_value("Buy at cheapwatches dot example")
    assert Message.objects.count() == 1
    save_screenshot(page, "watched_words_refusal")

    # 5. Zeno's decisions page says a rule hid it, and offers the appeal.
    page.goto("/account/decisions/")
    expect(page.get_by_text("Hidden automatically").first).to_be_visible()
    expect(page.get_by_role("link", name="Appeal").first).to_be_visible()
    save_screenshot(page, "watched_words_decision")
    page.context.clear_cookies()

    # 6. Mona finds the rule's report in the queue: automatic, the match marked.
    log_in_to_admin(page, "mona")
    page.goto(f"/admin/moderation/case/{Case.objects.get().pk}/change/")
    evidence = page.locator("#case-evidence")
    expect(evidence).to_contain_text("automatic · rule “Threats”")
    expect(evidence.locator("mark").first).to_have_text("KILL   you")
    save_screenshot(page, "watched_words_case")
