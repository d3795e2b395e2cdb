"""The embargo matrix: a year's report scheduled for tomorrow, tried on every public surface (its page and
versions, PDF and XLSX, the report page, the list, RSS and Atom, the sitemap, the topic page, the publications API,
and the year's statistics in the explorer, its CSV export, a unit's profile and the statistics API), anonymously and
as a respondent, one minute before and one minute after its time (the clock moved by patching timezone.now).
Analysts and reviewers preview it with "Under embargo til …". The feeds parse with Python's XML parser."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.models import Publication as StatisticsPublication
from kartlegg.publishing import services
from kartlegg.publishing.models import Publication, Status
from kartlegg.reports import services as reports
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.factories.publishing import approved, make_publisher, make_topic
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
TITLE = "Årsrapport 2020 under embargo"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def scheduled() -> tuple[Publication, dt.datetime]:
    SmallSurvey()
    statistics.compute()
    author, publisher = make_analyst(), make_publisher()
    report = reports.build_report(2020, user=author)
    reports.change_status(report, "submit", author)
    report = reports.change_status(report, "approve", publisher)
    reports.xlsx_of(report)
    topic = make_topic("arsverk", "Årsverk")
    publication = services.create_from_report(report, user=author, topics=[topic], title=TITLE, summary="Om 2020.")
    approved(publication, author, publisher)
    when = timezone.now() + dt.timedelta(days=1)
    publication = services.schedule(publication, when, publisher)
    return publication, publication.publish_at  # type: ignore[return-value]


def surfaces(publication: Publication) -> dict[str, Callable[[Client], bool]]:
    """Each surface: a check that is True when the publication (or its year's statistics) shows there."""
    slug, report_id = publication.slug, publication.report_id

    def ok(url: str) -> Callable[[Client], bool]:
        return lambda c: c.get(url).status_code == 200

    def has(url: str, text: str) -> Callable[[Client], bool]:
        return lambda c: text in c.get(url).content.decode()

    def csv(c: Client) -> bool:
        response = c.get("/statistikk/?variable=arsverk_totalt&years=2020&format=csv")
        return response["Content-Type"].startswith("text/csv") and "2020" in response.content.decode("utf-8-sig")

    return {
        "page": ok(f"/publikasjoner/{slug}/"),
        "version page": ok(f"/publikasjoner/{slug}/v1/"),
        "xlsx": ok(f"/publikasjoner/{slug}/v1/rapport.xlsx"),
        "pdf": ok(f"/publikasjoner/{slug}/v1/rapport.pdf"),
        "report page": ok(f"/rapporter/{report_id}/"),
        "report xlsx": ok(f"/rapporter/{report_id}/rapport.xlsx"),
        "report pdf": ok(f"/rapporter/{report_id}/rapport.pdf"),
        "list": has("/publikasjoner/", TITLE),
        "list by topic": has("/publikasjoner/?tema=arsverk", TITLE),
        "rss": has("/publikasjoner/rss/", TITLE),
        "atom": has("/publikasjoner/atom/", TITLE),
        "topic rss": has("/publikasjoner/tema/arsverk/rss/", TITLE),
        "sitemap": has("/sitemap.xml", f"/publikasjoner/{slug}/v1/"),
        "topic page": has("/publikasjoner/tema/arsverk/", TITLE),
        "api list": lambda c: TITLE in [p["title"] for p in c.get("/api/v1/publications").json()["publications"]],
        "api one": ok(f"/api/v1/publications/{slug}"),
        "explorer": has("/statistikk/?variable=arsverk_totalt&years=2020", "statistikk-tabell"),
        "explorer csv": csv,
        "profile": has("/statistikk/enhet/1505/", '<th scope="col" class="num">2020</th>'),
        "statistics api": ok("/api/v1/statistics/arsverk_totalt?years=2020"),
        "versions api": ok("/api/v1/statistics/versions/2020"),
    }


def seen(client: Client, checks: dict[str, Callable[[Client], bool]], moment: dt.datetime) -> dict[str, bool]:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return {name: check(client) for name, check in checks.items()}


def test_nothing_shows_before_the_minute_and_everything_after(scheduled: tuple[Publication, dt.datetime]) -> None:
    publication, when = scheduled
    assert StatisticsPublication.objects.get(year=2020).published_at == when  # the year goes public with it
    checks = surfaces(publication)
    respondent = Client()
    respondent.force_login(make_respondent("1505"))
    for who, client in (("anonymous", Client()), ("respondent", respondent)):
        before = seen(client, checks, when - dt.timedelta(minutes=1))
        assert not any(before.values()), f"{who} sees it before its time: {[n for n, v in before.items() if v]}"
        after = seen(client, checks, when + dt.timedelta(minutes=1))
        assert all(after.values()), f"{who} does not see it after its time: {[n for n, v in after.items() if not v]}"
    with mock.patch("django.utils.timezone.now", return_value=when + dt.timedelta(minutes=1)):
        assert [p.pk for p in services.publish_due()] == [publication.pk]
    publication.refresh_from_db()
    assert publication.status == Status.PUBLISHED and publication.published_at == when


def test_analysts_and_reviewers_preview_it_marked_under_embargo(
    scheduled: tuple[Publication, dt.datetime], client: Client
) -> None:
    publication, when = scheduled
    mark = f"Under embargo til {timezone.localtime(when):%d.%m.%Y %H:%M}"
    for user in (make_analyst(), make_reviewer("15")):
        client.force_login(user)
        html = client.get(f"/publikasjoner/{publication.slug}/").content.decode()
        assert mark in html and TITLE in html
        assert mark in client.get("/publikasjoner/").content.decode()
    client.force_login(make_respondent("1505"))
    assert client.get(f"/publikasjoner/{publication.slug}/").status_code == 404


def test_feeds_parse_as_xml_with_published_dates(scheduled: tuple[Publication, dt.datetime], client: Client) -> None:
    publication, when = scheduled
    with mock.patch("django.utils.timezone.now", return_value=when + dt.timedelta(minutes=5)):
        rss = ET.fromstring(client.get("/publikasjoner/rss/").content)  # noqa: S314 - our own feed
        atom = ET.fromstring(client.get("/publikasjoner/tema/arsverk/atom/").content)  # noqa: S314
        sitemap = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314
    items = rss.findall("./channel/item")
    assert [i.findtext("title") for i in items] == [TITLE]
    assert items[0].findtext("pubDate") == when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    entries = atom.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [TITLE]
    assert entries[0].findtext(f"{ATOM}published", "").startswith(when.strftime("%Y-%m-%dT%H:%M"))
    locations = [e.text or "" for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith(f"/publikasjoner/{publication.slug}/v1/") for loc in locations)


def test_unscheduling_puts_the_year_back_under_its_earlier_embargo(scheduled: tuple[Publication, dt.datetime]) -> None:
    publication, _when = scheduled
    services.unschedule(publication, make_publisher())
    assert not StatisticsPublication.objects.filter(year=2020).exists()
    assert 2020 in statistics.annual_rounds()


def test_publishing_the_report_now_publishes_its_year_now(scheduled: tuple[Publication, dt.datetime]) -> None:
    publication, _when = scheduled
    publication = services.publish_now(publication, make_publisher())
    stats = StatisticsPublication.objects.get(year=2020)
    assert stats.is_public() and publication.is_public() and stats.published_at == publication.publish_at


def test_api_year_filter_and_bad_topic(scheduled: tuple[Publication, dt.datetime], client: Client) -> None:
    publication, when = scheduled
    with mock.patch("django.utils.timezone.now", return_value=when + dt.timedelta(minutes=1)):
        data: Any = client.get(f"/api/v1/publications?year={when.year}").json()
        assert [p["slug"] for p in data["publications"]] == [publication.slug]
        assert data["publications"][0]["files"][1]["url"].endswith("rapport.pdf")
        assert client.get(f"/api/v1/publications?year={when.year + 1}").json()["count"] == 0
        bad = client.get("/api/v1/publications?topic=finnes-ikke")
        assert bad.status_code == 400 and "topic" in bad.json()["error"]
        assert client.get("/publikasjoner/?ar=20x4").status_code == 400


def test_a_data_correction_offers_a_reissue_and_nothing_changes_until_it_is_published(client: Client) -> None:
    from kartlegg.publishing.services import reissue
    from kartlegg.quality.services.versions import correct_locked, lock_round

    survey = SmallSurvey()
    author, publisher = make_analyst(), make_publisher()
    lock_round(survey.rounds[2019], author, "låst")
    lock_round(survey.rounds[2020], author, "låst")
    statistics.compute()
    report = reports.build_report(2020, "v1", user=author)
    reports.change_status(report, "submit", author)
    report = reports.change_status(report, "approve", publisher)
    created = services.create_from_report(report, user=author, title="Rapport 2020", summary="S")
    first = services.publish_now(approved(created, author, publisher), publisher)
    assert first.data_version == "v1" and StatisticsPublication.objects.get(year=2020).data_version == 1
    assert reissue.offers() == []
    code = sorted(survey.values[2020])[0]
    correct_locked(survey.rounds[2020], code, {"E_n": 1}, "Feil tall", author)
    statistics.compute()
    offers = reissue.offers()
    assert [(o.publication.pk, o.published_version, o.newest_version) for o in offers] == [(first.pk, 1, 2)]
    client.force_login(author)
    assert "dataversjon 2 finnes nå" in client.get("/publikasjoner/redaksjon/").content.decode()
    second = reissue.rebuild(first.pk, author.pk, 2)
    assert (second.version, second.data_version, second.status) == (2, "v2", Status.DRAFT)
    assert StatisticsPublication.objects.get(year=2020).data_version == 1  # nothing public changed yet
    anonymous = Client()
    assert "Rettet" not in anonymous.get(f"/publikasjoner/{first.slug}/").content.decode()
    reports.change_status(second.report, "submit", author)  # type: ignore[arg-type]
    reports.change_status(second.report, "approve", publisher)  # type: ignore[arg-type]
    services.publish_now(approved(second, author, publisher), publisher)
    stats = StatisticsPublication.objects.get(year=2020)
    assert stats.data_version == 2 and "dataversjon 2" in stats.correction_note
    assert "dataversjon 2 (rettede data)" in anonymous.get(f"/publikasjoner/{first.slug}/").content.decode()
