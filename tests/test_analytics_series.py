"""Time series, harmonisation, imputation and the headline årsverk series (kartlegg.analytics.series, .imputation,
.headline) on hand-made data: no database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kartlegg.analytics import headline, imputation, levels, series
from kartlegg.analytics.imputation import CARRY_FORWARD, NO_IMPUTATION
from kartlegg.analytics.levels import UnitRecord
from kartlegg.analytics.measures import ESTIMATED, IMPUTED, MISSING, OK, AnalyticsError
from kartlegg.geography.logic import Change, Harmonised, harmonise
from kartlegg.surveys.definition import definition_from_dict

# Ålesund: 1504 Ålesund and 1534 Haram merged into 1507 Ålesund in 2020; 1507 was split into 1508 Ålesund and
# 1580 Haram in 2024. Halden 3001 → 3101 and Bærum 3024 → 3201 when county 30 was split in 2024.
CHANGES = [
    Change("1504", "1507", date(2020, 1, 1)),
    Change("1534", "1507", date(2020, 1, 1)),
    Change("1507", "1508", date(2024, 1, 1)),
    Change("1507", "1580", date(2024, 1, 1)),
    Change("3001", "3101", date(2024, 1, 1)),
    Change("3024", "3201", date(2024, 1, 1)),
]
POPULATION_2024 = {"1508": 70_000, "1580": 30_000, "3101": 31_000, "3201": 130_000}


def unit(code: str, total: int = 1000, young: int = 200, **fields: Any) -> UnitRecord:
    return UnitRecord(
        code=code, population_total=total, population_0_17=young, population_18_plus=total - young, **fields
    )


def mapping(codes: list[str], from_year: int, to_year: int) -> dict[str, Harmonised]:
    return series.build_mapping(codes, from_year, to_year, CHANGES, POPULATION_2024)


# Variables through questionnaire versions

CONTINUES = {
    2017: {},
    2019: {"A": "A", "X": "X"},
    2020: {"B": "A", "X": "X"},
    2024: {"B": "B"},  # C is new in 2024: no link
}


def test_a_renamed_variable_is_followed_back_through_its_links() -> None:
    lineage = series.follow_variable("B", 2024, CONTINUES)
    assert lineage.codes == {2017: "A", 2019: "A", 2020: "B", 2024: "B"}
    assert lineage.breaks == []
    assert lineage.start == 2017
    assert lineage.comparable(2017, 2024)


def test_a_version_without_a_link_marks_a_break() -> None:
    new = series.follow_variable("C", 2024, CONTINUES)
    assert new.codes == {2024: "C"}
    assert new.breaks == [2024]
    dropped = series.follow_variable("X", 2020, CONTINUES)
    assert dropped.codes == {2017: "X", 2019: "X", 2020: "X"} and dropped.breaks == []


def test_an_explicit_break_flag_marks_a_break_but_keeps_the_older_years() -> None:
    lineage = series.follow_variable("B", 2024, CONTINUES, breaks_by_year={2020: {"B"}})
    assert lineage.codes == {2017: "A", 2019: "A", 2020: "B", 2024: "B"}
    assert lineage.breaks == [2020]
    assert lineage.segments() == [[2017, 2019], [2020, 2024]]
    assert not lineage.comparable(2019, 2020)
    assert lineage.comparable(2020, 2024)


def test_the_first_version_is_a_start_not_a_break() -> None:
    assert series.follow_variable("A", 2017, CONTINUES).breaks == []


def test_following_rejects_an_unknown_year_or_no_versions() -> None:
    with pytest.raises(AnalyticsError, match="2018"):
        series.follow_variable("A", 2018, CONTINUES)
    with pytest.raises(AnalyticsError):
        series.follow_variable("A", 2017, {})


def grid_definition(year: int, code: str, rows: list[dict[str, str]], continues: str = "") -> Any:
    return definition_from_dict(
        {
            "year": year,
            "sections": [
                {
                    "code": "B",
                    "questions": [
                        {
                            "code": code,
                            "type": "grid",
                            "continues": continues,
                            "tags": ["arsverk_voksne"],
                            "rows": rows,
                            "columns": [{"code": "lege", "label": "Lege"}],
                        }
                    ],
                }
            ],
        }
    )


def test_tagged_cells_break_when_a_version_adds_a_row() -> None:
    v2020 = grid_definition(2020, "B_2020", [{"code": "ledelse", "label": "Ledelse"}, {"code": "amb", "label": "A"}])
    v2023 = grid_definition(2023, "B_2020", [{"code": "ledelse", "label": "Ledelse"}, {"code": "amb", "label": "A"}])
    v2024 = grid_definition(
        2024,
        "B",
        [
            {"code": "ledelse", "label": "Ledelse"},
            {"code": "oppfolging", "label": "Oppfølging", "continues": "amb"},
            {"code": "rask", "label": "Rask psykisk helsehjelp"},
        ],
        continues="B_2020",
    )
    definitions = {2020: v2020, 2023: v2023, 2024: v2024}
    links = series.continues_by_year(definitions)
    assert links[2024]["B.oppfolging.lege"] == "B_2020.amb.lege"
    assert "B.rask.lege" not in links[2024]
    tags = {year: headline.tag_cells(defn) for year, defn in definitions.items()}
    assert tags[2024]["arsverk_voksne"] == ["B.ledelse.lege", "B.oppfolging.lege", "B.rask.lege"]
    assert series.tag_breaks(tags, links, "arsverk_voksne") == [2024]
    assert series.tag_breaks(tags, links, "arsverk_voksne", breaks_by_year={2023: {"B_2020.amb.lege"}}) == [2023, 2024]


def test_tagged_cells_break_when_an_old_cell_is_not_continued() -> None:
    tags = {2022: {"t": ["a", "b"]}, 2023: {"t": ["a"]}}
    assert series.tag_breaks(tags, {2023: {"a": "a"}}, "t") == [2023]
    assert series.tag_breaks({2022: {"t": ["a"]}, 2023: {"t": ["a"]}}, {2023: {"a": "a"}}, "t") == []


def test_a_merge_sums_the_old_units() -> None:
    result = series.harmonise_year({"1504": 10.0, "1534": 4.0}, mapping(["1504", "1534"], 2019, 2020))
    assert result.values == {"1507": 14.0}
    assert result.estimated == set()
    assert result.sources == {"1507": ["1504", "1534"]}


def test_a_split_divides_by_population_and_is_estimated() -> None:
    keys = mapping(["1507"], 2023, 2024)
    assert isinstance(keys["1507"], Harmonised)  # geography's own result type, not a copy
    assert keys["1507"].parts == [("1508", pytest.approx(0.7)), ("1580", pytest.approx(0.3))]
    result = series.harmonise_year({"1507": 100.0}, keys)
    assert result.values["1508"] == pytest.approx(70.0)
    assert result.values["1580"] == pytest.approx(30.0)
    assert result.estimated == {"1508", "1580"}


def test_a_chain_from_2017_to_2024_merges_then_splits() -> None:
    keys = mapping(["1504", "1534", "3001"], 2017, 2024)
    result = series.harmonise_series(
        {2017: {"1504": 10.0, "1534": 4.0, "3001": 5.0}, 2024: {"1508": 11.0, "1580": 4.5, "3101": 6.0}},
        {2017: keys},
        structure_year=2024,
    )
    assert result[2017].values["1508"] == pytest.approx(14.0 * 0.7)
    assert result[2017].values["1580"] == pytest.approx(14.0 * 0.3)
    assert result[2017].values["3101"] == 5.0
    assert result[2017].estimated == {"1508", "1580"}
    assert result[2024].values == {"1508": 11.0, "1580": 4.5, "3101": 6.0}
    assert result[2024].estimated == set()


def test_a_missing_old_unit_makes_its_new_unit_missing_not_smaller() -> None:
    result = series.harmonise_year({"1504": 10.0}, mapping(["1504", "1534"], 2019, 2020))
    assert result.values == {"1507": None}
    assert result.incomplete == {"1507"}


def test_harmonisation_rejects_bad_mappings_and_stray_values() -> None:
    bad_weights = {"1507": Harmonised("1507", 2023, 2024, [("1508", 0.7), ("1580", 0.2)], True)}
    with pytest.raises(AnalyticsError, match="summerer"):
        series.harmonise_year({"1507": 1.0}, bad_weights)
    negative = {"1507": Harmonised("1507", 2023, 2024, [("1508", 1.2), ("1580", -0.2)], True)}
    with pytest.raises(AnalyticsError, match="negativ"):
        series.harmonise_year({"1507": 1.0}, negative)
    with pytest.raises(AnalyticsError, match="Ingen harmonisering"):
        series.harmonise_year({"1507": 1.0, "9998": 2.0}, mapping(["1507"], 2023, 2024))
    with pytest.raises(AnalyticsError, match="Mangler harmoniseringsnøkkel"):
        series.harmonise_series({2023: {"1507": 1.0}}, {}, structure_year=2024)
    with pytest.raises(AnalyticsError, match="går til 2024"):
        series.harmonise_series({2019: {"1504": 1.0}}, {2019: mapping(["1504"], 2019, 2024)}, structure_year=2020)


def test_county_series_exist_for_old_and_new_counties() -> None:
    units_2023 = [unit("3001", county_code="30"), unit("3024", county_code="30"), unit("1507", county_code="15")]
    units_2024 = [unit(c, county_code=c[:2]) for c in ("3101", "3201", "1508", "1580")]
    values = {2023: {"3001": 5.0, "3024": 20.0, "1507": 10.0}, 2024: {"3101": 6.0, "3201": 21.0, "1508": 8, "1580": 3}}
    as_reported = series.level_series(values, {2023: units_2023, 2024: units_2024}, levels.COUNTY)
    assert as_reported[2023]["30"].value == 25.0
    assert "31" not in as_reported[2023]
    keys = mapping(["3001", "3024", "1507"], 2023, 2024)
    harmonised = series.harmonise_series(values, {2023: keys}, 2024)
    restated = dict.fromkeys(values, units_2024)
    new = series.level_series({y: h.values for y, h in harmonised.items()}, restated, levels.COUNTY)
    assert (new[2023]["31"].value, new[2023]["32"].value, new[2024]["31"].value) == (5.0, 20.0, 6.0)
    assert new[2023]["15"].value == pytest.approx(10.0)
    assert "30" not in new[2023]


def test_population_is_harmonised_with_the_same_weights() -> None:
    units_2023 = [unit("1507", 100_000, 20_000)]
    bands = series.harmonise_population(units_2023, mapping(["1507"], 2023, 2024))
    assert bands["1508"].total == 70_000 and bands["1580"].age_0_17 == 6_000
    restated = series.restate_units([unit("1508", 1, 0, hf_code="MR"), unit("1580", 1, 0)], bands)
    assert restated[0].population_total == 70_000 and restated[0].hf_code == "MR"


EXPECTED = {2019: ["a", "b", "c"], 2020: ["a", "b", "c"], 2021: ["a", "b", "c"]}
VALUES = {
    2019: {"a": 1.0, "b": 2.0, "c": 3.0},
    2020: {"a": 1.5, "b": None, "c": 3.5},
    2021: {"a": 2.0},
}


def test_carry_forward_keeps_the_last_reported_figure() -> None:
    result = imputation.impute(VALUES, EXPECTED, CARRY_FORWARD)
    assert result.values[2020] == {"a": 1.5, "b": 2.0, "c": 3.5}
    assert result.values[2021] == {"a": 2.0, "b": 2.0, "c": 3.5}
    assert result.sources[2021] == {"b": 2019, "c": 2020}  # b's figure is still 2019's, not "2020's"
    assert result.counts == {2019: 0, 2020: 1, 2021: 2}
    assert result.imputed_units(2021) == ["b", "c"]
    assert result.note(2020) == "1 enhet rapporterte ikke i 2020; tallene fra 2019 er brukt."
    assert result.note(2021) == "2 enheter rapporterte ikke i 2021; tallene fra 2019 og 2020 er brukt."
    assert result.note(2019) == ""


def test_no_imputation_leaves_the_gaps_and_says_so() -> None:
    result = imputation.impute(VALUES, EXPECTED, NO_IMPUTATION)
    assert result.values[2021] == {"a": 2.0, "b": None, "c": None}
    assert result.counts == {2019: 0, 2020: 0, 2021: 0}
    assert result.missing[2021] == ["b", "c"]
    assert result.note(2021, ("kommune", "kommuner")) == "2 kommuner rapporterte ikke i 2021; tallene er ikke imputert."


def test_a_unit_that_never_reported_stays_missing() -> None:
    result = imputation.impute({2020: {"a": 1.0}}, {2020: ["a", "new"]})
    assert result.values[2020]["new"] is None
    assert result.note(2020) == "1 enhet rapporterte ikke i 2020; 1 mangler fortsatt tall."


def test_max_gap_limits_how_far_a_figure_is_carried() -> None:
    result = imputation.impute(VALUES, EXPECTED, CARRY_FORWARD, max_gap=1)
    assert result.values[2021]["b"] is None  # 2019's figure is two years old
    assert result.values[2021]["c"] == 3.5


def test_imputation_carries_figures_across_a_merge_and_a_split() -> None:
    merged = imputation.impute(
        {2019: {"1504": 10.0, "1534": 4.0}, 2020: {}},
        {2019: ["1504", "1534"], 2020: ["1507"]},
        forward_mappings={2020: mapping(["1504", "1534"], 2019, 2020)},
    )
    assert merged.values[2020] == {"1507": 14.0}
    assert merged.sources[2020] == {"1507": 2019}
    split = imputation.impute(
        {2023: {"1507": 10.0}, 2024: {"1508": 8.0}},
        {2023: ["1507"], 2024: ["1508", "1580"]},
        forward_mappings={2024: mapping(["1507"], 2023, 2024)},
    )
    assert split.values[2024]["1580"] == pytest.approx(3.0)
    assert split.values[2024]["1508"] == 8.0  # it reported: its own figure, not an estimate


def test_a_merged_unit_is_not_imputed_from_only_some_of_its_parts() -> None:
    result = imputation.impute(
        {2019: {"1504": 10.0}, 2020: {}},
        {2019: ["1504", "1534"], 2020: ["1507"]},
        forward_mappings={2020: mapping(["1504", "1534"], 2019, 2020)},
    )
    assert result.values[2020] == {"1507": None}


def test_the_first_year_gets_the_nearest_later_figure_carried_back() -> None:
    result = imputation.impute(
        {2019: {"a": 1.0}, 2020: {"a": 2.0}, 2021: {"a": 3.0, "b": 5.0}},
        {2019: ["a", "b"], 2020: ["a", "b"], 2021: ["a", "b"]},
    )
    assert result.values[2019] == {"a": 1.0, "b": 5.0}
    assert result.sources[2019] == {"b": 2021} and result.sources[2020] == {"b": 2021}
    assert result.missing[2019] == []
    assert result.note(2019) == "1 enhet rapporterte ikke i 2019; tallene fra 2021 er brukt."
    assert imputation.impute({2019: {}, 2020: {"b": 5.0}}, {2019: ["b"], 2020: ["b"]}, max_gap=1).values[2019] == {
        "b": 5.0
    }
    assert imputation.impute({2019: {}, 2021: {"b": 5.0}}, {2019: ["b"], 2021: ["b"]}, max_gap=1).values[2019] == {
        "b": None
    }
    assert imputation.impute({2019: {}, 2020: {"b": 5.0}}, {2019: ["b"], 2020: ["b"]}, NO_IMPUTATION).values[2019] == {
        "b": None
    }


def test_carrying_back_follows_a_renumbering_but_not_a_merge() -> None:
    renumbered = {"1612": Harmonised("1612", 2017, 2018, [("5011", 1.0)])}
    result = imputation.impute({2017: {}, 2018: {"5011": 4.0}}, {2017: ["1612"], 2018: ["5011"]}, CARRY_FORWARD,
                               forward_mappings={2018: renumbered})  # fmt: skip
    assert result.values[2017] == {"1612": 4.0} and result.sources[2017] == {"1612": 2018}
    merged = imputation.impute(
        {2019: {"1504": 10.0}, 2020: {"1507": 20.0}},
        {2019: ["1504", "1534"], 2020: ["1507"]},
        forward_mappings={2020: mapping(["1504", "1534"], 2019, 2020)},
    )
    assert merged.values[2019] == {"1504": 10.0, "1534": None}  # 1507's figure is not 1534's alone


def test_imputation_rejects_bad_input() -> None:
    with pytest.raises(AnalyticsError, match="Ukjent imputeringsregel"):
        imputation.impute(VALUES, EXPECTED, "mean")
    with pytest.raises(AnalyticsError, match="ikke skulle rapportere"):
        imputation.impute({2019: {"zz": 1.0}}, {2019: ["a"]})
    with pytest.raises(AnalyticsError, match="uten enhetsliste"):
        imputation.impute({2018: {"a": 1.0}}, {2019: ["a"]})
    with pytest.raises(AnalyticsError):
        imputation.impute(VALUES, EXPECTED, max_gap=0)


def test_imputation_checks_its_forward_mappings_and_converts_non_float_values() -> None:
    from decimal import Decimal

    broken = {"1504": Harmonised("1504", 2019, 2020, [("1507", 0.5)])}
    with pytest.raises(AnalyticsError, match="summerer til 0.5000"):
        imputation.impute(
            {2019: {"1504": 1.0}, 2020: {}}, {2019: ["1504"], 2020: ["1507"]}, forward_mappings={2020: broken}
        )
    with pytest.raises(AnalyticsError, match="Verdien for a i 2019"):
        imputation.impute({2019: {"a": float("nan")}}, {2019: ["a"]})
    with pytest.raises(AnalyticsError, match="Verdien for a i 2019"):
        imputation.impute({2019: {"a": "3"}}, {2019: ["a"]})
    result = imputation.impute({2019: {"a": Decimal("2.5"), "b": 3}, 2020: {}}, {2019: ["a", "b"], 2020: ["a", "b"]})
    assert result.values[2020] == {"a": 2.5, "b": 3.0}
    assert all(type(v) is float for v in result.values[2020].values())


def test_merged_imputation_counts_a_unit_once() -> None:
    adults = imputation.impute({2019: {"a": 1.0, "b": 1.0}, 2020: {"a": 1.0}}, {2019: ["a", "b"], 2020: ["a", "b"]})
    children = imputation.impute({2019: {"a": 1.0, "b": 1.0}, 2020: {}}, {2019: ["a", "b"], 2020: ["a", "b"]})
    both = imputation.merge([adults, children])
    assert both.counts == {2019: 0, 2020: 2}
    assert both.non_response[2020] == ["b"]  # a reported its adults, so it did report


TAGS = {"arsverk_voksne": ["B.a.x", "B.b.x"], "arsverk_barn_og_unge": ["C.a.x"]}
TAGS_2024 = {"arsverk_voksne": ["B24.a.x", "B24.rask.x"], "arsverk_barn_og_unge": ["C24.a.x"]}


def headline_units(year: int) -> list[UnitRecord]:
    if year < 2024:
        return [unit("1507", 100_000, 20_000, county_code="15"), unit("3001", 30_000, 6_000, county_code="30")]
    return [
        unit("1508", 70_000, 14_000, county_code="15"),
        unit("1580", 30_000, 6_000, county_code="15"),
        unit("3101", 31_000, 6_200, county_code="31"),
    ]


HEADLINE_CELLS = {
    2022: {"1507": {"B.a.x": 30.0, "B.b.x": 10.0, "C.a.x": 12.0}, "3001": {"B.a.x": 9.0, "C.a.x": 3.0}},
    2023: {"1507": {"B.a.x": 32.0, "C.a.x": 12.5}},
    2024: {
        "1508": {"B24.a.x": 20.0, "B24.rask.x": 2.0, "C24.a.x": 9.0},
        "1580": {"B24.a.x": 10.0, "C24.a.x": 4.0},
        "3101": {"B24.a.x": 9.5, "C24.a.x": 3.5},
    },
}


def test_headline_sums_tagged_cells_and_computes_rates() -> None:
    tags = {2022: TAGS, 2023: TAGS, 2024: TAGS_2024}
    units = {year: headline_units(year) for year in (2022, 2023, 2024)}
    result = headline.headline_series(HEADLINE_CELLS, tags, units, levels.NATION, breaks=[2024])
    assert result.value("0", headline.ADULTS, 2022).value == 49.0
    assert result.value("0", headline.CHILDREN, 2022).value == 15.0
    assert result.value("0", headline.TOTAL, 2022).value == 64.0
    assert result.value("0", headline.TOTAL_RATE, 2022).value == pytest.approx(64.0 / 130_000 * 1000)
    assert result.value("0", headline.ADULTS_RATE, 2022).value == pytest.approx(49.0 / 104_000 * 10_000)
    assert result.value("0", headline.CHILDREN_RATE, 2022).value == pytest.approx(15.0 / 26_000 * 10_000)
    assert result.value("0", headline.ADULTS, 2024).value == 41.5
    # 3001 did not report in 2023: its 2022 figures are carried forward and the national figure is flagged.
    adults_2023 = result.value("0", headline.ADULTS, 2023)
    assert (adults_2023.value, adults_2023.status, adults_2023.n) == (41.0, IMPUTED, 2)
    assert result.value("0", headline.ADULTS, 2022).status == OK
    assert result.imputation.counts == {2022: 0, 2023: 1, 2024: 0}
    assert "1 enhet rapporterte ikke i 2023; tallene fra 2022 er brukt." in result.notes
    assert result.change("0", headline.ADULTS, 2023).absolute == pytest.approx(-8.0)
    assert result.change("0", headline.ADULTS, 2024).percent is None  # across the 2024 break


def test_headline_without_imputation_has_smaller_sums_and_no_flags() -> None:
    tags = {2022: TAGS, 2023: TAGS, 2024: TAGS_2024}
    units = {year: headline_units(year) for year in (2022, 2023, 2024)}
    result = headline.headline_series(HEADLINE_CELLS, tags, units, levels.COUNTY, rule=NO_IMPUTATION)
    assert result.value("30", headline.ADULTS, 2023) == result.value("30", headline.TOTAL, 2023)
    assert result.value("30", headline.ADULTS, 2023).status == MISSING
    assert result.value("15", headline.ADULTS, 2023).status == OK
    assert result.imputation.counts[2023] == 0
    assert set(result.groups) == {"15", "30", "31"}  # as reported: the old county 30 and the new 31 side by side


def test_headline_harmonised_to_2024_flags_split_figures_as_estimated() -> None:
    tags = {2022: TAGS, 2023: TAGS, 2024: TAGS_2024}
    units = {year: headline_units(year) for year in (2022, 2023, 2024)}
    keys = {year: mapping(["1507", "3001"], year, 2024) for year in (2022, 2023)}
    result = headline.headline_series(
        HEADLINE_CELLS, tags, units, levels.UNIT, structure_year=2024, mappings_by_year=keys
    )
    assert set(result.groups) == {"1508", "1580", "3101"}
    haram = result.value("1580", headline.ADULTS, 2022)
    assert haram.value == pytest.approx(40.0 * 0.3) and haram.status == ESTIMATED
    assert result.value("3101", headline.ADULTS, 2023).status == IMPUTED
    assert result.value("3101", headline.ADULTS, 2022).status == OK
    # The split's population is divided by the same key, so the rate of each part equals the old unit's rate.
    rate = result.value("1580", headline.TOTAL_RATE, 2022).value
    assert rate == pytest.approx(52.0 / 100_000 * 1000)
    assert result.estimated_units[2022] == ["1508", "1580"]
    county = headline.headline_series(
        HEADLINE_CELLS, tags, units, levels.COUNTY, structure_year=2024, mappings_by_year=keys
    )
    assert county.value("31", headline.ADULTS, 2022).value == 9.0
    assert "30" not in county.groups


def test_headline_total_is_missing_when_one_target_group_is_blank() -> None:
    cells = {2023: {"1507": {"B.a.x": 5.0}, "3001": {"B.a.x": 1.0, "C.a.x": 1.0}}}
    result = headline.headline_series(cells, {2023: TAGS}, {2023: headline_units(2023)}, levels.UNIT)
    assert result.value("1507", headline.TOTAL, 2023).status == MISSING
    assert result.value("1507", headline.ADULTS, 2023).value == 5.0


def test_headline_cube_has_region_measure_and_year() -> None:
    result = headline.headline_series(
        {2023: HEADLINE_CELLS[2022]}, {2023: TAGS}, {2023: headline_units(2023)}, levels.NATION
    )
    cube = result.to_cube(codes=[headline.TOTAL, headline.TOTAL_RATE])
    assert [d.id for d in cube.dimensions] == ["Region", "ContentsCode", "Tid"]
    assert cube.values == [64.0, pytest.approx(64.0 / 130_000 * 1000)]


def test_headline_rejects_bad_input() -> None:
    units = {2023: headline_units(2023)}
    with pytest.raises(AnalyticsError, match="Ukjent mål"):
        headline.measure("arsverk_eldre")
    with pytest.raises(AnalyticsError, match="merket"):
        headline.headline_series({}, {2023: {"arsverk_voksne": ["B.a.x"]}}, units, levels.NATION)
    with pytest.raises(AnalyticsError, match="tagger"):
        headline.headline_series({}, {}, units, levels.NATION)
    with pytest.raises(AnalyticsError, match="Ukjent nivå"):
        headline.headline_series({}, {2023: TAGS}, units, "land")
    with pytest.raises(AnalyticsError, match="harmoniseringsnøkkel"):
        headline.headline_series(
            {}, {2023: TAGS, 2024: TAGS_2024}, {**units, 2024: headline_units(2024)}, "unit", structure_year=2024
        )
    with pytest.raises(AnalyticsError, match="ikke skulle rapportere"):
        headline.headline_series({2023: {"9999": {"B.a.x": 1.0}}}, {2023: TAGS}, units, levels.NATION)


def test_the_real_geography_harmonise_output_is_accepted_as_is() -> None:
    result = harmonise("1507", 2023, 2024, CHANGES, POPULATION_2024)
    assert series.harmonise_year({"1507": 10.0}, {"1507": result}).values["1508"] == pytest.approx(7.0)


# Breaks declared in the shipped questionnaires


def _shipped(name: str) -> Any:
    from pathlib import Path

    from kartlegg.surveys.loader import check_document, read_yaml

    text = (Path(__file__).resolve().parent.parent / "questionnaires" / name).read_text(encoding="utf-8")
    data, problems = read_yaml(text)
    defn = check_document(data, problems)
    assert defn is not None and not problems, problems
    return defn


def test_declared_changes_break_every_cell_and_total_they_touch() -> None:
    from kartlegg.analytics.catalogue import build_catalogue

    old, new = _shipped("annual-2020.yaml"), _shipped("annual-2024.yaml")
    cat = build_catalogue({2022: old, 2023: old, 2024: new})
    variables = cat.variables
    # Oppfølging lost Rask psykisk helsehjelp to its own row; ufaglært gained the erfaringskonsulenter.
    for code in ("B_arsverk.oppfolging.psykolog", "B_arsverk.ledelse.ufaglart", "C_arsverk.behandling.ufaglart"):
        assert variables[code].breaks == (2024,), code
        assert not variables[code].comparable(2024, 2023)
        assert variables[code].codes[2023] == code.replace("_arsverk.", "_arsverk_2020.")  # still one series
    for code in ("B_arsverk.ledelse.psykolog", "C_arsverk.helsestasjon.lege"):
        assert variables[code].breaks == (), code
        assert variables[code].comparable(2024, 2023)
    # Totals over a changed cell break too; so does the headline (a 2020 column nothing continues).
    for code in ("B_arsverk.*.ufaglart", "B_arsverk.oppfolging.*", "C_arsverk.*.ufaglart", "B_arsverk.*.psykolog"):
        assert variables[code].breaks == (2024,), code
    assert variables[headline.TOTAL].breaks == (2024,)
    # Two years on the same version never break, whatever it declares.
    same = build_catalogue({2023: new, 2024: new})
    assert same.variables["B_arsverk.oppfolging.psykolog"].breaks == ()


def test_a_grid_declared_changed_as_a_whole_breaks_the_headline_sum() -> None:
    from kartlegg.analytics.catalogue import build_catalogue, declared_changes

    first = definition_from_dict(
        {
            "year": 2020,
            "sections": [{"code": "B", "questions": [
                {"code": "G", "type": "grid", "tags": ["arsverk_voksne"], "rows": [{"code": "r"}],
                 "columns": [{"code": "c"}]},
                {"code": "H", "type": "grid", "tags": ["arsverk_barn_og_unge"], "rows": [{"code": "r"}],
                 "columns": [{"code": "c"}]},
                {"code": "N", "type": "integer"},
            ]}],
        }
    )  # fmt: skip
    data = {
        "year": 2024,
        "sections": [{"code": "B", "questions": [
            {"code": "G", "type": "grid", "tags": ["arsverk_voksne"], "changed": "Ny definisjon av årsverk.",
             "rows": [{"code": "r"}], "columns": [{"code": "c"}]},
            {"code": "H", "type": "grid", "tags": ["arsverk_barn_og_unge"], "rows": [{"code": "r"}],
             "columns": [{"code": "c"}]},
            {"code": "N", "type": "integer", "changed": "Teller nå personer, ikke vedtak."},
        ]}],
    }  # fmt: skip
    second = definition_from_dict(data)
    assert declared_changes(second) == ({"G.r.c", "N"}, {"G"})
    cat = build_catalogue({2020: first, 2024: second})
    assert cat.variables[headline.ADULTS].breaks == (2024,)
    assert cat.variables[headline.CHILDREN].breaks == ()
    assert cat.variables["N"].breaks == (2024,) and cat.variables["G.r.*"].breaks == (2024,)
    assert cat.variables["H.r.c"].breaks == ()


def test_a_declared_change_must_be_text() -> None:
    from kartlegg.surveys.loader import check_document, read_yaml

    text = """
survey: {code: t, name: T, kind: annual}
year: 2024
label: v
title: T
sections:
  - code: B
    title: B
    questions:
      - {code: N, type: integer, label: N, changed: [1, 2]}
      - code: G
        type: grid
        label: G
        rows: [{code: r, label: R, changed: {a: b}}]
        columns: [{code: c, label: C, changed: Ny}]
"""
    data, problems = read_yaml(text)
    check_document(data, problems)
    messages = " ".join(p.message for p in problems)
    assert "«changed» må være tekst" in messages
    assert "spørsmål «N»" in messages and "rad" in messages
