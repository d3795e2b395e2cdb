"""Reading one year's aggregates and metadata into ReportInputs, through analytics' services (the database side of
the report). The computation never touches the ORM; this module is all it reads.

The data version: the aggregates name the data version they were computed from (Aggregate.data_version). A report
asked for a specific version checks that the stored aggregates of the year are that version; reading an older locked
version's aggregates is the statistics issue's pinned read (wired here when it lands).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings

from kartlegg.analytics import levels as lv
from kartlegg.analytics import services
from kartlegg.analytics.catalogue import Variable
from kartlegg.analytics.services.extract import data_version_of
from kartlegg.analytics.services.read import Request, build_table, geography, imputed_counts
from kartlegg.geography.models import CodeChange
from kartlegg.reports.chapters_themes import theme_requests
from kartlegg.reports.chapters_units import unit_requests
from kartlegg.reports.inputs import (
    COUNTY,
    DPS,
    HEADLINE,
    HF,
    KOSTRA_GROUP,
    NATION,
    PER_CAPITA,
    RHF,
    SIZE_GROUP,
    SUM,
    UNIT,
    Fig,
    FollowUpFigures,
    Reform,
    ReportInputs,
    Series,
    UnitInfo,
    VariableInfo,
    key,
)
from kartlegg.responses.models import Response, ResponseStatus, Round

Progress = Callable[[int, int, str], None]  # done, total, what
GROUP_LEVELS = (COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP)
# Hook for the free-text issue: a callable (year) → [{"text": …}] registered at start-up; no chapter without it.
FREE_TEXT_PROVIDERS: list[Callable[[int], list[dict[str, object]]]] = []


class ReportError(ValueError):
    """A report that cannot be built as asked; the message names the parameter (bokmål)."""


def headline_requests(year: int, years: Iterable[int], kostra: bool) -> list[tuple[str, str, str, tuple[int, ...]]]:
    chosen = tuple(y for y in years if y <= year)
    last_two = chosen[-2:]
    requests = []
    for code in HEADLINE:
        for measure in (SUM, PER_CAPITA):
            requests.append((code, measure, NATION, chosen))
            for level in GROUP_LEVELS:
                if level != KOSTRA_GROUP or kostra:
                    requests.append((code, measure, level, last_two))
            requests.append((code, measure, UNIT, (year,)))
    return requests


def read_inputs(
    year: int,
    data_version: str | None = None,
    structure: int | None = None,
    rule: str | None = None,
    progress: Progress | None = None,
) -> ReportInputs:
    rounds = services.annual_rounds()
    if year not in rounds:
        known = ", ".join(map(str, sorted(rounds))) or "ingen"
        raise ReportError(f"year: {year} har ingen årlig runde (år med runder: {known}).")
    current, _version = data_version_of(rounds[year])
    if data_version not in (None, "", current):
        raise ReportError(
            f"data-version: statistikken for {year} er beregnet fra {current}, ikke {data_version}; "
            "beregn aggregatene for den versjonen først."
        )
    cat = services.catalogue(rounds)
    structure = services.default_structure() if structure is None else structure
    rule = rule or services.default_rule()
    years = [y for y in sorted(rounds) if y <= year]
    variables = {
        code: VariableInfo(
            code=v.code, label=v.label, kind=v.kind, section=v.section, unit=v.unit, decimals=v.decimals,
            years=tuple(v.years), breaks=tuple(v.breaks), derived=v.derived,
        )
        for code, v in cat.variables.items()
    }  # fmt: skip
    geo = geography()
    structure_units = geo.units.get(structure, [])
    kostra = any(u.kostra_group for u in structure_units)
    requests = headline_requests(year, years, kostra)
    requests += theme_requests(variables, year, years)
    requests += unit_requests(variables, year)
    series: dict[str, Series] = {}
    for index, (code, measure, level, wanted) in enumerate(requests):
        if progress is not None:
            progress(index, len(requests), f"{code} {level}")
        series[key(code, measure, level)] = read_series(cat.variables[code], measure, level, wanted, structure, rule)
    # The appendix and the profiles cover the units with a figure in the year (the round's units).
    totals = series[key(HEADLINE[2], SUM, UNIT)]
    with_figures = {code for (code, y), fig in totals.cells.items() if y == year and fig.value is not None}
    structure_units = [u for u in structure_units if u.code in with_figures]
    definition = rounds[year].definition()
    county_names = geo.county_names.get(structure, {})
    units = [
        UnitInfo(
            u.code, u.name, u.kind, u.county_code, county_names.get(u.county_code, ""), u.size_group, u.population_total
        )  # fmt: skip
        for u in sorted(structure_units, key=lambda u: (u.county_code, u.code))
    ]
    inputs = ReportInputs(
        year=year,
        years=years,
        structure=structure,
        rule=rule,
        data_version=current,
        questionnaire_versions={y: str(r.version.label) for y, r in rounds.items() if y <= year},
        variables=variables,
        sections={s.code: s.title for s in definition.sections},
        series=series,
        units=units,
        responses={y: response_counts(rounds[y]) for y in years},
        follow_up={y: follow_up(rounds[y]) for y in years},
        reforms=reforms(years),
        size_groups=list(dict.fromkeys(u.size_group for u in geo.units.get(structure, []))),
        demo=bool(settings.KARTLEGG_DEMO_MODE),
    )
    for provider in FREE_TEXT_PROVIDERS:
        inputs.free_text.extend(provider(year))
    if progress is not None:
        progress(len(requests), len(requests), "")
    return inputs


def read_series(variable: Variable, measure: str, level: str, years: tuple[int, ...], structure: int,
                rule: str) -> Series:  # fmt: skip
    wanted = tuple(y for y in years if y in variable.codes)
    services.ensure(variable, rule, structure, level, wanted)
    table = build_table(Request(variable, measure, level, wanted, structure, rule))
    cells = {k: Fig(c.value, c.status, c.n) for k, c in table.cells.items()}
    imputed: dict[int, int] = {}
    if level == NATION and measure == SUM:
        # (units that did not report, of them imputed, still missing) per year: the report counts the imputed.
        imputed = {y: counts[1] for y, counts in imputed_counts(table.request).items() if counts[1]}
    return Series(
        variable=variable.code, label=variable.label, measure=measure, level=level, unit=table.unit,
        decimals=table.decimals, regions=list(table.regions), cells=cells, breaks=list(variable.breaks),
        imputed=imputed,
    )  # fmt: skip


def response_counts(round_obj: Round) -> tuple[int, int]:
    responses = Response.objects.filter(round=round_obj)
    return responses.count(), responses.filter(status=ResponseStatus.SUBMITTED).count()


def follow_up(round_obj: Round) -> FollowUpFigures:
    from kartlegg.quality.services import metrics_for_round

    found = metrics_for_round(round_obj)
    return FollowUpFigures(
        units=found.units, units_flagged=found.units_flagged, units_queried=found.units_queried,
        units_corrected=found.units_corrected, flags=found.flags, queries=found.queries,
    )  # fmt: skip


def reforms(years: list[int]) -> list[Reform]:
    if not years:
        return []
    rows = CodeChange.objects.filter(occurred__year__gt=years[0], occurred__year__lte=years[-1]).order_by("occurred")
    return [Reform(r.occurred.year, f"{r.old_code} {r.old_name}", f"{r.new_code} {r.new_name}") for r in rows]


__all__ = ["read_inputs", "ReportError", "lv"]
