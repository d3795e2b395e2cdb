"""The report's choropleths (reports/maps.py): årsverk per 10 000 inhabitants by county, HF and DPS area, each a
figure with its table twin, drawn from the same Vega-Lite spec in the HTML and the PDF; rates, never sums, and no
suppressed figure shown."""

from __future__ import annotations

import io
import re

import pytest

from kartlegg.analytics import mapcharts
from kartlegg.analytics import services as statistics
from kartlegg.analytics.cube import round_half_up
from kartlegg.lib.numbers import format_number
from kartlegg.reports import services
from kartlegg.reports.compute import compute_report
from kartlegg.reports.document import Figure, Report
from kartlegg.reports.sources import read_inputs
from tests.chart_schema import validate_spec
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db


@pytest.fixture
def document() -> Report:
    SmallSurvey()
    statistics.compute()
    return compute_report(read_inputs(2024))


def maps_of(document: Report) -> dict[str, Figure]:
    chapter = document.chapter("regioner")
    assert chapter is not None
    return {f.id: f for f in chapter.figures if f.kind == "map"}


def test_county_hf_and_dps_maps_colour_the_rates_of_their_table_twin(document: Report) -> None:
    found = maps_of(document)
    assert set(found) == {
        "kart-regioner-county-arsverk-voksne", "kart-regioner-county-arsverk-barn-og-unge",
        "kart-regioner-hf-arsverk-voksne", "kart-regioner-dps-arsverk-voksne",
    }  # fmt: skip
    county = found["kart-regioner-county-arsverk-voksne"]
    validate_spec(county.spec)
    table = document.table(county.table_id)
    assert table is not None and table.level == "county"
    column = next(i for i, c in enumerate(table.columns) if "Voksne per 10 000" in c.label)
    row = next(r for r in table.rows if r.code == "15")  # Møre og Romsdal, the small survey's county
    area = next(a["properties"] for a in mapcharts.dataset(county.spec, "areas") if a["properties"]["code"] == "15")
    assert row.cells[column].value is not None and area["value"] == row.cells[column].value  # the rate, not the sum
    others = [a["properties"] for a in mapcharts.dataset(county.spec, "areas") if a["properties"]["code"] != "15"]
    assert others and all(a["value"] is None and a["text"] == ".." for a in others)  # no figure: drawn grey
    assert mapcharts.dataset(county.spec, "oslo_areas")  # the Oslo inset
    dps = found["kart-regioner-dps-arsverk-voksne"]
    assert dps.table_id == "regioner-dps" and mapcharts.dataset(dps.spec, "areas")


def test_the_map_is_in_the_html_and_the_pdf_from_the_same_spec() -> None:
    from pypdf import PdfReader

    SmallSurvey()
    statistics.compute()
    built = services.build_report(2024)
    document = services.document_of(built)
    county = maps_of(document)["kart-regioner-county-arsverk-voksne"]
    row = next(r for r in document.table("regioner-county").rows if r.code == "15")  # type: ignore[union-attr]
    rate = next(c.value for c, col in zip(row.cells, document.table("regioner-county").columns, strict=True)  # type: ignore[union-attr]
                if "Voksne per 10 000" in col.label)  # fmt: skip
    shown = format_number(round_half_up(rate, 1), 1)
    html = built.html
    block = html[html.index(f'id="{county.id}"') :]
    block = block[: block.index("</figure>")]
    assert f'aria-label="Møre og Romsdal: {shown}' in block  # the server's SVG, each county named (" (i)": imputed)
    assert len(re.findall(r'<path aria-label="[^"]+" role="graphics-symbol"', block)) >= 15 + 1  # counties + inset
    assert ">Oslo</text>" in block and 'href="#regioner-county"' in block  # the labelled inset; the table twin
    pdf = PdfReader(io.BytesIO(services.pdf_of(built)))
    text = " ".join(page.extract_text() for page in pdf.pages[:40])
    assert county.title.split(" etter")[0] in text.replace("\n", " ")
