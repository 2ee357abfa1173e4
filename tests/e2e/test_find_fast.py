"""Finding things fast in a real browser: the command palette (Ctrl+K) jumps to a
person, a message by its id and a page; the keyboard moves through the review
queue and its cases, and "?" lists the keys. Screenshots: command_palette.png,
keyboard_shortcuts.png (docs/screenshots/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from moderation.models import Case
from tests.e2e.browser import log_in_to_admin, save_screenshot
from tests.factories import MessageFactory, ModeratorFactory, UserFactory, reported_message

# live_server serves another thread: the data must be committed (see
# test_moderator_flows.py for why the rollback is serialized).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def open_palette(page: Page) -> None:
    page.wait_for_load_state()  # the palette's script has started
    page.keyboard.press("Control+k")
    expect(page.locator("#search-input-command")).to_be_focused()


def search(page: Page, term: str) -> None:
    page.locator("#search-input-command").fill(term)
    page.locator("#search-input-command").press("End")  # htmx listens for keyup
    expect(page.locator("#command-results-list")).to_be_visible()


def case_url(case: Case) -> str:
    return f"/admin/moderation/case/{case.pk}/change/"


def expect_case_page(page: Page, case: Case) -> None:
    expect(page).to_have_url(re.compile(rf"{case_url(case)}$"))
    page.wait_for_load_state()  # the links the keys press are there


def test_the_palette_jumps_to_a_person_a_message_and_a_page(page: Page) -> None:
    ModeratorFactory(username="moderator")
    zeno = UserFactory(username="zeno")
    UserFactory(username="zenobia")
    reported_message(author=zeno, content="You will regret this")
    message = MessageFactory(sender=zeno, receiver=UserFactory(username="jun"), content="hello")
    log_in_to_admin(page, "moderator")

    # A username: the person first, then others whose name holds it, their case.
    open_palette(page)
    search(page, "zeno")
    results = page.locator("#command-results-list li")
    expect(results.first).to_contain_text(f"zeno (#{zeno.pk})")
    expect(page.locator("#command-results-list")).to_contain_text("zenobia")
    expect(page.locator("#command-results-list")).to_contain_text(re.compile(r"Case #\d+: zeno"))
    page.locator("#search-input-command").press("ArrowDown")
    save_screenshot(page, "command_palette")
    page.locator("#search-input-command").press("Enter")
    expect(page).to_have_url(re.compile(rf"/admin/auth/user/{zeno.pk}/change/$"))

    # A message by its id.
    open_palette(page)
    search(page, f"#{message.pk}")
    expect(page.locator("#command-results-list li").first).to_contain_text(
        f"Message #{message.pk}: zeno → jun"
    )
    page.locator("#search-input-command").press("ArrowDown")
    page.locator("#search-input-command").press("Enter")
    expect(page).to_have_url(re.compile(rf"/admin/messaging/message/{message.pk}/change/$"))

    # A page, by the sidebar's name; the sidebar's search box opens the palette too.
    page.get_by_text("Find anything…").click()
    expect(page.locator("#search-input-command")).to_be_focused()
    search(page, "queue")
    page.locator("#command-results-list").get_by_role(
        "link", name=re.compile("Review queue")
    ).click()
    expect(page).to_have_url(re.compile(r"/admin/moderation/case/$"))


def test_the_keyboard_moves_through_the_queue_and_its_cases(page: Page) -> None:
    ModeratorFactory(username="moderator")
    cases = []
    for name, reporters in (("amara", 3), ("ben", 2), ("zeno", 1)):
        author = UserFactory(username=name)
        for _ in range(reporters):
            report = reported_message(author=author)
        cases.append(report.case)
    first, second, third = cases
    log_in_to_admin(page, "moderator")
    page.goto("/admin/moderation/case/")

    # The queue: j moves to the first case, Enter opens it.
    page.keyboard.press("j")
    expect(page.locator("#result_list tbody tr.deskkeys-current")).to_contain_text("amara")
    page.keyboard.press("j")
    expect(page.locator("#result_list tbody tr.deskkeys-current")).to_contain_text("ben")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect_case_page(page, first)

    # A case: j and k press "Next in queue" and "Previous in queue".
    page.keyboard.press("j")
    expect_case_page(page, second)
    page.keyboard.press("j")
    expect_case_page(page, third)
    expect(page.get_by_text("No next case in the queue")).to_be_visible()
    page.keyboard.press("k")
    expect_case_page(page, second)

    # a: into the form to act on the case; typing there types, it does not move.
    page.keyboard.press("a")
    act_form = page.locator("form.caseadmin-act-form")
    expect(act_form.locator(":focus")).to_have_count(1)
    act_form.get_by_label("Reason").fill("jk")
    expect_case_page(page, second)
    page.locator("body").click(position={"x": 5, "y": 5})

    # ?: the list of shortcuts; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next / previous case in the queue")
    save_screenshot(page, "keyboard_shortcuts")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Back on the queue: x selects the current case, a goes to the action for it.
    page.goto("/admin/moderation/case/")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(
        page.locator("#result_list tbody tr").first.locator("input.action-select")
    ).to_be_checked()
    page.keyboard.press("a")
    expect(page.locator("#changelist-form select[name=action]")).to_be_focused()
