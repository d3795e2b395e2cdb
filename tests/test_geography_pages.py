"""The public geography page (/geografi/): table, filters, downloads, the server-drawn map, and maps.py itself.

The map tests at the top are pure (hand-made TopoJSON); the page tests use the real reference data from conftest.
"""

from __future__ import annotations

import copy
import io
import math
import re
from typing import Any

import pytest
from django.urls import reverse

from kartlegg.geography import maps
from kartlegg.geography.models import Municipality, ReportingUnit
from kartlegg.lib.exports import DEMO_MARK
from kartlegg.lib.numbers import format_number

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

SQUEEZE = math.cos(math.radians(65))
SCALE = 500 / (2 * SQUEEZE)  # two degrees of longitude fill the 500 units of width


def absolute_points(path: str) -> list[list[tuple[float, float]]]:
    """Read back the rings of a path written as `M x,y l dx,dy … z`."""
    rings = []
    for part in re.findall(r"M([^l]+)l([^z]*)z", path):
        x, y = (float(v) for v in part[0].split(","))
        ring = [(x, y)]
        for step in part[1].split():
            dx, dy = (float(v) for v in step.split(","))
            x, y = x + dx, y + dy
            ring.append((round(x, 1), round(y, 1)))
        rings.append(ring)
    return rings


def corners(path: str) -> set[tuple[float, float]]:
    return {p for ring in absolute_points(path) for p in ring}


def test_decode_arcs_undoes_delta_encoding_and_transform() -> None:
    arcs = maps.decode_arcs(QUANTISED)
    assert arcs[0] == [pytest.approx((11.0, 60.0)), pytest.approx((11.0, 61.0))]
    assert arcs[2][-1] == pytest.approx((11.0, 61.0))


def test_decode_arcs_leaves_unquantised_points_alone() -> None:
    topology = {"arcs": [[[10.5, 60.25], [11, 61]]]}
    assert maps.decode_arcs(topology) == [[(10.5, 60.25), (11.0, 61.0)]]


def test_two_squares_share_their_edge_exactly() -> None:
    geometry = maps.topology_geometry(QUANTISED, tolerance=0)
    assert [f.key for f in geometry.features] == ["0301", "1101"]  # an integer 301 is padded to 0301
    assert geometry.width == 500
    assert geometry.height == pytest.approx(round(SCALE, 1), abs=0.1)
    west, east = (corners(f.path) for f in geometry.features)
    top, bottom = 0.0, round(SCALE, 1)
    assert west == {(250.0, top), (250.0, bottom), (0.0, top), (0.0, bottom)}
    assert east == {(250.0, top), (250.0, bottom), (500.0, top), (500.0, bottom)}
    # North is up: latitude 61 is at y=0.
    assert west & east == {(250.0, top), (250.0, bottom)}


def test_unquantised_topology_draws_the_same_map() -> None:
    plain = copy.deepcopy(QUANTISED)
    plain.pop("transform")
    plain["arcs"] = [[list(p) for p in arc] for arc in maps.decode_arcs(QUANTISED)]
    assert maps.topology_geometry(plain) == maps.topology_geometry(QUANTISED)


def test_simplify_drops_close_points_but_keeps_both_ends() -> None:
    points = [(0.0, 0.0), (0.1, 0.0), (0.2, 0.0), (5.0, 0.0), (5.05, 0.0), (10.0, 0.0)]
    assert maps.simplify(points, 1.0) == [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0)]
    assert maps.simplify(points, 0) == points
    assert maps.simplify(points[:2], 100) == points[:2]


def test_a_point_next_to_a_corner_is_simplified_away() -> None:
    bumpy = copy.deepcopy(QUANTISED)
    # An extra point 0.001° from the shared edge's start: under a unit away once projected, so tolerance 2 drops it.
    bumpy["arcs"][0] = [[1000, 0], [1, 1], [-1, 999]]
    simple = maps.topology_geometry(bumpy, tolerance=2)
    assert simple == maps.topology_geometry(QUANTISED, tolerance=2)
    detailed = maps.topology_geometry(bumpy, tolerance=0)
    assert len(corners(detailed.features[0].path)) == 5


def test_a_feature_smaller_than_the_tolerance_is_still_drawn() -> None:
    geometry = maps.topology_geometry(QUANTISED, tolerance=10_000)
    assert all(f.path.startswith("M") for f in geometry.features)


def test_render_svg_is_accessible_and_escapes_text() -> None:
    geometry = maps.topology_geometry(QUANTISED)
    shapes = {"0301": maps.MapShape(key="0301", title='Vest <"&> by', fill="#fde725")}
    svg = maps.render_svg(geometry, shapes, label="Kart & tegn", missing_fill="#d9d9d9")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert 'aria-label="Kart &amp; tegn"' in svg
    assert svg.count("<g ") == 2 and svg.count("<path ") == 2
    assert "<title>Vest &lt;&quot;&amp;&gt; by</title>" in svg
    assert '<g data-code="1101" fill="#d9d9d9"><title>1101</title>' in svg  # no shape: grey, titled by code
    assert '<g data-code="0301" fill="#fde725">' in svg


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"objects": {}, "arcs": []}, "objects"),
        ({"objects": {"k": {"geometries": []}}}, "arcs"),
    ],
)
def test_broken_topology_raises_map_data_error(broken: dict, message: str) -> None:
    with pytest.raises(maps.MapDataError, match=message):
        maps.topology_geometry(broken)


def test_missing_key_property_and_unknown_object_raise() -> None:
    no_key = copy.deepcopy(QUANTISED)
    del no_key["objects"]["kommuner"]["geometries"][0]["properties"]["kommunenummer"]
    with pytest.raises(maps.MapDataError, match="kommunenummer"):
        maps.topology_geometry(no_key)
    with pytest.raises(maps.MapDataError, match="fylker"):
        maps.topology_geometry(QUANTISED, object_name="fylker")


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


@pytest.mark.django_db
def test_map_has_one_group_per_municipality(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(URL, {"year": "2024"}).content.decode()
    svg = html[html.index("<svg xmlns") : html.index("</svg>", html.index("<svg xmlns")) + 6]
    codes = re.findall(r'<g data-code="(\d{4})"', svg)
    expected = set(Municipality.objects.filter(year=2024).values_list("code", flat=True))
    assert len(codes) == len(expected) == 357
    assert set(codes) == expected
    assert 'role="img"' in svg and "aria-label=" in svg
    assert svg.count("<title>") == 357
    assert "Oslo rapporterer per bydel" in svg  # Oslo's outline says where its numbers are
    assert len(svg.encode()) < 400_000


@pytest.mark.django_db
def test_map_2020_structure_reads_integer_codes(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get(URL, {"year": "2022"}).content.decode()
    codes = set(re.findall(r'<g data-code="(\d{4})"', html))
    assert codes == set(Municipality.objects.filter(year=2022).values_list("code", flat=True))
    assert "0301" in codes


@pytest.mark.django_db
def test_map_legend_lists_size_groups_in_order(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2024"})
    legend = [entry.label for entry in response.context["map"].legend]
    groups = set(Municipality.objects.filter(year=2024).values_list("size_group", flat=True))
    assert set(legend) == groups
    assert legend[0].startswith("<") and legend[-1].startswith("≥")
    colours = [entry.colour for entry in response.context["map"].legend]
    assert len(set(colours)) == len(colours)


@pytest.mark.django_db
def test_page_2019_says_there_is_no_map(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, {"year": "2019"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg xmlns" not in html
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
    assert "<svg xmlns" not in html and "<html" not in html
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
