"""Shared set-up for browser tests: headless Chromium through Playwright, a live server that sees the test's own
data, and an axe-core check. Import the fixtures into a test module:

    from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401

`live_url` serves the app from a thread that shares the test's in-memory SQLite connection, so data created in the
test (inside its transaction) is visible to the browser, and the transaction is still rolled back afterwards.
pytest-django's own live_server forces transactional_db, whose flush would also wipe the reference data that the
session loaded once for every other test.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

AXE = Path(__file__).resolve().parent.parent / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def live_url(db: Any) -> Iterator[str]:  # noqa: ARG001 - `db` opens the transaction the server shares
    from pytest_django.live_server_helper import LiveServer

    if not all(c.vendor == "sqlite" and c.is_in_memory_db() for c in connections.all()):
        pytest.skip("browser tests share the test transaction and need the in-memory SQLite test database")
    server = LiveServer("localhost:0")
    try:
        yield server.url
    finally:
        server.stop()


# One Playwright and one Chromium per test process. Each test module that imports the fixture gets its own
# session-scoped copy of it, and Playwright's sync API cannot be started twice, so the copies share this state.
_SHARED: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    sync_api = importlib.import_module("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        # Never skip silently: a run without Chromium has not tested the pages.
        pytest.fail(f"{CHROMIUM} is not installed: run `sudo apt-get install -y chromium` (as .ci/run does)")
    if _SHARED["users"] == 0:
        # Playwright's sync API runs an event loop in this thread; the ORM calls in tests stay synchronous.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        _SHARED["playwright"] = sync_api.sync_playwright().start()
        _SHARED["chromium"] = _SHARED["playwright"].chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    _SHARED["users"] += 1
    try:
        yield _SHARED["chromium"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            _SHARED.pop("chromium").close()
            _SHARED.pop("playwright").stop()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser(chromium_browser: Any) -> Iterator[Any]:
    """A fresh browser context (own cookies and storage) per test, in Norwegian. Every page it opens is watched for
    Content-Security-Policy violations (Chromium logs each one): a test with any fails, whatever else it checks."""
    context = chromium_browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", accept_downloads=True)
    context.set_default_timeout(15_000)
    violations: list[str] = []
    context.on("console", lambda message: _note_csp(message, violations))
    yield context
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def _note_csp(message: Any, violations: list[str]) -> None:
    text = message.text
    if "Content Security Policy" in text and "axe" not in text:
        violations.append(f"{message.page.url if message.page else ''}: {text[:300]}")


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page and return the violations of the given impacts."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing: {AXE} (run `make install`)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern
        # (add_script_tag would insert an inline script, which the policy rightly blocks).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [v for v in result["violations"] if v.get("impact") in impacts]


def assert_accessible(page: Any, label: str = "") -> None:
    violations = axe_violations(page)
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} – " + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    ]
    assert not violations, f"axe found problems on {label or page.url}:\n" + "\n".join(details)
