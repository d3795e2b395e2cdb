"""One run of make_demo_data: read reference data and questionnaires, simulate the years, write the rounds.

Questionnaire choice: each round uses the closest annual version of the same year or earlier, and the earliest
version for years before it. With the shipped files that is the 2020 form for 2017–2023 and the 2024 form for 2024
(the 2020 form stands in for 2017–2019; the real forms of those years differed in ways the demo does not need).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from kartlegg.freetext.demo import add_demo_coding
from kartlegg.surveys import engine
from kartlegg.surveys.models import QuestionnaireVersion

from . import store
from .answers import answers_for
from .grids import DemoDataError, parse_published, targets_for
from .pulse import add_pulse_series
from .sim import GROUPS, REAL_NON_RESPONSE, YearOutcome, YearSpec, simulate
from .users import DEMO_USERS

# Planted errors go into the newest rounds, where QA works; older rounds are clean (as if already followed up).
ERROR_YEARS = 2


@dataclass
class RunResult:
    seed: int
    years: list[int]
    outcomes: list[YearOutcome] = field(default_factory=list)
    rounds: dict[int, int] = field(default_factory=dict)  # year → round id
    pulse_rounds: list[int] = field(default_factory=list)
    answers: int = 0
    deleted_rounds: int = 0
    unit_names: dict[str, str] = field(default_factory=dict)
    covid_themes: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # year → unit → themes

    def report(self) -> dict[str, Any]:
        """What the command writes to var/demo_planted_errors.json."""
        errors = [
            {
                **e.as_dict(),
                "unit_name": self.unit_names.get(f"{e.year}:{e.unit}", ""),
                "round": self.rounds.get(e.year),
            }
            for o in self.outcomes
            for e in o.errors
        ]
        totals = {}
        for o in self.outcomes:
            totals[str(o.year)] = {
                group: {
                    "reported": str(sum((sum(c.values(), Decimal(0)) for c in o.reported[group].values()), Decimal(0))),
                    "imputed": str(sum(o.imputed[group].values(), Decimal(0))),
                    "total": str(o.national_total(group)),
                    "target": str(o.target.total(group)),
                    "basis": o.target.basis,
                }
                for group in GROUPS
            }
        return {
            "seed": self.seed,
            "years": self.years,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "note": "Syntetiske demodata. Feilene er plantet med vilje for kvalitetskontrollen.",
            "errors": errors,
            "totals": totals,
            "non_responders": {str(o.year): o.non_responders for o in self.outcomes},
            "covid_text_themes": self.covid_themes,
        }


def published_targets(years: Sequence[int]) -> dict[int, Any]:
    path = settings.KARTLEGG_REFERENCE_DIR / "published" / "is24_8_national_arsverk.csv"
    if not path.is_file():
        raise DemoDataError(f"Fant ikke de publiserte totalene: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        return targets_for(parse_published(csv.DictReader(handle)), years)


def demo_login_units() -> list[str]:
    """The units of the demo respondent logins (setup_demo): left not started in the newest round, so the demo
    has a form to fill in, with last year's answers beside it."""
    return sorted({code for spec in DEMO_USERS if spec.get("role") == "respondent" for code in spec.get("units", [])})


def grid_answers(grids: dict[str, dict[str, Decimal]]) -> dict[str, Decimal]:
    """The grid cells a respondent fills in: those with årsverk, leaving the rest blank (blank counts as 0 in a
    grid). A grid with no årsverk at all gets one explicit 0, so it reads as "none", not as "not answered"."""
    values: dict[str, Decimal] = {}
    for cells in grids.values():
        filled = {code: value for code, value in cells.items() if value}
        values.update(filled or dict(list(cells.items())[:1]))
    return values


def _overrides(defn: engine.Definition, outcome: YearOutcome, unit: str) -> dict[str, Any]:
    found = {}
    for error in outcome.errors_for(unit):
        for code, text in error.reported.items():
            if code in defn.questions and not defn.questions[code].is_grid:
                found[code] = engine.parse_answer(defn, code, text)
    return found


def make_demo_data(
    seed: int, years: Sequence[int], leave_open: Sequence[str] | None = None, tick: Callable[[str], None] | None = None
) -> RunResult:
    """Everything make_demo_data does, inside the caller's transaction."""
    tick = tick or (lambda _label: None)
    years = sorted(years)
    result = RunResult(seed, list(years))
    files = store.source_files(store.questionnaire_dir())
    annual_files = [f for f in files if f.kind == "annual"]
    if not annual_files:
        raise DemoDataError(f"Fant ingen årlige skjema i {store.questionnaire_dir()}.")
    survey = annual_files[-1].survey
    versions = store.ensure_versions(files)
    annual = [v for f, v in versions.items() if f.kind == "annual" and f.survey == survey]
    pulse = [v for f, v in versions.items() if f.kind == "pulse"]
    targets = published_targets(years)
    result.deleted_rounds = store.delete_demo_rounds()

    units_by_year = {}
    for year in years:
        units = store.reporting_units(year)
        if not units:
            raise DemoDataError(f"Ingen rapporteringsenheter for {year}. Kjør «manage.py load_reference» først.")
        units_by_year[year] = units
        result.unit_names.update({f"{year}:{u.code}": u.name for u in units})
    specs: list[YearSpec] = []
    chosen: dict[int, QuestionnaireVersion] = {}
    keep_open = frozenset(demo_login_units() if leave_open is None else leave_open)
    for index, year in enumerate(years):
        chosen[year] = store.version_for_year(annual, year)
        defn = chosen[year].definition()
        spec = YearSpec(
            year=year,
            units=[store.as_demo_unit(u) for u in units_by_year[year]],
            predecessors={},
            layouts=store.layouts_for(defn),
            target=targets[year],
            non_response=REAL_NON_RESPONSE.get(year),
            leave_open=keep_open if year == years[-1] else frozenset(),
            plant_errors=index > 0 and year > years[-1] - ERROR_YEARS,
            next_target=targets[years[1]] if index == 0 and len(years) > 1 else None,
        )
        if index > 0:
            prev_year = years[index - 1]
            spec.predecessors = store.predecessor_weights(
                prev_year, year, [u.code for u in units_by_year[year]], [u.code for u in units_by_year[prev_year]]
            )
            if chosen[prev_year].pk != chosen[year].pk:
                prev_defn = chosen[prev_year].definition()
                spec.cell_map = engine.predecessor_map(defn, prev_defn)
                spec.previous_layouts = store.layouts_for(prev_defn)
        specs.append(spec)
    tick("simulering")
    result.outcomes = simulate(seed, specs)

    for spec, outcome in zip(specs, result.outcomes, strict=True):
        version = chosen[spec.year]
        defn = version.definition()
        demo_units = {u.code: u for u in spec.units}
        answered: dict[str, store.UnitAnswers] = {}
        themes: dict[str, list[str]] = {}
        responders = set(outcome.responders)
        for unit in units_by_year[spec.year]:
            if unit.code not in responders:
                continue
            grids = {g: outcome.reported[g][unit.code] for g in GROUPS}
            values, text = answers_for(
                seed,
                defn,
                demo_units[unit.code],
                spec.year,
                grids,
                spec.layouts,
                outcome.has_rph.get(unit.code, False),
                _overrides(defn, outcome, unit.code),
            )
            values.update(grid_answers(grids))
            answered[unit.code] = store.UnitAnswers(unit, values, outcome.comments.get(unit.code, {}))
            if text is not None:
                themes[unit.code] = list(text.themes)
        if themes:
            result.covid_themes[str(spec.year)] = themes
        plan = store.annual_round_plan(version, spec.year, years[-1])
        round_obj, written = store.write_round(
            plan,
            units_by_year[spec.year],
            answered,
            random.Random(f"{seed}:{spec.year}:round"),
            {"seed": seed, "non_responders": len(outcome.non_responders), "planted_errors": len(outcome.errors)},
        )
        result.rounds[spec.year] = round_obj.pk
        result.answers += written
        tick(str(spec.year))
    for version in pulse:
        if version.year in years:
            rounds, written = add_pulse_series(seed, version, units_by_year[version.year])
            result.pulse_rounds += rounds
            result.answers += written
            tick(f"puls {version.year}")
    add_demo_coding(result.rounds, result.covid_themes, seed)
    return result
