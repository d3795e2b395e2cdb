"""Synthetic demo data (manage.py make_demo_data): calibrated to the published totals, realistic non-response,
planted errors for QA, idempotent; and the pure functions it is built from."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from kartlegg.accounts.models import AuditEvent
from kartlegg.demo import grids, sim, text
from kartlegg.demo.answers import answers_for, contact
from kartlegg.demo.management.commands.make_demo_data import parse_codes, parse_years
from kartlegg.demo.store import DEMO_ACTION
from kartlegg.responses.models import Answer, Response, ResponseStatus, Round
from kartlegg.surveys import engine

PUBLISHED = {2022: (Decimal(13291), Decimal(3783)), 2023: (Decimal(13445), Decimal(3991))}
TAGS = {"adults": "arsverk_voksne", "children": "arsverk_barn_og_unge"}


def run(tmp_path: Path, years: str, seed: int = 7) -> dict[str, Any]:
    errors_file = tmp_path / f"errors-{seed}-{years}.json"
    call_command(
        "make_demo_data", "--seed", str(seed), "--years", years, "--no-progress", "--errors-file", str(errors_file)
    )
    return json.loads(errors_file.read_text(encoding="utf-8"))


def demo_rounds() -> list[Round]:
    ids = AuditEvent.objects.filter(action=DEMO_ACTION).values_list("object_id", flat=True)
    return list(Round.objects.filter(pk__in=[int(i) for i in ids]).select_related("version__survey"))


def annual_round(year: int) -> Round:
    return next(r for r in demo_rounds() if r.year == year and r.version.survey.kind == "annual")


def grid_code(round_obj: Round, group: str) -> str:
    return next(q.code for q in round_obj.version.definition().tagged(TAGS[group]) if q.is_grid)


def grid_totals(round_obj: Round, group: str) -> dict[str, Decimal]:
    """Each submitted unit's total for one årsverk grid, from the stored answers."""
    prefix = grid_code(round_obj, group) + "."
    totals: dict[str, Decimal] = Counter()  # type: ignore[assignment]
    rows = Answer.objects.filter(response__round=round_obj, response__status=ResponseStatus.SUBMITTED)
    for unit, variable, value in rows.values_list("response__unit__code", "variable", "value_num"):
        if variable.startswith(prefix) and value is not None:
            totals[unit] += Decimal(value)
    return dict(totals)


def national_after_imputation(year: int, group: str) -> Decimal:
    """The statistics' rule: responders' sum, plus for each unit without an answer its last reported year's
    årsverk (here: the previous round, same code), or in the first year its next reported year's (carried back)."""
    round_obj = annual_round(year)
    total = sum(grid_totals(round_obj, group).values(), Decimal(0))
    previous = [r for r in demo_rounds() if r.year == year - 1 and r.version.survey.kind == "annual"]
    following = [r for r in demo_rounds() if r.year == year + 1 and r.version.survey.kind == "annual"]
    other = previous or following
    if other:
        last = grid_totals(other[0], group)
        missing = Response.objects.filter(round=round_obj, status=ResponseStatus.NOT_STARTED)
        total += sum((last.get(code, Decimal(0)) for code in missing.values_list("unit__code", flat=True)), Decimal(0))
    return total


@pytest.fixture(scope="module")
def demo_2022_2023(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One run for the whole module, rolled back at the end so other test files never see it."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = run(tmp_path_factory.mktemp("demo"), "2022-2023")
        yield report
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("year", [2022, 2023])
@pytest.mark.parametrize("group", ["adults", "children"])
def test_totals_after_imputation_match_published(demo_2022_2023: Any, year: int, group: str) -> None:
    published = PUBLISHED[year][0 if group == "adults" else 1]
    total = national_after_imputation(year, group)
    assert abs(total - published) / published <= Decimal("0.005"), (year, group, total, published)


def test_second_year_really_uses_imputation(demo_2022_2023: Any) -> None:
    # Without last year's values for the units that did not answer, 2023 would fall clearly short.
    round_obj = annual_round(2023)
    responders_only = sum(grid_totals(round_obj, "adults").values(), Decimal(0))
    assert responders_only < PUBLISHED[2023][0] * Decimal("0.98")


@pytest.mark.parametrize("year", [2022, 2023])
def test_every_unit_has_a_response_and_5_to_15_percent_did_not_answer(demo_2022_2023: Any, year: int) -> None:
    from kartlegg.geography.services import units_for_year

    round_obj = annual_round(year)
    codes = set(units_for_year(year).values_list("code", flat=True))
    responses = Response.objects.filter(round=round_obj)
    assert set(responses.values_list("unit__code", flat=True)) == codes
    assert responses.count() == len(codes)
    missing = responses.filter(status=ResponseStatus.NOT_STARTED)
    assert 0.05 <= missing.count() / len(codes) <= 0.15
    assert not Answer.objects.filter(response__in=missing).exists()
    assert set(responses.values_list("status", flat=True)) == {ResponseStatus.SUBMITTED, ResponseStatus.NOT_STARTED}


def test_submitted_in_the_last_three_weeks_mostly_the_last_three_days(demo_2022_2023: Any) -> None:
    from datetime import timedelta

    round_obj = annual_round(2023)
    deadline_end = demo_sim_deadline(round_obj)
    times = list(
        Response.objects.filter(round=round_obj, status=ResponseStatus.SUBMITTED).values_list("submitted_at", flat=True)
    )
    assert all(deadline_end - timedelta(days=21) <= t <= deadline_end for t in times)
    late = sum(t >= deadline_end - timedelta(days=3) for t in times)
    assert late / len(times) > 0.5


def demo_sim_deadline(round_obj: Round) -> Any:
    from kartlegg.demo.store import at

    return at(round_obj.deadline, 23, 59)


def test_values_have_at_most_two_decimals_and_are_not_negative(demo_2022_2023: Any) -> None:
    values = Answer.objects.filter(response__round__in=demo_rounds()).exclude(value_num=None)
    nums = list(values.values_list("value_num", flat=True))
    assert nums
    assert all(Decimal(v) == Decimal(v).quantize(Decimal("0.01")) for v in nums)
    assert all(v >= 0 for v in nums)


def test_planted_errors_are_listed_and_stored(demo_2022_2023: Any) -> None:
    errors = demo_2022_2023["errors"]
    # Only the newest years get errors, and only after the first year of the run (they need last year's values).
    assert {e["year"] for e in errors} == {2023}
    assert 3 <= len(errors) <= 6
    assert {"percent_as_fte", "tenfold", "stale_copy", "fact_no"} <= {e["kind"] for e in errors}
    round_obj = annual_round(2023)
    for error in errors:
        response = Response.objects.get(round=round_obj, unit__code=error["unit"])
        assert response.status == ResponseStatus.SUBMITTED
        stored = dict(response.answers.values_list("variable", "value_text"))
        for variable, value in error["reported"].items():
            if variable in stored:
                assert Decimal(stored[variable]) == Decimal(value) if value[0].isdigit() else stored[variable] == value


def test_planted_errors_look_like_the_mistakes_qa_hunts(demo_2022_2023: Any) -> None:
    errors = {e["kind"]: e for e in demo_2022_2023["errors"]}
    percent = errors["percent_as_fte"]
    (cell,) = percent["variables"]
    assert Decimal(percent["reported"][cell]) == Decimal(percent["expected"][cell]) * 100
    tenfold = errors["tenfold"]
    (cell,) = tenfold["variables"]
    last_year = Answer.objects.get(
        response__round=annual_round(2022), response__unit__code=tenfold["unit"], variable=cell
    ).value_num
    assert Decimal(tenfold["reported"][cell]) == Decimal(last_year) * 10
    stale = errors["stale_copy"]
    this_year = dict(
        Answer.objects.filter(response__round=annual_round(2023), response__unit__code=stale["unit"])
        .filter(variable__contains=".")
        .values_list("variable", "value_text")
    )
    before = dict(
        Answer.objects.filter(response__round=annual_round(2022), response__unit__code=stale["unit"])
        .filter(variable__contains=".")
        .values_list("variable", "value_text")
    )
    assert this_year == before
    fact = errors["fact_no"]
    fact_cells = Answer.objects.filter(
        response__round=annual_round(2023), response__unit__code=fact["unit"], variable__in=fact["variables"]
    )
    assert fact_cells.get(variable="E_fact").value_text == "false"
    assert sum(a.value_num or 0 for a in fact_cells.exclude(variable="E_fact")) > 0


def test_clean_responses_pass_validation_and_answers_agree_with_grids(demo_2022_2023: Any) -> None:
    from kartlegg.responses.services import stored_values, validation_context

    round_obj = annual_round(2023)
    defn = round_obj.version.definition()
    planted = {e["unit"] for e in demo_2022_2023["errors"]}
    fact_grid = grid_code(round_obj, "adults") + ".fact."
    checked = 0
    for response in Response.objects.filter(round=round_obj, status=ResponseStatus.SUBMITTED).select_related("unit"):
        if response.unit.code in planted:
            continue
        values, comments = stored_values(response, defn)
        result = engine.validate(defn, values, comments, validation_context(response))
        assert not result.errors, (response.unit.code, result.errors)
        assert not result.unexplained_warnings, (response.unit.code, result.unexplained_warnings)
        fact_total = sum(v for c, v in values.items() if c.startswith(fact_grid) and v)
        if fact_total > 0:
            assert values["E_fact"] is True
        assert "@example.invalid" in values["A_epost"]
        checked += 1
    assert checked > 250


def test_rerun_with_the_same_seed_is_idempotent(demo_2022_2023: Any, tmp_path: Path) -> None:
    def snapshot() -> tuple[int, list[tuple[int, str, str, str | None]]]:
        rounds = demo_rounds()
        rows = sorted(
            Answer.objects.filter(response__round__in=rounds).values_list(
                "response__round__year", "response__unit__code", "variable", "value_text"
            )
        )
        return len(rounds), rows

    count_before, rows_before = snapshot()
    totals_before = {year: national_after_imputation(year, "adults") for year in (2022, 2023)}
    run(tmp_path, "2022-2023")
    count_after, rows_after = snapshot()
    assert count_after == count_before == Round.objects.count()
    assert rows_after == rows_before
    assert {year: national_after_imputation(year, "adults") for year in (2022, 2023)} == totals_before


def test_another_seed_gives_other_data_with_the_same_totals(tmp_path: Path) -> None:
    run(tmp_path, "2023", seed=1)
    first = grid_totals(annual_round(2023), "adults")
    run(tmp_path, "2023", seed=2)
    second = grid_totals(annual_round(2023), "adults")
    assert first != second
    for totals in (first, second):
        assert abs(sum(totals.values()) - PUBLISHED[2023][0]) <= Decimal("0.01")


def test_2020_has_66_non_responders_norwegian_covid_texts_and_pulse_waves(tmp_path: Path) -> None:
    report = run(tmp_path, "2020")
    round_obj = annual_round(2020)
    assert Response.objects.filter(round=round_obj, status=ResponseStatus.NOT_STARTED).count() == 66
    texts = list(
        Answer.objects.filter(response__round=round_obj, variable="I_korona").values_list("value_text", flat=True)
    )
    submitted = Response.objects.filter(round=round_obj, status=ResponseStatus.SUBMITTED).count()
    assert len(texts) == submitted
    assert all(text and text.strip() for text in texts)
    norwegian = re.compile(r"\b(og|har|ble|er|vi|ikke|med|til)\b")
    assert all(norwegian.search(text) for text in texts)
    assert not any(re.search(r"\b(the|and|with|services)\b", text) for text in texts)
    assert len(set(texts)) > 0.8 * len(texts)  # varied, not a handful of copies
    assert len(report["covid_text_themes"]["2020"]) == submitted
    pulses = [r for r in demo_rounds() if r.version.survey.kind == "pulse"]
    if pulses:  # pulse-2020.yaml ships with the project
        assert len(pulses) >= 3
        assert all(Response.objects.filter(round=r, status=ResponseStatus.SUBMITTED).exists() for r in pulses)


@pytest.mark.parametrize("years", ["2010-2012", "2024-2023", "abc", "2016", "2025"])
def test_bad_years_are_refused(years: str) -> None:
    with pytest.raises(CommandError):
        call_command("make_demo_data", "--years", years, "--no-progress")


def test_nothing_is_written_when_refused() -> None:
    before = Round.objects.count()
    with pytest.raises(CommandError):
        call_command("make_demo_data", "--leave-open", "0301;drop", "--no-progress")
    assert Round.objects.count() == before


def test_parse_years_and_codes() -> None:
    assert parse_years("2017-2024") == list(range(2017, 2025))
    assert parse_years(" 2020 ") == [2020]
    assert parse_codes("4601, 030101") == ["4601", "030101"]
    assert parse_codes("") == []
    assert parse_codes(None) is None
    with pytest.raises(CommandError):
        parse_codes("46O1")


def test_targets_interpolate_2021_and_extrapolate_after_the_last_published_year() -> None:
    rows = [
        {"year": "2010", "arsverk_voksne": "9492", "arsverk_barn_og_unge": "2703", "scope": "psykisk helsearbeid only"},
        {"year": "2020", "arsverk_voksne": "12966", "arsverk_barn_og_unge": "3603", "scope": grids.PUBLISHED_SCOPE},
        {"year": "2021", "arsverk_voksne": "", "arsverk_barn_og_unge": "", "scope": grids.PUBLISHED_SCOPE},
        {"year": "2022", "arsverk_voksne": "13291", "arsverk_barn_og_unge": "3783", "scope": grids.PUBLISHED_SCOPE},
    ]
    published = grids.parse_published(rows)
    assert sorted(published) == [2020, 2022]  # 2010 has another scope, 2021 no level
    targets = grids.targets_for(published, [2020, 2021, 2023])
    assert targets[2020].adults == 12966 and targets[2020].basis == "publisert"
    assert targets[2021].adults == Decimal("13128.50") and targets[2021].basis == "interpolert"
    assert targets[2023].adults > 13291 and targets[2023].basis == "framskrevet"
    with pytest.raises(grids.DemoDataError):
        grids.targets_for(published, [2019])
    with pytest.raises(grids.DemoDataError):
        grids.parse_published(
            [{"year": "x", "arsverk_voksne": "1", "arsverk_barn_og_unge": "1", "scope": grids.PUBLISHED_SCOPE}]
        )


def test_layout_recognises_rows_and_columns_by_label() -> None:
    layout = grids.layout_for(
        grids.ADULTS,
        "B",
        [("r1", "Rask psykisk helsehjelp"), ("r2", "Bolig med bemanning deler av døgnet"), ("r3", "Noe helt nytt")],
        [("c1", "Høyskole helse/sosial uten slik videreutdanning"), ("c2", "Erfaringskonsulent"), ("c3", "Psykolog")],
    )
    assert dict(layout.row_kinds) == {"r1": "rph", "r2": "bolig_deler", "r3": "andre"}
    assert dict(layout.column_kinds) == {"c1": "hs_uten", "c2": "erfaring", "c3": "psykolog"}


def small_layout() -> grids.GridLayout:
    return grids.layout_for(
        grids.ADULTS,
        "B",
        [("oppfolging", "Oppfølging og behandling"), ("fact", "FACT"), ("dogn", "Bolig med døgnbemanning")],
        [
            ("psykolog", "Psykolog"),
            ("med", "Høyskole med videreutdanning"),
            ("vgs", "Videregående"),
            ("ufaglart", "Ufaglært"),
        ],
    )


def test_initial_grid_spreads_the_total_and_growth_is_persistent() -> None:
    layout = small_layout()
    rng = random.Random(1)
    cells = grids.initial_grid(rng, layout, 40.0, 0.8)
    assert abs(grids.total(cells) - 40.0) < 1e-9
    assert all(v > 0 and code.startswith("B.") for code, v in cells.items())
    assert grids.initial_grid(rng, layout, 0.0, 0.8) == {}
    changes = []
    for seed in range(200):
        step = grids.grow_grid(random.Random(seed), layout, cells, 1.02, 0.8, 2024, event_chance=0.0)
        changes.append(grids.total(step.cells) / 40.0)
    assert all(0.85 < c < 1.2 for c in changes)  # no implausible jumps without an event
    event = grids.grow_grid(random.Random(3), layout, {"B.oppfolging.med": 5.0}, 1.0, 0.5, 2024, event_chance=1.0)
    assert event.event and event.comments["B"]  # a new or closed service comes with a comment


def test_calibrate_and_round_hit_the_target_to_the_cent() -> None:
    free = {"a": {"B.x.y": 1.234567, "B.x.z": 10.0}, "b": {"B.x.y": 3.3333}}
    factor = grids.calibrate(grids.total(free["a"]) + grids.total(free["b"]), 5.0, 30.0)
    scaled = {u: {c: v * factor for c, v in cells.items()} for u, cells in free.items()}
    rounded = grids.round_and_fix(scaled, Decimal("5"), Decimal("30"))
    assert sum(v for cells in rounded.values() for v in cells.values()) + 5 == 30
    assert all(v == v.quantize(grids.CENT) for cells in rounded.values() for v in cells.values())
    with pytest.raises(grids.DemoDataError):
        grids.calibrate(0.0, 1.0, 10.0)
    with pytest.raises(grids.DemoDataError):
        grids.calibrate(10.0, 20.0, 10.0)
    assert grids.round_cells({"c": 50.0}) == {"c": Decimal("50.01")}  # never looks like a percentage


def test_non_responders_can_always_be_imputed_from_last_year() -> None:
    units = [grids.DemoUnit(f"{n:04d}", str(n), 1000 * n, 200 * n, 800 * n) for n in range(1, 101)]
    layouts = {grids.ADULTS: small_layout(), grids.CHILDREN: small_layout()}
    target = grids.Target(2023, Decimal(5000), Decimal(1000), "publisert")
    first = sim.YearSpec(2022, units, {}, layouts, target)
    merged = {u.code: {u.code: 1.0} for u in units[2:]} | {"0001": {"0001": 1.0, "0002": 1.0}}
    second = sim.YearSpec(2023, units[:1] + units[2:], merged, layouts, target, plant_errors=True)
    one, two = sim.simulate(5, [first, second])
    assert 0.05 <= len(one.non_responders) / 100 <= 0.15
    median = sorted(u.population for u in units)[50]
    assert all(int(code) * 1000 <= median for code in one.non_responders)  # first year: smaller units only
    for code in two.non_responders:
        assert all(p in one.responders for p in second.predecessors[code])
    for group in sim.GROUPS:
        assert one.national_total(group) == target.total(group) == two.national_total(group)
    assert 3 <= len(two.errors) <= 6
    assert sim.simulate(5, [first, second])[1].reported == two.reported  # deterministic


def test_submission_times_cluster_before_the_deadline() -> None:
    from kartlegg.demo.store import at

    deadline = at(__import__("datetime").date(2024, 3, 15), 23, 59)
    times = grids.submission_times(random.Random(2), 500, deadline)
    assert all(deadline - __import__("datetime").timedelta(days=21) <= t < deadline for t in times)
    assert sum(t.date() >= __import__("datetime").date(2024, 3, 12) for t in times) > 250


def test_covid_texts_are_varied_norwegian_and_carry_their_themes() -> None:
    rng = random.Random(4)
    answers = [text.covid_answer(rng) for _ in range(300)]
    assert len({a.text for a in answers}) > 250
    assert all(a.themes and a.text for a in answers)
    counts = Counter(t for a in answers for t in a.themes)
    assert counts["tjenester.telefon_ute"] > counts["samarbeid.stengte_sengeposter"]
    codes = {theme.code for theme in text.THEMES}
    assert set(counts) <= codes
    assert sum(len(theme.sentences) for theme in text.THEMES) >= 40


def test_contacts_are_obviously_fake() -> None:
    person = contact(random.Random(1), grids.DemoUnit("4601", "Bergen", 1, 1, 1))
    assert person["email"].endswith("@example.invalid") and person["phone"].startswith("000")


def test_answers_follow_skip_logic_and_overrides() -> None:
    from kartlegg.surveys.loader import check_document, read_yaml

    text = (Path(__file__).resolve().parent.parent / "questionnaires" / "annual-2024.yaml").read_text(encoding="utf-8")
    data, problems = read_yaml(text)
    defn = check_document(data, problems)
    assert defn is not None
    unit = grids.DemoUnit("4601", "Bergen", 290_000, 60_000, 230_000)
    values, text_answer = answers_for(1, defn, unit, 2024, {}, {}, True, {"E_fact": False})
    assert values["E_fact"] is False and "E_fact_type" not in values  # hidden question left blank
    assert text_answer is None  # no COVID question in 2024
    for code, value in values.items():
        assert engine.parse_answer(defn, code, engine.dump_value(value)) == value or isinstance(value, list)


def test_setup_demo_creates_one_login_per_role_and_prints_them(capsys: pytest.CaptureFixture[str]) -> None:
    from django.test import Client
    from django.urls import reverse

    from kartlegg.accounts.models import User
    from kartlegg.demo.users import DEMO_PASSWORD

    call_command("setup_demo", "--years", "2024")
    out = capsys.readouterr().out
    assert "Syntetiske demodata" in out
    for username in ("analytiker", "respondent", "bydel", "fylke"):
        assert username in out
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="fylke").is_reviewer
    assert User.objects.get(username="respondent").unit_codes() == {"4601"}
    # The statistics pages have their aggregates from the start.
    from kartlegg.analytics.services import store

    assert store.blocks(year=2024, level="nation", variable="arsverk_totalt").exists()
    assert (
        Client().post(reverse("accounts:login"), {"username": "analytiker", "password": DEMO_PASSWORD}).status_code
        == 302
    )
