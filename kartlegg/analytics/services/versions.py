"""Pinned data versions of the statistics.

When QA locks a round (quality.DataVersion 1) or corrects it (version 2, 3 …), the figures of that version are
computed once and stored under their own key ("v1", "v2"), beside the live figures ("live"). A later version never
overwrites them: a published year keeps showing exactly what was published until an analyst publishes the next
version as a correction (services_access.publish).

A year's figures rest on other years' data too (carry-forward from earlier years, carry-back into the first year),
so a pinned version records its basis: the data version of every year it read (AggregateSet.basis). Only locked
years are read: a year that is still open has no fixed data and is left out. Rebuilding a pinned version (`pin`
with the stored basis, `compute_aggregates --round R --data-version N`) therefore gives the same figures, whatever
has happened to the live data since.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from kartlegg.analytics.catalogue import Variable
from kartlegg.analytics.models import AS_REPORTED, LIVE, AggregateSet, Publication, version_key
from kartlegg.analytics.services import aggregates as services
from kartlegg.analytics.services import store
from kartlegg.analytics.services.aggregates import Plan, Result, StatisticsError, every_level
from kartlegg.quality.models import DataVersion
from kartlegg.responses.models import Round


def _round_of(year: int, rounds: dict[int, Round] | None = None) -> Round:
    rounds = services.annual_rounds() if rounds is None else rounds
    if year not in rounds:
        raise StatisticsError(f"{year} har ingen årlig runde.")
    return rounds[year]


def current_numbers(rounds: dict[int, Round]) -> dict[int, int]:
    """{year: the newest data version number} of the locked rounds."""
    found: dict[int, int] = {}
    by_round = {r.pk: y for y, r in rounds.items()}
    for round_id, number in DataVersion.objects.filter(round_id__in=list(by_round)).values_list("round_id", "number"):
        year = by_round[round_id]
        found[year] = max(number, found.get(year, 0))
    return found


def default_basis(rounds: dict[int, Round], year: int, number: int) -> dict[int, int]:
    """What a new pin of `year` version `number` reads: that version, and every other locked year's newest."""
    basis = {y: n for y, n in current_numbers(rounds).items() if y != year}
    basis[year] = number
    return dict(sorted(basis.items()))


def stored_basis(year: int, rule: str, number: int) -> dict[int, int] | None:
    found = AggregateSet.objects.filter(year=year, rule=rule, data_version=version_key(number)).first()
    if found is None:
        return None
    basis = {}
    for text, label in found.basis.items():
        if not label.startswith("v"):
            raise StatisticsError(
                f"Dataversjon {number} av {year} bygger på åpne data for {text}; kan ikke gjenskapes."
            )
        basis[int(text)] = int(label[1:])
    return basis


def _versions(rounds: dict[int, Round], basis: dict[int, int]) -> dict[int, DataVersion]:
    wanted = Q(pk__in=[])
    for year, number in basis.items():
        wanted |= Q(round_id=rounds[year].pk, number=number)
    found = {v.round_id: v for v in DataVersion.objects.filter(wanted)}
    result = {}
    for year, number in basis.items():
        version = found.get(rounds[year].pk)
        if version is None:
            raise StatisticsError(f"{year} har ingen dataversjon {number}.")
        result[year] = version
    return result


def _run(
    rounds: dict[int, Round],
    basis: dict[int, int],
    pins: dict[int, int],
    rule: str,
    variables: Sequence[Variable] | None = None,
    structures: Sequence[int] | None = None,
    levels: Any = None,
    replace: bool = True,
) -> Result:
    """Compute the pinned versions `pins` ({year: number}) from the data `basis` ({year: number}) names."""
    used = {y: rounds[y] for y in sorted(basis)}
    cat = services.catalogue(rounds)
    chosen = list(cat.variables.values()) if variables is None else list(variables)
    keys = {y: version_key(n) for y, n in pins.items()}
    plan: Plan | None = None
    if variables is None and levels is None:
        # A rebuild rewrites exactly what is stored of the version (slices stored on request included).
        stored = [y for y in pins if store.blocks(year=y, rule=rule, data_version=keys[y]).exists()]
        if stored and len(pins) == 1:
            plan = services.update_plan(rule, chosen, sorted(pins), keys[stored[0]], stored)
            replace = False
    if plan is None:
        plan = Plan(
            chosen, sorted(pins), list(structures or [services.checked_structure(None), AS_REPORTED]), rule, levels
        )
    data = services.read_data(used, cat, plan.variables, sorted(used), _versions(rounds, basis))
    return services.run(plan, used, cat, data=data, replace=replace, keys=keys)


def pin(round_obj: Round, number: int | None = None, rule: str | None = None, rebuild: bool = False) -> Result:
    """Compute and store the figures of a data version of the round (default: its newest), unless they are stored
    already (rebuild=True computes them again, from the stored basis, identically)."""
    rule = services.checked_rule(rule)
    rounds = services.annual_rounds()
    year = round_obj.year
    if rounds.get(year) is None or rounds[year].pk != round_obj.pk:
        raise StatisticsError(f"Runden {round_obj.pk} er ikke den statistikken bruker for {year}.")
    if number is None:
        number = current_numbers(rounds).get(year)
        if number is None:
            raise StatisticsError(f"{year} er ikke låst: ingen dataversjon å feste tallene til.")
    if not DataVersion.objects.filter(round=round_obj, number=number).exists():
        raise StatisticsError(f"{year} har ingen dataversjon {number}.")
    basis = stored_basis(year, rule, number)
    if basis is not None and not rebuild:
        return Result(years=[year], keys={year: version_key(number)})
    return _run(rounds, basis or default_basis(rounds, year, number), {year: number}, rule)


def pin_missing(rule: str | None = None) -> Result:
    """Pin the newest data version of every locked year that has no pinned figures yet, in one computation (they
    share one basis: every locked year's newest version)."""
    rule = services.checked_rule(rule)
    rounds = services.annual_rounds()
    current = current_numbers(rounds)
    done = set(AggregateSet.objects.filter(rule=rule, year__in=list(current)).values_list("year", "data_version"))
    missing = {y: n for y, n in current.items() if (y, version_key(n)) not in done}
    if not missing:
        return Result()
    return _run(rounds, current, missing, rule)


def ensure_pinned(variable: Variable, rule: str, structure: int, level: str, pinned: dict[int, str]) -> bool:
    """Compute the variable's slice for pinned versions that do not have it yet (from each version's basis)."""
    computed = False
    rounds: dict[int, Round] | None = None
    for year, key in sorted(pinned.items()):
        if year not in variable.codes or services.is_warm(variable, rule, structure, level, [year], key):
            continue
        rounds = rounds or services.annual_rounds()
        number = int(key[1:])
        basis = stored_basis(year, rule, number) or default_basis(rounds, year, number)
        _run(rounds, basis, {year: number}, rule, [variable], [structure], every_level, replace=False)
        computed = True
    return computed


# The entry points that cover live and pinned figures (services re-exports them)


def recompute(
    round_id: int, unit_codes: Sequence[str] | None = None, data_version: int | None = None, rule: str | None = None
) -> Result:
    """Recompute what a change touched, for the task worker: the live figures of the round's year and of the years
    whose imputation rests on it, for whatever is stored. With `unit_codes`, only the variables those units answer
    (and the later years each unit is still imputed in, and the first year); without, every stored variable of the
    round's year, every later year and the first year, and then any data version that has no pinned figures yet
    (a lock or a correction made it). With `data_version`, the pinned figures of that data version of the round are
    rebuilt instead, from their stored basis. Idempotent; a round the statistics do not use (a pulse survey, an
    older round of the year) gives an empty Result."""
    rule = services.checked_rule(rule)
    if data_version is not None:
        round_obj = next((r for r in services.annual_rounds().values() if r.pk == round_id), None)
        return Result() if round_obj is None else pin(round_obj, data_version, rule=rule, rebuild=True)
    result = services.recompute_live(round_id, unit_codes, rule)
    if unit_codes is None and result.years:
        pin_missing(rule)
    return result


def recompute_for_round(round_obj: Round, rule: str | None = None) -> Result:
    """After a round is locked or corrected: its year, every later year and the first year, then the new pin."""
    return recompute(round_obj.pk, rule=rule)


def recompute_for_response(response: Any, rule: str | None = None) -> Result:
    """After one unit's answers changed: the variables it answers, for its year and the years resting on it."""
    return recompute(response.round_id, [response.unit.code], rule=rule)


def ensure(
    variable: Variable,
    rule: str,
    structure: int,
    level: str,
    years: Iterable[int],
    keys: dict[int, str] | None = None,
) -> bool:
    """Compute and store the variable (every year, this structure, every level) if the slice is cold: the live
    figures, and each pinned version `keys` names ({year: "v2"}, from access.version_keys). Returns whether it
    computed."""
    chosen = {y: (keys or {}).get(y, LIVE) for y in years}
    live = [y for y, key in chosen.items() if key == LIVE]
    computed = bool(live) and services.ensure_live(variable, rule, structure, level, live)
    pinned = {y: key for y, key in chosen.items() if key != LIVE}
    if pinned:
        computed = ensure_pinned(variable, rule, structure, level, pinned) or computed
    return computed


# What a year has, for the API and the pages


@dataclass
class VersionInfo:
    key: str  # "v2" or "live"
    number: int | None
    created_at: Any = None
    note: str = ""
    units: int | None = None
    pinned: bool = False  # figures stored
    computed_at: Any = None
    published: bool = False  # the version the public sees
    source: str = ""  # for the live figures: the data they rest on ("v2", or "live" answers)
    basis: dict[str, str] = field(default_factory=dict)


def year_versions(year: int, rule: str | None = None) -> list[VersionInfo]:
    """Every data version of a year, newest first, then the live figures."""
    rule = services.checked_rule(rule)
    round_obj = _round_of(year)
    sets = {s.data_version: s for s in AggregateSet.objects.filter(year=year, rule=rule)}
    publication = Publication.objects.filter(year=year).first()
    published = publication.version_key if publication is not None else None
    result = []
    for version in DataVersion.objects.filter(round=round_obj).order_by("-number"):
        key = version_key(version.number)
        found = sets.get(key)
        result.append(
            VersionInfo(
                key=key,
                number=version.number,
                created_at=version.created_at,
                note=version.note,
                units=version.units,
                pinned=found is not None,
                computed_at=found.computed_at if found else None,
                published=published == key,
                source=key,
                basis=found.basis if found else {},
            )
        )
    live = sets.get(LIVE)
    result.append(
        VersionInfo(
            key=LIVE,
            number=None,
            pinned=live is not None,
            computed_at=live.computed_at if live else None,
            published=published == LIVE,
            source=live.source if live else "",
            basis=live.basis if live else {},
        )
    )
    return result


def live_sources(years: Iterable[int], rule: str) -> dict[int, str]:
    """{year: the data the live figures rest on ("v2", or "live" answers of an open round)}."""
    return dict(
        AggregateSet.objects.filter(year__in=list(years), rule=rule, data_version=LIVE).values_list("year", "source")
    )


# Reading a year's figures (the report)


@dataclass
class YearAggregates:
    year: int
    key: str  # the version read: "v1" … or "live"
    source: str  # the year's own data behind it
    computed_at: Any
    rows: list[dict[str, Any]]


def year_aggregates(
    year: int,
    data_version: int | str | None = None,
    *,
    rule: str | None = None,
    structure: int | None = None,
    variables: Sequence[str] | None = None,
    levels: Sequence[str] | None = None,
) -> YearAggregates:
    """A year's stored aggregates at one data version, for the report: `data_version` a number (pinned, computed
    now if it never was), "live", or None for what the public sees (the published version; live when the year is
    not published). `structure` defaults to the newest structure year (AS_REPORTED, 0, for each year's own units);
    `variables` and `levels` narrow the rows. Each row is a dict of a cell's fields (store.Cell)."""
    rule = services.checked_rule(rule)
    if data_version is None:
        publication = Publication.objects.filter(year=year).first()
        key = publication.version_key if publication is not None else LIVE
    elif data_version == LIVE:
        key = LIVE
    elif isinstance(data_version, int) or str(data_version).isdigit():
        key = version_key(int(data_version))
    else:
        raise StatisticsError(f"Ukjent dataversjon {data_version!r}; bruk et tall, «live» eller None.")
    round_obj = _round_of(year)
    if key != LIVE and not AggregateSet.objects.filter(year=year, rule=rule, data_version=key).exists():
        pin(round_obj, int(key[1:]), rule)
    found = AggregateSet.objects.filter(year=year, rule=rule, data_version=key).first()
    narrow: dict[str, Any] = {}
    if variables is not None:
        narrow["variable__in"] = list(variables)
    if levels is not None:
        narrow["level__in"] = list(levels)
    cells = store.cells(
        year=year,
        rule=rule,
        data_version=key,
        structure=services.checked_structure(None) if structure is None else structure,
        **narrow,
    )
    fields = ("variable", "level", "region", "value", "rate", "median", "status", "n", "n_units", "n_imputed",
              "value_imputed", "source_code")  # fmt: skip
    rows = sorted(({f: getattr(c, f) for f in fields} for c in cells), key=_row_order)
    return YearAggregates(
        year=year,
        key=key,
        source=found.source if found else "",
        computed_at=found.computed_at if found else None,
        rows=rows,
    )


def _row_order(row: dict[str, Any]) -> tuple[str, str, str]:
    """As the rows were ordered in the database (variable, level, region)."""
    return row["variable"], row["level"], row["region"]
