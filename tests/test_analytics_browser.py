"""One value from the respondent's submission to the public statistics page, through the background worker: the
submission queues the QA checks and a recompute (django-tasks, database backend), the public page says a recompute
is waiting, `db_worker --batch` runs them, and the page shows the new figure. The analysts' job page lists both.
Every page is checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kartlegg.analytics import services as statistics
from kartlegg.jobs.models import Job, JobStatus
from kartlegg.responses import invitations

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from .factories import PASSWORD, make_analyst
from .factories import jobs as jobs_sample
from .factories.responses import open_round, response_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

CELL = "B_arsverk.ledelse.lege"


def vestland_cell(page: Any) -> str:
    """Bergen's county: its figure is stored by the computation (unit-level figures are computed when asked)."""
    row = page.locator("#statistikk-tabell tbody tr", has=page.get_by_role("rowheader", name="Vestland"))
    return str(row.locator("td").first.inner_text())


def test_a_submitted_value_reaches_the_public_statistics_through_the_worker(  # type: ignore[no-untyped-def]
    live_url,  # noqa: F811
    browser,  # noqa: F811
    chromium_browser,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KARTLEGG_STATISTICS_PREVIEW = True  # the year is not published; the public may look at it here
    analyst = make_analyst()
    round_obj = open_round(year=2024, analyst=analyst)
    statistics.compute()
    response = response_for(round_obj, "4601")
    _invitation, token = invitations.create_invitation(round_obj, response.unit, "koordinator@bergen.kommune.no")

    page = browser.new_page()
    page.goto(f"{live_url}/innsamling/invitasjon/{token}/")
    page.wait_for_url(re.compile(r"/innsamling/\d+/4601/$"))
    page.get_by_role("link", name="Start utfyllingen").click()
    page.wait_for_url(re.compile(r"/4601/A/$"))
    page.locator('[name="A_navn"]').fill("Kari Nordmann")
    page.get_by_role("button", name="Lagre og gå videre").click()
    page.wait_for_url(re.compile(r"/4601/B/$"))
    page.locator(f'input[name="{CELL}"]').fill("2,5")
    page.locator("#save-status").get_by_text("Lagret kl.").wait_for()
    page.get_by_role("button", name="Lagre og gå til innsending").click()
    page.wait_for_url(re.compile(r"/send-inn/$"))
    with django_capture_on_commit_callbacks(execute=True):  # the request's commit: the jobs go into the queue
        page.get_by_role("button", name=re.compile("send inn", re.IGNORECASE)).click()
        page.wait_for_url(re.compile(r"/kvittering/$"))
    queued = Job.objects.filter(status=JobStatus.QUEUED)
    assert {job.name.rsplit(".", 1)[-1] for job in queued} == {"checks_after_submit", "recompute_round"}

    public = chromium_browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo").new_page()
    address = f"{live_url}/statistikk/?variable={CELL}&level=county&years=2024&structure=2024"
    public.goto(address)
    assert vestland_cell(public) == ".."  # not yet: the submission waits for the worker
    assert "en oppdatering av tallene står i kø" in public.inner_text("main")

    jobs_sample.run_worker(monkeypatch)
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.DONE}

    public.goto(address)
    assert vestland_cell(public).startswith("2,5")
    assert "står i kø" not in public.inner_text("main") and "Tallene ble beregnet" in public.inner_text("main")
    assert_accessible(public, "statistikken etter oppdateringen")

    staff = chromium_browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo").new_page()
    staff.goto(f"{live_url}/konto/logg-inn/")
    staff.locator("#id_username").fill(analyst.username)
    staff.locator("#id_password").fill(PASSWORD)
    staff.get_by_role("button", name="Logg inn").click()
    staff.goto(f"{live_url}/oppgaver/")
    text = staff.inner_text("main")
    assert "Oppdatering av statistikken" in text and "Kontroll av innsendt skjema" in text
    assert_accessible(staff, "bakgrunnsoppgaver")
    public.context.close()
    staff.context.close()
