"""The demo's publishing step on the small survey: topic pages, one year's report published under its topics, the
next one scheduled for tomorrow (invisible to an anonymous visitor, visible to an analyst), idempotent."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from kartlegg.analytics import services as statistics
from kartlegg.demo.publishing import publish_demo_publications
from kartlegg.publishing.models import Publication, Status, Topic
from kartlegg.reports import services as reports
from tests.factories import make_analyst
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db


def test_demo_publishes_one_year_and_schedules_the_next(client: Client) -> None:
    SmallSurvey()
    statistics.compute()
    make_analyst(username="analytiker")
    reports.build_report(2020)
    reports.build_report(2024)
    out = io.StringIO()
    publish_demo_publications(out.write, published_year=2020, scheduled_year=2024)
    assert {"arsverk", "kompetanse", "barn-og-unge", "korona"} <= set(Topic.objects.values_list("slug", flat=True))
    published = Publication.objects.get(year=2020, kind="report")
    scheduled = Publication.objects.get(year=2024)
    assert published.status == Status.PUBLISHED and published.approved_by.username == "redaktor"  # type: ignore[union-attr]
    assert scheduled.status == Status.SCHEDULED and not scheduled.is_public()
    assert set(published.topics.values_list("slug", flat=True)) == {"arsverk", "kompetanse", "barn-og-unge"}
    listing = client.get("/publikasjoner/?tema=arsverk").content.decode()
    assert published.title in listing and scheduled.title not in listing
    assert client.get(f"/publikasjoner/{scheduled.slug}/").status_code == 404
    client.force_login(make_analyst())
    assert "Under embargo til" in client.get(f"/publikasjoner/{scheduled.slug}/").content.decode()
    assert "2020-rapporten publisert" in out.getvalue()
    again = io.StringIO()
    publish_demo_publications(again.write, published_year=2020, scheduled_year=2024)
    assert Publication.objects.count() == 3 and "publisert" not in again.getvalue()
