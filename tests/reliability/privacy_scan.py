"""The privacy scan: every place the project may keep something of a person.

``database_hits``, ``cache_hits``, ``file_hits`` and ``log_hits`` each search
one kind of store for a marker (a short string in a person's username and in
everything they write): every text column of every table (the history tables,
the admin log, the task results and the decoded sessions included), every
cache entry, every file under MEDIA_ROOT (exports), and every log record
emitted since ``capturing_logs`` started (the root logger at DEBUG level).
The tests (``test_privacy_scan*.py``) run a person's life, show the scan finds
the marker, delete the person, and show where it is still found.
"""

from __future__ import annotations

import contextlib
import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import Client

TEXT_TYPES = {
    "CharField",
    "TextField",
    "JSONField",
    "EmailField",
    "SlugField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
    "GenericIPAddressField",
    "BinaryField",
}
# Tables no model stands for: Django's own bookkeeping, never personal data.
UNMODELLED_TABLES = {"django_migrations"}


def scanned_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)  # JSONField: as text


def database_hits(marker: str) -> set[tuple[str, str]]:
    """(table, column) of every value holding the marker, every row of every table."""
    hits = set()
    for model in scanned_models():
        if model is Session:
            # Signed, compressed data would hide the marker: searched decoded below.
            continue
        fields = [
            field
            for field in model._meta.concrete_fields
            if field.get_internal_type() in TEXT_TYPES
        ]
        if not fields:
            continue
        for values in model._base_manager.values_list(*(field.attname for field in fields)):
            for field, value in zip(fields, values, strict=True):
                if marker in as_text(value).lower():
                    hits.add((model._meta.db_table, field.column))
    # Session data is signed and encoded: search it decoded.
    for session in Session.objects.all():
        if marker in json.dumps(session.get_decoded(), default=str).lower():
            hits.add(("django_session", "session_data (decoded)"))
    return hits


def cache_hits(marker: str) -> list[str]:
    """Keys of cache entries whose key or value holds the marker: the local-memory
    store as it is held, or every key of the Redis database (SCAN, GET)."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        entries = [(key.encode(), value) for key, value in backend._cache.items()]
    elif isinstance(backend, RedisCache):
        client = backend._cache.get_client(None)
        entries = []
        for key in client.scan_iter(count=1000):
            assert client.type(key) == b"string", f"{key!r}: not a Django cache entry"
            entries.append((key, client.get(key)))
    else:
        raise AssertionError(f"no way to scan {type(backend).__name__}")
    hits = []
    for key, stored in entries:
        if stored is None:  # expired meanwhile
            continue
        text = stored if isinstance(stored, bytes) else str(stored).encode()
        # Pickles hold strings as UTF-8 bytes; search the object too, when it is
        # one (an int is stored as such).
        with contextlib.suppress(Exception):
            text += repr(pickle.loads(stored)).encode()  # noqa: S301 - our own cache
        if marker.encode() in key.lower() or marker.encode() in text.lower():
            hits.append(key.decode())
    return hits


def file_hits(marker: str) -> list[str]:
    """Paths, under MEDIA_ROOT, of files whose name or bytes hold the marker."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file()
        and (marker in path.name.lower() or marker.encode() in path.read_bytes().lower())
    )


class RecordKeeper(logging.Handler):
    """Keeps every record it is given, formatted as a log file would hold it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@contextlib.contextmanager
def capturing_logs() -> Iterator[RecordKeeper]:
    """Every record reaching the root logger, at DEBUG level and up, from now on."""
    root = logging.getLogger()
    keeper, level = RecordKeeper(), root.level
    root.addHandler(keeper)
    root.setLevel(logging.DEBUG)
    try:
        yield keeper
    finally:
        root.removeHandler(keeper)
        root.setLevel(level)


def log_hits(keeper: RecordKeeper, marker: str) -> list[str]:
    return [line for line in keeper.lines if marker in line.lower()]


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
