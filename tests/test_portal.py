"""The site's own pages: the start page per role (its next task), contact, the error pages in the layout, the
favicon; and the navigation that leads to the round dashboard, the statistics and the helper workbook."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from kartlegg.quality.models import Flag
from kartlegg.responses.charts import curve_spec
from kartlegg.responses.dashboard import curve_range, response_curve
from kartlegg.responses.models import Response, ResponseStatus, Round

from .factories import make_analyst, make_respondent, make_reviewer
from .factories.responses import open_round, response_for

pytestmark = pytest.mark.django_db


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_respondent_start_page_shows_the_open_form_and_its_deadline() -> None:
    round_obj = open_round(year=2024, days=20)
    page = client_for(make_respondent("4601")).get("/").content.decode()
    form_url = reverse("responses:form", args=[round_obj.pk, "4601"])
    assert f'href="{form_url}"' in page and "4601 Bergen" in page
    assert round_obj.deadline.strftime("%d.%m.%Y") in page
    # Another unit's form is never offered.
    assert reverse("responses:form", args=[round_obj.pk, "0301"]) not in page


def test_respondent_without_open_rounds_is_told_so() -> None:
    round_obj = open_round(year=2024)
    Round.objects.filter(pk=round_obj.pk).update(closes_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    page = client_for(make_respondent("4601")).get("/").content.decode()
    assert "Du har ingen åpne skjemaer nå." in page
    assert reverse("responses:form", args=[round_obj.pk, "4601"]) not in page


def test_analyst_start_page_lists_rounds_with_response_rate_open_flags_and_reports() -> None:
    round_obj = open_round(year=2024)
    total = Response.objects.filter(round=round_obj).count()
    Response.objects.filter(round=round_obj, unit__code__in=["4601", "1103"]).update(status=ResponseStatus.SUBMITTED)
    unit = response_for(round_obj, "4601").unit
    Flag.objects.create(round=round_obj, unit=unit, check_name="x", rule="y", severity="error", explanation="z")
    page = client_for(make_analyst()).get("/").content.decode()
    assert reverse("responses:dashboard", args=[round_obj.pk]) in page
    assert f"(2/{total})" in page
    assert f'href="{reverse("quality:queue", args=[round_obj.pk])}">1</a>' in page
    assert "Rapporter som venter" in page and "Ingen rapporter venter." in page


def test_reviewer_start_page_shows_their_county_only() -> None:
    round_obj = open_round(year=2024)
    page = client_for(make_reviewer("46")).get("/").content.decode()
    counties = Response.objects.filter(round=round_obj, unit__county_code="46").count()
    assert "46 Vestland" in page and f"/{counties})" in page
    assert reverse("analytics:profile", args=["46"]) in page


def test_menu_reaches_statistics_for_everyone_and_quality_for_analysts() -> None:
    anonymous = client_for().get("/").content.decode()
    assert 'href="/statistikk/"' in anonymous and 'href="/kontakt/"' in anonymous and "/kvalitet/" not in anonymous
    analyst = client_for(make_analyst()).get("/").content.decode()
    assert 'href="/kvalitet/"' in analyst


def test_round_list_and_detail_link_the_dashboard_and_form_links_the_workbook() -> None:
    round_obj = open_round(year=2024)
    client = client_for(make_analyst())
    dashboard = reverse("responses:dashboard", args=[round_obj.pk])
    assert dashboard in client.get(reverse("responses:index")).content.decode()
    assert dashboard in client.get(reverse("responses:round_detail", args=[round_obj.pk])).content.decode()
    form = client_for(make_respondent("4601")).get(reverse("responses:form", args=[round_obj.pk, "4601"]))
    assert reverse("responses:workbook", args=[round_obj.pk, "4601"]) in form.content.decode()


@override_settings(KARTLEGG_CONTACT_EMAIL="hjelp@direktoratet.example")
def test_contact_page_and_footer_give_the_configured_address() -> None:
    page = client_for().get("/kontakt/").content.decode()
    assert 'href="mailto:hjelp@direktoratet.example"' in page
    assert 'href="/kontakt/"' in client_for().get("/").content.decode()


def test_unknown_address_gets_a_norwegian_404_in_the_layout() -> None:
    reply = client_for().get("/finnes-ikke/")
    page = reply.content.decode()
    assert reply.status_code == 404 and "Fant ikke siden" in page and 'class="site-header"' in page
    client = Client()
    client.cookies["django_language"] = "en"
    english = client.get("/finnes-ikke/")
    assert english.status_code == 404 and "Page not found" in english.content.decode()


def test_forbidden_page_is_norwegian_and_says_why() -> None:
    reply = client_for(make_respondent("4601")).get(reverse("quality:index"))
    page = reply.content.decode()
    assert reply.status_code == 403 and "Du har ikke tilgang til denne siden" in page and "Forbidden" not in page
    assert 'class="site-header"' in page and 'href="/kontakt/"' in page


def test_server_error_page_renders_without_a_request() -> None:
    from kartlegg.portal.views import server_error

    reply = server_error(None)  # type: ignore[arg-type]
    assert reply.status_code == 500 and "Noe gikk galt hos oss" in reply.content.decode()


def test_favicon_is_served() -> None:
    reply = client_for().get("/favicon.ico")
    assert reply.status_code == 301 and reply["Location"].endswith("favicon.svg")
    assert "favicon.svg" in client_for().get("/").content.decode()


def test_api_docs_use_local_files_without_inline_script() -> None:
    page = client_for().get("/api/v1/docs").content.decode()
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in page and "js/swagger-init.js" in page
    assert "cdn" not in page.lower() and "<script>" not in page
    assert 'type="application/json"' in page  # the settings are data, read by the static init script


def test_response_curve_of_a_round_left_open_ends_after_the_last_submission() -> None:
    round_obj = Round(opens_at=dt.datetime(2024, 2, 1, 9, tzinfo=dt.UTC), deadline=dt.date(2024, 3, 15), closes_at=None)
    today = dt.date(2026, 12, 5)
    start, data_end, axis_end = curve_range(round_obj, today=today, last_submission=dt.date(2024, 3, 20))
    assert (start, data_end, axis_end) == (dt.date(2024, 2, 1), dt.date(2024, 3, 27), dt.date(2024, 3, 27))
    # Still collecting: a round that closes later runs to today.
    recent = Round(opens_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), deadline=dt.date(2026, 12, 1), closes_at=None)
    assert curve_range(recent, today=today, last_submission=dt.date(2026, 12, 4))[1] == today
    points = response_curve({dt.date(2024, 3, 1): 5}, start, data_end, 10)
    # The axis shows years: the round is not of this year.
    x = curve_spec(points, round_obj.deadline, axis_end)["layer"][0]["encoding"]["x"]
    assert x["axis"]["format"] == "%d.%m.%Y" and x["scale"]["domain"] == [
        "2024-02-01",
        "2024-03-27",
    ]  # dates with years
    assert points[-1].percent == 50.0
