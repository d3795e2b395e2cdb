"""The public geography page (/geografi/): table, filters, downloads, the server-drawn map, and maps.py itself.

The map tests at the top are pure (hand-made TopoJSON); the page tests use the real reference data from conftest.
"""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

import pytest
from django.urls import reverse

from kartlegg.geography import maps
from kartlegg.geography.models import Municipality, ReportingUnit
from kartlegg.lib.exports import DEMO_MARK
from kartlegg.lib.numbers import format_number
from kartlegg.lib.vega import chart_svg
from tests.chart_schema import validate_spec

# Two unit squares side by side (lon 10–11 and 11–12, lat 60–61) sharing the edge lon=11, quantised to 0.001°.
# Arc 0 is the shared edge (11,60)→(11,61); arc 1 closes the west square; arc 2 closes the east square.
QUANTISED: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.001, 0.001], "translate": [10.0, 60.0]},
    "objects": {
        "kommuner": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"kommunenummer": 301, "navn": "Vest"}},
                {"type": "MultiPolygon", "arcs": [[[-1, 2]]], "properties": {"kommunenummer": "1101"}},
            ],
        }
    },
    "arcs": [
        [[1000, 0], [0, 1000]],
        [[1000, 1000], [-1000, 0], [0, -1000], [1000, 0]],
        [[1000, 0], [1000, 0], [0, 1000], [-1000, 0]],
    ],
}


def rings(feature: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """A feature's rings as (lon, lat) tuples (without the closing point)."""
    return [[(p[0], p[1]) for p in ring[:-1]] for polygon in feature["geometry"]["coordinates"] for ring in polygon]


def corners(feature: dict[str, Any]) -> set[tuple[float, float]]:
    return {p for ring in rings(feature) for p in ring}


def test_decode_arcs_undoes_delta_encoding_and_transform() -> None:
    arcs = maps.decode_arcs(QUANTISED)
    assert arcs[0] == [pytest.approx((11.0, 60.0)), pytest.approx((11.0, 61.0))]
    assert arcs[2][-1] == pytest.approx((11.0, 61.0))


def test_decode_arcs_leaves_unquantised_points_alone() -> None:
    topology = {"arcs": [[[10.5, 60.25], [11, 61]]]}
    assert maps.decode_arcs(topology) == [[(10.5, 60.25), (11.0, 61.0)]]


def test_two_squares_share_their_edge_exactly() -> None:
    west, east = maps.topology_features(QUANTISED, tolerance=0)
    assert [west["properties"]["code"], east["properties"]["code"]] == ["0301", "1101"]  # 301 is padded to 0301
    assert corners(west) == {(10.0, 60.0), (10.0, 61.0), (11.0, 60.0), (11.0, 61.0)}
    assert corners(east) == {(11.0, 60.0), (11.0, 61.0), (12.0, 60.0), (12.0, 61.0)}
    assert corners(west) & corners(east) == {(11.0, 60.0), (11.0, 61.0)}
    assert (west["properties"]["lon"], west["properties"]["lat"]) == (10.5, 60.5)  # the label point
    ring = rings(west)[0]
    signed = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    assert signed < 0  # outer rings clockwise, as d3-geo draws them on the sphere


def test_unquantised_topology_draws_the_same_map() -> None:
    plain = copy.deepcopy(QUANTISED)
    plain.pop("transform")
    plain["arcs"] = [[list(p) for p in arc] for arc in maps.decode_arcs(QUANTISED)]
    assert maps.topology_features(plain) == maps.topology_features(QUANTISED)


def test_simplify_drops_close_points_but_keeps_both_ends() -> None:
    points = [(0.0, 0.0), (0.1, 0.0), (0.2, 0.0), (5.0, 0.0), (5.05, 0.0), (10.0, 0.0)]
    assert maps.simplify(points, 1.0) == [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0)]
    assert maps.simplify(points, 0) == points
    assert maps.simplify(points[:2], 100) == points[:2]


def test_a_point_next_to_a_corner_is_simplified_away() -> None:
    bumpy = copy.deepcopy(QUANTISED)
    # An extra point 0.001° from the shared edge's start: well within the tolerance of 0.01°, so it is dropped.
    bumpy["arcs"][0] = [[1000, 0], [1, 1], [-1, 999]]
    assert maps.topology_features(bumpy, tolerance=0.01) == maps.topology_features(QUANTISED, tolerance=0.01)
    detailed = maps.topology_features(bumpy, tolerance=0)
    assert len(corners(detailed[0])) == 5


def test_a_feature_smaller_than_the_tolerance_is_still_drawn() -> None:
    features = maps.topology_features(QUANTISED, tolerance=100)
    assert [len(corners(f)) for f in features] == [4, 4]  # drawn from the unthinned arcs


def test_category_map_names_each_area_and_escapes_text() -> None:
    features = maps.topology_features(QUANTISED)
    shapes = {"0301": ('Vest <"&> by', "Liten")}
    spec = maps.category_map_spec("Kart & tegn", features, shapes, ["Liten"], ["#fde725"], "Størrelse",
                                  missing=("Ikke en kommune", "#d9d9d9"))  # fmt: skip
    validate_spec(spec)
    scale = spec["encoding"]["color"]["scale"]
    assert scale == {"domain": ["Liten", "Ikke en kommune"], "range": ["#fde725", "#d9d9d9"]}  # no shape: grey
    svg = chart_svg(spec)
    assert 'aria-label="Vest &lt;&quot;&amp;&gt; by"' in svg or 'aria-label="Vest &lt;"&amp;&gt; by"' in svg
    assert re.search(r'aria-label="1101"[^>]*fill="#d9d9d9"', svg)  # described by its code
    assert re.search(r'aria-label="Vest[^"]*"[^>]*fill="#fde725"', svg)
    assert ">Ikke en kommune</text>" in svg and ">Størrelse</text>" in svg  # the legend


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"objects": {}, "arcs": []}, "objects"),
        ({"objects": {"k": {"geometries": []}}}, "arcs"),
    ],
)
def test_broken_topology_raises_map_data_error(broken: dict, message: str) -> None:
    with pytest.raises(maps.MapDataError, match=message):
        maps.topology_features(broken)


def test_missing_key_property_and_unknown_object_raise() -> None:
    no_key = copy.deepcopy(QUANTISED)
    del no_key["objects"]["kommuner"]["geometries"][0]["properties"]["kommunenummer"]
    with pytest.raises(maps.MapDataError, match="kommunenummer"):
        maps.topology_features(no_key)
    with pytest.raises(maps.MapDataError, match="fylker"):
        maps.topology_features(QUANTISED, object_name="fylker")


def test_normalise_code() -> None:
    assert maps.normalise_code(301) == "0301"
    assert maps.normalise_code("0301") == "0301"
    assert maps.normalise_code(5001.0) == "5001"
    with pytest.raises(maps.MapDataError):
        maps.normalise_code(None)
    with pytest.raises(maps.MapDataError):
        maps.normalise_code(True)


URL = "/geografi/"
NBSP = "\u00a0"


def test_reverse_name_is_units() -> None:
    assert reverse("geography:units") == URL


@pytest.mark.django_db
def test_page_2024_shows_table_totals_and_sources(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024"})
    assert response.status_code == 200
    html = response.content.decode()
    population = sum(Municipality.objects.filter(year=2024).values_list("population_total", flat=True))
    assert population == 5_550_203
    assert f"5{NBSP}550{NBSP}203" in html
    units = ReportingUnit.objects.filter(year=2024)
    assert html.count("<tr>") == units.count() + 1  # one header row and one row per unit
    bergen = units.get(code="4601")
    assert f'<td class="num">{format_number(bergen.population_total)}</td>' in html
    assert "Kilde: SSB, Kartverket, SKDE" in html
    assert 'scope="col"' in html and 'scope="row"' in html


@pytest.mark.django_db
def test_page_without_year_shows_the_newest(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL)
    assert response.status_code == 200
    newest = max(Municipality.objects.values_list("year", flat=True))
    assert response.context["year"] == newest


def map_svg(html: str) -> str:
    """The server's SVG of the page's map (the Vega-Lite figure)."""
    start = html.index('<div class="vega-chart" id="vega-units-')
    return html[start : html.index("</svg>", start) + 6]


def map_spec(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="vega-units-[^"]+" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


def labelled_codes(svg: str) -> list[str]:
    return re.findall(r'<path aria-label="[^"]*\((\d{4})\)[^"]*"', svg)


@pytest.mark.django_db
def test_map_has_one_path_per_municipality(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(URL, {"year": "2024"}).content.decode()
    svg = map_svg(html)
    codes = labelled_codes(svg)
    expected = set(Municipality.objects.filter(year=2024).values_list("code", flat=True))
    assert len(codes) == len(expected) == 357
    assert set(codes) == expected
    assert 'role="img"' in html[: html.index("<svg", html.index('id="vega-units-'))]  # the figure is one image
    assert "Oslo rapporterer per bydel" in svg  # Oslo's outline says where its numbers are
    assert len(svg.encode()) < 400_000
    validate_spec(map_spec(html))  # the same spec for the browser


@pytest.mark.django_db
def test_map_2020_structure_reads_integer_codes(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(URL, {"year": "2022"}).content.decode()
    codes = set(labelled_codes(map_svg(html)))
    assert codes == set(Municipality.objects.filter(year=2022).values_list("code", flat=True))
    assert "0301" in codes


@pytest.mark.django_db
def test_map_legend_lists_size_groups_in_order(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(URL, {"year": "2024"}).content.decode()
    scale = map_spec(html)["encoding"]["color"]["scale"]
    legend = scale["domain"]
    groups = set(Municipality.objects.filter(year=2024).values_list("size_group", flat=True))
    assert set(legend) == groups
    assert legend[0].startswith("<") and legend[-1].startswith("≥")
    assert len(set(scale["range"])) == len(scale["range"]) == len(legend)
    svg = map_svg(html)
    assert f">{legend[0]}</text>" in svg.replace("&lt;", "<")  # the legend is drawn in the server's SVG


@pytest.mark.django_db
def test_page_2019_says_there_is_no_map(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2019"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" not in html and "vega-units-" not in html
    assert "Det finnes ingen kommunegrenser for 2019" in html
    assert response.context["unit_count"] == ReportingUnit.objects.filter(year=2019).count()


@pytest.mark.django_db
@pytest.mark.parametrize("raw, status", [("1999", 404), ("2100", 404), ("abc", 400), ("2024x", 400), ("9" * 25, 400)])
def test_unknown_or_bad_year_lists_the_available_years(client, raw: str, status: int) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": raw})
    assert response.status_code == status
    html = response.content.decode()
    assert "Tilgjengelige år" in html
    for year in sorted(set(Municipality.objects.values_list("year", flat=True))):
        assert f"?year={year}" in html


@pytest.mark.django_db
def test_text_filter_matches_name_or_number(client) -> None:  # type: ignore[no-untyped-def]
    rows = client.get(URL, {"year": "2024", "q": "berg"}).context["rows"]
    expected = ReportingUnit.objects.filter(year=2024, name__icontains="berg")
    assert {r.code for r in rows} == set(expected.values_list("code", flat=True))
    assert rows and len(rows) < 371
    by_number = client.get(URL, {"year": "2024", "q": "0301"}).context["rows"]
    assert len(by_number) == 15 and all(r.kind == "bydel" for r in by_number)


@pytest.mark.django_db
def test_hostile_filter_text_is_harmless(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024", "q": "<script>x</script>\x00" + "a" * 500, "county": "\x00<b>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>x</script>" not in html and "<b>" not in html
    assert response.context["rows"] == []


@pytest.mark.django_db
def test_county_filter_and_unknown_county(client) -> None:  # type: ignore[no-untyped-def]
    rows = client.get(URL, {"year": "2024", "county": "03"}).context["rows"]
    assert {r.code for r in rows} == set(
        ReportingUnit.objects.filter(year=2024, county_code="03").values_list("code", flat=True)
    )
    response = client.get(URL, {"year": "2024", "county": "30"})  # Viken was split in 2024
    assert response.status_code == 200
    assert len(response.context["rows"]) == 371
    assert "Fylke 30 finnes ikke i 2024" in response.content.decode()


@pytest.mark.django_db
def test_htmx_request_gets_only_the_table(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024", "q": "Oslo"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="unit-results"')
    assert "<svg" not in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_csv_download_has_bom_demo_mark_and_rows(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024", "county": "03", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "enheter_2024.csv" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    lines = text.splitlines()
    assert DEMO_MARK in lines[0]
    assert lines[1].startswith("Nummer;Navn;")
    assert any(line.startswith("030101;") for line in lines)
    assert "Kilde: SSB, Kartverket, SKDE" in lines[-1]
    assert len(lines) == 2 + 15 + 1  # mark, header, Oslo's bydeler, source


@pytest.mark.django_db
def test_xlsx_download_opens_with_one_row_per_unit(client) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    response = client.get(URL, {"year": "2019", "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["Enheter 2019"]
    assert DEMO_MARK in sheet.cell(row=1, column=1).value
    assert sheet.max_row == 2 + ReportingUnit.objects.filter(year=2019).count()
    assert "Kilde" in workbook.sheetnames


@pytest.mark.django_db
def test_unknown_format_is_not_an_error_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024", "format": "pdf"})
    assert response.status_code == 200
    assert "Ukjent format" in response.content.decode()


@pytest.mark.django_db
def test_page_refuses_post(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post(URL, {"year": "2024"}).status_code == 405


@pytest.mark.django_db
def test_without_reference_data_the_page_says_so(client) -> None:  # type: ignore[no-untyped-def]
    ReportingUnit.objects.all().delete()  # rolled back after the test
    response = client.get(URL)
    assert response.status_code == 503
    assert "load_reference" in response.content.decode()


def test_palette_spreads_distinct_colours() -> None:
    from kartlegg.geography.views import palette

    assert palette(0) == []
    assert len(palette(1)) == 1
    five = palette(5)
    assert len(set(five)) == 5
    assert five[0] != five[-1]
    assert len(set(palette(9))) == 9


def test_ordered_size_groups_puts_configured_groups_first(settings) -> None:  # type: ignore[no-untyped-def]
    from kartlegg.geography.views import ordered_size_groups

    settings.KARTLEGG_SIZE_GROUPS = [0, 5000, 10000, 20000, 50000]
    found = ["≥50 000", "<5 000", "annet", "", "10 000–19 999", "<5 000"]
    assert ordered_size_groups(found) == ["<5 000", "10 000–19 999", "≥50 000", "annet"]
