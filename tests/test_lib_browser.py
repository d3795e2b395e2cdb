"""The Content-Security-Policy in a real browser: the pages, the form's script, the language switcher (no inline
handler any more) and the API's Swagger page work without a single violation (the `browser` fixture fails the test
on any)."""

from __future__ import annotations

import pytest

from .browser import browser, chromium_browser, live_url  # noqa: F401

pytestmark = pytest.mark.browser


def test_language_switcher_and_swagger_work_under_the_policy(live_url, browser, chromium_browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = browser.new_page()
    response = page.goto(live_url + "/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.select_option("#language-select", "nb")
    assert page.locator("html").get_attribute("lang") == "nb"

    page.goto(live_url + "/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 5
    # An injected inline script is blocked, as the policy intends. The violation is expected here, so this runs in a
    # context of its own that the fixture does not watch.
    context = chromium_browser.new_context()
    page = context.new_page()
    page.goto(live_url + "/")
    blocked = page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), {once: true});
            const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.append(s);
            setTimeout(() => resolve(window.__ran ? 'ran' : 'nothing'), 2000);
        })"""
    )
    context.close()
    assert blocked.startswith("script-src")
