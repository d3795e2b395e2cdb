"""axe-core (WCAG 2.1 AA) on the publication list, a published report's page and a topic page with key figures,
as an anonymous visitor, and on the analysts' editorial page and a preview under embargo."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.services import access
from kartlegg.publishing import services
from kartlegg.publishing.services import topics
from kartlegg.reports import services as reports

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .factories.publishing import approved, make_note, make_publisher
from .test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.browser


def test_publishing_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    SmallSurvey()
    statistics.compute()
    author, publisher = make_analyst(), make_publisher()
    topic = topics.save_topic(author, title="Årsverk", key_figures="arsverk_totalt",
                              body="## Om årsverk\n\nTekst med en [lenke](/statistikk/).\n\n- ett\n- to")  # fmt: skip
    report = reports.build_report(2020, user=author)
    reports.change_status(report, "submit", author)
    report = reports.change_status(report, "approve", publisher)
    access.publish(2019, timezone.now(), author)
    publication = services.create_from_report(report, user=author, topics=[topic], title="Årsrapport 2020",
                                              summary="Sammendraget.")  # fmt: skip
    services.publish_now(approved(publication, author, publisher), publisher)
    embargoed = approved(make_note(author, title="Kommer i morgen", topics=[topic]), author, publisher)
    services.schedule(embargoed, timezone.now() + timezone.timedelta(days=1), publisher)
    browser.set_default_timeout(60_000)
    page = browser.new_page()
    page.goto(f"{live_url}/publikasjoner/")
    assert page.get_by_role("link", name="Årsrapport 2020").count() == 1
    assert page.get_by_text("Kommer i morgen").count() == 0
    assert_accessible(page, "publikasjonsliste")
    page.goto(f"{live_url}/publikasjoner/{publication.slug}/")
    assert page.get_by_role("heading", name="Slik siterer du").count() == 1
    assert_accessible(page, "publikasjon")
    page.goto(f"{live_url}/publikasjoner/tema/{topic.slug}/")
    assert page.locator(".key-figure").count() == 1
    assert_accessible(page, "temaside")
    analyst = browser.new_page()
    analyst.goto(live_url + "/konto/logg-inn/")
    analyst.locator("#id_username").fill(author.username)
    analyst.locator("#id_password").fill(PASSWORD)
    analyst.get_by_role("button", name="Logg inn").click()
    analyst.wait_for_load_state()
    analyst.goto(f"{live_url}/publikasjoner/{embargoed.slug}/")
    assert analyst.get_by_text("Under embargo til").count() >= 1
    assert_accessible(analyst, "forhåndsvisning under embargo")
    analyst.goto(f"{live_url}/publikasjoner/redaksjon/")
    assert_accessible(analyst, "redaksjon")
    analyst.goto(f"{live_url}/publikasjoner/tema/{topic.slug}/rediger/")
    assert_accessible(analyst, "temaredigering")
