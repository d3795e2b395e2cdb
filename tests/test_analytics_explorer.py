"""The statistics pages: the explorer (table, chart, map, downloads, stable addresses, no JavaScript needed), the
unit profile with its permissions before publication, and the analysts' publication page."""

from __future__ import annotations

import importlib
import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kartlegg.analytics import headline, mapcharts, services
from kartlegg.analytics.charts import Point, Series, line_chart, nice_ticks
from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.models import AS_REPORTED, Publication
from kartlegg.analytics.services import access
from kartlegg.geography.maps import geojson_features
from kartlegg.lib.numbers import format_number
from kartlegg.lib.vega import chart_svg
from tests.browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401
from tests.chart_schema import validate_spec
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.test_analytics_aggregates import SmallSurvey, stored

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def survey() -> SmallSurvey:
    small = SmallSurvey()
    services.compute()
    return small


def page(client: Client, query: str = "", **headers: str) -> Any:
    return client.get(f"/statistikk/{query}", headers=headers)


def login(client: Client, user: Any) -> None:
    client.force_login(user)


def test_explorer_shows_a_norwegian_table_with_flags_breaks_and_demo_mark(client: Client, survey: SmallSurvey) -> None:
    response = page(client, "?variable=arsverk_voksne&level=county&years=2019-2024&structure=own")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Syntetiske demodata" in html
    total = stored(headline.ADULTS, "county", AS_REPORTED, 2019)["15"].value
    assert format_number(round_half_up(total, 1), 1) in html and "," in format_number(total, 1)  # decimal comma
    shown = page(client, "?variable=E_n&level=nation&years=2019&structure=own").content.decode()  # cold: computed
    users = stored("E_n", "nation", AS_REPORTED, 2019)["0"].value
    assert format_number(users) in shown and NBSP in format_number(users)  # "5 923" with a non-breaking space
    assert '<sup class="flag"' in html and "imputert (siste rapporterte tall er brukt)" in html
    assert 'scope="col"' in html and 'scope="row"' in html
    assert 'role="img"' in html and 'aria-describedby="statistikk-tabell"' in html
    assert "Kilde: SSB, Kartverket, SKDE; tall: kartlegg" in html
    assert 'class="ds-tag" data-color="warning">Syntetiske demodata' in html


def test_series_break_is_drawn_in_table_and_chart(client: Client, survey: SmallSurvey) -> None:
    html = page(client, "?variable=B_b.*.c1&level=nation&years=2019-2024").content.decode()
    assert "break-before" in html and "brudd i tidsserien" in html
    assert ">Brudd</text>" in html
    assert "Brudd i tidsserien i 2024" in html


def test_map_for_county_level(client: Client, survey: SmallSurvey) -> None:
    html = page(client, "?variable=arsverk_totalt&level=county&years=2024&measure=per_capita").content.decode()
    spec = json.loads(re.search(r'<script id="(vega-map-[^"]+)" type="application/json">(.*?)</script>', html, re.S)[2])
    validate_spec(spec)
    main, oslo = spec["hconcat"]
    areas = mapcharts.dataset(spec, "areas")
    møre = next(a["properties"] for a in areas if a["properties"]["code"] == "15")
    rate = stored("arsverk_totalt", "county", AS_REPORTED, 2024)["15"].rate
    assert møre["value"] == rate  # the map colours the rate per 10 000, not the sum
    assert main["layer"][0]["encoding"]["color"]["field"] == "properties.value"
    assert oslo["title"]["text"] == "Oslo" and any(
        a["properties"]["code"] == "03" for a in mapcharts.dataset(spec, "oslo_areas")
    )
    svg = chart_svg(spec)
    assert f'aria-label="Møre og Romsdal: {format_number(round_half_up(rate, 1), 1)}' in svg  # each area names itself
    assert 'id="statistikk-tabell"' in html  # the table twin stays
    summed = page(client, "?variable=arsverk_totalt&level=county&years=2024&measure=sum").content.decode()
    assert "vega-map-" not in summed and "ikke summer" in summed  # a sum is never coloured
    assert "measure=per_capita" in summed  # … and the note links to the rate
    shares = page(client, "?variable=E_x&level=county&years=2024&measure=share").content.decode()
    found = re.search(r'<script id="vega-map-[^"]+" type="application/json">(.*?)</script>', shares, re.S)
    assert found is not None
    county = next(a for a in mapcharts.dataset(json.loads(found[1]), "areas") if a["properties"]["code"] == "15")
    assert county["properties"]["text"].endswith(NBSP + "%")  # a share reads "61,5 %"


def test_bad_parameters_show_an_error_and_the_default(client: Client, survey: SmallSurvey) -> None:
    response = page(client, "?variable=arsverk_voksne&level=planet&years=2024-2017")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ds-error-summary" in html
    assert "<strong>level</strong>" in html and "<strong>years</strong>" in html
    assert "statistikk-tabell" in html  # the default view is still shown


def test_english_page_shows_units_legend_and_errors_in_english(client: Client, survey: SmallSurvey) -> None:
    client.cookies["django_language"] = "en"
    html = page(client, "?variable=arsverk_totalt&level=county&years=2024&measure=per_capita").content.decode()
    assert "FTEs per 1,000 inhabitants" in html and "innbyggere" not in html
    assert "Map: " in html and "Grey: no figure. Inset: Oslo." in html and "ikke tall" not in html
    assert '"title": "Area"' in html and "Område" not in html  # the map's tooltip, in the spec the page draws
    bad = page(client, "?variable=arsverk_voksne&level=planet").content.decode()
    assert "unknown level &#x27;planet&#x27;; valid levels are nation" in bad and "ukjent nivå" not in bad
    # The open API answers in bokmål whatever the language: its units are part of the published data.
    api = client.get("/api/v1/statistics/arsverk_totalt?level=county&years=2024&measure=per_capita").json()
    assert "innbyggere" in str(api["dimension"]["ContentsCode"]["category"]["unit"])


def test_search_finds_variables_by_code_or_text(client: Client, survey: SmallSurvey) -> None:
    html = page(client, "?q=brukere").content.decode()
    assert 'value="E_n" selected' in html
    options = client.get("/statistikk/variabler/?q=kolonne to").content.decode()
    assert "B_b.r1.c2" in options and "E_n" not in options
    assert "Ingen variabler" in client.get("/statistikk/variabler/?q=zzzz").content.decode()


def test_htmx_gets_only_the_results(client: Client, survey: SmallSurvey) -> None:
    response = page(client, "?variable=arsverk_totalt&level=hf", **{"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="stat-results"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_permalink_and_downloads(client: Client, survey: SmallSurvey) -> None:
    html = page(client, "?variable=arsverk_totalt&level=county&years=2019,2024&measure=per_capita").content.decode()
    links = re.findall(r'href="/statistikk/\?([^"]+)"', html)
    assert any("variable=arsverk_totalt" in link and "years=2019%2C2024" in link for link in links)
    query = "?variable=arsverk_totalt&level=county&years=2019-2024&measure=per_capita"
    csv_response = page(client, query + "&format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    text = csv_response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "regionkode;region;statistikkvariabel;år;verdi;merknad;datagrunnlag"
    assert "Syntetiske demodata" in lines[1] and "Kilde" not in text  # data rows only; the notes are apart
    notes = page(client, query + "&format=notes").content.decode("utf-8")
    assert "Kilde: SSB, Kartverket, SKDE" in notes and "Syntetiske demodata" in notes
    xlsx = page(client, query + "&format=xlsx")
    openpyxl = importlib.import_module("openpyxl")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:2] == ["Tabell", "Merknader"]
    sheet = book["Tabell"]
    assert "Syntetiske demodata" in str(sheet.cell(1, 1).value)
    assert [sheet.cell(2, c).value for c in (1, 2, 3)] == ["Kode", "Region", "2019"]
    assert "15" in [sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)]  # SSB's county code
    hf = openpyxl.load_workbook(io.BytesIO(page(client, "?variable=arsverk_totalt&level=hf&format=xlsx").content))
    hf_codes = [hf["Tabell"].cell(r, 1).value for r in range(3, hf["Tabell"].max_row + 1)]
    assert hf_codes and all(str(code).startswith("hf:") for code in hf_codes)  # the level prefix is kept
    jsonstat = page(client, query + "&format=jsonstat").json()
    assert jsonstat["class"] == "dataset" and "recompute_pending" in jsonstat["extension"]["kartlegg"]
    px = page(client, query + "&format=px")
    assert px.status_code == 200 and px["Content-Disposition"].endswith('.px"')
    assert px.content.startswith(b'CHARSET="ANSI";') and b"DATA=" in px.content
    html = page(client, query).content.decode()
    for label in ("CSV for Excel", "CSV med komma og punktum", "PC-Axis (PX)", "Merknader (tekst)"):
        assert label in html


def test_profile_compares_the_unit_with_its_places_and_peers(client: Client, survey: SmallSurvey) -> None:
    response = client.get("/statistikk/enhet/1505/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Kristiansund", "Hele landet", "HF-område", "innbyggere"):
        assert label in html
    assert "Syntetiske demodata" in html
    assert re.search(r"\d+ av \d+", html)  # rank in the size group
    value = stored(headline.ADULTS, "unit", 2024, 2019)["1505"].value
    assert format_number(round_half_up(value, 1), 1) in html
    csv_text = client.get("/statistikk/enhet/1505/?format=csv").content.decode("utf-8-sig")
    assert "Kristiansund" in csv_text
    assert client.get("/statistikk/enhet/9876/").status_code == 404


def test_profile_is_embargoed_for_others_before_publication(client: Client, survey: SmallSurvey, settings: Any) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    assert client.get("/statistikk/enhet/1505/").status_code == 403  # the public, before publication
    own = make_respondent("1505")
    login(client, own)
    assert client.get("/statistikk/enhet/1505/").status_code == 200
    assert client.get("/statistikk/enhet/1516/").status_code == 403  # another unit
    client.logout()
    login(client, make_reviewer("15"))
    assert client.get("/statistikk/enhet/1516/").status_code == 200
    assert client.get("/statistikk/enhet/4601/").status_code == 403
    client.logout()
    access.publish(2019, timezone.now(), make_analyst())
    response = client.get("/statistikk/enhet/1516/")
    assert response.status_code == 200  # published years are public
    html = response.content.decode()
    assert '<th scope="col" class="num">2019</th>' in html and '<th scope="col" class="num">2024</th>' not in html


def test_explorer_before_publication(client: Client, survey: SmallSurvey, settings: Any) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    html = page(client, "?variable=arsverk_totalt").content.decode()
    assert "ikke publisert ennå" in html and "statistikk-tabell" not in html
    login(client, make_analyst())
    html = page(client, "?variable=arsverk_totalt").content.decode()
    assert "statistikk-tabell" in html and "Foreløpige tall, ikke publisert" in html


def test_publication_page_is_for_analysts(client: Client, survey: SmallSurvey) -> None:
    login(client, make_respondent("1505"))
    assert client.get("/statistikk/publisering/").status_code == 403
    client.logout()
    login(client, make_analyst())
    assert client.get("/statistikk/publisering/").status_code == 200
    response = client.post("/statistikk/publisering/", {"year": "2020", "published_at": "2031-05-01T06:00"})
    assert response.status_code == 302
    assert Publication.objects.get(year=2020).published_at.year == 2031
    assert 2020 not in access.published_years()  # still under embargo
    client.post("/statistikk/publisering/", {"year": "1999", "published_at": ""})
    assert not Publication.objects.filter(year=1999).exists()


def test_chart_has_gaps_not_zeros() -> None:
    spec = line_chart(
        [Series("A", [Point(2019, 1.0), Point(2020, None), Point(2021, 3.0), Point(2022, 4.0, flagged=True)])],
        [2019, 2020, 2021, 2022],
        "Test",
        breaks=[2021],
    )
    assert spec is not None
    validate_spec(spec)
    rows = spec["layer"][0]["data"]["values"]
    assert [r["value"] for r in rows] == [1.0, None, 3.0, 4.0]  # the missing year is null, never 0
    svg = chart_svg(spec)
    line = re.search(r'class="mark-line[^>]*><path[^>]* d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    assert line.count("M") == 2 and line.count("L") == 1  # 2019 stands alone, 2021–2022 is one line
    assert svg.count('fill="#ffffff"') == 1  # the imputed point is hollow
    assert ">Brudd</text>" in svg and 'stroke-dasharray="5,4"' in svg
    assert nice_ticks(3, 97)[0] == 0 and nice_ticks(3, 97)[-1] >= 97
    assert line_chart([Series("A", [Point(2019, None)])], [2019], "Tom") is None


def test_geojson_areas_become_features_wound_for_d3_without_skdes_oslo_copies() -> None:
    square = [[[10.0, 60.0], [11.0, 60.0], [11.0, 61.0], [10.0, 61.0], [10.0, 60.0]]]  # anticlockwise (RFC 7946)
    copy = [[[15.0, 58.0], [16.0, 58.0], [16.0, 59.0], [15.0, 59.0], [15.0, 58.0]]]  # SKDE's enlarged Oslo, in Sweden
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"area": "Vest "},
         "geometry": {"type": "MultiPolygon", "coordinates": [square, copy]}},
    ]}  # fmt: skip
    (feature,) = geojson_features(data)
    assert feature["properties"]["code"] == "Vest"
    (polygon,) = feature["geometry"]["coordinates"]  # the copy east of 13° E is dropped
    ring = polygon[0]
    assert ring[0] == ring[-1] and len(ring) == 5
    signed = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False))
    assert signed < 0  # clockwise, as d3-geo wants an outer ring
    assert (feature["properties"]["lon"], feature["properties"]["lat"]) == (10.5, 60.5)
    with pytest.raises(ValueError, match="area"):
        geojson_features({"features": [{"properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}]})


@pytest.mark.browser
def test_statistics_pages_are_accessible(live_url: str, browser: Any, survey: SmallSurvey) -> None:  # noqa: F811
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for label, url in (
        ("utforsker, fylke", "/statistikk/?variable=arsverk_totalt&level=county&measure=per_capita"),
        ("utforsker, brudd", "/statistikk/?variable=B_b.*.c1&level=nation"),
        ("utforsker, ett år", "/statistikk/?variable=E_x&level=size_group&years=2024"),
        ("profil", "/statistikk/enhet/1505/"),
    ):
        page.goto(live_url + url)
        # The server's SVG is replaced by vega-embed's rendering of the same spec, without eval (no CSP violation).
        page.wait_for_selector(".vega-chart[data-vega-state=rendered] svg", state="attached")
        assert page.locator(".vega-chart[role=img][aria-describedby]").count() >= 1, label
        assert page.locator(".vega-chart[data-vega-state=failed]").count() == 0, label
        assert_accessible(page, label)
        assert not errors, f"{label}: {errors}"
    # Without JavaScript the form still works: a plain GET with the choices in the address.
    page.goto(live_url + "/statistikk/")
    page.select_option("#stat-level", "hf")
    page.click("button:has-text('Vis')")
    page.wait_for_url("**level=hf**")
    assert "Helseforetak" in page.content()


@pytest.mark.browser
def test_explorer_maps_in_the_browser(live_url: str, browser: Any, survey: SmallSurvey) -> None:  # noqa: F811
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    rate = stored("arsverk_totalt", "county", AS_REPORTED, 2024)["15"].rate
    shown = format_number(round_half_up(rate, 1), 1)
    for level in ("county", "dps"):
        page.goto(f"{live_url}/statistikk/?variable=arsverk_totalt&level={level}&years=2024&measure=per_capita")
        # vega-embed draws the map's spec in place of the server's SVG (no CSP violation: no eval, no inline style).
        drawn = page.wait_for_selector('.vega-chart[id^="vega-map-"][data-vega-state=rendered] svg', state="attached")
        assert drawn is not None
        assert page.locator('.vega-chart[id^="vega-map-"] text', has_text="Oslo").count() >= 1, level  # the inset
        assert page.locator('.vega-chart[id^="vega-map-"] path[aria-label]').count() >= 15, level
        page.check("#show-map")  # the view switch: the map alone, so axe checks it shown
        assert_accessible(page, f"utforsker, kart ({level})")
        assert not errors, f"{level}: {errors}"
    page.goto(f"{live_url}/statistikk/?variable=arsverk_totalt&level=county&years=2024&measure=per_capita")
    page.wait_for_selector('.vega-chart[id^="vega-map-"][data-vega-state=rendered] svg', state="attached")
    page.check("#show-map")  # the view switch: the map alone
    area = page.locator('.vega-chart[id^="vega-map-"] path[aria-label^="Møre og Romsdal"]').first
    # The county's box centre may lie at sea, so the pointer events go to the shape itself (Vega picks its item).
    for kind in ("pointerover", "pointermove", "mouseover", "mousemove"):
        area.dispatch_event(kind, {"bubbles": True, "clientX": 100, "clientY": 100})
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible")
    assert tooltip is not None and "Møre og Romsdal" in tooltip.inner_text() and shown in tooltip.inner_text()
    legend = page.locator('.vega-chart[id^="vega-map-"] .role-legend-label text').all_text_contents()
    assert legend and all("," in text and "." not in text for text in legend)  # "31,2": the Norwegian locale
    page.goto(f"{live_url}/statistikk/?variable=arsverk_totalt&level=county&years=2024&measure=sum")
    assert page.locator('.vega-chart[id^="vega-map-"]').count() == 0  # a sum is never coloured
    page.check("#show-map")
    assert_accessible(page, "utforsker, kart av en sum")
    page.get_by_role("link", name="Vis kart per innbygger").click()
    page.wait_for_selector('.vega-chart[id^="vega-map-"]', state="attached")
    assert "measure=per_capita" in page.url


def test_area_profiles_for_county_hf_and_their_competence(client: Client, survey: SmallSurvey) -> None:
    county = client.get("/statistikk/enhet/15/")
    html = county.content.decode()
    assert county.status_code == 200 and "Møre og Romsdal" in html and "Fylke" in html
    assert "Blant alle områdene" in html and "Kompetanse: årsverk etter utdanning" in html
    from kartlegg.geography.models import ReportingUnit

    hf_code = ReportingUnit.objects.filter(year=2024, county_code="15").exclude(hf_code="").first().hf_code
    hf = client.get(f"/statistikk/enhet/hf:{hf_code}/")
    assert hf.status_code == 200
    assert client.get("/statistikk/enhet/hf:999/").status_code == 404
    assert client.get("/statistikk/enhet/fylke:15/").status_code == 404
    unit = client.get("/statistikk/enhet/1507/").content.decode()
    assert "Kompetanse: årsverk etter utdanning" in unit  # competence on every profile


def test_explorer_links_county_rows_to_their_profiles_and_has_a_view_switch(
    client: Client, survey: SmallSurvey
) -> None:
    html = page(client, "?variable=arsverk_totalt&level=county").content.decode()
    assert 'href="/statistikk/enhet/15/"' in html
    assert 'id="show-table"' in html and 'id="show-map"' in html and 'id="show-chart"' in html
    assert 'hx-trigger="submit, change from:(.stat-form select)"' in html
    assert html.count('class="ds-paragraph source"') == 1  # the source line once


def test_chart_legends_keep_whole_names() -> None:
    long_name = "Trøndelag - Trööndelage"
    spec = line_chart([Series(long_name, [Point(2023, 1.0), Point(2024, 2.0)]), Series("B", [Point(2024, 3.0)])],
                      [2023, 2024], "T")  # fmt: skip
    assert spec is not None
    assert f">{long_name}</text>" in chart_svg(spec)
