"""Every download of a statistics table (analytics.downloads): a clean CSV in two dialects, its notes apart, XLSX
with the level's codes, PC-Axis, JSON-stat, and the N behind a share in each of them."""

from __future__ import annotations

import csv
import importlib
import io
import json
from typing import Any

import pytest
from django.test import Client

from kartlegg.analytics import downloads
from kartlegg.analytics import levels as lv
from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, Dimension, MetricUnit
from kartlegg.analytics.measures import IMPUTED, SUPPRESSED, Value
from tests.test_analytics_aggregates import SmallSurvey


def share_cube() -> Cube:
    regions = [("hf:1", "Helse Møre og Romsdal"), ("hf:2", "Helse Førde")]
    measures = [("E_x.share", "Har tilbudet – andel"), ("E_x.share.n", "antall enheter som svarte (N)")]
    units = {"E_x.share": MetricUnit("prosent", 1), "E_x.share.n": MetricUnit("enheter", 0)}
    dims = [
        Dimension("Region", "region", regions, role=GEO),
        Dimension("ContentsCode", "statistikkvariabel", measures, role=METRIC, units=units),
        Dimension("Tid", "år", [("2019", "2019"), ("2020", "2020")], role=TIME),
    ]
    cells: dict[tuple[str, ...], Any] = {
        ("hf:1", "E_x.share", "2019"): Value(62.5, n=8),
        ("hf:1", "E_x.share", "2020"): Value(71.43, IMPUTED, n=7),
        ("hf:2", "E_x.share", "2019"): Value(None, SUPPRESSED, n=3),
        ("hf:1", "E_x.share.n", "2019"): 8.0,
        ("hf:1", "E_x.share.n", "2020"): 7.0,
        ("hf:2", "E_x.share.n", "2019"): 3.0,
    }
    return Cube.from_cells(
        id="E_x_share_hf", label="Har tilbudet – andel", dimensions=dims, cells=cells,
        source="SSB", notes=["N er antall enheter som svarte."], updated="2026-12-05T09:00:00Z",
    )  # fmt: skip


def _rows(content: bytes, plain: bool) -> list[list[str]]:
    text = content.decode("utf-8" if plain else "utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter="," if plain else ";"))


@pytest.mark.parametrize("plain", [False, True])
def test_csv_is_one_header_row_then_data_with_codes_beside_names_and_the_n(plain: bool, settings: Any) -> None:
    settings.KARTLEGG_DEMO_MODE = False
    rows = _rows(downloads.render(share_cube(), "csv", plain=plain).content, plain)
    assert rows[0] == ["regionkode", "region", "statistikkvariabel", "år", "verdi", "merknad"]
    assert len(rows) == 1 + 2 * 2 * 2 and all(len(r) == 6 for r in rows)
    decimal = "." if plain else ","
    assert ["hf:1", "Helse Møre og Romsdal", "Har tilbudet – andel", "2020", f"71{decimal}4", "i"] in rows
    assert ["hf:2", "Helse Førde", "Har tilbudet – andel", "2019", ":", ":"] in rows  # suppressed: no number
    assert ["hf:2", "Helse Førde", "antall enheter som svarte (N)", "2019", "3", ""] in rows  # its N is there
    assert ["hf:2", "Helse Førde", "Har tilbudet – andel", "2020", "..", ".."] in rows


def test_a_demo_csv_stays_a_clean_table_and_the_notes_go_apart(settings: Any) -> None:
    settings.KARTLEGG_DEMO_MODE = True
    rows = _rows(downloads.render(share_cube(), "csv").content, plain=False)
    assert rows[0][-1] == "datagrunnlag" and {r[-1] for r in rows[1:]} == {"Syntetiske demodata"}
    notes = downloads.render(share_cube(), "notes")
    assert notes.filename == "E_x_share_hf_merknader.txt"
    text = notes.content.decode("utf-8")
    assert "Syntetiske demodata" in text and "N er antall enheter som svarte." in text
    assert "i = imputert" in text and ": = vises ikke" in text and "Kilde: SSB" in text


def test_xlsx_has_codes_a_column_per_measure_and_year_and_the_flagged_cells(settings: Any) -> None:
    openpyxl = importlib.import_module("openpyxl")
    settings.KARTLEGG_DEMO_MODE = False
    book = openpyxl.load_workbook(io.BytesIO(downloads.render(share_cube(), "xlsx").content))
    table = [list(r) for r in book["Tabell"].iter_rows(values_only=True)]
    assert table[0] == [
        "Kode", "Region", "Har tilbudet – andel 2019", "Har tilbudet – andel 2020",
        "antall enheter som svarte (N) 2019", "antall enheter som svarte (N) 2020",
    ]  # fmt: skip
    assert table[1] == ["hf:1", "Helse Møre og Romsdal", 62.5, 71.4, 8, 7]
    assert table[2] == ["hf:2", "Helse Førde", ":", "..", 3, ".."]
    assert [list(r) for r in book["Merkede celler"].iter_rows(values_only=True)][1] == [
        "hf:1", "Helse Møre og Romsdal", "Har tilbudet – andel 2020", "i",
    ]  # fmt: skip
    assert any("N er antall" in str(r[0]) for r in book["Merknader"].iter_rows(values_only=True))


def test_px_and_jsonstat_carry_the_n_and_the_symbols() -> None:
    px = downloads.render(share_cube(), "px").content.decode("utf-8")
    assert 'VALUES("statistikkvariabel")="Har tilbudet – andel","antall enheter som svarte (N)";' in px
    assert 'DATASYMBOL3=":";' in px and 'DATANOTECELL("hf:1","E_x.share","2020")="i";' in px
    data = json.loads(downloads.render(share_cube(), "jsonstat", extension={"kartlegg": {"x": 1}}).content)
    assert data["dimension"]["ContentsCode"]["category"]["unit"]["E_x.share.n"]["decimals"] == 0
    assert data["value"][:4] == [62.5, 71.4, 8, 7] and data["extension"]["kartlegg"] == {"x": 1}
    assert "px" in data["extension"]


def test_labels_are_made_unique_with_their_codes() -> None:
    pairs = [("02", "Akershus"), ("30", "Viken"), ("32", "Akershus"), ("46", "Vestland")]
    assert lv.unique_labels(pairs) == [
        ("02", "Akershus (02)"),
        ("30", "Viken"),
        ("32", "Akershus (32)"),
        ("46", "Vestland"),
    ]


@pytest.mark.django_db
def test_own_structure_has_unique_county_labels_and_the_profile_downloads_every_format(client: Client) -> None:
    from kartlegg.analytics import services

    SmallSurvey()
    services.compute()
    response = client.get("/api/v1/statistics/arsverk_totalt", {"level": "county", "structure": "own"})
    labels = list(response.json()["dimension"]["Region"]["category"]["label"].values())
    assert len(labels) == len(set(labels))
    for kind in downloads.FORMATS:
        found = client.get("/statistikk/enhet/1505/", {"format": kind})
        assert found.status_code == 200 and found["Content-Disposition"].startswith("attachment"), kind
    rows = client.get("/statistikk/enhet/1505/", {"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("regionkode;region;") and not any(r.startswith("#") for r in rows)
    assert client.get("/statistikk/", {"variable": "E_x", "level": "county", "format": "px"}).status_code == 200
