"""Reading one year's aggregates and metadata into ReportInputs, through analytics' services (the database side of
the report). The computation never touches the ORM; this module is all it reads.

Pinned reads: a report is computed from one data version of its year (`resolve_version`): by default the newest
locked version (QA's DataVersion), else the live figures of a year that is not locked yet. Every figure is read
through analytics' pinned aggregates (`versions.ensure` and `read.build_table` with `keys`): the year at its version,
each earlier year at the version that version's figures were computed from (its stored basis), so a rebuild with
the same `--data-version` gives the same figures whatever has happened to the live data since.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kartlegg.analytics import levels as lv
from kartlegg.analytics import services
from kartlegg.analytics.catalogue import Variable
from kartlegg.analytics.mapcharts import MapGeometry
from kartlegg.analytics.models import LIVE, version_key
from kartlegg.analytics.services import maps as services_maps
from kartlegg.analytics.services import versions as services_versions
from kartlegg.analytics.services.read import Request, build_table, geography, imputed_counts
from kartlegg.geography.models import CodeChange
from kartlegg.reports import maps as report_maps
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
    FreeTextQuestion,
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
# The free-text chapter's source: callables (year, data version key) → [question dict] registered at start-up by an
# app above reports (freetext.apps registers freetext.report_provider.coded_free_text). A question dict is
# {"key", "question", "denominator", "answered", "coded", "method", "themes": [{"key", "label", "count", "share",
# "quotes"}]} (inputs.FreeTextQuestion.from_dict); no provider or no coded answer, no chapter.
FREE_TEXT_PROVIDERS: list[Callable[[int, str], list[dict[str, Any]]]] = []


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
    cat = services.catalogue(rounds)
    structure = services.default_structure() if structure is None else structure
    rule = rule or services.default_rule()
    years = [y for y in sorted(rounds) if y <= year]
    current, keys = resolve_version(year, years, rounds, data_version, rule)
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
        series[key(code, measure, level)] = read_series(
            cat.variables[code], measure, level, wanted, structure, rule, keys
        )
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
        data_versions=dict(sorted(keys.items())),
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
    inputs.maps = read_maps(inputs)
    inputs.free_text = read_free_text(year, current)
    if progress is not None:
        progress(len(requests), len(requests), "")
    return inputs


def read_free_text(year: int, data_version: str) -> list[FreeTextQuestion]:
    """Every registered provider's coded questions for the year, as plain data (read before the computation)."""
    return [FreeTextQuestion.from_dict(q) for provider in FREE_TEXT_PROVIDERS for q in provider(year, data_version)]


def read_maps(inputs: ReportInputs) -> dict[str, MapGeometry]:
    """The boundaries of the report's maps (reports.maps), through analytics' map services."""
    out = {}
    for level in report_maps.MAP_LEVELS:
        series = inputs.get(HEADLINE[0], PER_CAPITA, level)
        if series is None:
            continue
        keys = {label.strip() for _, label in series.regions} if level in (HF, DPS) else {c for c, _ in series.regions}
        found = services_maps.geometry(level, inputs.structure, keys, units_year=inputs.year)
        if found is not None:
            out[level] = found
    return out


def parse_version(text: str | int | None) -> int | str | None:
    """--data-version as given: None or "" (the newest locked version), "live", or a number ("2", "v2")."""
    if text is None or text == "":
        return None
    value = str(text).strip().lower()
    if value == LIVE:
        return LIVE
    digits = value[1:] if value.startswith("v") else value
    if not digits.isdigit() or int(digits) < 1 or len(digits) > 6:
        raise ReportError(f"data-version: {str(text)[:20]!r} er ikke et dataversjonsnummer (1, 2 … eller v1, v2 …) "
                          "eller «live».")  # fmt: skip
    return int(digits)


def locked_versions(rounds: dict[int, Round]) -> dict[int, list[int]]:
    """{year: its locked data version numbers, newest first} (QA's DataVersion) for the build form."""
    from kartlegg.quality.models import DataVersion

    by_round = {r.pk: y for y, r in rounds.items()}
    found: dict[int, list[int]] = {}
    rows = DataVersion.objects.filter(round_id__in=list(by_round)).order_by("-number")
    for round_id, number in rows.values_list("round_id", "number"):
        found.setdefault(by_round[round_id], []).append(number)
    return found


def form_version(year: int, raw: str, rounds: dict[int, Round]) -> str | None:
    """The build form's `data_version` for `year`: "" (the newest locked version, else the live figures), "live",
    or "<year>:<number>" as the form offers it (a bare "2" or "v2" is the chosen year's). Returns what
    build_report takes (None, "live" or "v<number>"); a version of another year, or one that is unknown or not
    locked, is a ReportError naming the field."""
    value = (raw or "").strip()[:30]
    if not value:
        return None
    if value.lower() == LIVE:
        return LIVE
    wanted_year, sep, number = value.rpartition(":")
    if sep and wanted_year != str(year):
        raise ReportError(
            _("data_version: versjonen «%(value)s» hører til et annet år enn %(year)s; velg en av årets versjoner.")
            % {"value": value, "year": year}
        )
    try:
        parsed = parse_version(number)
    except ReportError:
        raise ReportError(_("data_version: «%(value)s» er ikke en dataversjon.") % {"value": value}) from None
    locked = locked_versions({year: rounds[year]}).get(year, []) if year in rounds else []
    if parsed not in locked:
        known = ", ".join(str(n) for n in sorted(locked)) or _("ingen (året er ikke låst)")
        raise ReportError(
            _("data_version: %(year)s har ingen låst dataversjon %(number)s (låste versjoner: %(known)s).")
            % {"year": year, "number": number.lstrip("vV"), "known": known}
        )
    return version_key(int(parsed))


def resolve_version(
    year: int, years: list[int], rounds: dict[int, Round], data_version: str | int | None, rule: str
) -> tuple[str, dict[int, str]]:
    """(the year's version key, {year: the version to read} for every year up to `year`). A number pins the year's
    figures to that locked data version (computing and storing them the first time) and reads each earlier year at
    the version named in its basis; a year the basis leaves out (not locked) is read live."""
    wanted = parse_version(data_version)
    newest = services_versions.current_numbers({year: rounds[year]}).get(year)
    if wanted is None:
        wanted = newest if newest is not None else LIVE
    if wanted == LIVE:
        return LIVE, dict.fromkeys(years, LIVE)
    number = int(wanted)
    if newest is None or number > newest:
        known = ", ".join(str(n) for n in range(1, (newest or 0) + 1)) or "ingen (året er ikke låst)"
        raise ReportError(f"data-version: {year} har ingen dataversjon {number} (låste versjoner: {known}).")
    services_versions.pin(rounds[year], number, rule)
    basis = services_versions.stored_basis(year, rule, number) or {year: number}
    keys = {y: version_key(basis[y]) if y in basis else LIVE for y in years}
    keys[year] = version_key(number)
    return version_key(number), keys


def read_series(variable: Variable, measure: str, level: str, years: tuple[int, ...], structure: int,
                rule: str, keys: dict[int, str] | None = None) -> Series:  # fmt: skip
    """One table, each year at the version `keys` names (default: the live figures)."""
    wanted = tuple(y for y in years if y in variable.codes)
    chosen = {y: k for y, k in (keys or {}).items() if y in variable.codes} if keys is not None else None
    services.ensure(variable, rule, structure, level, wanted, chosen)
    table = build_table(Request(variable, measure, level, wanted, structure, rule), keys=chosen)
    cells = {k: Fig(c.value, c.status, c.n) for k, c in table.cells.items()}
    imputed: dict[int, int] = {}
    if level == NATION and measure == SUM:
        # (units that did not report, of them imputed, still missing) per year: the report counts the imputed.
        counted = imputed_counts(table.request, chosen)
        imputed = {y: counts[1] for y, counts in counted.items() if counts[1]}
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
