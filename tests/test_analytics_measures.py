"""Statistics measures and levels (kartlegg.analytics.measures, .levels, .cube) on hand-made data: no database."""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

import pytest

from kartlegg.analytics import levels, measures
from kartlegg.analytics.cube import Cube, Dimension, MetricUnit, format_plain, round_half_up
from kartlegg.analytics.levels import UnitRecord
from kartlegg.analytics.measures import AnalyticsError, Value
from kartlegg.geography.logic import PopulationBands


def unit(code: str, total: int = 1000, young: int = 200, **fields: Any) -> UnitRecord:
    return UnitRecord(
        code=code, population_total=total, population_0_17=young, population_18_plus=total - young, **fields
    )


def test_total_skips_missing_and_is_none_when_nothing_reported() -> None:
    assert measures.total([1.25, None, 2, Decimal("0.75")]) == 4.0
    assert measures.total([None, None]) is None
    assert measures.total([]) is None
    assert measures.total([0, None]) == 0.0  # a reported 0 is a value


def test_total_is_exact_for_two_decimal_figures() -> None:
    # 0.1 + 0.2 + … in plain float addition drifts; fsum keeps a sum of årsverk exact to its decimals.
    assert measures.total([0.1] * 10) == 1.0
    assert sum([0.1] * 10) != 1.0


@pytest.mark.parametrize("bad", ["2,5", True, float("nan"), float("inf")])
def test_total_refuses_values_that_are_not_numbers(bad: object) -> None:
    with pytest.raises(AnalyticsError):
        measures.total([1.0, bad])


def test_per_capita_reproduces_the_published_2017_rate() -> None:
    # Published: 14 633 årsverk in 2017 over 5 258 317 inhabitants (1 January 2017) is 2.8 per 1 000.
    rate = measures.per_capita(14633, 5_258_317, per=1000)
    assert rate is not None
    assert round_half_up(rate, 1) == 2.8
    assert rate == pytest.approx(14633 / 5_258_317 * 1000)


def test_rates_use_the_age_band_of_the_target_group() -> None:
    population = PopulationBands(total=10_000, age_0_17=2_000, age_18_plus=8_000)
    assert measures.rate(40, population, "voksne") == pytest.approx(40 / 8_000 * 10_000)
    assert measures.rate(10, population, "barn_og_unge") == pytest.approx(10 / 2_000 * 10_000)
    assert measures.rate(50, population, "totalt") == pytest.approx(50 / 10_000 * 1_000)


def test_per_capita_is_missing_without_value_or_population() -> None:
    assert measures.per_capita(None, 1000) is None
    assert measures.per_capita(3, 0) is None
    assert measures.rate(3, PopulationBands(10, 0, 10), "barn_og_unge") is None


@pytest.mark.parametrize(
    ("value", "population", "per"), [(1, -5, 1000), (1, 2.5, 1000), (1, 100, 0), (1, 100, -10), ("x", 100, 1000)]
)
def test_per_capita_rejects_bad_input(value: object, population: object, per: int) -> None:
    with pytest.raises(AnalyticsError):
        measures.per_capita(value, population, per)


def test_rate_rejects_an_unknown_target_group() -> None:
    with pytest.raises(AnalyticsError, match="Ukjent målgruppe"):
        measures.rate(1, PopulationBands(1, 0, 1), "eldre")


def test_change_absolute_and_percent() -> None:
    result = measures.change(17436, 17074)
    assert result.absolute == 362
    assert result.percent == pytest.approx(362 / 17074 * 100)
    assert round_half_up(result.percent, 1) == 2.1  # the published "+2,1 % fra 2022"


def test_change_from_a_zero_base_has_no_percentage() -> None:
    result = measures.change(3, 0)
    assert result.absolute == 3
    assert result.percent is None


@pytest.mark.parametrize(("current", "previous"), [(None, 5), (5, None), (None, None)])
def test_change_with_a_missing_year_is_missing(current: object, previous: object) -> None:
    assert measures.change(current, previous) == measures.YearChange(None, None)


def test_change_rejects_text() -> None:
    with pytest.raises(AnalyticsError):
        measures.change("5", 4)


def test_share_reports_n_count_and_percent() -> None:
    result = measures.share([True, True, False, None, True, False, True])
    assert (result.n, result.count, result.status) == (6, 4, measures.OK)
    assert result.percent == pytest.approx(4 / 6 * 100)


def test_share_under_five_units_is_suppressed_with_n_shown() -> None:
    result = measures.share([True, True, False, None])
    assert result.n == 3
    assert result.status == measures.SUPPRESSED
    assert result.percent is None and result.count is None  # never 0, and not the count that reveals it
    assert result.value == Value(None, measures.SUPPRESSED, 3)
    assert result.value.symbol == ":"


def test_share_over_four_units_is_suppressed() -> None:
    result = measures.share([True, True, True, False])
    assert (result.n, result.status, result.percent) == (4, measures.SUPPRESSED, None)


def test_share_at_exactly_five_units_is_shown() -> None:
    result = measures.share([False] * 5)
    assert (result.n, result.count, result.percent, result.status) == (5, 0, 0.0, measures.OK)


def test_share_with_no_answers_is_missing_not_suppressed() -> None:
    result = measures.share([None, None])
    assert (result.n, result.status, result.percent) == (0, measures.MISSING, None)


def test_share_matches_a_choice_a_multichoice_or_a_predicate() -> None:
    answers = ["godt", "delvis", "godt", "dårlig", "godt", None]
    assert measures.share(answers, "godt").count == 3
    picks = [["brukerplan"], ["ungdata", "brukerplan"], [], ["annet"], ["brukerplan"]]
    assert measures.share(picks, "brukerplan").count == 3
    waits = [3, 10, 14, 21, 30]
    assert measures.share(waits, lambda days: days > 14).count == 2


def test_share_from_counts_checks_its_input() -> None:
    assert measures.share_from_counts(2, 10).percent == 20.0
    with pytest.raises(AnalyticsError):
        measures.share_from_counts(11, 10)
    with pytest.raises(AnalyticsError):
        measures.share_from_counts(-1, 10)
    with pytest.raises(AnalyticsError):
        measures.share_from_counts(1, 10, min_n=0)


def test_share_threshold_is_a_parameter() -> None:
    assert measures.share([True, False, True], min_n=3).status == measures.OK
    assert measures.share([True, False, True], min_n=4).status == measures.SUPPRESSED


def test_a_value_object_keeps_status_and_number_consistent() -> None:
    with pytest.raises(AnalyticsError):
        Value(3.0, measures.SUPPRESSED)
    with pytest.raises(AnalyticsError):
        Value(None, measures.OK)
    with pytest.raises(AnalyticsError):
        Value(1.0, "unknown")
    assert Value.of(None, measures.IMPUTED) == Value(None, measures.MISSING)


def test_median_and_quartiles_of_a_small_list() -> None:
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    result = measures.quartiles(values)
    assert (result.n, result.q1, result.median, result.q3) == (9, 3.0, 5.0, 7.0)
    assert measures.median([4, None, 1, 3, 2]) == 2.5
    assert [result.q1, result.median, result.q3] == statistics.quantiles(values, n=4, method="inclusive")


def test_quartiles_of_empty_and_single_lists() -> None:
    assert measures.quartiles([]) == measures.Quartiles(0, None, None, None)
    assert measures.quartiles([None]) == measures.Quartiles(0, None, None, None)
    assert measures.quartiles([4.5]) == measures.Quartiles(1, 4.5, 4.5, 4.5)
    assert measures.median([]) is None


def test_quartiles_of_two_values_interpolate_inclusively() -> None:
    assert measures.quartiles([10, 20]) == measures.Quartiles(2, 12.5, 15.0, 17.5)


def test_median_and_mad_resist_a_wild_value() -> None:
    # 50 typed for 0,5 årsverk: the mean jumps, the median and MAD hardly move.
    result = measures.robust([1.0, 1.2, 0.8, 1.1, 50.0])
    assert result.median == 1.1
    assert result.mad == pytest.approx(0.1)
    assert result.scaled_mad == pytest.approx(0.1 * 1.4826)
    assert result.z(50.0) == pytest.approx((50.0 - 1.1) / (0.1 * 1.4826))
    assert measures.mad([1, 2, 3, 4, 100]) == 1.0
    assert measures.mad([1, 2, 3, 4, 100], scale=measures.MAD_NORMAL_SCALE) == pytest.approx(1.4826)


def test_robust_on_empty_single_and_constant_lists() -> None:
    assert measures.robust([]) == measures.Robust(0, None, None)
    assert measures.robust([7]) == measures.Robust(1, 7, 0)
    constant = measures.robust([2, 2, 2])
    assert constant.mad == 0 and constant.z(5) is None  # no spread: no z-score rather than a division by zero
    assert measures.robust([]).z(1) is None
    assert measures.mad([]) is None


def test_quantiles_refuse_text() -> None:
    with pytest.raises(AnalyticsError):
        measures.quartiles([1, "2"])


def oslo_and_two() -> list[UnitRecord]:
    bydeler = [
        unit(f"0301{n:02d}", total=1000 * n, young=100 * n, kind="bydel", name=f"Bydel {n}", hf_code="OUS")
        for n in range(1, 16)
    ]
    return [
        *bydeler,
        unit("1508", 70_000, 14_000, name="Ålesund", rhf_code="MIDT", rhf_name="Helse Midt-Norge RHF", hf_code="MR"),
        unit("1580", 9_000, 1_800, name="Haram", rhf_code="MIDT", rhf_name="Helse Midt-Norge RHF", hf_code="MR"),
    ]


def test_oslo_as_a_municipality_is_the_sum_of_its_bydeler() -> None:
    units = oslo_and_two()
    values = {f"0301{n:02d}": float(n) for n in range(1, 16)} | {"1508": 40.0, "1580": 6.0}
    result = levels.aggregate(values, units, levels.MUNICIPALITY)
    assert set(result) == {"0301", "1508", "1580"}
    assert result["0301"].value == sum(range(1, 16))
    assert result["0301"].n_units == 15
    assert result["0301"].population.total == sum(1000 * n for n in range(1, 16))
    assert levels.group_labels(units, levels.MUNICIPALITY)["0301"] == "Oslo"
    assert levels.group_population(units, levels.MUNICIPALITY)["0301"].age_0_17 == sum(100 * n for n in range(1, 16))


def test_every_level_groups_the_units() -> None:
    units = [
        unit("1508", county_code="15", rhf_code="MIDT", hf_code="MR", dps_area="Ålesund DPS", size_group="≥50 000"),
        unit("1580", county_code="15", rhf_code="MIDT", hf_code="MR", dps_area="Ålesund DPS", size_group="5 000–9 999"),
        unit("3101", county_code="31", rhf_code="SOR", hf_code="OST", size_group="≥50 000", kostra_group="K13"),
    ]
    assert levels.groups(units, levels.NATION) == {"0": ["1508", "1580", "3101"]}
    assert levels.groups(units, levels.COUNTY) == {"15": ["1508", "1580"], "31": ["3101"]}
    assert levels.groups(units, levels.RHF) == {"MIDT": ["1508", "1580"], "SOR": ["3101"]}
    assert levels.groups(units, levels.HF) == {"MR": ["1508", "1580"], "OST": ["3101"]}
    assert levels.groups(units, levels.DPS) == {"Ålesund DPS": ["1508", "1580"]}  # 3101 has no DPS area
    assert levels.groups(units, levels.SIZE_GROUP) == {"5 000–9 999": ["1580"], "≥50 000": ["1508", "3101"]}
    assert levels.groups(units, levels.KOSTRA_GROUP) == {"K13": ["3101"]}
    assert levels.groups(units, levels.UNIT) == {"1508": ["1508"], "1580": ["1580"], "3101": ["3101"]}


def test_aggregate_counts_reported_units_and_their_population() -> None:
    units = [unit("1508", 1000, 200), unit("1580", 500, 100), unit("3101", 300, 50)]
    result = levels.aggregate({"1508": 2.5, "1580": None}, units, levels.NATION)["0"]
    assert (result.value, result.n_units, result.n_reported) == (2.5, 3, 1)
    assert result.population == PopulationBands(1000, 200, 800)
    nothing = levels.aggregate({}, units, levels.NATION)["0"]
    assert nothing.value is None and nothing.n_reported == 0


def test_county_and_municipality_follow_from_the_code_when_blank() -> None:
    record = UnitRecord("030105")
    assert (record.county_code, record.municipality_code) == ("03", "0301")


def test_region_codes_are_unique_across_levels() -> None:
    assert levels.region_code(levels.NATION, "0") == "0"
    assert levels.region_code(levels.COUNTY, "15") == "15"
    assert levels.region_code(levels.HF, "15") == "hf:15"


def test_levels_reject_bad_input() -> None:
    with pytest.raises(AnalyticsError, match="negativt"):
        unit("1508", total=-1, young=0)
    with pytest.raises(AnalyticsError, match="Ukjent nivå"):
        levels.groups([unit("1508")], "bydel")
    with pytest.raises(ValueError):
        UnitRecord("15")
    with pytest.raises(AnalyticsError, match="to ganger"):
        levels.groups([unit("1508"), unit("1508")], levels.NATION)
    with pytest.raises(AnalyticsError, match="ikke finnes"):
        levels.aggregate({"9999": 1.0}, [unit("1508")], levels.NATION)


def test_unit_record_from_a_model_like_object() -> None:
    class Row:
        code, name, kind, municipality_code, county_code = "030101", "Gamle Oslo", "bydel", "0301", "03"
        rhf_code, rhf_name, hf_code, hf_name, dps_area, size_group = "SOR", "Helse Sør-Øst", "OUS", "OUS", "", ""
        population_total, population_0_17, population_18_plus, year = 60_000, 10_000, 50_000, 2024

    record = UnitRecord.from_object(Row(), kostra_group="K16")
    assert record.population == PopulationBands(60_000, 10_000, 50_000)
    assert (record.kostra_group, record.year, record.hf_code) == ("K16", 2024, "OUS")


def small_dims() -> list[Dimension]:
    return [
        Dimension("Region", "region", [("0", "Hele landet"), ("15", "Møre og Romsdal")], role="geo"),
        Dimension("Tid", "år", [("2023", "2023"), ("2024", "2024")], role="time"),
    ]


def test_cube_is_row_major_and_marks_missing_cells() -> None:
    cube = Cube.from_cells("t", "Test", small_dims(), {("0", "2023"): 1.0, ("15", "2024"): Value(4.0, "estimated")})
    assert cube.values == [1.0, None, None, 4.0]
    assert cube.status == {1: "missing", 2: "missing", 3: "estimated"}
    assert cube.cell("15", "2024") == Value(4.0, "estimated")
    assert list(cube.order(["Tid", "Region"])) == [0, 2, 1, 3]


def test_cube_rejects_mismatched_lengths_and_unknown_categories() -> None:
    with pytest.raises(AnalyticsError, match="stemmer ikke"):
        Cube("t", "Test", small_dims(), [1.0, 2.0, 3.0])
    with pytest.raises(AnalyticsError, match="Ukjent kategori"):
        Cube.from_cells("t", "Test", small_dims(), {("03", "2023"): 1.0})
    with pytest.raises(AnalyticsError, match="også et tall"):
        Cube("t", "Test", small_dims(), [1.0, 2.0, 3.0, 4.0], status={0: "suppressed"})
    with pytest.raises(AnalyticsError, match="samme kode"):
        Dimension("Tid", "år", [("2023", "2023"), ("2023", "2023")])
    with pytest.raises(AnalyticsError):
        Dimension("Tid", "år", [("2023", "2023")], units={"2023": MetricUnit("årsverk", 1)})
    with pytest.raises(AnalyticsError):
        MetricUnit("årsverk", 16)


def test_rounding_is_half_up_on_the_written_digits() -> None:
    assert round_half_up(2.675, 2) == 2.68  # round() gives 2.67: 2.675 is 2.67499… in binary
    assert round_half_up(0.25, 1) == 0.3
    assert round_half_up(-0.25, 1) == -0.3
    assert format_plain(17436.0, 0) == "17436"
    assert format_plain(2.78, 1, decimal_comma=True) == "2,8"
    assert format_plain(-0.04, 1) == "0.0"
