"""The pulse pages: an analyst starts a series in the UI, changes it with confirmation, reads the trends and their
downloads, and publishes a quick report; others cannot reach any of it (a draft report is a 404 to them)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kartlegg.publishing import services as publishing
from kartlegg.publishing.models import Publication
from kartlegg.pulse import services
from kartlegg.pulse.models import PulseSeries, QuickReport, ReportState, SeriesStatus, Wave
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.test_pulse_schedule import FIRST, UNITS, answer, at, pulse_version, start

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**extra: Any) -> dict[str, Any]:
    data = {"version": pulse_version().pk, "name": "Puls fra skjemaet", "interval_days": "14", "open_days": "3",
            "first_date": "2020-03-16", "end_date": "2020-05-11", "scope": "list", "county": "",
            "units": " ".join(UNITS), "language": "nn", "late_answers": "accept"}  # fmt: skip
    data.update(extra)
    return data


def test_an_analyst_starts_a_series_in_the_ui(django_capture_on_commit_callbacks: Any) -> None:
    client = login(make_analyst())
    assert client.get("/puls/ny/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/puls/ny/", form_data())
    series = PulseSeries.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(f"/puls/{series.pk}/")
    assert series.language == "nn" and series.late_answers == "accept" and series.unit_codes == sorted(UNITS)
    page = client.get(f"/puls/{series.pk}/")
    assert page.status_code == 200 and "tas imot og merkes som sene" in page.content.decode()
    assert "Puls fra skjemaet" in client.get("/puls/").content.decode()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"end_date": "2020-03-01"}, "Siste dag kan ikke være før første måling."),
        ({"open_days": "20"}, "En måling kan ikke være åpen lenger enn intervallet."),
        ({"units": "9999 4601"}, "Ukjente enhetskoder for 2020: 9999."),
        ({"scope": "county", "county": ""}, "Velg et fylke."),
        ({"interval_days": "fjorten"}, "Oppgi et heltall."),
    ],
)
def test_bad_input_on_the_form_is_named(extra: dict[str, str], message: str) -> None:
    response = login(make_analyst()).post("/puls/ny/", form_data(**extra))
    assert response.status_code == 400 and message in response.content.decode()
    assert not PulseSeries.objects.exists()


def test_actions_ask_for_confirmation_and_are_refused_when_they_do_not_apply() -> None:
    analyst = make_analyst()
    client = login(analyst)
    series = start(analyst)
    confirm = client.get(f"/puls/{series.pk}/pause/")
    assert confirm.status_code == 200 and "Bekreft" in confirm.content.decode()
    assert PulseSeries.objects.get().status == SeriesStatus.ACTIVE  # a GET changes nothing
    client.post(f"/puls/{series.pk}/pause/")
    assert PulseSeries.objects.get().status == SeriesStatus.PAUSED
    bad = client.post(f"/puls/{series.pk}/extend/", {"end_date": "2020-01-01"})
    assert bad.status_code == 400 and "Ny siste dag må være etter" in bad.content.decode()
    assert client.post(f"/puls/{series.pk}/explode/").status_code == 404
    client.post(f"/puls/{series.pk}/stop/")
    assert PulseSeries.objects.get().status == SeriesStatus.STOPPED


def test_others_cannot_reach_the_series_or_a_draft_report(django_capture_on_commit_callbacks: Any) -> None:
    series = start()
    services.run_schedule(at(FIRST, 9))
    with django_capture_on_commit_callbacks(execute=True):
        from kartlegg.pulse.tasks import run_and_queue

        run_and_queue(at(FIRST + dt.timedelta(days=4), 9))
    report = QuickReport.objects.get()
    for user in (make_respondent("4601"), make_reviewer("46")):
        client = login(user)
        assert client.get(f"/puls/{series.pk}/").status_code == 403
        assert client.get(f"/puls/{series.pk}/trender/").status_code == 403
        assert client.get(f"/puls/rapport/{report.pk}/").status_code == 404
        assert client.post(f"/puls/{series.pk}/stop/").status_code == 403
    assert Client().get(f"/puls/rapport/{report.pk}/pdf/").status_code == 404
    analyst = login(make_analyst())
    refused = analyst.post(f"/puls/rapport/{report.pk}/publiser/", {})
    assert refused.status_code == 302 and report.publication is not None
    assert Publication.objects.get(pk=report.publication_id).status == "draft"
    analyst.post(f"/puls/rapport/{report.pk}/publiser/", {"confirm": "1"})
    publication = Publication.objects.get(pk=report.publication_id)
    assert publication.status == "review"
    assert Client().get(f"/puls/rapport/{report.pk}/").status_code == 404  # not public before it is published
    publishing.approve(publication, make_analyst())
    publishing.publish_now(Publication.objects.get(pk=publication.pk), None)
    public = Client().get(f"/puls/rapport/{report.pk}/")
    assert public.status_code == 200 and "svarte på måling 1" in public.content.decode()
    assert Client().get(f"/puls/rapport/{report.pk}/pdf/")["Content-Type"] == "application/pdf"


def test_publish_at_once_goes_through_the_workflow(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from kartlegg.pulse.tasks import run_and_queue

    series = start(publish_at_once=True)
    services.run_schedule(at(FIRST, 9))
    answer(Wave.objects.get(series=series), UNITS, "okt", at(FIRST, 10))
    with django_capture_on_commit_callbacks(execute=True):
        run_and_queue(at(FIRST + dt.timedelta(days=4), 9))
    report = QuickReport.objects.get()
    assert report.state == ReportState.PUBLISHED and report.publication is not None
    assert publishing.public_publications().filter(pk=report.publication_id).exists()
    assert report.publication.links[0]["url"] == f"/puls/rapport/{report.pk}/"
    assert Client().get(f"/puls/rapport/{report.pk}/").status_code == 200


def test_trends_page_and_downloads() -> None:
    analyst = make_analyst()
    series = start(analyst)
    for days, value in ((0, "okt"), (14, "uendret")):
        services.run_schedule(at(FIRST + dt.timedelta(days=days), 9))
        wave = Wave.objects.filter(series=series).order_by("-slot").first()
        assert wave is not None
        answer(wave, UNITS, value, at(FIRST + dt.timedelta(days=days), 10))
    client = login(analyst)
    page = client.get(f"/puls/{series.pk}/trender/", {"question": "P_henvisninger", "level": "county"})
    text = page.content.decode()
    assert page.status_code == 200 and "Måling 2 (30.03.2020)" in text and "<svg" in text
    data = client.get(f"/puls/{series.pk}/trender/last-ned/", {"question": "P_henvisninger", "format": "jsonstat"})
    assert data.status_code == 200
    stat = json.loads(data.content)
    assert stat["dimension"]["maling"]["category"]["index"] == {"2020-03-16": 0, "2020-03-30": 1}
    px = client.get(f"/puls/{series.pk}/trender/last-ned/", {"question": "P_omdisponert", "format": "px", "panel": "1"})
    assert px.status_code == 200 and b"MATRIX" in px.content
    for params, name in (({"question": "X"}, "question"), ({"level": "kommune"}, "level"), ({"panel": "ja"}, "panel")):
        bad = client.get(f"/puls/{series.pk}/trender/", params)
        assert bad.status_code == 400 and name in bad.content.decode()
    assert client.get(f"/puls/{series.pk}/trender/last-ned/", {"format": "pdf"}).status_code == 400
    assert timezone.now()  # the page never touches the schedule


def test_the_api_gives_series_and_trends_to_analysts_only() -> None:
    from kartlegg.accounts.tokens import create_token

    analyst = make_analyst()
    series = start(analyst)
    services.run_schedule(at(FIRST, 9))
    answer(Wave.objects.get(series=series), UNITS, "okt", at(FIRST, 10))
    _token, key = create_token(analyst, "puls")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    listing = Client().get("/api/v1/pulse/series", **auth)
    assert listing.status_code == 200
    assert listing.json()[0]["waves"][0]["submitted"] == len(UNITS)
    trend = Client().get(f"/api/v1/pulse/series/{series.pk}/trends", {"question": "P_henvisninger"}, **auth)
    assert trend.status_code == 200 and trend.json()["role"]["time"] == ["maling"]
    csv = Client().get(f"/api/v1/pulse/series/{series.pk}/trends", {"format": "csv"}, **auth)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    bad = Client().get(f"/api/v1/pulse/series/{series.pk}/trends", {"level": "kommune"}, **auth)
    assert bad.status_code == 400 and "level" in bad.json()["error"]
    assert Client().get(f"/api/v1/pulse/series/{series.pk + 1}/trends", **auth).status_code == 404
    _t, other = create_token(make_respondent("4601"), "puls")
    assert Client().get("/api/v1/pulse/series", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 403
    assert Client().get("/api/v1/pulse/series").status_code == 401
