"""axe-core (WCAG 2.1 AA) on the pulse pages: starting a series in the form, the series page with its waves,
response rates and curves, the trends page, and the quick report."""

from __future__ import annotations

import datetime as dt

import pytest

from kartlegg.pulse import services
from kartlegg.pulse.models import PulseSeries, Wave

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .test_pulse_schedule import FIRST, UNITS, answer, at, pulse_version

pytestmark = pytest.mark.browser


def test_pulse_pages_are_accessible(live_url, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    version = pulse_version()
    analyst = make_analyst()
    browser.set_default_timeout(60_000)  # the shared two-core machine can be slow to answer
    page = browser.new_page()
    page.goto(live_url + "/konto/logg-inn/")
    page.locator("#id_username").fill(analyst.username)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state()
    page.goto(f"{live_url}/puls/ny/")
    assert_accessible(page, "ny pulsserie")
    page.locator("#id_version").select_option(str(version.pk))
    page.locator("#id_name").fill("Puls i nettleseren")
    page.locator("#id_first_date").fill(FIRST.isoformat())
    page.locator("#id_end_date").fill((FIRST + dt.timedelta(days=28)).isoformat())
    page.locator("#id_scope").select_option("list")
    page.locator("#id_units").fill(" ".join(UNITS))
    page.get_by_role("button", name="Start serien").click()
    page.wait_for_load_state()
    series = PulseSeries.objects.get(name="Puls i nettleseren")
    assert page.url.split("?")[0].endswith(f"/puls/{series.pk}/")
    for days, value in ((0, "okt"), (14, "uendret")):
        services.run_schedule(at(FIRST + dt.timedelta(days=days), 9))
        wave = Wave.objects.filter(series=series).order_by("-slot").first()
        assert wave is not None
        answer(wave, UNITS, value, at(FIRST + dt.timedelta(days=days), 10))
    services.run_schedule(at(FIRST + dt.timedelta(days=18), 9))
    stored = services.build_quick_report(Wave.objects.get(series=series, slot=1))
    page.goto(f"{live_url}/puls/{series.pk}/")
    assert page.locator("#puls-svar-tabell tbody tr").count() == 2
    assert page.locator(".vega-chart svg").count() == 2  # the response rates and the response curve
    assert_accessible(page, "pulsserien")
    page.goto(f"{live_url}/puls/{series.pk}/trender/?question=P_henvisninger&level=county")
    assert_accessible(page, "utviklingen")
    page.goto(f"{live_url}/puls/{series.pk}/pause/")
    assert_accessible(page, "bekreft pause")
    page.goto(f"{live_url}/puls/rapport/{stored.pk}/")
    text = page.locator("article.report").inner_text().replace("\u00a0", " ")
    assert "Andelen kommuner som melder om økt pågang, falt fra 100 % til 0 % siden forrige måling (N = 7)." in text
    assert page.locator("figure.report-figure svg").count() >= 1
    assert_accessible(page, "hurtigrapport")
