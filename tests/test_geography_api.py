"""The open geography API: /api/v1/municipalities and /api/v1/units, with strict year handling."""

from __future__ import annotations

import pytest

from kartlegg.geography.models import County, Municipality, ReportingUnit

pytestmark = pytest.mark.django_db

MUNICIPALITIES = "/api/v1/municipalities"
UNITS = "/api/v1/units"


def get_json(client, url: str, query: str = "") -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    response = client.get(f"{url}?{query}" if query else url)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


@pytest.mark.parametrize("year, expected", [(2024, 357), (2019, 422), (2017, 426), (2021, 356)])
def test_municipality_counts(client, year: int, expected: int) -> None:  # type: ignore[no-untyped-def]
    status, body = get_json(client, MUNICIPALITIES, f"year={year}")
    assert status == 200
    assert body["year"] == year
    assert body["count"] == len(body["municipalities"]) == expected
    assert "SSB" in body["source"] and "SKDE" in body["source"]


def test_municipality_shape(client) -> None:  # type: ignore[no-untyped-def]
    _, body = get_json(client, MUNICIPALITIES, "year=2024")
    by_code = {m["code"]: m for m in body["municipalities"]}
    bergen = by_code["4601"]
    assert set(bergen) == {"code", "name", "county", "rhf", "hf", "hf_areas", "size_group", "population"}
    assert bergen["name"] == "Bergen"
    assert bergen["county"] == {"code": "46", "name": County.objects.get(year=2024, code="46").name}
    row = Municipality.objects.get(year=2024, code="4601")
    assert bergen["hf"] == {"code": row.hf_code, "name": row.hf_name}
    assert bergen["hf_areas"] == [bergen["hf"]]
    assert bergen["rhf"] == {"code": row.rhf_code, "name": row.rhf_name}
    assert bergen["size_group"] == row.size_group
    assert bergen["population"] == {
        "total": row.population_total,
        "age_0_17": row.population_0_17,
        "age_18_plus": row.population_18_plus,
    }
    assert all(m["hf"] is not None for code, m in by_code.items() if code != "0301")


def test_oslo_has_no_single_hf_but_four_hf_areas(client) -> None:  # type: ignore[no-untyped-def]
    _, body = get_json(client, MUNICIPALITIES, "year=2024")
    oslo = next(m for m in body["municipalities"] if m["code"] == "0301")
    assert oslo["hf"] is None
    assert len(oslo["hf_areas"]) == 4
    bydel_hfs = set(ReportingUnit.objects.filter(year=2024, municipality_code="0301").values_list("hf_code", "hf_name"))
    assert {(a["code"], a["name"]) for a in oslo["hf_areas"]} == bydel_hfs
    assert oslo["rhf"] is not None  # all of Oslo's bydeler are in one RHF


def test_population_sums_to_the_national_total(client) -> None:  # type: ignore[no-untyped-def]
    _, body = get_json(client, MUNICIPALITIES, "year=2024")
    populations = [m["population"] for m in body["municipalities"]]
    assert sum(p["total"] for p in populations) == 5_550_203
    assert sum(p["age_0_17"] + p["age_18_plus"] for p in populations) == 5_550_203
    assert all(p["age_0_17"] + p["age_18_plus"] == p["total"] for p in populations)


@pytest.mark.parametrize("year, expected", [(2024, 371), (2019, 436)])
def test_unit_counts_and_shape(client, year: int, expected: int) -> None:  # type: ignore[no-untyped-def]
    status, body = get_json(client, UNITS, f"year={year}")
    assert status == 200
    assert body["year"] == year and "SSB" in body["source"]
    assert body["count"] == len(body["units"]) == expected
    units = {u["code"]: u for u in body["units"]}
    assert "0301" not in units
    assert {code for code, u in units.items() if u["kind"] == "bydel"} == {f"0301{n:02d}" for n in range(1, 16)}
    assert {u["kind"] for u in units.values()} == {"kommune", "bydel"}
    bydel = units["030101"]
    assert set(bydel) == {
        "code", "name", "kind", "municipality", "county", "rhf", "hf", "dps_area", "size_group", "population",
    }  # fmt: skip
    row = ReportingUnit.objects.get(year=year, code="030101")
    assert bydel["municipality"] == "0301"
    assert bydel["county"]["code"] == "03" and bydel["county"]["name"]
    assert bydel["hf"] == {"code": row.hf_code, "name": row.hf_name}
    assert bydel["dps_area"] == (row.dps_area or None)
    assert bydel["population"]["total"] == row.population_total


BAD_YEARS = [
    ("", "missing"),
    ("year=", "empty"),
    ("year=abc", "letters"),
    ("year=1999", "not loaded"),
    ("year=2100", "future"),
    ("year=99999999999999999999", "overflow"),
    ("year=-2024", "negative"),
    ("year=2024x", "trailing junk"),
    ("year=2024.0", "decimal"),
    ("year=%202024", "leading space"),
    ("year=2024%00", "nul byte"),
    ("year=2024&year=2023", "repeated"),
    ("year=2024&format=csv", "unknown parameter"),
    ("yaer=2024", "misspelt"),
]


@pytest.mark.parametrize("url", [MUNICIPALITIES, UNITS])
@pytest.mark.parametrize("query, why", BAD_YEARS)
def test_bad_year_is_a_400_naming_the_parameter(client, url: str, query: str, why: str) -> None:  # type: ignore[no-untyped-def]
    status, body = get_json(client, url, query)
    assert status == 400, why
    assert "year" in body["error"], why


def test_unknown_year_lists_the_available_years(client) -> None:  # type: ignore[no-untyped-def]
    _, body = get_json(client, UNITS, "year=2016")
    for year in sorted(set(Municipality.objects.values_list("year", flat=True))):
        assert str(year) in body["error"]


def test_unknown_parameter_is_named(client) -> None:  # type: ignore[no-untyped-def]
    _, body = get_json(client, UNITS, "year=2024&county=03")
    assert "'county'" in body["error"]


def test_openapi_documents_both_paths_with_schemas(client) -> None:  # type: ignore[no-untyped-def]
    status, spec = get_json(client, "/api/v1/openapi.json")
    assert status == 200
    schemas = spec["components"]["schemas"]
    for path, schema in [("/api/v1/municipalities", "MunicipalityList"), ("/api/v1/units", "UnitList")]:
        operation = spec["paths"][path]["get"]
        assert [p["name"] for p in operation["parameters"]] == ["year"]
        assert operation["parameters"][0]["required"] is True
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(schema)
        assert operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")
    assert {"hf", "hf_areas", "population"} <= set(schemas["MunicipalityOut"]["properties"])
    assert set(schemas["UnitOut"]["properties"]["kind"]["enum"]) == {"kommune", "bydel"}


def test_post_is_not_allowed(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"{UNITS}?year=2024").status_code == 405
