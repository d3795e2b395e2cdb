"""Rendering a result cube as JSON-stat 2.0, CSV and PC-Axis (kartlegg.analytics.jsonstat, .px), read back with
pyjstat and with a small PX parser written here: no database."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import pytest
from pyjstat import pyjstat

from kartlegg.analytics import jsonstat, px
from kartlegg.analytics.cube import Cube, Dimension, MetricUnit
from kartlegg.analytics.measures import AnalyticsError, Value

REGIONS = [("0", "Hele landet"), ("15", "Møre og Romsdal"), ("1580", "Haram")]
MEASURES = [("arsverk_totalt", "Årsverk i alt"), ("arsverk_totalt_per_1000", "Årsverk i alt per 1 000 innbyggere")]
YEARS = ["2023", "2024"]
CELLS: dict[tuple[str, ...], Value | float | None] = {
    ("0", "arsverk_totalt", "2023"): 17435.8,
    ("0", "arsverk_totalt", "2024"): Value(17612.25, "imputed"),
    ("0", "arsverk_totalt_per_1000", "2023"): 3.1441,
    ("0", "arsverk_totalt_per_1000", "2024"): Value(3.1733, "imputed"),
    ("15", "arsverk_totalt", "2023"): 1250.0,
    ("15", "arsverk_totalt_per_1000", "2023"): 4.6,
    ("15", "arsverk_totalt_per_1000", "2024"): Value(None, "suppressed"),
    ("1580", "arsverk_totalt", "2023"): Value(38.46, "estimated"),
    ("1580", "arsverk_totalt", "2024"): 0.0,
    ("1580", "arsverk_totalt_per_1000", "2023"): Value(4.27, "estimated"),
    ("1580", "arsverk_totalt_per_1000", "2024"): 0.0,
}  # ("15", "arsverk_totalt", "2024") is missing


def cube(**meta: Any) -> Cube:
    dims = [
        Dimension("Region", "region", REGIONS, role="geo"),
        Dimension(
            "ContentsCode",
            "statistikkvariabel",
            MEASURES,
            role="metric",
            units={
                "arsverk_totalt": MetricUnit("årsverk", 0),
                "arsverk_totalt_per_1000": MetricUnit("årsverk per 1 000 innbyggere", 1),
            },
        ),
        Dimension("Tid", "år", [(y, y) for y in YEARS], role="time"),
    ]
    meta.setdefault("source", "Kartlegging av kommunalt psykisk helse- og rusarbeid. Folketall: SSB, tabell 07459")
    return Cube.from_cells("arsverk", "Årsverk i psykisk helse- og rusarbeid", dims, CELLS, **meta)


def expected(region: str, code: str, year: str) -> float | None:
    cell = CELLS.get((region, code, year))
    value = cell.value if isinstance(cell, Value) else cell
    if value is None:
        return None
    return round(value + 1e-9, 0 if code == "arsverk_totalt" else 1)  # the published decimals, half up


def test_jsonstat_has_the_dataset_structure_ssb_publishes() -> None:
    doc = jsonstat.to_jsonstat(cube(updated="2024-12-01T08:00:00Z", table_id="IS24-8"), matrix="ARSVERK")
    assert (doc["class"], doc["version"]) == ("dataset", "2.0")
    assert doc["id"] == ["Region", "ContentsCode", "Tid"]
    assert doc["size"] == [3, 2, 2]
    assert doc["role"] == {"geo": ["Region"], "metric": ["ContentsCode"], "time": ["Tid"]}
    assert doc["label"] == "Årsverk i psykisk helse- og rusarbeid, etter region, statistikkvariabel og år"
    assert doc["updated"] == "2024-12-01T08:00:00Z"
    region = doc["dimension"]["Region"]["category"]
    assert region["index"] == {"0": 0, "15": 1, "1580": 2}
    assert region["label"]["1580"] == "Haram"
    units = doc["dimension"]["ContentsCode"]["category"]["unit"]
    assert units["arsverk_totalt_per_1000"] == {
        "base": "årsverk per 1 000 innbyggere",
        "label": "årsverk per 1 000 innbyggere",
        "decimals": 1,
    }
    assert doc["extension"]["px"]["tableid"] == "IS24-8"
    assert doc["extension"]["px"]["matrix"] == "ARSVERK"
    assert doc["extension"]["px"]["heading"] == ["ContentsCode", "Tid"]
    assert doc["extension"]["px"]["stub"] == ["Region"]
    assert len(doc["value"]) == math.prod(doc["size"])


def test_jsonstat_missing_and_suppressed_are_null_with_status_never_zero() -> None:
    doc = jsonstat.to_jsonstat(cube())
    c = cube()
    missing = c.index_of("15", "arsverk_totalt", "2024")
    suppressed = c.index_of("15", "arsverk_totalt_per_1000", "2024")
    estimated = c.index_of("1580", "arsverk_totalt", "2023")
    zero = c.index_of("1580", "arsverk_totalt", "2024")
    assert doc["value"][missing] is None and doc["status"][str(missing)] == ".."
    assert doc["value"][suppressed] is None and doc["status"][str(suppressed)] == ":"
    assert doc["value"][estimated] == 38 and doc["status"][str(estimated)] == "e"
    assert doc["value"][zero] == 0 and str(zero) not in doc["status"]  # a real 0 is a value without a flag
    assert any(note.startswith(": = ") for note in doc["note"])  # every symbol used is explained
    assert "Folketall: SSB, tabell 07459" in doc["source"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside pyjstat's own dataframe writer
def test_jsonstat_reads_back_with_pyjstat_to_the_same_numbers() -> None:
    text = jsonstat.dumps(cube())
    values = pyjstat.Dataset.read(text).write("dataframe", naming="id")
    statuses = pyjstat.Dataset.read(text).write("dataframe", naming="id", value="status")
    assert len(values) == 12
    for (_, row), (_, flag) in zip(values.iterrows(), statuses.iterrows(), strict=True):
        want = expected(row["Region"], row["ContentsCode"], row["Tid"])
        if want is None:
            assert row["value"] is None or math.isnan(row["value"])
            assert flag["status"] in ("..", ":")
        else:
            assert row["value"] == pytest.approx(want)
    labelled = pyjstat.Dataset.read(text).write("dataframe")
    assert set(labelled["region"]) == {"Hele landet", "Møre og Romsdal", "Haram"}


def test_jsonstat_text_keeps_norwegian_letters() -> None:
    text = jsonstat.dumps(cube())
    assert "Møre og Romsdal" in text and "\\u00f8" not in text
    assert json.loads(text)["dimension"]["Tid"]["category"]["index"] == {"2023": 0, "2024": 1}


def test_values_are_rounded_half_up_to_the_measure_decimals() -> None:
    doc = jsonstat.to_jsonstat(cube())
    c = cube()
    assert doc["value"][c.index_of("0", "arsverk_totalt", "2024")] == 17612  # 17612.25 → 0 decimals
    assert doc["value"][c.index_of("0", "arsverk_totalt_per_1000", "2023")] == 3.1
    assert doc["value"][c.index_of("0", "arsverk_totalt", "2023")] == 17436


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_is_long_format_with_decimal_comma_and_symbols() -> None:
    rows = read_csv(jsonstat.to_csv(cube(), demo_mark=False))
    assert rows[0] == ["region", "statistikkvariabel", "år", "verdi", "merknad"]
    body = {tuple(r[:3]): r[3:] for r in rows[1:]}
    assert len(body) == 12
    assert body[("Hele landet", "Årsverk i alt per 1 000 innbyggere", "2023")] == ["3,1", ""]
    assert body[("Hele landet", "Årsverk i alt", "2024")] == ["17612", "i"]
    assert body[("Møre og Romsdal", "Årsverk i alt", "2024")] == ["..", ".."]
    assert body[("Møre og Romsdal", "Årsverk i alt per 1 000 innbyggere", "2024")] == [":", ":"]
    assert body[("Haram", "Årsverk i alt", "2023")] == ["38", "e"]


def test_csv_options_codes_point_and_demo_mark() -> None:
    rows = read_csv(jsonstat.to_csv(cube(), decimal_comma=False, naming="codes", demo_mark=True))
    assert "Syntetiske demodata" in rows[0][0]
    assert ["0", "arsverk_totalt_per_1000", "2023", "3.1", ""] in rows
    both = read_csv(jsonstat.to_csv(cube(), naming="codes_and_labels", demo_mark=False))
    assert both[1][:2] == ["0 Hele landet", "arsverk_totalt Årsverk i alt"]
    with pytest.raises(AnalyticsError, match="navngiving"):
        jsonstat.to_csv(cube(), naming="ids")


def parse_px(data: bytes) -> tuple[dict[str, list[list[str]]], list[str]]:
    """A tiny PX reader: {keyword with sub-key: [values of each occurrence]} and the DATA tokens."""
    text = data.decode("utf-8")
    statements, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    keywords: dict[str, list[list[str]]] = {}
    data_tokens: list[str] = []
    for statement in statements:
        head, _, body = statement.partition("=")
        if head == "DATA":
            data_tokens = re.findall(r'"[^"]*"|[^\s,]+', body)
            continue
        items = re.findall(r'"([^"]*)"', body.replace('"\r\n"', "")) or [body.strip()]
        keywords.setdefault(head.replace("\r\n", ""), []).append(items)
    return keywords, data_tokens


def test_px_has_the_mandatory_keywords_in_the_recommended_order() -> None:
    data = px.to_px(
        cube(table_id="IS24-8", updated="2024-12-01T08:00:00Z"),
        "ARSVERK",
        "helse",
        "Helse",
        creation_date="20241201 08:00",
    )
    text = data.decode("utf-8")
    assert text.startswith('CHARSET="ANSI";\r\nAXIS-VERSION="2013";\r\nCODEPAGE="utf-8";\r\n')
    keywords, _ = parse_px(data)
    for keyword in ("MATRIX", "SUBJECT-CODE", "SUBJECT-AREA", "TITLE", "CONTENTS", "STUB", "HEADING", "DECIMALS"):
        assert keyword in keywords, keyword
    assert keywords["STUB"] == [["region"]]
    assert keywords["HEADING"] == [["statistikkvariabel", "år"]]
    assert keywords['VALUES("region")'] == [["Hele landet", "Møre og Romsdal", "Haram"]]
    assert keywords['CODES("region")'] == [["0", "15", "1580"]]
    assert keywords['UNITS("Årsverk i alt")'] == [["årsverk"]]
    assert keywords["SOURCE"] == [
        ["Kartlegging av kommunalt psykisk helse- og rusarbeid. Folketall: SSB, tabell 07459"]
    ]
    assert keywords["DECIMALS"] == [["1"]]
    assert keywords["SHOWDECIMALS"] == [["0"]]
    assert keywords['PRECISION("statistikkvariabel","Årsverk i alt per 1 000 innbyggere")'] == [["1"]]
    assert keywords['TIMEVAL("år")'] == [["2023", "2024"]]
    assert keywords["DATASYMBOL3"] == [[":"]]
    assert keywords['DATANOTECELL("1580","arsverk_totalt","2023")'] == [["e"]]
    assert keywords['DATANOTECELL("0","arsverk_totalt","2024")'] == [["i"]]
    assert keywords['LAST-UPDATED("Årsverk i alt")'] == [["20241201 08:00"]]
    assert keywords["CREATION-DATE"] == [["20241201 08:00"]]
    order = [
        text.index(k)
        for k in (
            "CHARSET",
            "DECIMALS",
            "MATRIX",
            "SUBJECT-CODE",
            "TITLE",
            "STUB",
            "VALUES",
            "CODES",
            "SOURCE",
            "DATA=",
        )
    ]
    assert order == sorted(order)
    assert all(len(line) <= 256 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")


def test_px_data_reads_back_to_the_same_numbers_in_stub_and_heading_order() -> None:
    _, tokens = parse_px(px.to_px(cube(), "ARSVERK", "helse", "Helse"))
    want = []
    for region, _ in REGIONS:
        for code, _ in MEASURES:
            for year in YEARS:
                want.append(expected(region, code, year))
    assert len(tokens) == len(want) == 12
    for token, value in zip(tokens, want, strict=True):
        if value is None:
            assert token in ('".."', '"..."')
        else:
            assert float(token) == pytest.approx(value)
    c = cube()
    assert tokens[4 + 3] == '"..."'  # Møre og Romsdal, per 1 000, 2024: suppressed, shown as ":" via DATASYMBOL3
    assert tokens[4 + 1] == '".."'  # Møre og Romsdal, årsverk, 2024: missing
    assert c.status[c.index_of("15", "arsverk_totalt_per_1000", "2024")] == "suppressed"


def test_px_with_literal_symbols_and_another_layout() -> None:
    data = px.to_px(
        cube(), "ARSVERK", "helse", "Helse", stub=["Tid", "Region"], heading=["ContentsCode"], literal_symbols=True
    )
    keywords, tokens = parse_px(data)
    assert keywords["STUB"] == [["år", "region"]]
    assert "DATASYMBOL3" not in keywords
    # Rows: 2023 × (landet, M&R, Haram), then 2024 × …; columns: the two measures.
    assert tokens[:2] == ["17436", "3.1"]
    assert tokens[8:10] == ['".."', '":"']  # 2024, Møre og Romsdal
    text = data.decode("utf-8")
    assert len(text[text.index("DATA=") :].split("\r\n")[1:-1]) == 6  # one line per stub row


def test_px_splits_long_value_lists_across_lines() -> None:
    many = [(f"{n:04d}", f"Kommune med et ganske langt navn nummer {n}") for n in range(400)]
    dims = [
        Dimension("Region", "region", many, role="geo"),
        Dimension("Tid", "år", [("2024", "2024")], role="time"),
    ]
    big = Cube("big", "Mange kommuner", dims, [float(n) for n in range(400)])
    data = px.to_px(big, "BIG", "helse", "Helse")
    text = data.decode("utf-8")
    assert all(len(line) <= 256 for line in text.split("\r\n"))
    keywords, tokens = parse_px(data)
    assert len(keywords['VALUES("region")'][0]) == 400
    assert [float(t) for t in tokens] == [float(n) for n in range(400)]


def test_px_rejects_bad_input() -> None:
    with pytest.raises(AnalyticsError, match="MATRIX"):
        px.to_px(cube(), "X" * 21, "helse", "Helse")
    with pytest.raises(AnalyticsError, match="SUBJECT-CODE"):
        px.to_px(cube(), "ARSVERK", "", "Helse")
    with pytest.raises(AnalyticsError, match="hver dimensjon"):
        px.to_px(cube(), "ARSVERK", "helse", "Helse", stub=["Region"], heading=["Tid"])
