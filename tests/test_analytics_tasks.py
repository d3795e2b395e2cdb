"""Statistics kept current by background jobs: the analysts' full computation with its progress bar, and the
pages and the API saying when the figures were computed and whether a recompute is waiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from kartlegg.analytics import services, tasks
from kartlegg.analytics.services import store
from kartlegg.jobs.models import Job, JobStatus
from tests.factories import make_analyst, make_respondent
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_analyst_computes_everything_as_a_job_with_a_progress_bar(
    django_capture_on_commit_callbacks: Any,
) -> None:
    SmallSurvey()
    assert not store.blocks().exists()
    analyst = _client(make_analyst())
    assert _client(make_respondent("1505")).post("/statistikk/publisering/beregn/").status_code == 403
    assert analyst.get("/statistikk/publisering/beregn/").status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post("/statistikk/publisering/beregn/")
    job = Job.objects.get(key="analytics.compute_all")
    assert response.status_code == 302 and response["Location"] == f"/statistikk/publisering/?oppgave={job.pk}"
    assert job.status == JobStatus.DONE and job.total == len(services.catalogue().variables) == job.done
    assert store.blocks().exists()
    page = analyst.get(response["Location"]).content.decode()
    assert "Beregning av statistikken er ferdig" in page and "Tallene ble beregnet" in page


def test_pages_and_the_api_say_when_the_figures_were_computed_and_whether_a_recompute_waits(client: Client) -> None:
    small = SmallSurvey()
    services.compute()
    page = client.get("/statistikk/", {"variable": "arsverk_totalt", "level": "nation"}).content.decode()
    assert "Tallene ble beregnet" in page and "står i kø" not in page
    data = client.get("/api/v1/statistics/arsverk_totalt").json()
    assert data["extension"]["kartlegg"]["recompute_pending"] is False
    assert data["extension"]["kartlegg"]["computed_at"].startswith(data["updated"][:10])

    tasks.schedule_recompute(small.rounds[2019], ["1505"])  # not committed in this test: it stays queued
    page = client.get("/statistikk/", {"variable": "arsverk_totalt", "level": "nation"}).content.decode()
    assert "står i kø" in page
    response = client.get("/api/v1/statistics/arsverk_totalt")
    assert response.json()["extension"]["kartlegg"]["recompute_pending"] is True
    assert response["X-Recompute-Pending"] == "true" and response["Last-Modified"]
    profile = client.get("/statistikk/enhet/1505/").content.decode()
    assert "Tallene ble beregnet" in profile and "står i kø" in profile


def test_a_reopening_and_a_lock_each_queue_a_recompute_of_what_they_touched() -> None:
    from kartlegg.quality import services as quality
    from kartlegg.responses import services as responses
    from kartlegg.responses.models import Response

    small = SmallSurvey()
    services.compute()
    round_2019 = small.rounds[2019]
    analyst = make_analyst()
    response = Response.objects.select_related("round", "unit").get(round=round_2019, unit__code="1505")
    assert responses.reopen(response, analyst, "Feil i tallene")
    job = Job.objects.get(key=f"{tasks.RECOMPUTE_KEY}{round_2019.pk}")
    assert (job.status, job.arguments["units"]) == (JobStatus.QUEUED, ["1505"])  # queued when the request commits
    quality.lock_round(small.rounds[2020], analyst)
    locked = Job.objects.get(key=f"{tasks.RECOMPUTE_KEY}{small.rounds[2020].pk}")
    assert locked.arguments["units"] is None  # a new data version: the whole round
