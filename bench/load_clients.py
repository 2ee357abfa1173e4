"""The load test's clients: each draws requests from ``MIX`` until the shared
``Budget`` runs out, and remembers every write the server acknowledged so that
``bench.load_database.missing_writes`` can check it afterwards."""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.load_http import Reply, Session

# Share of each kind of request in the mix (weights): people reading and writing,
# and a moderator on the desk's pages.
MIX = {
    "inbox": 22,
    "thread": 22,
    "send": 14,
    "reply": 9,
    "edit": 9,
    "admin: dashboard": 3,
    "admin: messages": 3,
    "admin: unread messages": 2,
    "admin: message search": 3,
    "admin: users": 3,
    "admin: review queue": 3,
    "admin: audit log": 2,
    "admin: edited messages": 2,
    "admin: jobs": 3,
}
# The moderator's pages (first page of each list).
ADMIN_CHANGELISTS = {
    "admin: dashboard": "/admin/",
    "admin: messages": "/admin/messaging/message/",
    "admin: unread messages": "/admin/messaging/message/?unread=1",
    "admin: message search": "/admin/messaging/message/?q=tickets",
    "admin: users": "/admin/auth/user/",
    "admin: review queue": "/admin/moderation/case/",
    "admin: audit log": "/admin/audit/auditentry/",
    "admin: edited messages": "/admin/messaging/message/?edited__exact=1",
    "admin: jobs": "/admin/jobs/job/",
}
ACKNOWLEDGED = re.compile(r"^/messages/(\d+)/(?:#m(\d+))?$")


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    connection_errors: Counter = field(default_factory=Counter)
    # message id -> (client's username, the exact text the server acknowledged)
    acknowledged: dict[int, tuple[str, str]] = field(default_factory=dict)
    acknowledged_counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, reply: Reply) -> None:
        with self.lock:
            self.latencies[kind].append(reply.seconds)
            self.statuses[kind][reply.status] += 1

    def acknowledge(self, kind: str, message_id: int, username: str, content: str) -> None:
        with self.lock:
            self.acknowledged[message_id] = (username, content)
            self.acknowledged_counts[kind] += 1


class Budget:
    """Stops every client at the deadline or after max_requests, whichever first."""

    def __init__(self, seconds: float, max_requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.remaining = max_requests
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.remaining <= 0 or time.monotonic() >= self.deadline:
                return False
            self.remaining -= 1
            return True


def acknowledged_id(reply: Reply) -> int | None:
    """The message id of a write the server accepted: 302 to /messages/<id>/#m<id>."""
    if reply.status != 302:
        return None
    match = ACKNOWLEDGED.match(urlsplit(reply.location).path + _fragment(reply.location))
    return int(match.group(2) or match.group(1)) if match else None


def _fragment(location: str) -> str:
    fragment = urlsplit(location).fragment
    return f"#{fragment}" if fragment else ""


def run_client(
    number: int,
    client: dict,
    *,
    user: Session,
    moderator: Session,
    receivers: list[str],
    budget: Budget,
    results: Results,
    seed: int,
) -> None:
    rng = random.Random(seed * 1000 + number)  # noqa: S311 - a load mix, not security
    username = client["username"]
    thread_ids = list(client["message_ids"])
    own_ids = list(client["own_message_ids"])
    recipients = [name for name in receivers if name != username]
    sequence = 0
    while budget.take():
        kind = _next_request_kind(rng, thread_ids=thread_ids, own_ids=own_ids)
        sequence += 1
        text = f"load {number}-{sequence} {uuid.uuid4().hex}"
        try:
            reply = _send_request(
                kind,
                rng=rng,
                user=user,
                moderator=moderator,
                recipients=recipients,
                text=text,
                thread_ids=thread_ids,
                own_ids=own_ids,
            )
        except (OSError, http.client.HTTPException) as error:
            with results.lock:
                results.connection_errors[f"{kind}: {type(error).__name__}"] += 1
            continue
        results.record(kind, reply)
        _remember_acknowledged_write(
            kind,
            reply,
            results=results,
            username=username,
            text=text,
            thread_ids=thread_ids,
            own_ids=own_ids,
        )


def _next_request_kind(rng: random.Random, *, thread_ids: list[int], own_ids: list[int]) -> str:
    """A kind drawn from MIX, or the closest one the client can make: a thread or
    a reply needs a thread (else the inbox), an edit a message of its own (else a send)."""
    kind = rng.choices(list(MIX), list(MIX.values()))[0]
    if kind in {"thread", "reply"} and not thread_ids:
        return "inbox"
    if kind == "edit" and not own_ids:
        return "send"
    return kind


def _send_request(
    kind: str,
    *,
    rng: random.Random,
    user: Session,
    moderator: Session,
    recipients: list[str],
    text: str,
    thread_ids: list[int],
    own_ids: list[int],
) -> Reply:
    """One request of ``kind``: a page read, or a write of ``text``."""
    if kind == "inbox":
        return user.request("GET", "/")
    if kind == "thread":
        return user.request("GET", f"/messages/{rng.choice(thread_ids)}/")
    if kind in ADMIN_CHANGELISTS:
        return moderator.request("GET", ADMIN_CHANGELISTS[kind])
    if kind == "send":
        form = {
            "csrfmiddlewaretoken": user.csrf_token(),
            "receiver": rng.choice(recipients),
            "content": text,
        }
        return user.request("POST", "/messages/new/", form)
    if kind == "reply":
        form = {"csrfmiddlewaretoken": user.csrf_token(), "content": text}
        return user.request("POST", f"/messages/{rng.choice(thread_ids)}/reply/", form)
    message_id = rng.choice(own_ids)  # edit
    form = {"csrfmiddlewaretoken": user.csrf_token(), "content": text}
    return user.request("POST", f"/messages/{message_id}/edit/", form)


def _remember_acknowledged_write(
    kind: str,
    reply: Reply,
    *,
    results: Results,
    username: str,
    text: str,
    thread_ids: list[int],
    own_ids: list[int],
) -> None:
    """Record a write the server acknowledged (checked in the database at the end);
    a new message becomes one the client may open, reply to and edit."""
    if kind not in {"send", "reply", "edit"}:
        return
    message_id = acknowledged_id(reply)
    if message_id is None:
        return
    results.acknowledge(kind, message_id, username, text)
    if kind in {"send", "reply"}:
        thread_ids.append(message_id)
        own_ids.append(message_id)
