"""Every page a menu reaches, for every role and in all three languages: the header menu, the footer and the start
page's own links, each page checked with axe-core (WCAG 2.1 AA) and for console errors. One Chromium serves all of
it (the session's shared browser); each language is one test, with the data built once for its five roles."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest

from kartlegg.analytics import services as statistics
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses.models import Response

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst, make_respondent, make_reviewer
from .test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.browser

# What each language's pages must say somewhere, so a page that fell back to bokmål is noticed.
MENU_WORD = {"nb": "Statistikk", "nn": "Statistikk", "en": "Statistics"}
# The API's documentation is Swagger UI's own page, not ours: it must load without errors, but its markup is
# Swagger's, so axe is not run on it.
NOT_OURS = ("/api/v1/docs",)


def _roles() -> dict[str, Any]:
    """The five roles of the demo: analyst, a municipality's respondent, a bydel's respondent, a county reviewer and
    an anonymous visitor (None)."""
    unit = ReportingUnit.objects.get(year=2024, code="030101")
    small = Response.objects.filter(round__year=2024).select_related("round").first()
    assert small is not None
    Response.objects.get_or_create(round=small.round, unit=unit)  # the bydel's form in the open 2024 round
    return {
        "analyst": make_analyst(),
        "respondent": make_respondent("1507"),
        "bydel": make_respondent("030101"),
        "reviewer": make_reviewer("15"),
        "anonymous": None,
    }


def _shape(path: str) -> str:
    """Pages that differ only by an id or a code are one page here (one round's dashboard stands for all)."""
    return re.sub(r"\d+", "N", path)


def _menu_links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header nav a[href], footer a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    found: dict[str, str] = {}
    for href in hrefs:
        url = urlparse(href)
        if url.netloc or not url.path.startswith("/") or href.startswith("mailto:"):
            continue
        if url.path.endswith((".csv", ".xlsx", ".pdf", ".json")) or "/logg-ut/" in url.path:
            continue
        found.setdefault(_shape(url.path), url.path + (f"?{url.query}" if url.query else ""))
    return list(found.values())


def _visit(page: Any, base: str, path: str, errors: list[str], language: str) -> None:
    errors.clear()
    reply = page.goto(base + path, wait_until="load")
    label = f"{language} {path}"
    assert reply is not None and reply.status < 400, f"{label}: HTTP {reply.status if reply else '?'}"
    assert not errors, f"{label}: console errors: {errors}"
    if not path.startswith(NOT_OURS):
        assert page.locator("html").get_attribute("lang") == language, label
        assert_accessible(page, label)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{label}: the page is {width} px wide"


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_every_menu_page_for_every_role(live_url: str, chromium_browser: Any, language: str) -> None:  # noqa: F811
    SmallSurvey()
    statistics.compute()
    roles = _roles()
    visited = 0
    for role, user in roles.items():
        context = chromium_browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_url}])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        try:
            if user is not None:
                page.goto(live_url + "/konto/logg-inn/")
                page.locator("#id_username").fill(user.username)
                page.locator("#id_password").fill(PASSWORD)
                page.locator("main form button[type=submit]").click()
                page.wait_for_load_state()
                assert "/konto/logg-inn/" not in page.url, f"{role} could not log in"
            _visit(page, live_url, "/", errors, language)
            assert MENU_WORD[language] in page.locator("header nav").inner_text(), f"{role} {language}: menu"
            links = _menu_links(page, live_url)
            assert "/statistikk/" in links and "/kontakt/" in links, f"{role}: {links}"
            for path in links:
                _visit(page, live_url, path, errors, language)
                visited += 1
            # An address that does not exist gets the site's own page, in the language, still in the layout.
            reply = page.goto(live_url + "/finnes-ikke/")
            assert reply is not None and reply.status == 404
            assert page.locator("header nav").count() == 1 and page.locator("html").get_attribute("lang") == language
        finally:
            context.close()
    assert visited >= 25
