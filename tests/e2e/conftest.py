"""Browser end-to-end tests: Playwright (pytest-playwright) driving Debian's Chromium
against the project served by pytest-django's ``live_server``.

``make test-e2e`` runs them (``make test`` leaves them out: they are marked
``e2e``); each flow saves full-page screenshots to ``docs/screenshots/``, so the
same run (``make screenshots``) regenerates the README's images.

The browser never comes from ``playwright install``: it is the system's
``/usr/bin/chromium`` (Debian's ``chromium`` package; ``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.browser import TIMEOUT_MS, VIEWPORT, BrowserConsole

CHROMIUM = "/usr/bin/chromium"
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API runs an asyncio loop in this thread, and Django refuses
    # ORM calls from a thread with a running loop (SynchronousOnlyOperation). The
    # tests' own ORM calls (factories, checks) are plain sync code between browser
    # steps, so the guard is lifted, for the browser tests only: this fixture is
    # never set up when `make test` deselects them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    # pytest-playwright's contexts resolve page.goto("/admin/") against it.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": VIEWPORT,
        "locale": "en-US",
        "timezone_id": "UTC",  # the project's TIME_ZONE
    }


@pytest.fixture(autouse=True)
def browser_console(context: BrowserContext) -> Iterator[BrowserConsole]:
    """Watches the test's browser context (and any other the test hands it)."""
    context.set_default_timeout(TIMEOUT_MS)
    console = BrowserConsole()
    console.watch(context)
    yield console
    for report in console.csp_reports:
        warnings.warn(f"CSP (report only): {report}", UserWarning, stacklevel=1)
    unexpected = console.unexpected_errors()
    assert not unexpected, "The browser console reported errors:\n" + "\n".join(unexpected)
