"""Choropleth maps as Vega-Lite specs (analytics/mapcharts.py, analytics/services/maps.py) over the real boundary
files loaded for the tests: a path per region in the server's SVG (Bergen's, Trondheim's and Stavanger's DPS areas
included), the labelled Oslo inset, and no colour for a sum."""

from __future__ import annotations

import re
from typing import Any

import pytest

from kartlegg.analytics import levels as lv
from kartlegg.analytics import mapcharts
from kartlegg.analytics.measures import IMPUTED
from kartlegg.analytics.services.maps import choropleth
from kartlegg.geography.models import County, ReportingUnit
from kartlegg.lib.vega import chart_svg
from tests.chart_schema import validate_spec

pytestmark = pytest.mark.django_db
CITIES = ("4601", "5001", "1103")  # Bergen, Trondheim, Stavanger


def labels(svg: str) -> list[str]:
    """The aria-labels of the map's shapes ("name: figure"), one per drawn path."""
    return re.findall(r'<path aria-label="([^"]+)"[^>]*role="graphics-symbol"', svg) or re.findall(
        r'<path[^>]*aria-label="([^"]+)"[^>]*d="', svg
    )


def test_every_dps_area_is_drawn_including_the_three_cities() -> None:
    areas = sorted(set(ReportingUnit.objects.filter(year=2024).exclude(dps_area="").values_list("dps_area", flat=True)))
    cities = dict(
        ReportingUnit.objects.filter(year=2024, municipality_code__in=CITIES).values_list(
            "municipality_code", "dps_area"
        )
    )
    assert len(cities) == 3 and all(cities.values())
    figures = {area: (area, float(index % 7) + 0.5, "") for index, area in enumerate(areas)}
    made = choropleth(lv.DPS, 2024, figures, "DPS-kart", 1, "årsverk per 10 000 innbyggere")
    assert made is not None
    assert made.unmatched == []
    validate_spec(made.figure.spec)
    svg = chart_svg(made.figure.spec)
    main = svg.split("concat_1_group")[0]  # the main view; the Oslo inset follows
    drawn = dict(label.rsplit(": ", 1) for label in labels(main))
    assert set(areas) <= set(drawn)
    # The boundary file's own parts of the cities (Kronstad, Solli …) have no figure: grey under the city's shape.
    assert all(drawn[name] == ".." for name in set(drawn) - set(areas))
    for area in cities.values():
        assert area in drawn  # "Betanien / Bjørgvin / Kronstad / Solli" and the others
    inset = svg.split("concat_1_group")[1]
    assert re.search(r">Oslo</text>", inset)  # the inset's title
    assert len(labels(inset)) >= 4  # Oslo's own DPS areas, drawn larger


def test_county_map_has_a_path_per_county_coloured_by_quantile_and_grey_without_a_figure() -> None:
    counties = dict(County.objects.filter(year=2024).values_list("code", "name"))
    figures: dict[str, tuple[str, float | None, str]] = {
        code: (name, float(i), "") for i, (code, name) in enumerate(sorted(counties.items()))
    }
    first = min(figures)
    figures[first] = (counties[first], None, "")
    made = choropleth(lv.COUNTY, 2024, figures, "Fylkeskart", 1, "prosent")
    assert made is not None
    svg = chart_svg(made.figure.spec)
    main = svg.split("concat_1_group")[0]
    shown = labels(main)
    assert sorted(label.rsplit(": ", 1)[0] for label in shown) == sorted(counties.values())
    grey = re.search(rf'aria-label="{re.escape(counties[first])}: \.\."[^>]*fill="([^"]+)"', main)
    assert grey is not None and grey.group(1).lower() in ("#d9d9d9", "rgb(217, 217, 217)")


def test_figures_are_written_the_norwegian_way() -> None:
    shape = {
        "type": "Feature",
        "properties": {"code": "03", "lon": 10.7, "lat": 59.9},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[10.6, 59.85], [10.6, 60.0], [10.8, 60.0], [10.8, 59.85], [10.6, 59.85]]],
        },
    }
    figures = {"03": mapcharts.Figure("Oslo", 17436.25, IMPUTED)}
    spec: dict[str, Any] = mapcharts.choropleth_spec("T", [shape], figures, "årsverk", 1)
    svg = chart_svg(spec)
    assert "Oslo: 17\u00a0436,3 (i)" in svg  # non-breaking thousands space, decimal comma, imputed flag
    share = {"03": mapcharts.Figure("Oslo", 2.06, "", "\u00a0%")}
    assert "Oslo: 2,1\u00a0%" in chart_svg(mapcharts.choropleth_spec("T", [shape], share, "prosent", 1))
    empty = chart_svg(mapcharts.choropleth_spec("T", [shape], {}, "årsverk", 1))
    assert re.search(r'aria-label="03: \.\."[^>]*fill="#d9d9d9"', empty)  # drawn, grey, named by its code
