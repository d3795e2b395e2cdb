"""Statistics on the demo data (make_demo_data, 2017–2024) over the real reference data: the national totals add
up, match the published totals, give the published 2.8 per 1 000 in 2017, harmonise 2019 onto the 2024 structure,
read back from JSON-stat, and recompute incrementally exactly as from scratch."""

from __future__ import annotations

import csv
import importlib
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client

from kartlegg.analytics import headline, services
from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.levels import NATION, UNIT
from kartlegg.analytics.models import AS_REPORTED, Publication
from kartlegg.analytics.services.extract import load_geography
from kartlegg.geography.models import Municipality
from kartlegg.lib.numbers import format_number
from kartlegg.responses.models import Answer, Response
from tests.factories import make_respondent
from tests.test_analytics_aggregates import snapshot, stored


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rendered API answers are cached by data stamp; a rolled-back test must not leave one for the next."""
    cache.clear()


pytestmark = [pytest.mark.django_db, pytest.mark.reference]
HEADLINE = (headline.ADULTS, headline.CHILDREN, headline.TOTAL)
YEARS = list(range(2017, 2025))


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The demo rounds and their aggregates, made once for the module and removed afterwards (they are committed,
    so every test below reads the same data; a test's own changes are rolled back with the test). Everything
    runs in one transaction rolled back at the end, so nothing the demo made (publications, pulse series, topic
    pages) is left for the next file."""
    with django_db_blocker.unblock(), transaction.atomic():
        errors = tmp_path_factory.mktemp("demo") / "errors.json"
        call_command("make_demo_data", "--years", "2017-2024", "--no-progress", "--errors-file", str(errors))
        _analyze()
        services.compute()
        _analyze()
        yield
        transaction.set_rollback(True)


def _analyze() -> None:
    """PostgreSQL plans from table statistics, and autovacuum never sees rows of a transaction that is still open:
    without this, the planner takes the demo's tables for empty and the module runs many times slower."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def published() -> dict[int, dict[str, Decimal]]:
    path = settings.KARTLEGG_REFERENCE_DIR / "published" / "is24_8_national_arsverk.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        int(r["year"]): {
            headline.ADULTS: Decimal(r["arsverk_voksne"]),
            headline.CHILDREN: Decimal(r["arsverk_barn_og_unge"]),
        }
        for r in rows
        if r["arsverk_voksne"] and r["scope"] == "psykisk helse- og rusarbeid" and int(r["year"]) in YEARS
    }


def test_national_totals_equal_the_sum_over_units_every_year(demo: None) -> None:
    for structure in (2024, AS_REPORTED):
        for variable in HEADLINE:
            for year in YEARS:
                units = [r.value for r in stored(variable, UNIT, structure, year).values() if r.value is not None]
                nation = stored(variable, NATION, structure, year)["0"]
                assert units, (variable, year)
                assert nation.value == pytest.approx(math.fsum(units), abs=1e-6)
                assert nation.n == len(units)


def test_totals_after_imputation_match_the_published_totals(demo: None) -> None:
    figures = published()
    assert set(figures) >= {2017, 2018, 2019, 2020, 2022, 2023}
    for year, totals in figures.items():
        for variable, target in totals.items():
            value = stored(variable, NATION, AS_REPORTED, year)["0"].value
            assert abs(value - float(target)) <= 0.005 * float(target), (year, variable, value, target)
    # 2020: 66 units did not report and their 2019 figures were used (as the published report says).
    assert stored(headline.ADULTS, NATION, AS_REPORTED, 2020)["0"].n_imputed == 66


def test_totals_on_the_2024_structure_match_the_published_totals_with_no_unit_dropped(demo: None) -> None:
    figures = published()
    for year, totals in figures.items():
        totals = {**totals, headline.TOTAL: totals[headline.ADULTS] + totals[headline.CHILDREN]}
        for variable, target in totals.items():
            row = stored(variable, NATION, 2024, year)["0"]
            assert abs(row.value - float(target)) <= 0.005 * float(target), (year, variable, row.value, target)
            assert row.n == row.n_units, (year, variable)  # every 2024 unit has a figure, imputed or reported
            assert 0 < row.value_imputed < row.value  # the imputed share is carried, not just a flag
    # Stavanger: Finnøy (1141) did not report in 2017; it is carried back from 2018, flagged, not dropped.
    stavanger = stored(headline.TOTAL, UNIT, 2024, 2017)["1103"]
    assert stavanger.value is not None and stavanger.status == "i"
    assert 0 < stavanger.value_imputed < stavanger.value
    rogaland = [stored(headline.TOTAL, "county", 2024, y)["11"].value for y in (2017, 2018)]
    assert abs(rogaland[1] / rogaland[0] - 1) < 0.15  # no jump from a dropped unit


def test_non_response_notes_count_each_years_own_units_on_every_structure(demo: None) -> None:
    from kartlegg.analytics.services.read import Request, imputed_counts

    silent = {}
    for year, round_obj in services.annual_rounds().items():
        expected = set(Response.objects.filter(round=round_obj).values_list("unit__code", flat=True))
        answered = set(
            Response.objects.filter(round=round_obj, submitted_at__isnull=False).values_list("unit__code", flat=True)
        )
        silent[year] = len(expected - answered)
    assert silent[2018] == 42 and silent[2019] == 47
    variable = services.catalogue().variables[headline.TOTAL]
    for structure in (2024, AS_REPORTED):
        request = Request(variable, "sum", NATION, tuple(YEARS), structure, "carry_forward")
        counts = imputed_counts(request)
        assert {y: c[0] for y, c in counts.items()} == {y: n for y, n in silent.items() if n}
        assert all(missing == 0 for _, _, missing in counts.values())


def test_per_capita_2017_is_the_published_2_8_per_1000(demo: None) -> None:
    people = Municipality.objects.filter(year=2017).aggregate(total=Sum("population_total"))["total"]
    total_2017 = published()[2017]
    from_published = float(total_2017[headline.ADULTS] + total_2017[headline.CHILDREN]) / people * 1000
    assert round_half_up(from_published, 1) == 2.8
    rate = stored(headline.TOTAL, NATION, AS_REPORTED, 2017)["0"].rate
    assert round_half_up(rate, 1) == 2.8


def test_2019_in_the_2024_structure(demo: None) -> None:
    reported = {c: r.value for c, r in stored(headline.TOTAL, UNIT, AS_REPORTED, 2019).items()}
    harmonised = stored(headline.TOTAL, UNIT, 2024, 2019)
    # 1507 Ålesund (made in 2020 from five 2019 municipalities) was split in 2024: estimated by population.
    assert harmonised["1508"].status in ("e", "i") and harmonised["1580"].status in ("e", "i")
    parts = ["1504", "1523", "1529", "1534", "1546"]
    if all(reported[p] is not None for p in parts):
        assert harmonised["1508"].value + harmonised["1580"].value == pytest.approx(
            math.fsum(reported[p] for p in parts)
        )
    # Every pure merge (several whole 2019 units into one 2024 unit) is their sum.
    mapping = load_geography([2019, 2024]).mapping(2019, 2024)
    merged: dict[str, list[str]] = {}
    shared: set[str] = set()
    for old, result in mapping.items():
        for new, _weight in result.parts:
            merged.setdefault(new, []).append(old)
            if result.estimated:
                shared.add(new)  # also gets a share of a split: not a pure merge
    checked = 0
    for new, olds in merged.items():
        if new not in shared and len(olds) > 1 and all(reported[o] is not None for o in olds):
            assert harmonised[new].value == pytest.approx(math.fsum(reported[o] for o in olds))
            checked += 1
    assert checked > 20
    # The 2024 counties (31, 32, 33 from 30 Viken) get figures back to 2017.
    assert {"31", "32", "33"} <= set(stored(headline.TOTAL, "county", 2024, 2017))
    assert "30" in stored(headline.TOTAL, "county", AS_REPORTED, 2020)


def test_jsonstat_reads_back_with_pyjstat(demo: None, client: Client) -> None:
    pyjstat = importlib.import_module("pyjstat.pyjstat")
    data = client.get("/api/v1/statistics/arsverk_totalt?level=county&years=2017-2024").json()
    frame = pyjstat.Dataset.read(json.dumps(data)).write("dataframe", naming="id")
    assert len(frame) == len(data["value"])
    for year in YEARS:
        for region, row in stored(headline.TOTAL, "county", 2024, year).items():
            value = frame[(frame["Region"] == region) & (frame["Tid"] == str(year))]["value"].iloc[0]
            assert value == pytest.approx(round_half_up(row.value, 1))


def test_incremental_recompute_after_one_unit_changes_equals_full(demo: None) -> None:
    response = Response.objects.filter(round__year=2022, submitted_at__isnull=False).order_by("unit__code").first()
    assert response is not None
    answer = Answer.objects.filter(response=response, variable__contains="arsverk", value_num__isnull=False).first()
    assert answer is not None
    Answer.objects.filter(pk=answer.pk).update(value_num=answer.value_num + Decimal("3.25"))
    result = services.recompute_for_response(response)
    assert 2022 in result.years and result.rows > 0
    incremental = snapshot()
    services.compute()
    assert snapshot() == incremental


def test_explorer_and_profile_render_norwegian_numbers_and_the_demo_mark(demo: None, client: Client) -> None:
    total = stored(headline.TOTAL, NATION, AS_REPORTED, 2023)["0"].value
    html = client.get("/statistikk/?variable=arsverk_totalt&level=nation&structure=own").content.decode()
    assert format_number(round_half_up(total, 1), 1) in html  # 17 436,0 with a non-breaking space
    assert "Syntetiske demodata" in html
    for level in ("county", "hf", "dps", "municipality"):
        page = client.get(f"/statistikk/?variable=arsverk_totalt&level={level}&years=2024&measure=per_capita")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-vega-spec="vega-map-' in html, level  # the Vega-Lite choropleth, its SVG drawn on the server
        assert "Ikke tegnet" not in html, level  # every region has its boundary (the three cities' DPS areas too)
    profile = client.get("/statistikk/enhet/030101/")
    assert profile.status_code == 200
    assert "Syntetiske demodata" in profile.content.decode()


def test_respondent_cannot_see_another_units_profile_before_publication(
    demo: None, client: Client, settings: Any
) -> None:
    settings.KARTLEGG_STATISTICS_PREVIEW = False
    client.force_login(make_respondent("4601"))
    assert client.get("/statistikk/enhet/4601/").status_code == 200
    assert client.get("/statistikk/enhet/0301" + "01/").status_code == 403


def test_the_demo_locks_and_publishes_every_year_but_the_newest(demo: None, client: Client, settings: Any) -> None:
    from kartlegg.analytics.models import AggregateSet
    from kartlegg.quality.models import DataVersion
    from tests.factories import make_analyst

    settings.KARTLEGG_STATISTICS_PREVIEW = False
    with pytest.raises(CommandError, match="analytiker"):
        call_command("publish_demo_statistics")
    make_analyst()
    call_command("publish_demo_statistics")
    rounds = services.annual_rounds()
    locked = sorted(rounds[y].year for y in rounds if DataVersion.objects.filter(round=rounds[y]).exists())
    assert locked == YEARS[:-1]
    assert sorted(Publication.objects.filter(data_version=1).values_list("year", flat=True)) == YEARS[:-1]
    assert set(AggregateSet.objects.filter(data_version="v1").values_list("year", flat=True)) == set(YEARS[:-1])
    data = client.get("/api/v1/statistics/arsverk_totalt").json()
    assert list(data["dimension"]["Tid"]["category"]["index"]) == [str(y) for y in YEARS[:-1]]  # 2024 is open
    assert any("dataversjon 1" in note for note in data["note"])
    call_command("publish_demo_statistics")  # idempotent
    assert DataVersion.objects.filter(round__in=list(rounds.values())).count() == len(YEARS) - 1


def test_no_change_is_published_across_a_declared_break(demo: None, client: Client) -> None:
    def change(code: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/statistics/{code}?measure=change_percent&years=2023-2024")
        assert response.status_code == 200, response.content
        return response.json()

    broken = change("B_arsverk.oppfolging.psykolog")
    assert broken["value"][-1] is None  # 2024 against 2023: not comparable
    assert any("Brudd i tidsserien i 2024" in note for note in broken["note"])
    for code in ("C_arsverk.*.ufaglart", "B_arsverk.*.ufaglart"):
        assert change(code)["value"][-1] is None, code
    kept = change("B_arsverk.ledelse.psykolog")
    assert kept["value"][-1] is not None
    assert not any("Brudd" in note for note in kept["note"])
