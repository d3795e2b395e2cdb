"""Test set-up shared by every test file.

The real reference data (../shared/data) is loaded once per session into the test database, because every
feature lives on the real unit structure. Tests that need other geography load their own small fixtures
inside their own transaction, which is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KARTLEGG_DEMO_MODE = True
    settings.KARTLEGG_STATISTICS_PREVIEW = True  # the tests run the demo's settings; tests of the embargo turn it off
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Background jobs run at once, inside the test; tests/test_jobs.py also runs them through the database worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.KARTLEGG_RECOMPUTE_DELAY = 0
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jobs"},
    }
    from django_tasks.signals import clear_tasks_handlers

    clear_tasks_handlers(setting="TASKS")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    reference = Path(settings.KARTLEGG_REFERENCE_DIR)
    if not (reference / "klass").is_dir():
        pytest.exit(f"The reference data is missing: {reference}. Put ../shared beside the clone.", returncode=2)
    with django_db_blocker.unblock():
        call_command("load_reference", "--dir", str(reference), "--quiet")


@pytest.fixture(autouse=True)
def _bokmal_by_default() -> Iterator[None]:
    """Every test starts in bokmål. LocaleMiddleware activates a request's language for the thread and leaves it
    active, so a test client request in English would otherwise leak into the tests after it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    """The statistics' kept figures (analytics/services/kept.py) live in the process; each test's database is new
    (a transaction rolled back, ids reused), so nothing kept may carry from one test into the next."""
    from kartlegg.analytics.services import kept

    kept.forget()
    yield
    kept.forget()


@pytest.fixture
def wsgi_keeps_connection() -> Iterator[None]:
    """For tests that call a bare WSGIHandler (schemathesis, raw WSGI bodies): it sends request_started and
    request_finished, and Django closes a connection there whose autocommit differs from the settings, as inside the
    test's transaction, so PostgreSQL would lose it mid-test. Django's own test client disconnects the same handler."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
