"""axe-core (WCAG 2.1 AA) on the report page: the analysts' draft (with its edit forms) and the public, approved
report, with charts, their table twins and the explorer links."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.models import Publication
from kartlegg.reports import services

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.browser


def test_report_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    SmallSurvey()
    statistics.compute()
    stored = services.build_report(2020)
    analyst = make_analyst()
    browser.set_default_timeout(60_000)  # the shared two-core machine can be slow to answer
    page = browser.new_page()
    page.goto(live_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(analyst.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()
    page.goto(f"{live_url}/rapporter/{stored.pk}/")
    assert page.locator("figure.report-figure svg").count() >= 3
    # The choropleths (county, HF, DPS): the server's SVG of one Vega-Lite spec, each area named, a labelled inset.
    maps = page.locator('figure.report-figure[id^="kart-regioner-"]')
    assert maps.count() >= 3
    assert maps.first.locator("path[aria-label]").count() >= 15 and maps.first.locator("text", has_text="Oslo").count()
    assert page.locator("a.cite").count() >= 1
    assert_accessible(page, "rapportutkast")
    page.goto(f"{live_url}/rapporter/")
    assert_accessible(page, "rapportliste")
    services.change_status(stored, "submit", analyst)
    services.change_status(stored, "approve", analyst)
    Publication.objects.create(year=2020, published_at=timezone.now())
    public = browser.new_page()
    public.goto(f"{live_url}/rapporter/{stored.pk}/")
    assert public.locator("h1").first.inner_text().startswith("Kommunalt psykisk helse- og rusarbeid 2020")
    assert_accessible(public, "publisert rapport")
