"""Precomputed aggregates: the database half of the statistics (extraction, compute_aggregates, incremental
recomputation, cold slices), on a small hand-made survey over the real unit structure of Møre og Romsdal, where
the 2020 merge into 1507 Ålesund and its 2024 split into 1508/1580 happen."""

from __future__ import annotations

import datetime as dt
import importlib
import math
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kartlegg.analytics import compute, grouping, headline, services
from kartlegg.analytics.levels import COUNTY, NATION, UNIT
from kartlegg.analytics.models import AS_REPORTED, AggregateSet
from kartlegg.analytics.series import harmonise_year
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import load_geography
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses.models import Answer, Response, ResponseStatus, Round
from kartlegg.surveys.services import import_questionnaire_text

pytestmark = pytest.mark.django_db

YAML_2019 = """
survey: {code: stattest, name: Testkartlegging, kind: annual}
year: 2019
label: v1
title: Testskjema 2019
sections:
  - code: B
    title: Årsverk
    questions:
      - code: B_a
        type: grid
        label: Årsverk voksne
        unit: årsverk
        min: 0
        decimals: 2
        tags: [arsverk_voksne]
        rows: [{code: r1, label: Rad en}, {code: r2, label: Rad to}]
        columns: [{code: c1, label: Kolonne en}, {code: c2, label: Kolonne to}]
      - code: C_b
        type: grid
        label: Årsverk barn
        unit: årsverk
        min: 0
        decimals: 2
        tags: [arsverk_barn_og_unge]
        rows: [{code: r1, label: Rad en}]
        columns: [{code: c1, label: Kolonne en}]
      - code: E_x
        type: yesno
        label: Har dere tilbudet?
      - code: E_n
        type: integer
        label: Antall brukere
"""
YAML_2024 = (
    YAML_2019.replace("year: 2019", "year: 2024")
    .replace("Testskjema 2019", "Testskjema 2024")
    .replace("code: B_a\n        type: grid", "code: B_b\n        type: grid\n        continues: B_a")
    .replace(
        "rows: [{code: r1, label: Rad en}, {code: r2, label: Rad to}]",
        "rows: [{code: r1, label: Rad en}, {code: r2, label: Rad to}, {code: r3, label: Ny rad}]",
    )
)
YEARS = (2019, 2020, 2024)
COUNTY_2019 = "15"


def make_round(version: Any, year: int) -> Round:
    opens = dt.datetime(year, 2, 1, 9, tzinfo=dt.UTC)
    return Round.objects.create(
        version=version, name=f"Test {year}", year=year, opens_at=opens, deadline=dt.date(year, 3, 15)
    )


def answer(response: Response, values: dict[str, Any]) -> None:
    rows = []
    for code, value in values.items():
        number = Decimal(int(value)) if isinstance(value, bool) else Decimal(str(value))
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        rows.append(Answer(response=response, variable=code, value_text=text, value_num=number))
    Answer.objects.bulk_create(rows)


def respond(round_obj: Round, code: str, values: dict[str, Any]) -> Response:
    unit = ReportingUnit.objects.get(year=round_obj.year, code=code)
    response, _ = Response.objects.get_or_create(round=round_obj, unit=unit)
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = timezone.now()
    response.save()
    answer(response, values)
    return response


class SmallSurvey:
    """Units of Møre og Romsdal answer with seeded random figures; some skip a year (imputed), one leaves a whole
    grid blank, one leaves a cell blank."""

    def __init__(self, seed: int = 3) -> None:
        rng = random.Random(seed)
        v2019 = import_questionnaire_text(YAML_2019)
        v2024 = import_questionnaire_text(YAML_2024)
        self.rounds = {2019: make_round(v2019, 2019), 2020: make_round(v2019, 2020), 2024: make_round(v2024, 2024)}
        self.values: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.skipped = {2020: {"1507", "1516"}, 2024: {"1505"}}
        for year, round_obj in self.rounds.items():
            grid = "B_a" if year < 2024 else "B_b"
            rows = ["r1", "r2"] + (["r3"] if year == 2024 else [])
            codes = ReportingUnit.objects.filter(year=year, county_code__in=["15"]).values_list("code", flat=True)
            for code in sorted(codes):
                if code in self.skipped.get(year, set()):
                    continue
                values: dict[str, Any] = {}
                for row in rows:
                    for col in ("c1", "c2"):
                        values[f"{grid}.{row}.{col}"] = round(rng.uniform(0, 9), 2)
                values["C_b.r1.c1"] = round(rng.uniform(0, 4), 2)
                values["E_x"] = rng.random() < 0.6
                values["E_n"] = rng.randint(0, 300)
                if code == "1516" and year == 2019:
                    del values[f"{grid}.r2.c2"]  # a blank cell in an answered grid counts as 0
                if code == "1511":
                    del values["C_b.r1.c1"]  # never answers the children's grid: missing, nothing to impute
                self.values[year][code] = values
                respond(round_obj, code, values)

    def adults(self, year: int, code: str) -> float:
        grid = "B_a" if year < 2024 else "B_b"
        return math.fsum(v for k, v in self.values[year][code].items() if k.startswith(grid + "."))


@pytest.fixture
def survey() -> SmallSurvey:
    return SmallSurvey()


def stored(
    variable: str, level: str, structure: int, year: int, rule: str = "carry_forward", version: str = "live"
) -> dict[str, store.Cell]:
    rows = store.cells(variable=variable, level=level, structure=structure, year=year, rule=rule, data_version=version)
    return {row.region: row for row in rows}


def snapshot() -> set[tuple[Any, ...]]:
    fields = (
        "variable", "rule", "structure", "level", "region", "year", "data_version", "status", "n", "n_units",
        "n_imputed",
    )  # fmt: skip
    return {
        (*row[:11], *(None if v is None else round(v, 9) for v in row[11:]))
        for row in (
            tuple(getattr(c, f) for f in (*fields, "value", "rate", "median", "value_imputed")) for c in store.cells()
        )
    }


def test_catalogue_follows_variables_through_versions(survey: SmallSurvey) -> None:
    cat = services.catalogue()
    cell = cat.variables["B_b.r1.c1"]
    assert cell.codes == {2019: "B_a.r1.c1", 2020: "B_a.r1.c1", 2024: "B_b.r1.c1"}
    assert cat.variables["B_b.r3.c1"].codes == {2024: "B_b.r3.c1"}  # a new row starts its own series
    assert cat.variables["B_b.*.c1"].breaks == (2024,)  # the column total gained a row: a break
    assert cat.variables["B_b.r1.*"].breaks == ()
    assert cat.resolve("arsverk_voksne_per_10000") == (cat.variables[headline.ADULTS], "per_capita")
    assert cat.resolve("nope") is None
    assert [v.code for v in cat.search("brukere")] == ["E_n"]


def test_national_total_is_the_sum_of_units_and_imputes_non_respondents(survey: SmallSurvey) -> None:
    services.compute()
    for structure in (2024, AS_REPORTED):
        for year in YEARS:
            units = stored(headline.ADULTS, UNIT, structure, year)
            nation = stored(headline.ADULTS, NATION, structure, year)["0"]
            present = [r.value for r in units.values() if r.value is not None]
            assert nation.value == pytest.approx(math.fsum(present))
            assert nation.n == len(present)
    reported = stored(headline.ADULTS, UNIT, AS_REPORTED, 2020)
    # 1516 Ulstein skipped 2020: its 2019 figure is carried forward and flagged.
    assert reported["1516"].status == "i"
    assert reported["1516"].value == pytest.approx(survey.adults(2019, "1516"))
    # 1507 Ålesund (merged in 2020 from five 2019 units) skipped 2020: the sum of its parts' 2019 figures.
    parts = ["1504", "1523", "1529", "1534", "1546"]
    assert reported["1507"].value == pytest.approx(math.fsum(survey.adults(2019, p) for p in parts))
    assert reported["1507"].status == "i"
    # Units outside the county never answered: missing, never 0.
    assert stored(headline.ADULTS, UNIT, AS_REPORTED, 2019)["0301" + "01"].value is None
    assert stored(headline.ADULTS, UNIT, AS_REPORTED, 2019)["030101"].status == ".."


def test_without_imputation_gaps_stay_missing(survey: SmallSurvey) -> None:
    services.compute(rule="none")
    row = stored(headline.ADULTS, UNIT, AS_REPORTED, 2020, rule="none")["1516"]
    assert row.value is None and row.status == ".."
    assert not store.blocks(rule="carry_forward").exists()


def test_county_rows_match_the_core_headline_series(survey: SmallSurvey) -> None:
    """The per-level grouping is a faster route to the figures headline_series gives for that level."""
    services.compute()
    rounds = services.annual_rounds()
    cat = services.catalogue(rounds)
    geo = load_geography(sorted(rounds))
    data = services.read_data(rounds, cat, list(cat.variables.values()), sorted(rounds))
    ctx = compute.Context(cat, geo, data, "carry_forward")
    cells = compute.headline_inputs(ctx, list(YEARS))
    tags = {y: {headline.TAG_ADULTS: ["A"], headline.TAG_CHILDREN: ["C"]} for y in YEARS}
    result = headline.headline_series(
        cells,
        tags,
        {y: geo.units[y] for y in YEARS},
        COUNTY,
        structure_year=2024,
        mappings_by_year={y: geo.mapping(y, 2024) for y in YEARS if y != 2024},
        forward_mappings=geo.forward_mappings(list(YEARS)),
    )
    for year in YEARS:
        rows = stored(headline.TOTAL, COUNTY, 2024, year)
        for region, row in rows.items():
            expected = result.value(region, headline.TOTAL, year)
            assert row.value == pytest.approx(expected.value) if expected.value is not None else row.value is None
            rate = result.value(region, headline.TOTAL_RATE, year).value
            assert (row.rate is None) == (rate is None)
            if rate is not None:
                assert row.rate == pytest.approx(rate)


def test_split_is_estimated_by_population_in_the_structure_year(survey: SmallSurvey) -> None:
    services.compute()
    whole = stored(headline.ADULTS, UNIT, AS_REPORTED, 2020)["1507"].value
    parts = stored(headline.ADULTS, UNIT, 2024, 2020)
    assert parts["1508"].status == parts["1580"].status == "i"  # imputed wins over estimated
    assert parts["1508"].value + parts["1580"].value == pytest.approx(whole)
    population = dict(
        ReportingUnit.objects.filter(year=2024, code__in=["1508", "1580"]).values_list("code", "population_total")
    )
    share = population["1508"] / (population["1508"] + population["1580"])
    assert parts["1508"].value == pytest.approx(whole * share)
    assert stored(headline.ADULTS, COUNTY, 2024, 2019)["15"].status in ("e", "i")


def test_grid_cells_blank_is_zero_and_missing_grid_is_imputed(survey: SmallSurvey) -> None:
    services.compute(all_levels=True)
    cell = stored("B_b.r2.c2", UNIT, AS_REPORTED, 2019)
    assert cell["1516"].value == 0.0 and cell["1516"].status == ""  # the grid was answered: blank is 0
    carried = stored("B_b.r2.c2", UNIT, AS_REPORTED, 2020)["1516"]
    assert carried.value == 0.0 and carried.status == "i"
    assert stored("B_b.r1.*", UNIT, AS_REPORTED, 2019)["1504"].value == pytest.approx(
        survey.values[2019]["1504"]["B_a.r1.c1"] + survey.values[2019]["1504"]["B_a.r1.c2"]
    )
    children = stored(headline.CHILDREN, UNIT, AS_REPORTED, 2019)["1511"]
    assert children.value is None and children.status == ".."  # never reported, nothing to carry
    total = stored(headline.TOTAL, UNIT, AS_REPORTED, 2019)["1511"]
    assert total.value is None  # a total needs both parts


def test_yes_no_counts_yes_and_n(survey: SmallSurvey) -> None:
    services.compute()
    services.compute(all_levels=True)
    answers = {code: v["E_x"] for code, v in survey.values[2019].items()}
    row = stored("E_x", COUNTY, AS_REPORTED, 2019)["15"]
    assert row.value == sum(answers.values()) and row.n == len(answers)
    assert row.rate is None  # no per-capita figure for yes/no
    # In the 2024 structure a yes/no answer is not summed across a merge; the unit keeps its answer and moves to
    # its successor's county (1571 Halsa became part of 5055 Heim in Trøndelag in 2020).
    moved = stored("E_x", COUNTY, 2024, 2019)["15"]
    assert moved.n == len(answers) - 1
    assert moved.value == sum(v for code, v in answers.items() if code != "1571")


def test_compute_is_idempotent(survey: SmallSurvey) -> None:
    first = services.compute()
    before = snapshot()
    second = services.compute()
    assert first.rows == second.rows == store.count()
    assert snapshot() == before


def test_incremental_recompute_equals_full(survey: SmallSurvey) -> None:
    services.compute()
    response = Response.objects.get(round=survey.rounds[2019], unit__code="1516")
    Answer.objects.filter(response=response, variable="B_a.r1.c1").update(value_num=Decimal("42.5"), value_text="42.5")
    result = services.recompute_for_response(response)
    assert 2019 in result.years and 2020 in result.years  # 1516 skipped 2020: its imputed figure follows
    assert 2024 not in result.years
    incremental = snapshot()
    services.compute()
    assert snapshot() == incremental
    assert stored(headline.ADULTS, UNIT, AS_REPORTED, 2020)["1516"].value == pytest.approx(
        survey.adults(2019, "1516") - survey.values[2019]["1516"]["B_a.r1.c1"] + 42.5
    )


def test_recompute_for_response_without_stored_aggregates_does_nothing(survey: SmallSurvey) -> None:
    response = Response.objects.get(round=survey.rounds[2019], unit__code="1504")
    assert services.recompute_for_response(response).rows == 0
    assert not store.blocks().exists()


def test_cold_slice_is_computed_once_and_stored(survey: SmallSurvey) -> None:
    services.compute()
    variable = services.catalogue().variables["E_n"]
    assert not services.is_warm(variable, "carry_forward", 2024, UNIT, [2019])
    assert services.ensure(variable, "carry_forward", 2024, UNIT, [2019]) is True
    assert services.is_warm(variable, "carry_forward", 2024, UNIT, [2019])
    assert services.ensure(variable, "carry_forward", 2024, UNIT, [2019]) is False
    assert stored("E_n", UNIT, 2024, 2019)["1505"].value == survey.values[2019]["1505"]["E_n"]


def test_round_recompute_rewrites_its_year_and_later(survey: SmallSurvey) -> None:
    services.compute()
    before = snapshot()
    Answer.objects.filter(response__round=survey.rounds[2024], variable="E_n").update(value_num=Decimal(1))
    result = services.recompute_for_round(survey.rounds[2024])
    assert result.years == [2019, 2024]  # the first year too: a figure may be carried back to it
    assert snapshot() != before
    assert stored("E_n", NATION, 2024, 2024)["0"].value == len(survey.values[2024])


def test_data_version_is_used_and_named(survey: SmallSurvey) -> None:
    quality = importlib.import_module("kartlegg.quality.services.versions")
    from tests.factories import make_analyst

    round_obj = survey.rounds[2019]
    quality.lock_round(round_obj, make_analyst())
    Answer.objects.filter(response__round=round_obj, variable="E_n").update(value_num=Decimal(0))  # not in the lock
    services.compute(all_levels=True)
    row = stored("E_n", NATION, AS_REPORTED, 2019)["0"]
    assert row.data_version == "live"  # the live figures, which rest on data version 1
    assert AggregateSet.objects.get(year=2019, data_version="live").source == "v1"
    assert row.value == sum(v["E_n"] for v in survey.values[2019].values())
    assert AggregateSet.objects.get(year=2020, data_version="live").source == "live"


def test_harmonise_plan_matches_the_core() -> None:
    from kartlegg.geography.logic import Harmonised

    mapping = {
        "1001": Harmonised("1001", 2019, 2024, [("2001", 1.0)]),
        "1002": Harmonised("1002", 2019, 2024, [("2002", 1.0)]),
        "1003": Harmonised("1003", 2019, 2024, [("2002", 1.0)]),
        "1004": Harmonised("1004", 2019, 2024, [("2003", 0.25), ("2004", 0.75)], estimated=True),
    }
    for values in ({"1001": 1.5, "1002": 2.0, "1003": 3.0, "1004": 8.0}, {"1001": 1.0, "1003": 3.0, "1004": None}):
        core = harmonise_year(values, mapping)
        mine, flagged = grouping.HarmonisePlan.of(mapping).apply(values, {"1003"})
        assert mine == core.values
        assert set(flagged) == core.flagged({"1003"})


def test_command_runs_and_rejects_bad_input(survey: SmallSurvey, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("compute_aggregates", "--no-progress")
    assert "aggregater" in capsys.readouterr().out
    count = store.count()
    call_command("compute_aggregates", "--round", str(survey.rounds[2020].pk))
    assert store.count() == count
    call_command("compute_aggregates", "--no-progress", "--imputation", "none", "--structure", "2020")
    assert store.blocks(rule="none", structure=2020).exists()
    with pytest.raises(CommandError, match="2010"):
        call_command("compute_aggregates", "--no-progress", "--structure", "2010")
    with pytest.raises(CommandError, match="999999"):
        call_command("compute_aggregates", "--round", "999999")
    with pytest.raises(CommandError):
        call_command("compute_aggregates", "--imputation", "average")


def test_setting_picks_the_rule(survey: SmallSurvey, settings: Any) -> None:
    settings.KARTLEGG_IMPUTATION = "none"
    assert services.default_rule() == "none"
    settings.KARTLEGG_IMPUTATION = "mean"
    with pytest.raises(services.StatisticsError, match="mean"):
        services.default_rule()


def test_saving_a_submitted_response_queues_a_recompute_that_updates_the_aggregates(
    survey: SmallSurvey, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    from kartlegg.analytics import tasks
    from kartlegg.jobs.models import Job, JobStatus

    services.compute()
    response = Response.objects.get(round=survey.rounds[2019], unit__code="1505")
    Answer.objects.filter(response=response, variable="E_n").update(value_num=Decimal(100_000))
    with django_capture_on_commit_callbacks(execute=True):  # the hooks are connected by AnalyticsConfig.ready()
        response.version += 1
        response.save(update_fields=["version"])
    job = Job.objects.get(key=f"{tasks.RECOMPUTE_KEY}{survey.rounds[2019].pk}")
    assert (job.status, job.arguments["units"]) == (JobStatus.DONE, ["1505"])
    assert stored("E_n", NATION, 2024, 2019)["0"].value >= 100_000
    settings.KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE = False
    Answer.objects.filter(response=response, variable="E_n").update(value_num=Decimal(0))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response.save(update_fields=["version"])
    assert callbacks == [] and Job.objects.count() == 1  # switched off: nothing queued


def test_many_changes_to_a_round_coalesce_into_one_pending_recompute(survey: SmallSurvey) -> None:
    from kartlegg.analytics import tasks
    from kartlegg.jobs.models import Job

    services.compute()
    round_2019 = survey.rounds[2019]
    responses = list(Response.objects.filter(round=round_2019, submitted_at__isnull=False).select_related("unit"))
    assert len(responses) >= 3
    for response in responses * 100:  # no commit in this test: the first job stays queued and collects the units
        response.save(update_fields=["version"])
    job = Job.objects.get()
    assert job.arguments["units"] == sorted({r.unit.code for r in responses})
    tasks.schedule_recompute(round_2019, None)  # a lock or a correction: the whole round
    assert Job.objects.get().arguments["units"] is None
    assert tasks.recompute_pending()


def test_a_recompute_of_units_or_of_a_whole_round_brings_the_figures_up_to_date(survey: SmallSurvey) -> None:
    from kartlegg.analytics import tasks
    from kartlegg.jobs import services as jobs

    services.compute()
    before = stored("E_n", NATION, 2024, 2019)["0"].value
    response = Response.objects.get(round=survey.rounds[2019], unit__code="1505")
    for units, added in ((["1505"], 50_000), (None, 80_000)):
        Answer.objects.filter(response=response, variable="E_n").update(value_num=Decimal(added))
        job = tasks.schedule_recompute(survey.rounds[2019], units)
        jobs.execute(job.pk, tasks.recompute_round.func.__wrapped__)  # type: ignore[attr-defined]
        job.refresh_from_db()
        assert job.status == "done", job.error
        assert before + added - 1_000 <= stored("E_n", NATION, 2024, 2019)["0"].value <= before + added


def test_block_payloads_are_compressed_with_lz4_on_postgresql_and_sqlite_is_left_alone() -> None:
    """Migration 0004: pglz cost more than the rest of the insert; lz4 is the column's compression on PostgreSQL."""
    from types import SimpleNamespace

    from django.db import connection

    migration = importlib.import_module("kartlegg.analytics.migrations.0004_block_payload_lz4")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attcompression FROM pg_attribute WHERE attrelid = 'analytics_aggregateblock'::regclass "
                "AND attname = 'payload'"
            )
            assert cursor.fetchone() == ("l",)
    else:
        executed: list[str] = []
        migration.forward(None, SimpleNamespace(connection=connection, execute=executed.append))
        assert executed == []
