"""The statistics app's entry points: compute and store aggregates (all of them, one round's, or what one changed
response touches), and make sure a requested slice is there (computed on the fly and stored when cold).

Reading for pages and the API is in services/read.py; who may see what (publication, embargo) in services/access.py.
"""

from __future__ import annotations

import gc
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from kartlegg.analytics.catalogue import HEADLINE, HEADLINE_TAGS, Catalogue, Variable, affected, build_catalogue
from kartlegg.analytics.compute import Context, compute_rows, lineage_years
from kartlegg.analytics.grouping import ALL_LEVELS, GROUP_LEVELS, UNIT_LEVELS, Block
from kartlegg.analytics.imputation import RULES
from kartlegg.analytics.levels import NATION
from kartlegg.analytics.models import AS_REPORTED, LIVE, AggregateSet, version_filter
from kartlegg.analytics.services import kept as kept_figures
from kartlegg.analytics.services import store
from kartlegg.analytics.services.extract import (
    Geography,
    YearValues,
    annual_rounds,
    load_geography,
    read_year,
    read_years,
)
from kartlegg.geography import services as geography
from kartlegg.responses.models import Answer, Round


class StatisticsError(ValueError):
    """A computation that cannot be done as asked; the message says why (bokmål)."""


def default_rule() -> str:
    rule = settings.KARTLEGG_IMPUTATION
    if rule not in RULES:
        raise StatisticsError(f"KARTLEGG_IMPUTATION={rule!r} er ukjent; gyldige er {', '.join(RULES)}.")
    return rule


def loaded_years() -> list[int]:
    return geography.available_years()


def default_structure() -> int:
    years = loaded_years()
    if not years:
        raise StatisticsError("Referansedata mangler: kjør «manage.py load_reference».")
    return years[-1]


# The catalogue, cached per process until a round or version changes

_catalogue_lock = threading.Lock()
_catalogue_cache: dict[tuple[Any, ...], Catalogue] = {}


def catalogue(rounds: dict[int, Round] | None = None, language: str | None = None) -> Catalogue:
    """The variables of the annual rounds. With a language (nn, en), the labels taken from the questionnaires are in
    that language where they are translated; codes, and so every computation, are the same in every language."""
    rounds = annual_rounds() if rounds is None else rounds
    language = language if language in ("nn", "en") else "nb"
    base = tuple((y, r.pk, r.version_id, r.version.imported_at.isoformat()) for y, r in sorted(rounds.items()))
    key = (*base, language)
    with _catalogue_lock:
        found = _catalogue_cache.get(key)
    if found is not None:
        return found
    # The catalogue's own words ("i alt", the headline labels) follow the same language as the questionnaire's.
    with translation.override(language):
        built = build_catalogue({year: r.version.definition(language) for year, r in rounds.items()})
    with _catalogue_lock:
        for stale in [k for k in _catalogue_cache if k[:-1] != base]:
            del _catalogue_cache[stale]
        _catalogue_cache[key] = built
    return built


@dataclass
class Plan:
    """What one computation covers. `years` are the years written; all years are read (imputation needs them)."""

    variables: list[Variable]
    years: list[int]
    structures: list[int]
    rule: str
    # (variable, structure) → the levels to store; () leaves that structure alone for the variable
    levels: Callable[[Variable, int], Sequence[str]] | None = None

    def levels_for(self, variable: Variable, structure: int) -> Sequence[str]:
        return (self.levels or default_levels)(variable, structure)


@dataclass
class Result:
    rows: int = 0
    variables: int = 0
    years: list[int] = field(default_factory=list)
    structures: list[int] = field(default_factory=list)
    data_versions: dict[int, str] = field(default_factory=dict)  # year → the data each year's figures rest on
    keys: dict[int, str] = field(default_factory=dict)  # year → the version the rows were stored under


def _codes_to_read(cat: Catalogue, variables: Sequence[Variable], year: int) -> set[str] | None:
    """The stored codes these variables need in `year` (None: everything, when all variables are computed)."""
    if len(variables) == len(cat.variables):
        return None
    codes: set[str] = set()
    for variable in variables:
        code = variable.codes.get(year)
        if code is None:
            continue
        if variable.kind == HEADLINE:
            for tag in HEADLINE_TAGS[variable.code]:
                codes.update(cat.tag_cells.get(year, {}).get(tag, ()))
        elif variable.tag or variable.derived:
            codes.update(cat.grid_of(variable, year))
        else:
            codes.add(code)
    return codes


def read_data(
    rounds: dict[int, Round],
    cat: Catalogue,
    variables: Sequence[Variable],
    years: Iterable[int],
    versions: dict[int, Any] | None = None,
) -> dict[int, YearValues]:
    """The values of the codes the variables need: each round's current data, or the data version
    `versions[year]` gives (a quality.DataVersion; None: the live answers). Every variable of several open rounds
    comes in one streaming query (read_years); the rest one query per round."""
    chosen = versions or {}
    wanted = sorted(years)
    everything = len(variables) == len(cat.variables)
    found = read_years({y: rounds[y] for y in wanted if y not in chosen}) if everything else {}
    for year in wanted:
        if year in found:
            continue
        codes = _codes_to_read(cat, variables, year)
        found[year] = read_year(rounds[year], codes, chosen[year]) if year in chosen else read_year(rounds[year], codes)
    return {year: found[year] for year in wanted}


def default_levels(variable: Variable, structure: int) -> Sequence[str]:
    """What a full computation stores: every level of the headline series in both structures; the group levels of
    the other variables, harmonised only (and the nation as reported for the imputed ones). The rest (their unit
    level, their old-county series) is stored the first time someone asks for it (ensure)."""
    if variable.kind == HEADLINE:
        return ALL_LEVELS
    if structure == AS_REPORTED:
        # The nation row as reported counts each year's own non-respondents for the notes (imputed variables).
        return (NATION,) if variable.imputed else ()
    return GROUP_LEVELS


def every_level(variable: Variable, structure: int) -> Sequence[str]:
    return ALL_LEVELS


def run(
    plan: Plan,
    rounds: dict[int, Round],
    cat: Catalogue,
    geo: Geography | None = None,
    progress: Callable[[Variable], None] | None = None,
    data: dict[int, YearValues] | None = None,
    replace: bool = False,
    keys: dict[int, str] | None = None,
) -> Result:
    """Compute the plan and replace its slices (variable × year × structure × data version) in one transaction;
    `replace` clears every stored row of the plan's years and structures first (a computation from scratch).
    `keys` names the version each year's rows are stored under (default: live); only those rows are touched, so the
    pinned versions of a year stay as they were when live figures are recomputed, and the other way round."""
    keys = {y: (keys or {}).get(y, LIVE) for y in plan.years}
    result = Result(variables=len(plan.variables), years=list(plan.years), keys=keys)
    result.structures = list(plan.structures)
    if not plan.variables or not plan.years:
        return result
    data_years = sorted(rounds)
    geo = geo or load_geography(data_years + [s for s in plan.structures if s != AS_REPORTED])
    missing = [s for s in plan.structures if s != AS_REPORTED and s not in geo.units]
    if missing:
        raise StatisticsError(f"Strukturåret {missing[0]} har ingen enheter i referansedataene.")
    collecting = gc.isenabled()
    # The computation makes millions of short-lived lists and tuples and no reference cycles; Python's cyclic
    # collector would rescan the growing heap again and again (a quarter of the time at 100×), so it rests meanwhile.
    gc.disable()
    try:
        if data is None:
            data = read_data(rounds, cat, plan.variables, [y for y in data_years if y in geo.units])
            everything = len(plan.variables) == len(cat.variables)
        else:
            everything = False
        result.data_versions = {y: d.data_version for y, d in data.items()}
        caches: dict[str, Any] = {}
        ctx = _context(cat, geo, data, plan.rule, caches)
        rows = compute_rows(ctx, plan.variables, plan.structures, plan.years, plan.levels_for, progress)
        # From scratch, what is written is all that is stored live afterwards: update_plan needs no query for it.
        written: dict[tuple[str, int], set[str]] | None = None
        if replace and everything and set(keys.values()) == {LIVE}:
            written = {}
            rows = _noting(rows, written)
        result.rows = _store(plan, cat, rows, replace, keys, result.data_versions)
        if everything:
            if written is not None:
                caches["stored_levels"] = {plan.rule: _in_level_order(written)}
            kept_figures.remember(rounds, geo, data, caches)  # a later change to some units starts from these
    finally:
        if collecting:
            gc.enable()
    return result


def _noting(rows: Iterable[Block], written: dict[tuple[str, int], set[str]]) -> Iterator[Block]:
    for block in rows:
        written.setdefault((block.variable, block.structure), set()).add(block.level)
        yield block


def _context(cat: Catalogue, geo: Geography, data: dict[int, YearValues], rule: str, caches: dict[str, Any]) -> Context:
    """A computation's context whose caches (frames, harmonisation plans, codes, reform links: the geography's;
    headline inputs and who answered each grid: the data's) live in `caches`, so that the next computation from
    the same kept figures (kept.py) reuses them."""
    return Context(
        cat,
        geo,
        data,
        rule,
        _frames=caches.setdefault("frames", {}),
        _plans=caches.setdefault("plans", {}),
        _codes=caches.setdefault("codes", {}),
        _components=caches.setdefault("components", {}),
        _headline=caches.setdefault("headline", {}),
        _headline_stale=caches.setdefault("headline_stale", {}),
        _answered=caches.setdefault("answered", {}),
    )


def _store(
    plan: Plan, cat: Catalogue, rows: Iterable[Block], replace: bool, keys: dict[int, str], basis: dict[int, str]
) -> int:
    everything = replace and len(plan.variables) == len(cat.variables)
    scope = version_filter(keys)
    moment = timezone.now()
    with transaction.atomic():
        if everything:
            # From scratch: every structure of these years goes, including slices stored on request since.
            store.blocks(scope, rule=plan.rule).delete()
        for structure in [] if everything else plan.structures:
            chosen = plan.variables if replace else [v for v in plan.variables if plan.levels_for(v, structure)]
            stale = store.blocks(scope, rule=plan.rule, structure=structure)
            stale.filter(variable__in=[v.code for v in chosen]).delete()
        count = store.write(rows, plan.rule, keys, moment)
        _record_sets(plan.rule, keys, basis, moment)
        return count


def _record_sets(rule: str, keys: dict[int, str], basis: dict[int, str], moment: Any) -> None:
    """Record what the computation of each year (at its key) read and when, inside the caller's transaction: one
    update per distinct source and key, and only when a set is missing, one query to find which and one insert."""
    read = {str(y): label for y, label in sorted(basis.items())}
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for year, key in keys.items():
        groups[(basis.get(year, LIVE), key)].append(year)
    updated = 0
    for (source, key), years in groups.items():
        sets = AggregateSet.objects.filter(rule=rule, data_version=key, year__in=years)
        updated += sets.update(source=source, basis=read, computed_at=moment)
    if updated == len(keys):
        return
    sets = AggregateSet.objects.filter(rule=rule, year__in=list(keys), data_version__in=sorted(set(keys.values())))
    existing = set(sets.values_list("year", "data_version"))
    AggregateSet.objects.bulk_create(
        AggregateSet(year=y, rule=rule, data_version=k, source=basis.get(y, LIVE), basis=read, computed_at=moment)
        for y, k in keys.items()
        if (y, k) not in existing
    )


def compute(
    variables: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    structure: int | None = None,
    rule: str | None = None,
    all_levels: bool = False,
    progress: Callable[[Variable], None] | None = None,
    history: bool = True,
) -> Result:
    """Compute and store the live aggregates from scratch: every variable and year by default, harmonised to
    `structure` (the newest loaded year by default), and the headline series as reported too (default_levels;
    all_levels stores every level of every variable in both). Idempotent: the slices are deleted and written again,
    including those stored on request since (they would be stale). Pinned data versions are left alone
    (services.versions pins them). history=False reads only `years` (nothing is carried forward from earlier years;
    the benchmarks use it to time one year alone)."""
    rounds = annual_rounds()
    if not history and years is not None:
        rounds = {y: r for y, r in rounds.items() if y in set(years)}
    if not rounds:
        return Result()
    cat = catalogue(rounds)
    chosen = list(cat.variables.values())
    if variables is not None:
        unknown = [v for v in variables if v not in cat.variables]
        if unknown:
            raise StatisticsError(f"Ukjent variabel: {', '.join(unknown[:5])}.")
        chosen = [cat.variables[v] for v in variables]
    structure = checked_structure(structure)
    rule = checked_rule(rule)
    chosen_years = sorted(rounds) if years is None else sorted(set(years) & set(rounds))
    plan = Plan(chosen, chosen_years, [structure, AS_REPORTED], rule, every_level if all_levels else None)
    return run(plan, rounds, cat, progress=progress, replace=True)


def checked_structure(structure: int | None) -> int:
    structure = default_structure() if structure is None else structure
    if structure not in loaded_years():
        raise StatisticsError(f"Strukturåret {structure} er ikke et lastet år.")
    return structure


def checked_rule(rule: str | None) -> str:
    rule = rule or default_rule()
    if rule not in RULES:
        raise StatisticsError(f"Ukjent imputeringsregel {rule!r}; gyldige er {', '.join(RULES)}.")
    return rule


def stored_levels(
    rule: str, variables: Sequence[Variable] | None, key: str = LIVE, years: Sequence[int] | None = None
) -> dict[tuple[str, int], list[str]]:
    """{(variable, structure): levels} that have stored rows of version `key` (of these variables; None: all): an
    update rewrites exactly what is there."""
    found: dict[tuple[str, int], list[str]] = {}
    rows = store.blocks(rule=rule, data_version=key)
    if variables is not None:
        rows = rows.filter(variable__in=[v.code for v in variables])
    if years is not None:
        rows = rows.filter(year__in=list(years))
    for code, structure, level in rows.values_list("variable", "structure", "level").distinct():
        found.setdefault((code, structure), []).append(level)
    return _in_level_order(found)


def _in_level_order(found: Mapping[tuple[str, int], Collection[str]]) -> dict[tuple[str, int], list[str]]:
    return {key: [level for level in ALL_LEVELS if level in levels] for key, levels in found.items()}


def update_plan(
    rule: str,
    variables: Sequence[Variable],
    years: list[int],
    key: str = LIVE,
    stored_years: Sequence[int] | None = None,
    caches: dict[str, Any] | None = None,
) -> Plan | None:
    """`caches`: the kept figures' (kept.py), where the stored levels of every live variable are kept once read
    (while they are valid, only this process writes, and a merge never adds a level)."""
    if caches is not None and key == LIVE and stored_years is None:
        every = caches.setdefault("stored_levels", {})
        if rule not in every:
            every[rule] = stored_levels(rule, None)
        codes = {v.code for v in variables}
        stored = {k: levels for k, levels in every[rule].items() if k[0] in codes}
    else:
        stored = stored_levels(rule, variables, key, stored_years)
    if not stored:
        return None
    structures = sorted({structure for _, structure in stored})
    keep = [v for v in variables if any((v.code, s) in stored for s in structures)]

    def levels(variable: Variable, structure: int) -> Sequence[str]:
        return stored.get((variable.code, structure), ())

    return Plan(keep, years, structures, rule, levels)


def recompute_live(round_id: int, unit_codes: Sequence[str] | None = None, rule: str | None = None) -> Result:
    """The live half of services.recompute (services.versions): the live figures of what a change touched, for
    whatever is stored. With `unit_codes`, only the variables those units answer (and the years each unit's
    figure is carried to); without, the round's year, every later year and the first year."""
    rule = checked_rule(rule)
    rounds = annual_rounds()
    round_obj = next((r for r in rounds.values() if r.pk == round_id), None)
    if round_obj is None:
        return Result()
    cat = catalogue(rounds)
    if unit_codes is None:
        years = [y for y in sorted(rounds) if y >= round_obj.year or y == min(rounds)]
        plan = update_plan(rule, list(cat.variables.values()), years)
        return Result() if plan is None else run(plan, rounds, cat)
    found = kept_figures.update(rounds, round_obj.year, unit_codes)
    if found is not None:
        # Only what the values that changed move, for these units and any other unit of the round changed since.
        units = sorted(found.units)
        plan = update_plan(rule, affected(cat, round_obj.year, found.codes, found.regridded), [], caches=found.caches)
    else:
        codes = set(
            Answer.objects.filter(response__round_id=round_id, response__unit__code__in=list(unit_codes)).values_list(
                "variable", flat=True
            )
        )
        units = list(unit_codes)
        plan = update_plan(rule, cat.for_codes(round_obj.year, codes), [])
    if plan is None or not plan.variables:
        return Result()  # nothing changed, or nothing stored yet: the first full computation will include it
    try:
        return run_units(plan, rounds, cat, round_obj.year, units, kept=found)
    except BaseException:
        kept_figures.forget()  # the kept figures may be ahead of the stored ones now
        raise


def run_units(
    plan: Plan,
    rounds: dict[int, Round],
    cat: Catalogue,
    year: int,
    unit_codes: Sequence[str],
    key: str = LIVE,
    kept: kept_figures.Update | None = None,
) -> Result:
    """Recompute what a change to these units of `year` moves (analytics.focus): the groups that hold them (their
    region chain at every stored level), in `year` and in each year where their figures are carried to or from,
    for the plan's variables; every other row stays as it is, because it is the same. The values are read as a
    full computation reads them, so the rows are the ones it would write. `kept` gives the figures kept from the
    computation before, brought up to date (kept.py); without it everything is read and kept for the next time."""
    caches: dict[str, Any] = {}
    if kept is not None:
        geo, data, caches = kept.geo, kept.data, kept.caches
    else:
        geo = load_geography(sorted(rounds) + [s for s in plan.structures if s != AS_REPORTED])
        every = list(cat.variables.values())
        data = read_data(rounds, cat, every, [y for y in sorted(rounds) if y in geo.units])
        if key == LIVE:
            kept_figures.remember(rounds, geo, data, caches)
    ctx = _context(cat, geo, data, plan.rule, caches)
    focus = ctx.focus_of([c for c in unit_codes if c in ctx.codes_of(year)])
    focus.years = frozenset({year} | lineage_years(ctx, plan.variables, focus.codes))
    ctx.focus = focus
    plan.years = sorted(focus.years)
    keys = dict.fromkeys(plan.years, key)
    result = Result(variables=len(plan.variables), years=list(plan.years), keys=keys)
    result.structures = list(plan.structures)
    result.data_versions = {y: d.data_version for y, d in data.items()}
    rows = list(compute_rows(ctx, plan.variables, plan.structures, plan.years, plan.levels_for))
    moment = timezone.now()
    with transaction.atomic():
        result.rows = store.merge(rows, plan.rule, key, moment)
        _record_sets(plan.rule, keys, result.data_versions, moment)
    if key == LIVE:
        kept_figures.wrote()
    return result


def is_warm(variable: Variable, rule: str, structure: int, level: str, years: Iterable[int], key: str = LIVE) -> bool:
    """Whether every requested year of the variable has stored rows at this level and version (a computed slice
    always writes every group, missing ones as ".."), so one stored year proves the slice is there."""
    wanted = sorted(set(years) & set(variable.codes))
    if not wanted:
        return True
    stored = set(
        store.blocks(
            variable=variable.code, rule=rule, structure=structure, level=level, year__in=wanted, data_version=key
        ).values_list("year", flat=True)
    )
    return stored >= set(wanted)


def ensure_live(variable: Variable, rule: str, structure: int, level: str, years: Iterable[int]) -> bool:
    """Compute and store the variable's live figures (every year, this structure, every level) if the slice is cold
    (services.ensure also covers the pinned versions). Returns whether it computed."""
    if is_warm(variable, rule, structure, level, years):
        return False
    rounds = annual_rounds()
    cat = catalogue(rounds)
    run(Plan([variable], sorted(set(rounds) & set(variable.codes)), [structure], rule, every_level), rounds, cat)
    return True


def iter_levels() -> Iterator[str]:
    yield from GROUP_LEVELS
    yield from UNIT_LEVELS
