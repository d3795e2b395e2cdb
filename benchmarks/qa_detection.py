"""QA detection: do the checks find planted errors, leave clean units alone, and run a whole round quickly?
(docs/quality.md)

In a throwaway SQLite file: migrate, load the reference data, make the synthetic demo data for 2023–2024
(make_demo_data; or, with --synthetic or when that command is missing, a simple generated pair of rounds), then plant
errors of every kind in the 2024 round, each kind in 3 % of the units (a fixed seed, each in its own unit), run the
checks the way `manage.py run_qa` does, and report per kind:

- recall: the share of the units with that planted error that got a flag from the check meant to find it;
- false flags: the share of clean units (answered, nothing planted) with any flag at all;
- time for the whole 2024 round (reading it, checking, storing the flags), against the time to read the round's
  values once from the database, and the ratio; and the pure checks on 1× and 10× the units (linear growth).

Targets: recall ≥ 0,95 for every kind, at most 5 % of clean units flagged, a whole round under 2 s.
The errors demo data plants itself (a handful) are reported apart and left out of the clean units.

Run: .venv/bin/python benchmarks/qa_detection.py [--seed N] [--rate 0.03] [--synthetic] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import Check, log, summary  # noqa: E402 - the project root must be on the path first

TARGET_RECALL, TARGET_FALSE, TARGET_SECONDS = 0.95, 0.05, 2.0
TARGET_FALSE_SHAPES = 0.02  # issue 17: at most 2 % of clean units flagged
YEAR, LAST_YEAR = 2024, 2023


def django_setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "kartlegg.settings"
    os.environ.setdefault("KARTLEGG_DEMO_MODE", "1")
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()


def make_data(tmp: Path, seed: int, synthetic: bool) -> dict[str, str]:
    """Build the two rounds. Returns {unit code: kind} of the errors the data already carries (demo-planted)."""
    from django.core.management import call_command, get_commands

    log("migrate og load_reference …")
    call_command("migrate", verbosity=0)
    call_command("load_reference", "--quiet")
    if not synthetic and "make_demo_data" in get_commands():
        log("make_demo_data 2023–2024 …")
        errors_file = tmp / "demo_errors.json"
        call_command(
            "make_demo_data", "--years", f"{LAST_YEAR}-{YEAR}", "--seed", str(seed), "--no-progress",
            "--errors-file", str(errors_file), "--leave-open", "", stdout=open(os.devnull, "w"),  # noqa: SIM115
        )  # fmt: skip
        planted = json.loads(errors_file.read_text(encoding="utf-8"))["errors"]
        return {e["unit"]: e["kind"] for e in planted if e["year"] == YEAR}
    log("syntetiske runder 2023–2024 (uten make_demo_data) …")
    synthetic_rounds(seed)
    return {}


def synthetic_rounds(seed: int) -> None:
    """Two rounds of the 2024 questionnaire: per-capita årsverk drawn per unit, spread over a few cells, and the
    year after grown by a few per cent. Other questions get a valid answer; everything is submitted."""
    import datetime as dt

    from django.utils import timezone

    from kartlegg.accounts.models import Role, User
    from kartlegg.quality.loader import source_weights
    from kartlegg.responses import services
    from kartlegg.responses.models import Answer, Response, ResponseStatus
    from kartlegg.surveys import engine
    from kartlegg.surveys.services import import_questionnaire

    rng = random.Random(seed)
    analyst = User.objects.create(username="bench-analyst", role=Role.ANALYST)
    # As the demo does: the 2020 form for 2023 and the 2024 form (which continues it) for 2024.
    versions = {
        LAST_YEAR: import_questionnaire(ROOT / "questionnaires" / "annual-2020.yaml"),
        YEAR: import_questionnaire(ROOT / "questionnaires" / "annual-2024.yaml"),
    }
    carried = {
        old: new
        for new, old in engine.predecessor_map(versions[YEAR].definition(), versions[LAST_YEAR].definition()).items()
    }
    history: dict[str, dict[str, Decimal]] = {}
    weights: dict[str, dict[str, float]] = {}
    for year in (LAST_YEAR, YEAR):
        version = versions[year]
        defn = version.definition()
        grids = {q.code: q for q in defn.questions.values() if q.is_grid}
        adults, children = sorted(grids)  # B_… before C_…
        rates = {adults: (35.0, "population_18_plus"), children: (45.0, "population_0_17")}
        opens = timezone.now() - dt.timedelta(days=400 if year == LAST_YEAR else 10)
        round_obj = services.open_round(
            version, name=f"Syntetisk {year}", year=year, opens_at=opens,
            deadline=(opens + dt.timedelta(days=30)).date(), user=analyst,
        )  # fmt: skip
        if year == YEAR:
            weights, _estimated = source_weights(
                Response.objects.filter(round=round_obj).values_list("unit__code", flat=True),
                list(history),
                LAST_YEAR,
                YEAR,
            )
        rows = []
        for response in Response.objects.filter(round=round_obj).select_related("unit"):
            unit = response.unit
            values: dict[str, Any] = {}
            sources = weights.get(unit.code, {}) if year == YEAR else {}
            if sources and all(code in history for code in sources):
                # Last year's cells carried onto this year's codes and units (merges summed, splits shared).
                for source, share in sources.items():
                    for old, value in history[source].items():
                        grown = value * Decimal(str(share * (1 + rng.gauss(0.02, 0.03))))
                        values[carried[old]] = values.get(carried[old], Decimal(0)) + grown
                values = {c: max(Decimal("0.01"), v.quantize(Decimal("0.01"))) for c, v in values.items()}
            else:
                for code, (median, band) in rates.items():
                    # Only cells that continue into the 2024 form, so that a total means the same both years.
                    usable = [c for c in grids[code].cell_codes() if year == YEAR or c in carried]
                    cells = rng.sample(usable, k=min(len(usable), rng.randint(4, 14)))
                    total = median * math.exp(rng.gauss(0, 0.3)) * getattr(unit, band) / 10_000
                    weights = [rng.random() + 0.1 for _ in cells]
                    for cell, weight in zip(cells, weights, strict=True):
                        values[cell] = Decimal(str(max(0.01, round(total * weight / sum(weights), 2))))
            if year == LAST_YEAR:
                history[unit.code] = dict(values)
            psych = sum(
                (v for c, v in values.items() if c.startswith(adults + ".") and c.endswith(".psykolog")), Decimal(0)
            )
            extra: dict[str, Any] = {"A_navn": "Syntetisk", "B_psykolog_totalt": psych}
            # A service answered yes exactly when its row of the adults' grid has årsverk (E_fact ↔ row fact …).
            for row, _label in grids[adults].rows:
                if f"E_{row}" in defn.questions and defn.questions[f"E_{row}"].type == "yesno":
                    extra[f"E_{row}"] = any(v > 0 for c, v in values.items() if c.startswith(f"{adults}.{row}."))
            for question in defn.questions.values():
                if question.code in extra or question.is_grid or question.relevance or question.type == "text":
                    continue
                if question.type == "yesno":
                    extra[question.code] = rng.random() < 0.5
                elif question.type == "choice":
                    extra[question.code] = question.choices[0][0]
                elif question.type in ("integer", "decimal") and question.unit != "årsverk":
                    extra[question.code] = Decimal(rng.randint(0, 30))
            for code, value in {**values, **extra}.items():
                rows.append(
                    Answer(
                        response=response,
                        variable=code,
                        value_text=engine.dump_value(value),
                        value_num=value if isinstance(value, Decimal) else None,
                    )
                )
        Answer.objects.bulk_create(rows, batch_size=5000)
        Response.objects.filter(round=round_obj).update(
            status=ResponseStatus.SUBMITTED, submitted_at=timezone.now(), version=1
        )


@dataclass
class Plant:
    kind: str
    check: str  # the check meant to find it
    unit: str
    note: str = ""
    size: str = ""  # for the shapes planted per unit size (liten, middels, stor)

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.size}" if self.size else self.kind


@dataclass
class Planter:
    """Plants errors into the 2024 round through the Answer table (what an import would store)."""

    round_obj: Any
    units: dict[str, Any]  # code → UnitData before planting (with last year's values)
    layout: Any
    peers: Any
    rng: random.Random
    used: set[str] = field(default_factory=set)
    last_round: Any = None

    def write_last(self, code: str, changes: dict[str, Any]) -> None:
        """Change last year's answers (a shape whose true value is small in both years)."""
        self.write(code, changes, round_obj=self.last_round)

    def comment(self, code: str, variable: str, text: str) -> None:
        from kartlegg.responses.models import Answer, Response

        response = Response.objects.get(round=self.round_obj, unit__code=code)
        Answer.objects.update_or_create(response=response, variable=variable, defaults={"comment": text})

    def write(
        self, code: str, changes: dict[str, Any], *, drop_comments: tuple[str, ...] = (), round_obj: Any = None
    ) -> None:
        from kartlegg.responses.models import Answer, Response
        from kartlegg.surveys import engine

        response = Response.objects.get(round=round_obj or self.round_obj, unit__code=code)
        for variable, value in changes.items():
            if value is None:
                Answer.objects.filter(response=response, variable=variable).delete()
                continue
            number = Decimal(int(value)) if isinstance(value, bool) else (value if isinstance(value, Decimal) else None)
            Answer.objects.update_or_create(
                response=response,
                variable=variable,
                defaults={"value_text": engine.dump_value(value), "value_num": number},
            )
        if drop_comments:
            Answer.objects.filter(response=response, variable__in=drop_comments).update(comment="")
            Answer.objects.filter(response=response, variable__in=drop_comments, value_text__isnull=True).delete()

    def candidates(self, test: Callable[[Any], bool]) -> list[str]:
        found = [c for c, u in sorted(self.units.items()) if c not in self.used and test(u)]
        self.rng.shuffle(found)
        return found

    def adult(self) -> Any:
        return self.layout.grid_for("@voksne")


def _cells(unit: Any, grid: Any) -> dict[str, float]:
    return {c: unit.numbers[c] for c in grid.cell_codes if unit.numbers.get(c)}


def plant_all(planter: Planter, per_kind: int) -> tuple[list[Plant], list[tuple[str, str]]]:
    adult = planter.adult()
    children = planter.layout.grid_for("@barn_og_unge")
    rng = planter.rng
    plants: list[Plant] = []

    def usable(u: Any) -> bool:
        p = u.previous
        return u.submitted and p is not None and not p.estimated and not p.merged and len(_cells(u, adult)) >= 3

    def each(kind: str, check: str, test: Callable[[Any], bool], act: Callable[[Any], str]) -> None:
        for code in planter.candidates(lambda u: usable(u) and test(u))[:per_kind]:
            planter.used.add(code)
            plants.append(Plant(kind, check, code, act(planter.units[code])))

    def small_cell(u: Any) -> str | None:
        found = [
            c
            for c, v in _cells(u, adult).items()
            if 0.1 <= v <= 0.95 and 0.05 <= (float(u.previous.values.get(c) or 0)) < 1
        ]
        return sorted(found)[0] if found else None

    def percent(u: Any) -> str:
        cell = small_cell(u)
        value = Decimal(str(round(u.numbers[cell], 1))) * 100
        planter.write(u.code, {cell: value})
        return f"{cell}: {u.numbers[cell]} → {value}"

    def persons(u: Any) -> str:
        changes = {c: Decimal(math.ceil(v / rng.uniform(0.45, 0.75))) for c, v in _cells(u, adult).items()}
        planter.write(u.code, changes)
        return f"{len(changes)} celler som personer"

    def steady_cell(u: Any, low: float) -> str | None:
        found = [
            c
            for c, v in _cells(u, adult).items()
            if v >= low and float(u.previous.values.get(c) or 0) >= low and 0.7 < v / float(u.previous.values[c]) < 1.4
        ]
        return sorted(found)[0] if found else None

    def scale(factor: int) -> Callable[[Any], str]:
        def act(u: Any) -> str:
            cell = steady_cell(u, 0.5 if factor == 10 else 0.2)
            value = (Decimal(str(u.numbers[cell])) * factor).quantize(Decimal("0.01"))
            planter.write(u.code, {cell: value})
            return f"{cell}: ×{factor}"

        return act

    def jump(u: Any) -> str:
        cells = _cells(u, adult)
        cell = max(cells, key=cells.__getitem__)
        delta = max(3.0, 0.5 * sum(cells.values()))
        planter.write(
            u.code, {cell: Decimal(str(round(cells[cell] + delta, 2)))}, drop_comments=(adult.code, *adult.cell_codes)
        )
        return f"+{delta:.2f} årsverk uten kommentar"

    def outlier(u: Any) -> str:
        cells = _cells(u, adult)
        people, per = u.population.age_18_plus, 10_000
        stat = planter.peers.stat(adult.code, u.size_group)
        expected = stat.median_rate * people / per
        high = expected < 4 or rng.random() < 0.5
        target = expected * (rng.uniform(5, 8) if high else 1 / rng.uniform(5, 8))
        factor = target / sum(cells.values())
        planter.write(u.code, {c: Decimal(str(max(0.01, round(v * factor, 2)))) for c, v in cells.items()})
        return f"{'høy' if high else 'lav'}: {target / expected:.2f} × medianen"

    def fact_no(u: Any) -> str:
        cell = f"{adult.code}.fact.{adult.columns[2]}"
        current = u.numbers.get(cell, 0.0)
        planter.write(u.code, {"E_fact": False, cell: Decimal(str(round(current + 1.5, 2)))})
        return "E_fact = nei, 1,5 årsverk på FACT"

    def psych_total(u: Any) -> str:
        total = sum(_cells(u, adult).values())
        planter.write(u.code, {"B_psykolog_totalt": Decimal(str(round(total * 1.5 + 1, 2)))})
        return "psykologer > totalen"

    def psych_mismatch(u: Any) -> str:
        psych = sum(v for c, v in _cells(u, adult).items() if c.endswith(".psykolog"))
        planter.write(u.code, {"B_psykolog_totalt": Decimal(str(round(psych + rng.uniform(1, 3), 2)))})
        return "oppgitt psykologsum stemmer ikke"

    def stale(u: Any) -> str:
        changes: dict[str, Any] = {}
        for grid in (adult, children):
            for cell in grid.cell_codes:
                before = u.previous.values.get(cell) if grid.previous_code else None
                changes[cell] = before if isinstance(before, Decimal) else None
        planter.write(u.code, changes)
        return "fjorårets tall kopiert"

    def empty_section(u: Any) -> str:
        sections = [
            s
            for s in planter.layout.sections
            if not s.text_only and any(u.values.get(c) not in (None, "", []) for c in s.value_codes)
        ]
        section = rng.choice(sections)
        planter.write(
            u.code, dict.fromkeys(section.value_codes), drop_comments=(*section.questions, *section.value_codes)
        )
        return f"del {section.code} tømt"

    def silent(u: Any) -> str:
        from kartlegg.responses.models import Answer, Response, ResponseStatus

        Answer.objects.filter(response__round=planter.round_obj, response__unit__code=u.code).delete()
        Response.objects.filter(round=planter.round_obj, unit__code=u.code).update(
            status=ResponseStatus.NOT_STARTED, submitted_at=None
        )
        return "svarte ikke"

    def enough_peers(u: Any) -> bool:
        stat = planter.peers.stat(adult.code, u.size_group)
        return stat is not None and stat.median_rate * u.population.age_18_plus / 10_000 >= 1.0

    kinds = [
        ("percent_as_fte", "unit_error", lambda u: small_cell(u) is not None, percent),
        ("persons_as_fte", "unit_error", lambda u: True, persons),
        ("scale_10x", "unit_error", lambda u: steady_cell(u, 0.5) is not None, scale(10)),
        ("scale_100x", "unit_error", lambda u: steady_cell(u, 0.2) is not None, scale(100)),
        ("implausible_change", "implausible_change", lambda u: True, jump),
        ("peer_outlier", "peer_outlier", enough_peers, outlier),
        ("fact_no_but_fte", "inconsistency", lambda u: True, fact_no),
        ("psychologists_above_total", "inconsistency", lambda u: True, psych_total),
        ("stated_total_mismatch", "inconsistency", lambda u: True, psych_mismatch),
        ("stale_copy", "stale_copy", lambda u: len(_cells(u, adult)) >= 3, stale),
        ("empty_section", "missing", lambda u: True, empty_section),
        ("not_answered", "missing", lambda u: True, silent),
    ]
    for kind, check, test, act in kinds:
        each(kind, check, test, act)
    return plants, [(kind, check) for kind, check, _test, _act in kinds]


def best_of(runs: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def scaling(units: list[Any], layout: Any) -> tuple[float, float]:
    """Microseconds per unit for the pure checks on the round as it is and on ten copies of it."""
    from kartlegg.quality.checks import run_checks

    many = [replace(u, code=f"{u.code}-{i}", values=dict(u.values)) for i in range(10) for u in units]
    one = best_of(3, lambda: run_checks(units, layout)) / len(units) * 1e6
    ten = best_of(2, lambda: run_checks(many, layout)) / len(many) * 1e6
    return one, ten


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rate", type=float, default=0.03, help="Andel enheter per feiltype (standard 0,03).")
    parser.add_argument("--synthetic", action="store_true", help="Lag egne runder i stedet for make_demo_data.")
    parser.add_argument("--per-shape", type=int, default=8, help="Enheter per ny feilform og størrelse (standard 8).")
    parser.add_argument("--keep", action="store_true", help="Behold databasefilen (skriver hvor).")
    parser.add_argument(
        "--cache",
        type=Path,
        help="Mappe for en ferdig bygd database (før feilene plantes): gjenbrukes ved neste kjøring med samme frø.",
    )
    args = parser.parse_args()
    if not 0 < args.rate <= 0.08:
        parser.error("--rate må være mellom 0 og 0,08 (hver feiltype får egne enheter).")
    tmp = Path(tempfile.mkdtemp(prefix="kartlegg-qa-bench-"))
    try:
        cached = args.cache / f"qa-{args.seed}-{'syn' if args.synthetic else 'demo'}.sqlite3" if args.cache else None
        if cached is not None and cached.exists():
            shutil.copyfile(cached, tmp / "bench.sqlite3")
            shutil.copyfile(cached.with_suffix(".json"), tmp / "demo_errors.json")
        django_setup(tmp / "bench.sqlite3")
        return run(tmp, args, cached)
    finally:
        if args.keep:
            print(f"Databasen er beholdt: {tmp / 'bench.sqlite3'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _prepare(args: argparse.Namespace, demo_errors: dict[str, str]) -> tuple[Any, Any, Planter]:
    from kartlegg.quality import services
    from kartlegg.quality.checks.peers import build_peer_table
    from kartlegg.quality.loader import load_round
    from kartlegg.responses.models import Round

    round_obj = Round.objects.filter(year=YEAR).order_by("-opens_at").first()
    assert round_obj is not None
    before = load_round(round_obj)
    config = services.config_for(round_obj.version)
    peers = build_peer_table(before.units, before.layout, config["peer_outlier"])
    planter = Planter(
        round_obj,
        {u.code: u for u in before.units if u.code not in demo_errors},
        before.layout,
        peers,
        random.Random(args.seed),
        last_round=before.previous_round,
    )
    return round_obj, before, planter


def _flagged(round_obj: Any) -> dict[str, set[str]]:
    from kartlegg.quality.models import Flag

    flagged: dict[str, set[str]] = defaultdict(set)
    for unit_code, check in Flag.objects.filter(round=round_obj).values_list("unit__code", "check_name"):
        flagged[unit_code].add(check)
    return flagged


def _recall_rows(plants: list[Plant], kinds: list[tuple[str, str, str]], flagged: dict[str, set[str]]) -> list[Check]:
    """One row per (kind, size): the share of its planted units that the meant check flagged."""
    rows = []
    for kind, check, size in kinds:
        label = f"{kind}/{size}" if size else kind
        items = [p for p in plants if p.kind == kind and p.size == size]
        if not items:
            rows.append(Check(f"treff {label} ({check})", "ingen kandidater", f"≥ {TARGET_RECALL}", False))
            continue
        hits = {p.unit for p in items if _found(p, flagged)}
        recall = len(hits) / len(items)
        value = f"{recall:.2f} ({len(hits)}/{len(items)})"
        rows.append(Check(f"treff {label} ({check})", value, f"≥ {TARGET_RECALL}", recall >= TARGET_RECALL))
        for miss in (p for p in items if p.unit not in hits):
            print(f"  ikke funnet: {label} i {miss.unit} ({miss.note})")
    return rows


def _found(plant: Plant, flagged: dict[str, set[str]]) -> bool:
    """The check meant to find it flagged the unit (`a|b`: either; a cell raised to about 10× last year's is
    unit_error's finding, a smaller rise the cell check's)."""
    return bool(set(plant.check.split("|")) & flagged.get(plant.unit, set()))


def _false_units(before: Any, planter: Planter, demo_errors: dict[str, str], flagged: dict[str, set[str]]) -> tuple:
    answered = {u.code for u in before.units if u.submitted}
    clean = sorted(answered - planter.used - set(demo_errors))
    return [c for c in clean if flagged.get(c)], clean


def plant_shapes(planter: Planter, per_shape: int, group: tuple) -> tuple[list[Plant], list[tuple[str, str, str]]]:
    from benchmarks._qa_shapes import shape_actions, size_of
    from kartlegg.surveys import engine

    layout = planter.layout
    previous = planter.last_round.version.definition()
    old_codes = {new: olds[0] for new, olds in engine.predecessor_sources(layout.definition, previous).items()}
    actions = shape_actions(planter, old_codes)
    adult = planter.adult()
    plants: list[Plant] = []
    kinds: list[tuple[str, str, str]] = []

    def usable(u: Any) -> bool:
        p = u.previous
        return u.submitted and p is not None and not p.estimated and not p.merged

    for kind, check, sizes in group:
        test, act = actions[kind]
        for size in sizes:
            kinds.append((kind, check, size))
            found = planter.candidates(
                lambda u, size=size, test=test: usable(u) and size_of(u, adult.code) == size and test(u)
            )
            for code in found[:per_shape]:
                planter.used.add(code)
                plants.append(Plant(kind, check, code, act(planter.units[code]), size))
    return plants, kinds


def run(tmp: Path, args: argparse.Namespace, cached: Path | None = None) -> int:
    from django.db import connection

    from benchmarks._qa_shapes import GROUPS
    from kartlegg.quality import services
    from kartlegg.quality.loader import load_round
    from kartlegg.quality.models import Flag
    from kartlegg.responses.models import Answer

    if cached is not None and cached.exists():
        log(f"gjenbruker {cached} …")
        demo_errors = json.loads((tmp / "demo_errors.json").read_text(encoding="utf-8"))
    else:
        demo_errors = make_data(tmp, args.seed, args.synthetic)
        if cached is not None:
            connection.close()
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp / "bench.sqlite3", cached)
            cached.with_suffix(".json").write_text(json.dumps(demo_errors), encoding="utf-8")
    connection.close()
    shutil.copyfile(tmp / "bench.sqlite3", tmp / "pristine.sqlite3")

    round_obj, before, planter = _prepare(args, demo_errors)
    per_kind = max(1, round(args.rate * len(before.units)))
    log(f"planter {per_kind} feil per type i {len(before.units)} enheter …")
    plants, kinds = plant_all(planter, per_kind)

    baseline = best_of(
        3,
        lambda: list(
            Answer.objects.filter(response__round=round_obj).values_list(
                "response_id", "variable", "value_text", "comment"
            )
        ),
    )
    Flag.objects.filter(round=round_obj).delete()
    started = time.perf_counter()
    report = services.run_checks(round_obj)
    whole = time.perf_counter() - started
    rerun = best_of(1, lambda: services.run_checks(round_obj))
    after = load_round(round_obj)
    one, ten = scaling(after.units, after.layout)
    flagged = _flagged(round_obj)
    false_units, clean = _false_units(before, planter, demo_errors, flagged)
    false_checks: dict[str, int] = defaultdict(int)
    for code in false_units:
        for check in flagged[code]:
            false_checks[check] += 1
    flag_count = Flag.objects.filter(round=round_obj).count()
    false_notes = []
    for code in false_units[:10]:
        first = Flag.objects.filter(round=round_obj, unit__code=code).first()
        if first is not None:
            false_notes.append(f"  {code}: {first.check_name}/{first.rule}: {first.explanation[:150]}")

    results: list[Check] = []
    print(f"\nFeil plantet per type: {per_kind} ({args.rate:.0%} av {len(before.units)} enheter), frø {args.seed}")
    results.extend(_recall_rows(plants, [(kind, check, "") for kind, check in kinds], flagged))
    overall = sum(1 for p in plants if _found(p, flagged)) / max(1, len(plants))
    results.append(
        Check("treff i alt", f"{overall:.3f} ({len(plants)} feil)", f"≥ {TARGET_RECALL}", overall >= TARGET_RECALL)
    )
    false_rate = len(false_units) / max(1, len(clean))
    results.append(
        Check(
            "rene enheter med flagg",
            f"{false_rate:.3f} ({len(false_units)}/{len(clean)})",
            f"≤ {TARGET_FALSE}",
            false_rate <= TARGET_FALSE,
        )
    )

    # The shapes of issue 17, per unit size, each group on a fresh copy of the round.
    print(f"\nNye feilformer: {args.per_shape} enheter per form og størrelse")
    shape_false, shape_clean = 0, 0
    for group in GROUPS:
        connection.close()
        shutil.copyfile(tmp / "pristine.sqlite3", tmp / "bench.sqlite3")
        shape_round, shape_before, shape_planter = _prepare(args, demo_errors)
        shape_plants, shape_kinds = plant_shapes(shape_planter, args.per_shape, group)
        services.run_checks(shape_round)
        shape_flagged = _flagged(shape_round)
        results.extend(_recall_rows(shape_plants, shape_kinds, shape_flagged))
        group_false, group_clean = _false_units(shape_before, shape_planter, demo_errors, shape_flagged)
        shape_false, shape_clean = shape_false + len(group_false), shape_clean + len(group_clean)
        for code in group_false[:5]:
            first = Flag.objects.filter(round=shape_round, unit__code=code).first()
            if first is not None:
                false_notes.append(f"  {code}: {first.check_name}/{first.rule}: {first.explanation[:150]}")
    shape_rate = shape_false / max(1, shape_clean)
    results.append(
        Check(
            "rene enheter med flagg, nye former",
            f"{shape_rate:.3f} ({shape_false}/{shape_clean})",
            f"≤ {TARGET_FALSE_SHAPES}",
            shape_rate <= TARGET_FALSE_SHAPES,
        )
    )
    results.append(
        Check(
            "rene enheter med flagg (første runde)",
            f"{false_rate:.3f}",
            f"≤ {TARGET_FALSE_SHAPES}",
            false_rate <= TARGET_FALSE_SHAPES,
        )
    )
    demo_found = sum(1 for code in demo_errors if flagged.get(code))
    if demo_errors:
        results.append(Check("demodataens egne feil funnet", f"{demo_found}/{len(demo_errors)}", "", None))
    results.append(
        Check("hel runde (les, kontroller, lagre)", f"{whole:.3f} s", f"< {TARGET_SECONDS:g} s", whole < TARGET_SECONDS)
    )
    results.append(Check("ny kjøring (idempotent)", f"{rerun:.3f} s", "", None))
    results.append(Check("grunnlinje: les verdiene én gang", f"{baseline:.3f} s", "", None))
    results.append(Check("forhold hel runde / grunnlinje", f"{whole / baseline:.1f}", "", None))
    results.append(Check("rene kontroller, µs per enhet 1×", f"{one:.0f}", "", None))
    results.append(Check("rene kontroller, µs per enhet 10×", f"{ten:.0f}", "", None))
    results.append(Check("vekst per enhet 10× / 1×", f"{ten / one:.2f}", "≈ 1 (lineær)", None))
    notes = [
        f"Flagg i runden: {flag_count} ({report.created} nye ved første kjøring).",
        "Falske flagg per kontroll: " + (", ".join(f"{k} {v}" for k, v in sorted(false_checks.items())) or "ingen"),
        *false_notes,
    ]
    passed = summary("QA-deteksjon: plantede feil, falske flagg og tid for en hel runde", results, notes)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
