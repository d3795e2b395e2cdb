"""The stored report page: served from storage as bytes (never re-rendered per request), with ETag, Last-Modified
and caching headers, 304 on a matching If-None-Match, and the permission check before any of it."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.models import Publication
from kartlegg.reports import services
from kartlegg.reports.models import Report as StoredReport
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
SENTINEL = '<p id="stored-sentinel">Bare i den lagrede siden</p>'


@pytest.fixture
def approved() -> StoredReport:
    SmallSurvey()
    statistics.compute()
    stored = services.build_report(2020)
    analyst = make_analyst()
    services.change_status(stored, "submit", analyst)
    services.change_status(stored, "approve", analyst)
    Publication.objects.create(year=2020, published_at=timezone.now())
    stored.refresh_from_db()
    return stored


def test_fingerprint_follows_the_stored_page(approved: StoredReport) -> None:
    first, at = approved.html_hash, approved.html_at
    assert len(first) == 64 and at is not None
    approved.save(update_fields=["status"])  # the page did not change: neither does its fingerprint
    approved.refresh_from_db()
    assert (approved.html_hash, approved.html_at) == (first, at)
    approved.html += SENTINEL
    approved.save(update_fields=["html"])
    approved.refresh_from_db()
    assert approved.html_hash != first and approved.html_at is not None and approved.html_at >= at


def test_stored_page_is_served_as_stored_with_etag_and_304(approved: StoredReport, client: Client) -> None:
    # Change the stored page behind the renderer's back: the page shows it, so it is served from storage.
    StoredReport.objects.filter(pk=approved.pk).update(html=approved.html + SENTINEL)
    approved.refresh_from_db()
    approved.save(update_fields=["html"])
    url = f"/rapporter/{approved.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert SENTINEL in text and approved.html in text and "<!--kartlegg:report-body-->" not in text
    assert text.index("site-header") < text.index(SENTINEL) < text.index("site-footer")
    etag, modified = page["ETag"], page["Last-Modified"]
    assert etag.startswith('"') and "private" in page["Cache-Control"] and "max-age=60" in page["Cache-Control"]
    assert "Cookie" in page["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    # Logged in, the page around the report differs (name, logout form): another ETag, and a full answer.
    client.force_login(make_respondent("1505"))
    mine = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert mine.status_code == 200 and mine["ETag"] != etag and SENTINEL in mine.content.decode()
    # A new page (an edit or a rebuild changes the stored HTML) gets a new ETag.
    StoredReport.objects.filter(pk=approved.pk).update(html=approved.html.replace(SENTINEL, ""))
    approved.refresh_from_db()
    approved.save(update_fields=["html"])
    assert client.get(url, HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 200


def test_waiting_messages_are_shown_not_answered_with_304(approved: StoredReport, client: Client) -> None:
    url = f"/rapporter/{approved.pk}/"
    etag = client.get(url)["ETag"]
    storage = CookieStorage(client.request().wsgi_request)
    storage.add(message_levels.ERROR, "action: en melding som venter")
    response = client.get(url)  # sets nothing; add the message cookie by hand
    storage.update(response)
    client.cookies.update(response.cookies)
    shown = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert shown.status_code == 200 and "en melding som venter" in shown.content.decode()


def test_permission_check_comes_before_the_conditional_answer(approved: StoredReport, client: Client) -> None:
    analyst = make_analyst()
    draft = services.build_report(2020)  # a new draft beside the approved report
    assert draft.pk != approved.pk and draft.is_draft
    client.force_login(analyst)
    analyst_view = client.get(f"/rapporter/{draft.pk}/")
    assert analyst_view.status_code == 200 and "Rediger avsnittet" in analyst_view.content.decode()
    assert "no-cache" in analyst_view["Cache-Control"] and not analyst_view.has_header("ETag")
    services.change_status(draft, "submit", analyst)
    review = client.get(f"/rapporter/{draft.pk}/")
    assert review.status_code == 200 and review.has_header("ETag") and "no-cache" in review["Cache-Control"]
    client.logout()
    for user in (None, make_respondent("1505"), make_reviewer("15")):
        if user is not None:
            client.force_login(user)
        # Even with the analyst's ETag the report in review stays hidden: 404, never 304.
        assert client.get(f"/rapporter/{draft.pk}/", HTTP_IF_NONE_MATCH=review["ETag"]).status_code == 404
        assert client.get(f"/rapporter/{draft.pk}/", HTTP_IF_NONE_MATCH="*").status_code == 404
