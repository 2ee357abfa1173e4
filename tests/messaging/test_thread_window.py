"""messaging.thread_window's windows of a thread: the root and the messages around one
(or several) in reading order, the runs left out with the stretch that shows more
of them, and the whole thread's count, in two queries whatever its size."""

from __future__ import annotations

import pytest

from messaging.managers import walk_thread
from messaging.models import Message
from messaging.thread_window import (
    MAX_STRETCH,
    WINDOW_AFTER,
    WINDOW_BEFORE,
    WINDOW_STEP,
    ThreadGap,
    reading_orders,
    thread_window,
    thread_windows,
)
from tests.messaging.thread_shapes import bushy, chain

pytestmark = pytest.mark.django_db


def ids(excerpt) -> list[int]:
    return [message.pk for message in excerpt.messages]


def gaps(excerpt) -> list[ThreadGap]:
    return [item for item in excerpt.items if isinstance(item, ThreadGap)]


def reading_order(message: Message) -> list[int]:
    return [node.pk for node in walk_thread(Message.objects.thread_tree(message))]


def test_a_window_in_a_600_message_chain_holds_its_neighbours_in_reading_order(
    alice, bob, django_assert_num_queries
):
    thread = chain(alice, bob, size=600)

    with django_assert_num_queries(2):  # ids and parents, then the rows shown
        window = thread_window(thread[300])

    expected = [thread[0].pk] + [m.pk for m in thread[300 - WINDOW_BEFORE : 301 + WINDOW_AFTER]]
    assert ids(window) == expected
    assert (window.total, window.hidden_before, window.hidden_after) == (600, 249, 199)
    assert [(gap.kind, gap.count) for gap in gaps(window)] == [("earlier", 249), ("later", 199)]
    assert [type(item) for item in window.items[:3]] == [Message, ThreadGap, Message]
    assert window.messages[-1].sender == alice  # rows come with their people


def test_a_window_in_a_bushy_thread_follows_walk_thread_with_the_parent_as_context(alice, bob):
    thread = bushy(alice, bob, size=800)
    order = reading_order(thread[0])
    # The third reply to thread[2], after its two elder siblings' subtrees.
    anchor, parent = order.index(thread[9].pk), order.index(thread[2].pk)
    assert 1 < parent < anchor - WINDOW_BEFORE  # far up the thread: shown apart

    window = thread_window(thread[9])

    shown = sorted({0, parent, *range(anchor - WINDOW_BEFORE, anchor + WINDOW_AFTER + 1)})
    assert ids(window) == [order[position] for position in shown]
    assert window.total == 800
    assert window.hidden_before == anchor - WINDOW_BEFORE - 2  # less the root and parent
    assert window.hidden_after == 800 - (anchor + WINDOW_AFTER + 1)
    assert [gap.kind for gap in gaps(window)] == ["earlier", "earlier", "later"]
    assert [message.depth for message in window.messages] == [
        Message.objects.get(pk=pk).depth for pk in ids(window)
    ]


def test_a_gap_beside_the_parent_loads_towards_the_window(alice, bob):
    thread = bushy(alice, bob, size=800)
    order = reading_order(thread[0])
    anchor = order.index(thread[9].pk)
    after_parent = gaps(thread_window(thread[9]))[1]

    stretch = thread_window(
        thread[9], stretch=(after_parent.load_first_id, after_parent.load_last_id)
    )

    assert stretch.is_stretch
    first = max(order.index(thread[2].pk) + 1, anchor - WINDOW_BEFORE - WINDOW_STEP)
    assert ids(stretch)[1:] == order[first : anchor + WINDOW_AFTER + 1]


def test_reading_orders_match_walk_thread(alice, bob):
    thread = bushy(alice, bob, size=200, fanout=4)

    assert reading_orders([thread[0].pk]) == {thread[0].pk: reading_order(thread[0])}


def test_a_window_near_the_root_leaves_nothing_out_before_it(alice, bob):
    thread = chain(alice, bob, size=600)

    window = thread_window(thread[10])

    assert ids(window) == [m.pk for m in thread[: 11 + WINDOW_AFTER]]
    assert (window.hidden_before, window.hidden_after) == (0, 600 - 11 - WINDOW_AFTER)
    assert [gap.kind for gap in gaps(window)] == ["later"]


def test_a_small_thread_is_shown_whole(alice, bob):
    thread = bushy(alice, bob, size=30)

    window = thread_window(thread[29])

    assert ids(window) == reading_order(thread[0])
    assert gaps(window) == []


def test_loading_an_earlier_gap_widens_the_window_towards_the_root(alice, bob):
    thread = chain(alice, bob, size=600)
    earlier = gaps(thread_window(thread[300]))[0]

    stretch = thread_window(thread[300], stretch=(earlier.load_first_id, earlier.load_last_id))

    first_shown = 300 - WINDOW_BEFORE - WINDOW_STEP
    assert earlier.reveal_id == thread[300 - WINDOW_BEFORE - 1].pk  # next to the window
    assert ids(stretch) == [thread[0].pk] + [m.pk for m in thread[first_shown : 301 + WINDOW_AFTER]]
    assert earlier.load_count == WINDOW_STEP


def test_loading_past_the_longest_stretch_shifts_it(alice, bob):
    thread = chain(alice, bob, size=1_000)
    stretch = thread_window(thread[1], stretch=(thread[1].pk, thread[MAX_STRETCH].pk))
    later = gaps(stretch)[-1]

    shifted = thread_window(thread[1], stretch=(later.load_first_id, later.load_last_id))

    assert len(shifted.messages) == MAX_STRETCH + 1  # and the root
    assert shifted.messages[-1] == thread[MAX_STRETCH + WINDOW_STEP]
    assert [gap.kind for gap in gaps(shifted)] == ["earlier", "later"]


def test_windows_around_several_messages_merge_and_show_the_runs_between(alice, bob):
    thread = chain(alice, bob, size=600)
    anchors = [thread[100].pk, thread[112].pk, thread[500].pk]

    (window,) = thread_windows(anchors, before=5, after=10).values()

    expected = [0, *range(95, 123), *range(495, 511)]
    assert ids(window) == [thread[index].pk for index in expected]
    assert [(gap.kind, gap.count) for gap in gaps(window)] == [
        ("earlier", 94),
        ("between", 372),
        ("later", 89),
    ]
    between = gaps(window)[1]
    assert between.reveal_id == thread[123].pk  # it widens the window before it


def test_windows_cover_several_threads_in_two_queries(alice, bob, django_assert_num_queries):
    first, second = chain(alice, bob, size=300), bushy(alice, bob, size=300)

    with django_assert_num_queries(2):
        windows = thread_windows([first[150].pk, second[200].pk, 10**15])

    assert set(windows) == {first[0].pk, second[0].pk}
    assert windows[first[0].pk].total == windows[second[0].pk].total == 300


@pytest.mark.parametrize(
    "bounds",
    [
        lambda thread, other: (thread[5].pk, thread[2].pk),  # backwards
        lambda thread, other: (thread[1].pk, thread[1 + MAX_STRETCH].pk),  # too long
        lambda thread, other: (other[0].pk, thread[10].pk),  # another thread's
        lambda thread, other: (thread[1].pk, 10**17),  # no such message
    ],
)
def test_a_stretch_outside_the_rules_gets_the_window_around_the_message(alice, bob, bounds):
    thread, other = chain(alice, bob, size=600), chain(alice, bob, size=5)

    excerpt = thread_window(thread[300], stretch=bounds(thread, other))

    assert not excerpt.is_stretch
    assert ids(excerpt) == ids(thread_window(thread[300]))
