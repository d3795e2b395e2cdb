"""Pure geography functions (kartlegg.geography.logic) on hand-made data: no database."""

from __future__ import annotations

from datetime import date

import pytest

from kartlegg.geography import logic
from kartlegg.geography.logic import Change, GeographyError


def test_oslo_is_replaced_by_its_fifteen_reporting_bydeler() -> None:
    codes = logic.reporting_unit_codes(["1508", "0301", "3105"])
    bydeler = [c for c in codes if c.startswith("0301")]
    assert bydeler == [f"0301{n:02d}" for n in range(1, 16)]
    assert "0301" not in codes
    assert "030116" not in codes and "030117" not in codes  # Sentrum and Marka do not report
    assert {"1508", "3105"} <= set(codes)
    assert codes == sorted(codes)


def test_reporting_units_drop_unknown_and_duplicates() -> None:
    assert logic.reporting_unit_codes(["1508", "9999", "1508"]) == ["1508"]
    assert logic.reporting_unit_codes([]) == []


@pytest.mark.parametrize("bad", ["301", "03011", "abcd", "", "030101"])
def test_reporting_units_reject_codes_that_are_not_municipalities(bad: str) -> None:
    with pytest.raises(GeographyError):
        logic.reporting_unit_codes(["1508", bad])


@pytest.mark.parametrize(("code", "county"), [("1508", "15"), ("0301", "03"), ("030115", "03"), ("5501", "55")])
def test_county_is_the_first_two_digits(code: str, county: str) -> None:
    assert logic.county_of(code) == county


@pytest.mark.parametrize("bad", ["15", "15081", "1a08", "", "0301011"])
def test_county_of_rejects_bad_codes(bad: str) -> None:
    with pytest.raises(GeographyError):
        logic.county_of(bad)


def test_municipality_of_a_bydel_is_its_first_four_digits() -> None:
    assert logic.municipality_of("030105") == "0301"
    assert logic.municipality_of("1508") == "1508"
    assert logic.is_bydel_code("030105") and not logic.is_bydel_code("1508")


@pytest.mark.parametrize(
    ("population", "label"),
    [
        (0, "<5 000"),
        (4999, "<5 000"),
        (5000, "5 000–9 999"),
        (9999, "5 000–9 999"),
        (10000, "10 000–19 999"),
        (20000, "20 000–49 999"),
        (49999, "20 000–49 999"),
        (50000, "≥50 000"),
        (717710, "≥50 000"),
    ],
)
def test_default_size_groups(population: int, label: str) -> None:
    assert logic.size_group_label(population, logic.DEFAULT_SIZE_BOUNDS) == label


def test_size_group_labels_use_normal_spaces_and_follow_the_bounds() -> None:
    labels = logic.size_group_labels([0, 3000, 100000])
    assert labels == ["<3 000", "3 000–99 999", "≥100 000"]
    assert all("\u00a0" not in label for label in labels)
    assert logic.size_group_label(2999, [0, 3000, 100000]) == labels[0]
    assert logic.size_group_label(100000, [0, 3000, 100000]) == labels[2]


@pytest.mark.parametrize("bad", [-1, 2.5, "5000", None, True])
def test_size_group_rejects_bad_population(bad: object) -> None:
    with pytest.raises(GeographyError):
        logic.size_group_label(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bounds", [[], [0, 5000, 5000], [0, 10000, 5000], [-5, 10]])
def test_size_group_rejects_bad_bounds(bounds: list[int]) -> None:
    with pytest.raises(GeographyError):
        logic.size_group_label(100, bounds)


def test_population_below_the_lowest_bound_is_an_error() -> None:
    with pytest.raises(GeographyError):
        logic.size_group_label(50, [100, 5000])


BY_AGE = {0: 10, 5: 20, 17: 30, 18: 40, 66: 50, 67: 60, 105: 70}


def test_population_bands() -> None:
    bands = logic.population_bands(BY_AGE)
    assert bands.total == sum(BY_AGE.values())
    assert bands.age_0_17 == 10 + 20 + 30
    assert bands.age_18_plus == 40 + 50 + 60 + 70
    assert bands.age_0_17 + bands.age_18_plus == bands.total


@pytest.mark.parametrize(
    ("min_age", "max_age", "expected"),
    [(0, None, 280), (None, None, 280), (6, 17, 30), (67, None, 130), (18, 66, 90), (105, 105, 70), (106, None, 0)],
)
def test_population_in_any_band(min_age: int | None, max_age: int | None, expected: int) -> None:
    assert logic.population_in_band(BY_AGE, min_age, max_age) == expected


@pytest.mark.parametrize(("min_age", "max_age"), [(18, 17), (-1, None)])
def test_population_band_rejects_bad_bands(min_age: int, max_age: int | None) -> None:
    with pytest.raises(GeographyError):
        logic.population_in_band(BY_AGE, min_age, max_age)


def test_population_band_rejects_negative_counts() -> None:
    with pytest.raises(GeographyError):
        logic.population_in_band({3: -1}, 0, None)


D2018, D2020, D2024 = date(2018, 1, 1), date(2020, 1, 1), date(2024, 1, 1)
CHANGES = [
    # 2018: two municipalities merge (A1 + A2 → B1); one is renumbered
    Change("1702", "5004", D2018),
    Change("1725", "5004", D2018),
    Change("1601", "5001", D2018),
    # 2020: B1 merges again; a name change only (same code); Trondheim absorbs 5030
    Change("5004", "5006", D2020),
    Change("5039", "5006", D2020),
    Change("5001", "5001", D2020),
    Change("5030", "5001", D2020),
    # 2024: a split into two, and a renumbering
    Change("1507", "1508", D2024),
    Change("1507", "1580", D2024),
    Change("3003", "3105", D2024),
]
POP_2024 = {"1508": 300, "1580": 100, "5006": 1000, "5001": 2000, "3105": 500}


def parts(result: logic.Harmonised) -> dict[str, float]:
    return dict(result.parts)


def test_unchanged_code_maps_to_itself() -> None:
    result = logic.harmonise("1101", 2017, 2024, CHANGES, POP_2024)
    assert result.parts == [("1101", 1.0)]
    assert result.estimated is False


def test_same_year_is_identity() -> None:
    assert logic.harmonise("1507", 2024, 2024, CHANGES, POP_2024).parts == [("1507", 1.0)]


def test_merge_maps_wholly_to_the_new_code() -> None:
    for old in ("1702", "1725"):
        result = logic.harmonise(old, 2017, 2018, CHANGES, POP_2024)
        assert result.parts == [("5004", 1.0)]
        assert not result.estimated


def test_chain_of_changes_is_followed_over_the_years() -> None:
    result = logic.harmonise("1702", 2017, 2024, CHANGES, POP_2024)
    assert result.parts == [("5006", 1.0)]
    # Stopping between two changes takes only the earlier one.
    assert logic.harmonise("1702", 2017, 2019, CHANGES).parts == [("5004", 1.0)]


def test_a_code_that_continues_after_a_merge_keeps_its_number() -> None:
    result = logic.harmonise("5001", 2019, 2024, CHANGES, POP_2024)
    assert result.parts == [("5001", 1.0)]
    assert not result.estimated


def test_split_is_shared_by_the_new_units_population() -> None:
    result = logic.harmonise("1507", 2023, 2024, CHANGES, POP_2024)
    weights = parts(result)
    assert result.estimated is True
    assert set(weights) == {"1508", "1580"}
    assert weights["1508"] == pytest.approx(POP_2024["1508"] / (POP_2024["1508"] + POP_2024["1580"]))
    assert sum(weights.values()) == pytest.approx(1.0)


def test_split_without_population_gets_equal_shares() -> None:
    result = logic.harmonise("1507", 2023, 2024, CHANGES, {})
    assert parts(result) == {"1508": pytest.approx(0.5), "1580": pytest.approx(0.5)}
    assert result.estimated


def test_split_followed_by_renumbering_is_weighted_by_the_final_codes() -> None:
    changes = [Change("1850", "1806", D2020), Change("1850", "1875", D2020), Change("1806", "1811", D2024)]
    result = logic.harmonise("1850", 2019, 2024, changes, {"1811": 30, "1875": 10})
    assert parts(result) == {"1811": pytest.approx(0.75), "1875": pytest.approx(0.25)}


def test_border_adjustment_is_not_a_split() -> None:
    # 1108 keeps existing while a piece moves to 1130: the old code continues.
    changes = [Change("1108", "1108", D2024), Change("1108", "1130", D2024)]
    result = logic.harmonise("1108", 2023, 2024, changes, {"1108": 900, "1130": 100})
    assert result.parts == [("1108", 1.0)]
    assert not result.estimated


def test_border_adjustment_known_from_the_valid_codes() -> None:
    changes = [Change("1825", "1826", D2024)]
    valid = {2023: {"1825", "1826"}, 2024: {"1825", "1826"}}
    assert logic.harmonise("1825", 2023, 2024, changes, valid_codes=valid).parts == [("1825", 1.0)]
    # Without knowing that 1825 still exists, the row reads as a renumbering.
    assert logic.harmonise("1825", 2023, 2024, changes).parts == [("1826", 1.0)]


def test_backward_merge_is_shared_by_the_old_units_population() -> None:
    result = logic.harmonise("5001", 2024, 2019, CHANGES, {"5001": 300, "5030": 100})
    assert parts(result) == {"5001": pytest.approx(0.75), "5030": pytest.approx(0.25)}
    assert result.estimated


def test_backward_split_maps_wholly_to_the_old_code() -> None:
    for new in ("1508", "1580"):
        result = logic.harmonise(new, 2024, 2023, CHANGES, {})
        assert result.parts == [("1507", 1.0)]
        assert not result.estimated


def test_backward_chain_reaches_the_original_codes() -> None:
    result = logic.harmonise("5006", 2024, 2017, CHANGES, {"1702": 20, "1725": 10, "5039": 10})
    assert parts(result) == {"1702": pytest.approx(0.5), "1725": pytest.approx(0.25), "5039": pytest.approx(0.25)}


@pytest.mark.parametrize(
    ("code", "from_year", "to_year"), [("15", 2023, 2024), ("1507", 23, 2024), ("1507", 2023, None)]
)
def test_harmonise_rejects_bad_input(code: str, from_year: int, to_year: int) -> None:
    with pytest.raises(GeographyError):
        logic.harmonise(code, from_year, to_year, CHANGES, POP_2024)


def test_harmonise_rejects_a_change_without_a_date() -> None:
    with pytest.raises(GeographyError):
        logic.harmonise("1507", 2023, 2024, [Change("1507", "1508", "2024-01-01")])  # type: ignore[arg-type]


def test_harmonised_values_sum_merges_and_share_splits() -> None:
    values = {"1702": 4.0, "1725": 1.0, "5039": 2.0, "1507": 10.0, "3003": None, "1101": 3}
    totals, estimated = logic.harmonise_values(values, 2017, 2024, CHANGES, POP_2024)
    assert totals["5006"] == pytest.approx(7.0)
    assert totals["1508"] == pytest.approx(7.5) and totals["1580"] == pytest.approx(2.5)
    assert totals["1101"] == pytest.approx(3.0)
    assert "3105" not in totals  # missing is not zero
    assert estimated == {"1508", "1580"}
    assert sum(totals.values()) == pytest.approx(sum(v for v in values.values() if v is not None))


def test_main_successor_is_the_largest_part() -> None:
    assert logic.main_successor("1507", 2023, 2024, CHANGES, POP_2024) == "1508"
    assert logic.main_successor("1725", 2017, 2024, CHANGES, POP_2024) == "5006"


def test_a_code_that_did_not_exist_in_from_year_is_an_error_when_the_codes_are_known() -> None:
    valid = {2023: {"1507", "3003"}, 2024: {"1508", "1580", "3105"}}
    with pytest.raises(GeographyError):
        logic.harmonise("1508", 2023, 2024, CHANGES, POP_2024, valid_codes=valid)
    # Bydeler are not in the municipality lists and never change number.
    assert logic.harmonise("030101", 2023, 2024, CHANGES, POP_2024, valid_codes=valid).parts == [("030101", 1.0)]
