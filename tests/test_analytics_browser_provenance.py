"""axe-core (WCAG 2.1 AA) on one figure's provenance view, reached from the report's linked figure: as an analyst
(units, imputation and the corrections' details) and as the public (counts only)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.services import access
from kartlegg.quality.services import versions as quality
from kartlegg.reports import services

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.browser


def test_the_provenance_view_is_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    survey = SmallSurvey()
    analyst = make_analyst()
    statistics.compute()
    for year in (2019, 2020):
        quality.lock_round(survey.rounds[year], analyst)
    quality.correct_locked(survey.rounds[2020], "1505", {"B_a.r1.c1": "9"}, "Feil i årsverk", analyst)
    statistics.recompute(survey.rounds[2020].pk)
    stored = services.build_report(2020, data_version="2")
    browser.set_default_timeout(60_000)  # the shared two-core machine can be slow to answer
    page = browser.new_page()
    page.goto(live_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(analyst.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()
    page.goto(f"{live_url}/rapporter/{stored.pk}/")
    page.locator("#sammendrag-hovedtall tbody tr td:nth-of-type(2) a").first.click()  # 2020, version 2
    page.wait_for_load_state()
    assert "/statistikk/tall/" in page.url and "version=2" in page.url
    assert page.locator("h1").inner_text() == "Hvor kommer tallet fra?"
    assert page.locator("#enheter tbody tr").count() > 5
    assert page.locator("#rettinger tbody tr").count() == 1
    assert_accessible(page, "tallets opphav (analytiker)")
    access.publish(2020, timezone.now(), analyst, data_version=2)
    url = page.url
    page.close()
    browser.clear_cookies()  # the same context, logged out: the public
    public = browser.new_page()
    public.goto(url)
    assert public.locator("#rettinger").count() == 0 and public.locator("#enheter tbody tr").count() > 5
    assert_accessible(public, "tallets opphav (publikum)")
    public.goto(live_url + "/statistikk/tall/?variable=arsverk_totalt&level=county&region=99&year=2020")
    assert "region" in public.locator(".ds-error-summary").inner_text()
    assert_accessible(public, "tallets opphav (feil)")
