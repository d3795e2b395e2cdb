"""The QA checks as pure functions on hand-made units: what each one finds, what it must leave alone, and the edge
cases (first year, merged and split units, all zeros, a tiny municipality), plus configuration and the runner."""

from __future__ import annotations

import pytest

from kartlegg.quality import checks
from kartlegg.quality.checks import QAConfigError, effective_config, run_checks
from kartlegg.surveys import engine
from tests.factories.quality import TYPICAL, definition, layout, peers, previous, unit

LAYOUT = layout()


def found(units, *, check=None, code=None, config=None):  # type: ignore[no-untyped-def]
    """Flags of one check (or all) for one unit (or all), running the whole registry as the service does."""
    units = units if isinstance(units, list) else [units]
    run = run_checks(units, LAYOUT, config)
    return [c for c in run.candidates if (check is None or c.check == check) and (code is None or c.unit == code)]


def with_changes(**changes: float | bool | str | None) -> dict:
    values = dict(TYPICAL)
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    return {k: v for k, v in values.items() if v is not None}


def test_layout_finds_the_fte_grids_and_their_target_groups() -> None:
    grids = {g.code: g.target for g in LAYOUT.grids}
    assert grids == {"B_arsverk": "voksne", "C_arsverk": "barn_og_unge"}
    assert LAYOUT.expand("@voksne.fact") == [
        "B_arsverk.fact.psykolog",
        "B_arsverk.fact.hoyskole",
        "B_arsverk.fact.annen",
    ]
    assert LAYOUT.expand("@voksne.*.psykolog") == [f"B_arsverk.{r}.psykolog" for r in ("ledelse", "oppfolging", "fact")]
    assert LAYOUT.expand("@ingen") == [] and LAYOUT.expand("B_finnes_ikke") == []
    assert "Oppfølging – Psykolog" in LAYOUT.label("B_arsverk.oppfolging.psykolog")
    assert [s.code for s in LAYOUT.sections if s.text_only] == ["A", "I"]


def test_a_grid_without_fte_tag_or_unit_is_not_counted() -> None:
    data = {
        "survey": {"code": "x"},
        "year": 2024,
        "sections": [
            {
                "code": "B",
                "questions": [
                    {
                        "code": "G",
                        "type": "grid",
                        "label": "Antall",
                        "rows": [{"code": "r"}],
                        "columns": [{"code": "c"}],
                    }
                ],
            }
        ],
    }
    assert checks.layout_for(engine.definition_from_dict(data)).grids == ()


def test_configuration_overrides_are_checked() -> None:
    config = effective_config({"implausible_change": {"relative": 0.25}, "stale_copy": {"enabled": False}})
    assert config["implausible_change"]["relative"] == 0.25
    assert config["implausible_change"]["absolute"] == 2.0  # untouched defaults stay
    assert config["stale_copy"]["enabled"] is False
    for bad, words in [
        ({"no_such_check": {}}, "Ukjent kontroll"),
        ({"peer_outlier": {"kk": 3}}, "Ukjent innstilling «kk»"),
        ({"peer_outlier": {"k": "tre"}}, "feil type"),
        ({"peer_outlier": {"k": -1}}, "negativ"),
        ({"peer_outlier": {"enabled": 1}}, "feil type"),
        ({"peer_outlier": []}, "JSON-objekt"),
        (["peer_outlier"], "JSON-objekt"),
        ({"peer_outlier": {"k": float("nan")}}, "feil type"),
    ]:
        with pytest.raises(QAConfigError, match=words):
            effective_config(bad)


def test_a_disabled_check_does_not_run() -> None:
    stale = unit(values=TYPICAL, last_year=TYPICAL)
    assert found(stale, check="stale_copy")
    assert not found(stale, check="stale_copy", config={"stale_copy": {"enabled": False}})


def test_the_runner_sorts_by_impact_and_checks_only_the_units_asked_for() -> None:
    big = unit("1001", with_changes(B_arsverk__oppfolging__annen=60.0), last_year=TYPICAL)
    small = unit("1002", with_changes(B_arsverk__ledelse__hoyskole=10.0), last_year=TYPICAL)
    run = run_checks([big, small, *peers()], LAYOUT)
    impacts = [c.impact for c in run.candidates]
    assert impacts == sorted(impacts, reverse=True)
    assert run.candidates[0].unit == "1001"
    only = run_checks([big, small, *peers()], LAYOUT, only={"1002"})
    assert only.units == ["1002"] and {c.unit for c in only.candidates} == {"1002"}


def test_a_percentage_typed_as_fte_is_found_against_last_year() -> None:
    now = unit(
        values=with_changes(B_arsverk__ledelse__psykolog=50), last_year=with_changes(B_arsverk__ledelse__psykolog=0.5)
    )
    [flag] = found(now, check="unit_error")
    assert (flag.rule, flag.variable, flag.severity) == ("percent_as_fte", "B_arsverk.ledelse.psykolog", "error")
    assert flag.impact == pytest.approx(49.5)
    assert "50" in flag.explanation and "0,5 årsverk" in flag.explanation


def test_a_percentage_without_history_is_found_when_it_dwarfs_the_rest_of_the_grid() -> None:
    first_year = unit(values={"B_arsverk.oppfolging.hoyskole": 75, "B_arsverk.ledelse.annen": 0.5})
    flags = found(first_year, check="unit_error")
    assert [f.rule for f in flags] == ["percent_as_fte"]
    assert "resten av tabellen" in flags[0].explanation


def test_a_round_number_that_is_plausible_is_left_alone() -> None:
    # 40 årsverk in a big unit whose cell was 38 last year, and 40 beside a large rest of the grid.
    values = with_changes(B_arsverk__oppfolging__hoyskole=40, B_arsverk__ledelse__annen=60)
    assert not found(
        unit(values=values, last_year=with_changes(B_arsverk__oppfolging__hoyskole=38, B_arsverk__ledelse__annen=58)),
        check="unit_error",
    )
    assert not found(unit(values=values), check="unit_error")


@pytest.mark.parametrize(
    ("before", "now", "factor"),
    [(2.5, 25.0, 10.0), (2.5, 27.3, 10.0), (1.2, 120.0, 100.0), (3.0, 0.3, 0.1), (0.5, 47.3, 100.0)],
)
def test_values_ten_or_a_hundred_times_off_last_year(before: float, now: float, factor: float) -> None:
    current = unit(
        values=with_changes(B_arsverk__oppfolging__hoyskole=now),
        last_year=with_changes(B_arsverk__oppfolging__hoyskole=before),
    )
    flags = [f for f in found(current, check="unit_error") if f.rule == "scale_vs_last_year"]
    assert len(flags) == 1
    assert flags[0].values["faktor"] == pytest.approx(factor)


def test_small_changes_and_ordinary_growth_are_not_scale_errors() -> None:
    grew = unit(values=with_changes(B_arsverk__oppfolging__hoyskole=5.0), last_year=TYPICAL)  # 3,5 → 5
    assert not found(grew, check="unit_error")
    tiny = unit(
        values=with_changes(B_arsverk__ledelse__annen=1.0), last_year=with_changes(B_arsverk__ledelse__annen=0.1)
    )
    assert not found(tiny, check="unit_error")  # ten times, but less than one årsverk


def test_many_cells_off_by_the_same_factor_give_one_flag_for_the_grid() -> None:
    before = {
        f"B_arsverk.{r}.{c}": 1.0 + i
        for i, (r, c) in enumerate(
            [
                ("ledelse", "psykolog"),
                ("ledelse", "hoyskole"),
                ("oppfolging", "psykolog"),
                ("oppfolging", "hoyskole"),
                ("oppfolging", "annen"),
            ]
        )
    }
    now = {k: v * 100 for k, v in before.items()}
    flags = found(unit(values=now, last_year=before), check="unit_error")
    assert [(f.rule, f.variable) for f in flags] == [("scale_vs_last_year", "B_arsverk")]
    assert len(flags[0].variables) == 5


def test_persons_typed_as_fte() -> None:
    before = {
        "B_arsverk.ledelse.hoyskole": 0.8,
        "B_arsverk.oppfolging.psykolog": 1.6,
        "B_arsverk.oppfolging.hoyskole": 2.4,
        "B_arsverk.oppfolging.annen": 0.5,
    }
    persons = {
        "B_arsverk.ledelse.hoyskole": 1,
        "B_arsverk.oppfolging.psykolog": 2,
        "B_arsverk.oppfolging.hoyskole": 4,
        "B_arsverk.oppfolging.annen": 1,
    }
    [flag] = found(unit(values=persons, last_year=before), check="unit_error")
    assert (flag.rule, flag.variable) == ("persons_as_fte", "B_arsverk")
    assert flag.impact == pytest.approx(8 - 5.3)
    # Whole numbers that did not jump, or whole numbers without history, are fine.
    steady = {k: round(v) or 1 for k, v in before.items()}
    assert not found(unit(values=steady, last_year={k: float(v) for k, v in steady.items()}), check="unit_error")
    assert not [f for f in found(unit(values=persons), check="unit_error") if f.rule == "persons_as_fte"]


def test_without_history_a_grid_far_above_its_peers_is_a_unit_error() -> None:
    tenfold = {k: (v * 10 if isinstance(v, float) else v) for k, v in TYPICAL.items()}
    newcomer = unit("1001", tenfold)
    flags = list(found([newcomer, *peers()], check="unit_error", code="1001"))
    assert {(f.rule, f.variable) for f in flags} == {("scale_vs_peers", "B_arsverk"), ("scale_vs_peers", "C_arsverk")}
    with_history = unit("1001", tenfold, last_year=tenfold)
    assert not found([with_history, *peers()], check="unit_error", code="1001")


def test_all_zeros_raise_no_unit_errors_and_no_crash() -> None:
    zeros = dict.fromkeys(LAYOUT.grids[0].cells(), 0)
    assert not found([unit(values=zeros, last_year=zeros), *peers()], check="unit_error")
    assert not found([unit(values=zeros), *peers()], check="unit_error")


def test_a_large_change_without_comment_is_flagged() -> None:
    now = unit(values=with_changes(B_arsverk__oppfolging__hoyskole=6.5), last_year=TYPICAL)  # 6,5 → 9,5: +3, +46 %
    [flag] = found(now, check="implausible_change")
    assert (flag.rule, flag.variable, flag.impact) == ("increase", "B_arsverk", 3.0)
    assert "6,5" in flag.explanation and "9,5" in flag.explanation and "+46 %" in flag.explanation


@pytest.mark.parametrize("where", ["B_arsverk", "B_arsverk.oppfolging.hoyskole", "B_arsverk.ledelse.annen"])
def test_a_comment_on_the_grid_or_a_cell_explains_the_change(where: str) -> None:
    now = unit(
        values=with_changes(B_arsverk__oppfolging__hoyskole=6.5), last_year=TYPICAL, comments={where: "Nytt botilbud."}
    )
    assert not found(now, check="implausible_change")


def test_both_thresholds_must_be_passed() -> None:
    small = unit(values={"B_arsverk.ledelse.annen": 2.0}, last_year={"B_arsverk.ledelse.annen": 1.0})  # +100 %, +1
    assert not found(small, check="implausible_change")
    big = {"B_arsverk.ledelse.annen": 40.0}
    steady = unit(values={"B_arsverk.ledelse.annen": 42.5}, last_year=big)  # +2,5 but +6 %
    assert not found(steady, check="implausible_change")
    fall = unit(values={"B_arsverk.ledelse.annen": 0}, last_year={"B_arsverk.ledelse.annen": 4.0})
    assert [f.rule for f in found(fall, check="implausible_change")] == ["decrease"]


def test_first_year_has_no_change_to_compare() -> None:
    assert not found(unit(values=with_changes(B_arsverk__oppfolging__hoyskole=60.0)), check="implausible_change")


def test_a_split_unit_gets_a_wider_margin_and_says_its_history_is_estimated() -> None:
    base = {"B_arsverk.oppfolging.hoyskole": 10.0}
    split = previous(base, sources=("1507",), estimated=True)
    assert not found(
        unit("1508", {"B_arsverk.oppfolging.hoyskole": 14.0}, prev=split), check="implausible_change"
    )  # +40 %
    [flag] = found(
        unit("1508", {"B_arsverk.oppfolging.hoyskole": 16.0}, prev=split), check="implausible_change"
    )  # +60 %
    assert "anslått" in flag.explanation and "1507" in flag.explanation


def test_a_merged_unit_is_compared_with_the_sum_of_its_predecessors() -> None:
    merged = previous({"B_arsverk.oppfolging.hoyskole": 10.0}, sources=("5001", "5030"))
    assert not found(unit("5001", {"B_arsverk.oppfolging.hoyskole": 10.5}, prev=merged), check="implausible_change")
    [flag] = found(unit("5001", {"B_arsverk.oppfolging.hoyskole": 20.0}, prev=merged), check="implausible_change")
    assert "summen for 5001, 5030" in flag.explanation


def test_a_unit_far_above_its_size_group_is_a_peer_outlier() -> None:
    high = unit("1001", {k: (v * 5 if isinstance(v, float) else v) for k, v in TYPICAL.items()})
    flags = found([high, *peers()], check="peer_outlier")
    assert {(f.unit, f.variable, f.rule) for f in flags} == {
        ("1001", "B_arsverk", "high"),
        ("1001", "C_arsverk", "high"),
    }
    assert flags[0].values["robust_z"] > 3.5


def test_the_ordinary_spread_of_a_group_is_not_flagged() -> None:
    assert not found(peers(20), check="peer_outlier")


def test_a_tiny_municipality_is_not_flagged_for_one_position_more_or_less() -> None:
    tiny = peers(12, population=400, size_group="<5 000", scale=0.02)  # about 0,13 årsverk for adults
    odd = unit("1001", {"B_arsverk.oppfolging.hoyskole": 1.2}, population=400, size_group="<5 000")
    assert not found([odd, *tiny], check="peer_outlier")  # nine times the rate, but one årsverk


def test_zeros_do_not_drag_the_group_and_only_big_units_are_flagged_for_reporting_zero() -> None:
    zero = {"B_arsverk.oppfolging.hoyskole": 0, "C_arsverk.behandling.annen": 0}
    zero_peers = [unit(f"80{i:02d}", zero, size_group="20 000–49 999") for i in range(20)]
    normal = unit("1001", TYPICAL)
    assert not found([normal, *peers(), *zero_peers], check="peer_outlier", code="1001")
    zero_flags = found([*peers(), *zero_peers[:1]], check="peer_outlier", code="8000")
    assert {f.rule for f in zero_flags} == {"zero"}
    small_zero = unit("1002", zero, population=800, size_group="<5 000")
    assert not found([*peers(), small_zero], check="peer_outlier", code="1002")


def test_a_small_group_is_compared_with_all_units_and_the_mad_has_a_floor() -> None:
    lonely = unit("1001", {k: (v * 5 if isinstance(v, float) else v) for k, v in TYPICAL.items()}, size_group="≥50 000")
    flags = found([lonely, *peers()], check="peer_outlier")
    assert flags and "alle enheter" in flags[0].explanation
    identical = [unit(f"70{i:02d}", TYPICAL) for i in range(12)]  # MAD 0
    a_bit_more = unit("1001", {k: (v * 1.3 if isinstance(v, float) else v) for k, v in TYPICAL.items()})
    assert not found([a_bit_more, *identical], check="peer_outlier")


def test_no_fact_team_but_fact_fte() -> None:
    values = with_changes(B_arsverk__fact__hoyskole=2.0)
    [flag] = found(unit(values=values, comments={"E_fact": "Teamet er interkommunalt."}), check="inconsistency")
    assert (flag.rule, flag.variable, flag.impact) == ("service_no_but_fte", "E_fact", 2.0)
    assert "Teamet er interkommunalt" in flag.explanation
    assert not found(unit(values={**values, "E_fact": True}), check="inconsistency")
    assert not found(unit(values=with_changes(B_arsverk__fact__hoyskole=0)), check="inconsistency")


def test_psychologists_above_the_total_is_an_error_and_not_also_a_mismatch() -> None:
    [flag] = found(unit(values=with_changes(B_psykolog_totalt=9.0)), check="inconsistency")
    assert (flag.rule, flag.severity) == ("part_above_total", "error")
    assert flag.impact == pytest.approx(9.0 - 6.5)


def test_a_stated_total_that_the_cells_do_not_add_up_to() -> None:
    [flag] = found(unit(values=with_changes(B_psykolog_totalt=2.0)), check="inconsistency")
    assert (flag.rule, flag.values["sum_celler"]) == ("stated_total_mismatch", 1.0)
    assert not found(unit(values=with_changes(B_psykolog_totalt=1.04)), check="inconsistency")  # within 0,05


def test_configured_pairs_that_the_version_lacks_are_skipped() -> None:
    config = {
        "inconsistency": {
            "services": [{"question": "E_finnes_ikke", "cells": "@voksne.fact"}, "rubbish"],
            "parts": [],
            "stated_totals": [],
        }
    }
    assert not found(unit(values=with_changes(B_arsverk__fact__hoyskole=2.0)), check="inconsistency", config=config)


def test_every_cell_identical_to_last_year_is_a_stale_copy() -> None:
    [flag] = found(unit(values=TYPICAL, last_year=TYPICAL), check="stale_copy")
    assert flag.values["celler"] == 6 and flag.impact == pytest.approx(8.5 * 0.05, abs=0.005)
    changed = unit(values=with_changes(B_arsverk__ledelse__hoyskole=1.1), last_year=TYPICAL)
    assert not found(changed, check="stale_copy")


def test_stale_copy_needs_enough_non_zero_cells_and_history_that_could_be_copied() -> None:
    two = {"B_arsverk.ledelse.hoyskole": 1.0, "B_arsverk.oppfolging.hoyskole": 2.0, "C_arsverk.behandling.annen": 0}
    assert not found(unit(values=two, last_year=two), check="stale_copy")
    zeros = dict.fromkeys(LAYOUT.grids[0].cells(), 0)
    assert not found(unit(values=zeros, last_year=zeros), check="stale_copy")
    split = previous(TYPICAL, sources=("1507",), estimated=True)
    assert not found(unit("1508", TYPICAL, prev=split), check="stale_copy")
    merged = previous(TYPICAL, sources=("5001", "5030"))
    assert found(unit("5001", TYPICAL, prev=merged), check="stale_copy")
    assert not found(unit(values=TYPICAL), check="stale_copy")  # first year


def test_a_unit_that_did_not_answer_carries_last_years_total_as_impact() -> None:
    silent = unit(values={}, last_year=TYPICAL, submitted=False, status="not_started")
    [flag] = found([silent, *peers()], check="missing", code=silent.code)
    assert (flag.rule, flag.severity, flag.variable) == ("not_answered", "error", "")
    assert flag.impact == pytest.approx(8.5) and "imputert" in flag.explanation
    newcomer = unit("1001", values={}, submitted=False, status="not_started")
    [estimate] = found([newcomer, *peers()], check="missing", code="1001")
    assert estimate.impact > 0 and "anslått" in estimate.explanation


def test_a_draft_that_was_never_submitted_is_a_milder_flag() -> None:
    draft = unit(values={"A_navn": "Kari"}, submitted=False, status="draft")
    [flag] = found(draft, check="missing")
    assert (flag.rule, flag.severity) == ("not_submitted", "warning")
    assert not found(draft, check="missing", config={"missing": {"not_submitted": False}})


def test_an_empty_section_is_flagged_even_when_commented() -> None:
    no_children = {k: v for k, v in TYPICAL.items() if not k.startswith("C_")}
    [flag] = found(unit(values=no_children, last_year=TYPICAL), check="missing")
    assert (flag.rule, flag.variable, flag.severity) == ("empty_section", "C", "error")
    assert flag.impact == pytest.approx(2.0)
    # A grid keeps its comment when its cells are blanked: the comment is quoted, it does not silence the flag.
    commented = unit(values=no_children, comments={"C_arsverk": "Ny stilling fra mars."}, last_year=TYPICAL)
    [flag] = found(commented, check="missing")
    assert flag.severity == "error" and "«Ny stilling fra mars.»" in flag.explanation
    zeros = {**no_children, "C_arsverk.behandling.annen": 0}
    assert not found(unit(values=zeros), check="missing")  # 0 is an answer


def test_empty_free_text_sections_are_not_checked_but_other_sections_are_noted() -> None:
    values = {k: v for k, v in TYPICAL.items() if not k.startswith("E_")}
    [flag] = found(unit(values=values), check="missing")
    assert (flag.variable, flag.severity) == ("E", "info")  # section I (free text only) is not flagged
    assert not found(unit(values=values), check="missing", config={"missing": {"skip_sections": ["E"]}})


def test_skip_logic_hides_questions_from_the_empty_section_check() -> None:
    data = engine.definition_to_dict(definition())
    section_e = next(s for s in data["sections"] if s["code"] == "E")
    section_e["questions"] = [
        {"code": "E_fact", "type": "yesno", "label": "FACT?"},
        {"code": "E_fact_navn", "type": "text", "label": "Navn", "relevance": "E_fact = true"},
    ]
    data["sections"].append(
        {
            "code": "F",
            "title": "FACT",
            "questions": [{"code": "F_antall", "type": "integer", "label": "Antall", "relevance": "E_fact = true"}],
        }
    )
    custom = checks.layout_for(engine.definition_from_dict(data))
    run = run_checks([unit(values={**TYPICAL, "E_fact": False})], custom)
    assert not [c for c in run.candidates if c.check == "missing"]
    run = run_checks([unit(values={**TYPICAL, "E_fact": True})], custom)
    assert [c.variable for c in run.candidates if c.check == "missing"] == ["F"]
