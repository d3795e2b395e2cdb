"""The real reference data (../shared/data, loaded once per session by conftest) and the geography services on it.

The expected counts and totals are the published figures in the brief and the data README.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404

from kartlegg.accounts.permissions import Access
from kartlegg.geography import logic, services
from kartlegg.geography.models import County, Municipality, Population, ReportingUnit
from tests.factories import make_analyst, make_respondent, make_reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.reference]


def municipality_total(year: int) -> int:
    return int(Municipality.objects.filter(year=year).aggregate(total=Sum("population_total"))["total"])


@pytest.mark.parametrize(
    ("year", "municipalities"),
    [(2017, 426), (2018, 422), (2019, 422), (2020, 356), (2021, 356), (2022, 356), (2023, 356), (2024, 357)],
)
def test_municipalities_and_units_per_year(year: int, municipalities: int) -> None:
    assert services.municipalities_for_year(year).count() == municipalities
    # Oslo is replaced by its 15 reporting bydeler.
    assert services.units_for_year(year).count() == municipalities - 1 + 15


def test_every_year_2017_to_2024_is_available() -> None:
    assert services.available_years() == list(range(2017, 2025))


def test_2024_has_371_units_and_the_national_population() -> None:
    assert services.units_for_year(2024).count() == 371
    assert municipality_total(2024) == 5_550_203


def test_counties_follow_the_municipalities() -> None:
    for year in (2017, 2019, 2020, 2024):
        from_municipalities = {m.code[:2] for m in Municipality.objects.filter(year=year)}
        assert set(County.objects.filter(year=year).values_list("code", flat=True)) == from_municipalities
    assert County.objects.filter(year=2017, code__in=["16", "17"]).count() == 2
    assert County.objects.filter(year=2024, code__in=["30", "38", "54"]).count() == 0
    assert County.objects.filter(year=2024).count() == 15
    assert County.objects.filter(year=2020).count() == 11


def test_every_2024_unit_has_one_rhf_one_hf_and_a_dps_area() -> None:
    units = list(services.units_for_year(2024))
    assert all(u.rhf_code and u.rhf_name and u.hf_code and u.hf_name and u.dps_area for u in units)
    assert len({u.rhf_code for u in units}) == 4
    assert len({u.hf_code for u in units}) == 21


def test_every_unit_of_every_year_is_placed_in_a_region() -> None:
    assert not ReportingUnit.objects.filter(hf_code="").exists()
    assert not ReportingUnit.objects.filter(dps_area="").exists()


def test_oslo_bydeler_span_four_hf_areas() -> None:
    bydeler = services.units_for_year(2024).filter(municipality_code="0301")
    assert bydeler.count() == 15
    assert bydeler.values("hf_code").distinct().count() == 4
    assert Municipality.objects.get(year=2024, code="0301").hf_code == ""


def test_unit_populations_match_the_age_table() -> None:
    unit = ReportingUnit.objects.get(year=2024, code="030105")
    assert unit.population_total == services.unit_population(2024, "030105")
    assert unit.population_0_17 == services.unit_population(2024, "030105", 0, 17)
    assert unit.population_18_plus == services.unit_population(2024, "030105", 18)
    assert unit.size_group == logic.size_group_label(unit.population_total, settings.KARTLEGG_SIZE_GROUPS)


def test_unit_population_in_any_band_and_bad_bands() -> None:
    older = services.unit_population(2024, "1508", 67, None)
    working = services.unit_population(2024, "1508", 18, 66)
    assert older > 0 and working > 0
    assert older + working == services.unit_population(2024, "1508", 18)
    assert services.unit_population(2024, "0000") == 0
    with pytest.raises(logic.GeographyError):
        services.unit_population(2024, "1508", 30, 20)


def test_published_check_2017_fte_per_thousand() -> None:
    path = Path(settings.KARTLEGG_REFERENCE_DIR) / "published/is24_8_national_arsverk.csv"
    with path.open(encoding="utf-8") as stream:
        published = {row["year"]: row for row in csv.DictReader(stream)}
    fte = int(published["2017"]["arsverk_totalt"])
    per_thousand = fte / municipality_total(2017) * 1000
    assert round(per_thousand, 1) == 2.8


def test_2018_trondelag_merge_and_renumbering() -> None:
    index = services.change_index()
    # Rissa (Sør-Trøndelag) and Leksvik (Nord-Trøndelag) became 5054 Indre Fosen.
    for old in ("1624", "1718"):
        result = services.harmonise_code(old, 2017, 2018, index)
        assert result.parts == [("5054", 1.0)] and not result.estimated
    assert services.harmonise_code("1702", 2017, 2018, index).parts == [("5004", 1.0)]


def test_2017_to_2024_follows_the_chain() -> None:
    # 1702 Steinkjer → 5004 (2018) → 5006 Steinkjer, merged with Verran (2020) → still 5006 in 2024.
    result = services.harmonise_code("1702", 2017, 2024)
    assert result.parts == [("5006", 1.0)]
    assert Municipality.objects.filter(year=2024, code="5006").exists()


def test_2020_merge() -> None:
    index = services.change_index()
    for old in ("1504", "1523", "1534"):
        assert services.harmonise_code(old, 2019, 2020, index).parts == [("1507", 1.0)]
    # Trondheim absorbed Klæbu and keeps its number.
    assert services.harmonise_code("5001", 2019, 2020, index).parts == [("5001", 1.0)]


def test_a_2019_series_summed_to_the_2024_structure() -> None:
    rows = Population.objects.filter(year=2019, code__regex=r"^\d{4}$").values("code").annotate(n=Sum("population"))
    values = {row["code"]: row["n"] for row in rows}
    totals, estimated = services.harmonise_values(values, 2019, 2024)
    assert set(totals) == set(Municipality.objects.filter(year=2024).values_list("code", flat=True))
    assert sum(totals.values()) == pytest.approx(sum(values.values()))
    # Trondheim 2024 is Trondheim + Klæbu of 2019.
    assert totals["5001"] == pytest.approx(values["5001"] + values["5030"])
    # Ålesund's 2019 parts were merged in 2020 and split again in 2024, so both halves are estimates.
    assert {"1508", "1580"} <= estimated
    assert "5001" not in estimated


def test_2024_split_is_shared_by_population() -> None:
    result = services.harmonise_code("1507", 2023, 2024)
    weights = dict(result.parts)
    assert set(weights) == {"1508", "1580"}
    assert result.estimated
    assert sum(weights.values()) == pytest.approx(1.0)
    population = services.population_by_code(2024)
    share = population["1508"] / (population["1508"] + population["1580"])
    assert weights["1508"] == pytest.approx(share)


def test_backward_harmonisation_of_the_split() -> None:
    for new in ("1508", "1580"):
        assert services.harmonise_code(new, 2024, 2023).parts == [("1507", 1.0)]


def test_harmonising_all_2023_units_keeps_the_total() -> None:
    index = services.change_index()
    population = services.population_by_code(2024)
    carried: dict[str, float] = defaultdict(float)
    for unit in services.units_for_year(2023):
        for code, weight in logic.harmonise(unit.code, 2023, 2024, index, population).parts:
            carried[code] += weight * unit.population_total
    total_2023 = sum(u.population_total for u in services.units_for_year(2023))
    assert sum(carried.values()) == pytest.approx(total_2023)
    assert set(carried) == set(services.units_for_year(2024).values_list("code", flat=True))


def test_get_unit_for_user() -> None:
    analyst = make_analyst()
    assert services.get_unit_for_user(analyst, 2024, "1508").name == "Ålesund"
    own = make_respondent("1508")
    assert services.get_unit_for_user(own, 2024, "1508", Access.EDIT).code == "1508"
    with pytest.raises(PermissionDenied):
        services.get_unit_for_user(own, 2024, "1580")
    reviewer = make_reviewer("15")
    assert services.get_unit_for_user(reviewer, 2024, "1580").county_code == "15"
    with pytest.raises(PermissionDenied):
        services.get_unit_for_user(reviewer, 2024, "1580", Access.EDIT)
    with pytest.raises(PermissionDenied):
        services.get_unit_for_user(reviewer, 2024, "030101")


@pytest.mark.parametrize(("year", "code"), [(2024, "0301"), (2024, "9999"), (2019, "1508"), (1999, "1508"), (2024, "")])
def test_get_unit_for_user_unknown_unit_is_404(year: int, code: str) -> None:
    with pytest.raises(Http404):
        services.get_unit_for_user(make_analyst(), year, code)


def test_harmonising_a_code_from_the_wrong_year_is_an_error() -> None:
    with pytest.raises(logic.GeographyError):
        services.harmonise_code("1508", 2019, 2024)
