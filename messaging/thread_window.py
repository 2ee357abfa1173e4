"""The part of a thread a page shows: ``thread_window`` and its kin, at most a few
hundred messages, whatever the thread's size.

A page shows a thread's messages around the one it is about, not the whole
thread: at 5,000 messages the whole thread was 4.8 MB of HTML and over a second
to render. Two queries whatever the size: the thread's ids and parents (the
reading order, as ``walk_thread`` makes it), then the shown rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import QuerySet

from messaging.models import Message

# A page shows a thread's messages around the one it is about, not the whole thread:
# at 5,000 messages the whole thread was 4.8 MB of HTML and over a second to render.
# Fifty messages lead up to it (the exchange that provoked it) and a hundred follow
# (what it set off, which a moderator reads on for): about 150 KB of admin HTML.
WINDOW_BEFORE = 50
WINDOW_AFTER = 100
# Each "load more" reveals this many more messages next to what is shown...
WINDOW_STEP = 100
# ...and a stretch asked for by id spans at most this many (about 300 KB of HTML):
# past it, loading more shifts the stretch instead of widening it.
MAX_STRETCH = 300


class Span(NamedTuple):
    """Positions ``start`` to ``end`` (excluded) of a thread's reading order shown:
    a window, or context (the root, a reply's parent) that no gap widens."""

    start: int
    end: int
    is_window: bool = True


@dataclass(frozen=True)
class ThreadGap:
    """Messages of a thread a window leaves out, in reading order.

    ``kind`` is "earlier" (before every window), "later" (after every window) or
    "between" (between two windows). ``load_first_id`` and ``load_last_id`` bound the
    stretch (``thread_stretch``) that shows up to WINDOW_STEP of them next to the
    window they touch, within MAX_STRETCH; ``reveal_id`` is the one of them
    nearest that window, where a reader picks up.
    """

    count: int
    kind: str
    reveal_id: int
    load_first_id: int
    load_last_id: int

    @property
    def load_count(self) -> int:
        """How many of these messages loading more shows."""
        return min(self.count, WINDOW_STEP)


@dataclass
class ThreadExcerpt:
    """The part of a thread a page shows: ``items`` in reading order (walk_thread),
    each a Message (sender and receiver loaded, with its ``depth``) or a ThreadGap.
    The root is always the first item. ``total`` counts the whole thread."""

    thread_id: int
    total: int
    items: list[Message | ThreadGap] = field(default_factory=list)
    is_stretch: bool = False  # a stretch asked for, not the window around a message

    @property
    def messages(self) -> list[Message]:
        return [item for item in self.items if isinstance(item, Message)]

    @property
    def hidden_before(self) -> int:
        return sum(gap.count for gap in self._gaps("earlier"))

    @property
    def hidden_after(self) -> int:
        return sum(gap.count for gap in self._gaps("later"))

    def _gaps(self, kind: str) -> list[ThreadGap]:
        return [item for item in self.items if isinstance(item, ThreadGap) and item.kind == kind]


def thread_window(
    message: Message,
    *,
    stretch: tuple[int, int] | None = None,
    before: int = WINDOW_BEFORE,
    after: int = WINDOW_AFTER,
) -> ThreadExcerpt | None:
    """The root of ``message``'s thread, the message it answers, and the ``before``
    messages before it and ``after`` after it in reading order. Or, given a
    ``stretch`` (first id, last id: what a gap's "load more" asks for), the root
    and those messages, if both are in the thread, in that order, at most
    MAX_STRETCH apart (``is_stretch``); any other stretch gets the window.

    Two queries whatever the thread's size: ids and parents of the whole thread
    (msg_thread_order_idx), then the rows shown. None if the thread has no root.
    """
    orders, parents = _skeletons([message.thread_id])
    order = orders.get(message.thread_id)
    if order is None:
        return None
    span = _stretch_span(order, stretch) if stretch is not None else None
    if span is None:
        spans = _window_spans(order, parents, anchors={message.pk}, before=before, after=after)
        return _excerpts(orders, {message.thread_id: spans})[message.thread_id]
    excerpt = _excerpts(orders, {message.thread_id: [span]})[message.thread_id]
    excerpt.is_stretch = True
    return excerpt


def thread_windows(
    message_ids: Iterable[int], *, before: int = WINDOW_BEFORE, after: int = WINDOW_AFTER
) -> dict[int, ThreadExcerpt]:
    """By thread id, each thread that holds one of ``message_ids``, showing its root
    and the union of the windows around those messages (as ``thread_window``). Two
    queries for all of them, whatever their number or size; a thread without a
    root, or none of whose messages remain, is left out."""
    anchors = set(message_ids)
    orders, parents = _skeletons(Message.objects.filter(pk__in=anchors).values("thread_id"))
    spans = {
        thread_id: _window_spans(order, parents, anchors=anchors, before=before, after=after)
        for thread_id, order in orders.items()
    }
    return _excerpts(orders, spans)


def reading_orders(thread_ids: Iterable[int] | QuerySet) -> dict[int, list[int]]:
    """Each thread's message ids in reading order (walk_thread's: depth first,
    oldest reply first), from one query of ids and parents, not full rows.
    A thread without a root is left out."""
    return _skeletons(thread_ids)[0]


def _skeletons(
    thread_ids: Iterable[int] | QuerySet,
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """``reading_orders``, and each message's parent within its thread."""
    rows = list(
        Message.objects.filter(thread_id__in=thread_ids)
        .order_by("thread_id", "timestamp", "id")  # msg_thread_order_idx
        .values_list("thread_id", "id", "parent_message_id")
    )
    members: dict[int, set[int]] = defaultdict(set)
    for thread_id, pk, _parent_id in rows:
        members[thread_id].add(pk)
    children: dict[int, list[int]] = defaultdict(list)
    parents: dict[int, int] = {}
    roots: dict[int, int] = {}
    for thread_id, pk, parent_id in rows:
        if parent_id in members[thread_id]:
            children[parent_id].append(pk)
            parents[pk] = parent_id
        else:
            roots[thread_id] = pk  # as thread_trees: the last without a parent here
    orders = {}
    for thread_id, root_id in roots.items():
        order, stack = [], [root_id]
        while stack:  # iterative: a thread thousands deep needs no recursion
            pk = stack.pop()
            order.append(pk)
            stack.extend(reversed(children.get(pk, ())))
        orders[thread_id] = order
    return orders, parents


def _window_spans(
    order: list[int], parents: dict[int, int], *, anchors: set[int], before: int, after: int
) -> list[Span]:
    """Position ranges around each anchor in ``order``, and the message it answers
    (the context a reply needs, however far up the thread it is)."""
    position = {pk: index for index, pk in enumerate(order)}
    spans = []
    for pk in anchors & position.keys():
        index = position[pk]
        spans.append(Span(max(0, index - before), min(len(order), index + after + 1)))
        if (parent := position.get(parents.get(pk))) is not None:
            spans.append(Span(parent, parent + 1, is_window=False))
    return spans


def _stretch_span(order: list[int], stretch: tuple[int, int]) -> Span | None:
    position = {pk: index for index, pk in enumerate(order)}
    first, last = (position.get(pk) for pk in stretch)
    if first is None or last is None or not 0 <= last - first < MAX_STRETCH:
        return None
    return Span(first, last + 1)


def _excerpts(
    orders: dict[int, list[int]], spans: dict[int, list[Span]]
) -> dict[int, ThreadExcerpt]:
    """The excerpts showing each thread's root and its ``spans``: one query for the
    shown messages of every thread."""
    layouts = {
        thread_id: _layout(order, spans.get(thread_id, []))
        for thread_id, order in orders.items()
        if spans.get(thread_id)
    }
    shown_ids = [item for items in layouts.values() for item in items if isinstance(item, int)]
    rows = Message.objects.select_related("sender", "receiver").in_bulk(shown_ids)
    excerpts = {}
    for thread_id, items in layouts.items():
        excerpts[thread_id] = ThreadExcerpt(
            thread_id=thread_id,
            total=len(orders[thread_id]),
            # A message deleted between the two queries is left out.
            items=[
                rows[item] if isinstance(item, int) else item
                for item in items
                if not isinstance(item, int) or item in rows
            ],
        )
    return excerpts


def _layout(order: list[int], spans: list[Span]) -> list[int | ThreadGap]:
    """The ids shown (the root and ``spans``, merged) and a ThreadGap for each run
    left out, in reading order."""
    merged: list[Span] = []
    for span in sorted([Span(0, 1, is_window=False), *spans]):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(
                last.start, max(last.end, span.end), is_window=last.is_window or span.is_window
            )
        else:
            merged.append(span)
    items: list[int | ThreadGap] = []
    for index, span in enumerate(merged):
        items.extend(order[span.start : span.end])
        gap_end = merged[index + 1].start if index + 1 < len(merged) else len(order)
        if span.end < gap_end:
            # Loading more widens the nearest window before the gap, or if there is
            # none (only the root or a reply's parent), the nearest after it.
            previous = next((s for s in reversed(merged[: index + 1]) if s.is_window), None)
            following = next((s for s in merged[index + 1 :] if s.is_window), None)
            items.append(_gap(order, span.end, gap_end, previous=previous, following=following))
    return items


def _gap(
    order: list[int], start: int, end: int, *, previous: Span | None, following: Span | None
) -> ThreadGap:
    if previous is not None:
        load_end = min(end, start + WINDOW_STEP)
        load_start = max(previous.start, load_end - MAX_STRETCH)
        reveal = start
    elif following is not None:
        load_start = max(start, end - WINDOW_STEP)
        load_end = min(following.end, load_start + MAX_STRETCH)
        reveal = end - 1
    else:  # no window: the rest of the thread after what is shown
        load_start, load_end = start, min(end, start + WINDOW_STEP)
        reveal = start
    kind = "earlier" if previous is None else "later" if following is None else "between"
    return ThreadGap(
        count=end - start,
        kind=kind,
        reveal_id=order[reveal],
        load_first_id=order[load_start],
        load_last_id=order[load_end - 1],
    )
