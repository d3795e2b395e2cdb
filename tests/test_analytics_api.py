"""The open statistics API: the catalogue, one variable as JSON-stat 2.0 or CSV, strict parameters, the embargo."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kartlegg.accounts.tokens import create_token
from kartlegg.analytics import headline, services
from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.models import AS_REPORTED
from kartlegg.analytics.services import access, store
from tests.factories import make_analyst
from tests.test_analytics_aggregates import SmallSurvey, stored


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rendered API answers are cached by data stamp; a rolled-back test must not leave one for the next."""
    cache.clear()


pytestmark = pytest.mark.django_db


@pytest.fixture
def survey() -> SmallSurvey:
    small = SmallSurvey()
    services.compute()
    return small


def get(client: Client, path: str, **headers: str) -> Any:
    return client.get(f"/api/v1/statistics{path}", headers=headers)


def test_catalogue_lists_variables_levels_measures_and_years(client: Client, survey: SmallSurvey) -> None:
    data = get(client, "").json()
    codes = {v["code"]: v for v in data["variables"]}
    assert {"arsverk_voksne", "arsverk_totalt_per_1000", "B_b.r1.c1", "B_b.*.c1", "E_x"} <= set(codes)
    assert codes["arsverk_totalt_per_1000"]["alias_of"] == "arsverk_totalt"
    assert codes["E_x"]["measures"] == ["share"]
    assert codes["B_b.*.c1"]["breaks"] == [2024]
    assert data["years"] == [2019, 2020, 2024]
    assert {lvl["code"] for lvl in data["levels"]} >= {"nation", "county", "hf", "dps", "size_group", "unit"}
    assert data["default_structure"] == max(data["structures"])


def test_jsonstat_reads_back_with_pyjstat_into_the_stored_numbers(client: Client, survey: SmallSurvey) -> None:
    pyjstat = importlib.import_module("pyjstat.pyjstat")
    response = get(client, "/arsverk_voksne?level=county&years=2019-2024&structure=own")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["class"] == "dataset" and data["version"] == "2.0"
    assert data["id"] == ["Region", "ContentsCode", "Tid"]
    assert "SSB" in data["source"]
    frame = pyjstat.Dataset.read(json.dumps(data)).write("dataframe", naming="id")
    for year in (2019, 2020, 2024):
        for region, row in stored(headline.ADULTS, "county", AS_REPORTED, year).items():
            found = frame[(frame["Region"] == region) & (frame["Tid"] == str(year))]["value"].tolist()
            assert len(found) == 1
            if row.value is None:
                assert found[0] is None or found[0] != found[0]  # null, never 0
            else:
                assert found[0] == pytest.approx(round_half_up(row.value, 1))


def test_missing_is_null_with_a_status_never_zero(client: Client, survey: SmallSurvey) -> None:
    data = get(client, "/arsverk_voksne?level=county&years=2019&structure=own").json()
    index = data["dimension"]["Region"]["category"]["index"]
    position = index["03"]  # Oslo never answered in the small survey
    assert data["value"][position] is None
    assert data["status"][str(position)] == ".."
    assert any(".." in note for note in data["note"])


def test_per_capita_alias_and_measure(client: Client, survey: SmallSurvey) -> None:
    alias = get(client, "/arsverk_totalt_per_1000?level=nation&years=2020").json()
    measure = get(client, "/arsverk_totalt?level=nation&years=2020&measure=per_capita").json()
    assert alias["value"] == measure["value"]
    assert alias["value"][0] == pytest.approx(round_half_up(stored(headline.TOTAL, "nation", 2024, 2020)["0"].rate, 1))
    unit = alias["dimension"]["ContentsCode"]["category"]["unit"]["arsverk_totalt_per_1000"]
    assert unit["base"] == "årsverk per 1 000 innbyggere" and unit["decimals"] == 1


def test_share_is_suppressed_below_five_units(client: Client, survey: SmallSurvey) -> None:
    data = get(client, "/E_x?level=unit&years=2019&structure=own").json()
    # The N behind the share is a second category of the measure (region × measure × year: every other value).
    assert list(data["dimension"]["ContentsCode"]["category"]["index"]) == ["E_x", "E_x.n"]
    assert data["dimension"]["ContentsCode"]["category"]["unit"]["E_x.n"]["decimals"] == 0
    shares, counts = data["value"][0::2], data["value"][1::2]
    assert {data["status"][str(i)] for i in range(0, len(data["value"]), 2)} == {":", ".."}  # one unit is never five
    assert all(v is None for v in shares)
    assert 1 in counts  # the N is published where the share is suppressed
    county = get(client, "/E_x?level=county&years=2019&structure=own").json()
    position = 2 * county["dimension"]["Region"]["category"]["index"]["15"]
    answers = [v["E_x"] for v in survey.values[2019].values()]
    assert county["value"][position] == pytest.approx(round_half_up(sum(answers) / len(answers) * 100, 1))
    assert county["value"][position + 1] == len(answers)


def test_change_is_empty_across_a_break(client: Client, survey: SmallSurvey) -> None:
    data = get(client, "/B_b.*.c1?level=nation&measure=change&structure=own").json()
    years = data["dimension"]["Tid"]["category"]["index"]
    assert data["value"][years["2024"]] is None  # 2024 is a series break for this column total
    assert data["value"][years["2019"]] is None  # no year before
    assert data["value"][years["2020"]] is not None


def test_csv_on_request(client: Client, survey: SmallSurvey) -> None:
    response = get(client, "/arsverk_voksne?level=county&format=csv&years=2020")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "Syntetiske demodata" in text
    lines = text.splitlines()
    assert lines[0] == "regionkode;region;statistikkvariabel;år;verdi;merknad;datagrunnlag"  # one header row
    assert all(len(line.split(";")) == 7 for line in lines) and not any(line.startswith("#") for line in lines)
    assert ";..;..;" in text  # missing shows its symbol, never 0
    assert any(line.startswith("46;Vestland;") for line in lines)  # the code beside the name
    plain = get(client, "/arsverk_voksne?level=county&format=csv&csv=plain&years=2020").content.decode("utf-8")
    assert not plain.startswith("\ufeff") and plain.splitlines()[0].startswith("regionkode,region,")
    numbers = [line.split(",")[4] for line in plain.splitlines()[1:]]
    assert any("." in number for number in numbers) and lines[1:] and len(numbers) == len(lines) - 1
    assert get(client, "/arsverk_voksne?format=jsonstat&csv=plain").status_code == 400  # csv= only with format=csv
    assert get(client, "/arsverk_voksne?format=csv&csv=tabs").status_code == 400


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("?years=2024-2017", "years"),
        ("?years=abc", "years"),
        ("?years=2010-2024", "years"),
        ("?years=2030", "years"),
        ("?level=kommuner", "level"),
        ("?measure=mean", "measure"),
        ("?measure=share", "measure"),
        ("?structure=2016", "structure"),
        ("?structure=abc", "structure"),
        ("?imputation=average", "imputation"),
        ("?format=xml", "format"),
        ("?yaers=2020", "yaers"),
        ("?level=county&level=hf", "level"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: Client, survey: SmallSurvey, query: str, param: str
) -> None:
    response = get(client, f"/arsverk_voksne{query}")
    assert response.status_code == 400
    assert response.json()["error"].split(":")[0].strip("'") == param


def test_unknown_variable_is_404_naming_it(client: Client, survey: SmallSurvey) -> None:
    response = get(client, "/arsverk_finnes_ikke")
    assert response.status_code == 404
    assert "arsverk_finnes_ikke" in response.json()["error"]


def test_cold_slice_is_computed_and_stored_then_read(client: Client, survey: SmallSurvey) -> None:
    assert not store.blocks(variable="E_n", level="unit").exists()
    first = get(client, "/E_n?level=unit&years=2020")
    assert first.status_code == 200
    rows = store.blocks(variable="E_n", level="unit")
    assert rows.exists()
    stamp = max(rows.values_list("computed_at", flat=True))
    second = get(client, "/E_n?level=unit&years=2020")
    assert second.json()["value"] == first.json()["value"]
    assert max(rows.values_list("computed_at", flat=True)) == stamp  # warm: read, not recomputed


def test_embargo_hides_unpublished_years_from_the_public(client: Client, survey: SmallSurvey, settings: Any) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    assert get(client, "/arsverk_voksne?years=2020").status_code == 403
    analyst = make_analyst()
    _, key = create_token(analyst, "test")
    assert get(client, "/arsverk_voksne?years=2020", Authorization=f"Bearer {key}").status_code == 200
    assert get(client, "/arsverk_voksne?years=2020", Authorization="Bearer feil").status_code == 401
    access.publish(2020, timezone.now(), analyst)
    public = get(client, "/arsverk_voksne")
    assert public.status_code == 200
    assert public.json()["dimension"]["Tid"]["category"]["index"] == {"2020": 0}  # only the published year


def test_openapi_documents_the_endpoints(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/statistics" in paths and "/api/v1/statistics/{variable}" in paths


def test_no_rounds_is_404_not_500(client: Client) -> None:
    response = get(client, "/arsverk_voksne")
    assert response.status_code == 404
    assert get(client, "").json()["variables"] == []
