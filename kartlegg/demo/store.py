"""Demo data into the database: questionnaire versions, rounds, responses and answers, written in bulk.

The numbers come from the pure modules (grids, sim, answers); this module only reads reference data and
writes rows. It runs inside make_demo_data's single transaction. A round made here is marked by one audit row
(action DEMO_ACTION), which is how a later run finds and replaces it; no audit row is written per value.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kartlegg.accounts.models import AuditEvent, Channel, audit
from kartlegg.geography import logic as geo
from kartlegg.geography.models import CodeChange, Municipality, ReportingUnit
from kartlegg.responses.models import Answer, Response, ResponseStatus, Round
from kartlegg.surveys import engine
from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import import_questionnaire

from .grids import ADULTS, CHILDREN, DemoDataError, DemoUnit, GridLayout, layout_for, submission_times

DEMO_ACTION = "demo.round_generated"
GRID_TAGS = {ADULTS: "arsverk_voksne", CHILDREN: "arsverk_barn_og_unge"}
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def questionnaire_dir() -> Path:
    return Path(settings.BASE_DIR) / "questionnaires"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    survey: str
    kind: str
    year: int
    label: str


def source_files(directory: Path) -> list[SourceFile]:
    """The questionnaire YAML files in `directory`, oldest first (a later version may continue an earlier one)."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        survey = data.get("survey") or {}
        try:
            found.append(
                SourceFile(
                    path, str(survey["code"]), str(survey.get("kind", "annual")), int(data["year"]), str(data["label"])
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DemoDataError(f"{path.name}: mangler survey.code, year eller label.") from exc
    return sorted(found, key=lambda f: (f.year, f.kind, f.path.name))


def ensure_versions(files: Sequence[SourceFile]) -> dict[SourceFile, QuestionnaireVersion]:
    """The versions of these files, importing those not yet in the database (never replacing one that is)."""
    versions = {}
    for source in files:
        version = QuestionnaireVersion.objects.filter(
            survey__code=source.survey, year=source.year, label=source.label
        ).first()
        versions[source] = version or import_questionnaire(source.path)
    return versions


def version_for_year(versions: Iterable[QuestionnaireVersion], year: int) -> QuestionnaireVersion:
    """The closest version from the same year or earlier; before the first version, the first one (our 2020 form
    stands in for 2017–2019, whose real forms differed only in wording we do not model)."""
    ordered = sorted(versions, key=lambda v: v.year)
    if not ordered:
        raise DemoDataError("Fant ikke noe årlig skjema å lage demodata for.")
    earlier = [v for v in ordered if v.year <= year]
    return earlier[-1] if earlier else ordered[0]


def layouts_for(defn: engine.Definition) -> dict[str, GridLayout]:
    layouts = {}
    for group, tag in GRID_TAGS.items():
        grids = [q for q in defn.tagged(tag) if q.is_grid]
        if not grids:
            raise DemoDataError(f"Skjemaet {defn.survey_code} {defn.year} har ikke noe rutenett merket «{tag}».")
        layouts[group] = layout_for(group, grids[0].code, grids[0].rows, grids[0].columns)
    return layouts


def reporting_units(year: int) -> list[ReportingUnit]:
    from kartlegg.geography.services import units_for_year

    return list(units_for_year(year))


def as_demo_unit(unit: ReportingUnit) -> DemoUnit:
    return DemoUnit(unit.code, unit.name, unit.population_total, unit.population_0_17, unit.population_18_plus)


def predecessor_weights(
    prev_year: int, year: int, codes: Iterable[str], prev_codes: Iterable[str]
) -> dict[str, dict[str, float]]:
    """For each of this year's units, last year's units it continues, with weights: 1 for the same code or a
    merge, a population share for a split (geography.logic.harmonise over SSB's code changes)."""
    rows = CodeChange.objects.filter(occurred__year__gt=prev_year, occurred__year__lte=year).values_list(
        "old_code", "new_code", "occurred"
    )
    changes = [geo.Change(old, new, occurred) for old, new, occurred in rows]
    valid = {y: set(Municipality.objects.filter(year=y).values_list("code", flat=True)) for y in (prev_year, year)}
    index = geo.ChangeIndex(changes, valid)
    population = dict(ReportingUnit.objects.filter(year=year).values_list("code", "population_total"))
    now = set(codes)
    weights: dict[str, dict[str, float]] = defaultdict(dict)
    for old in prev_codes:
        for new, weight in geo.harmonise(old, prev_year, year, index, population).parts:
            if new in now and weight > 0:
                weights[new][old] = weight
    return dict(weights)


def delete_demo_rounds() -> int:
    """Remove every round an earlier run made (its responses and answers go with it)."""
    ids = AuditEvent.objects.filter(action=DEMO_ACTION, object_type="responses.round").values_list(
        "object_id", flat=True
    )
    rounds = Round.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()])
    count = rounds.count()
    for round_obj in rounds:
        round_obj.delete()
    return count


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=OSLO)


@dataclass
class RoundPlan:
    version: QuestionnaireVersion
    name: str
    year: int
    opens: dt.datetime
    deadline: dt.date
    closes: dt.datetime | None
    locked: dt.datetime | None


def annual_round_plan(version: QuestionnaireVersion, year: int, newest: int) -> RoundPlan:
    """Open 1 February, deadline 15 March. Old rounds are closed, and all but the newest two locked (published);
    the newest stays open, so the demo logins can still fill in a form."""
    deadline = dt.date(year, 3, 15)
    return RoundPlan(
        version,
        f"Kartlegging {year}",
        year,
        at(dt.date(year, 2, 1), 9),
        deadline,
        None if year == newest else at(dt.date(year, 4, 30), 16),
        at(dt.date(year, 12, 1), 12) if year < newest - 1 else None,
    )


def number(value: Any) -> Decimal | None:
    """value_num as the collection services store it: numbers, and 1/0 for yes/no."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return None


@dataclass
class UnitAnswers:
    unit: ReportingUnit
    values: dict[str, Any]
    comments: dict[str, str]


def insert_answers(rows: Sequence[tuple[int, str, str | None, Decimal | None, str, int]]) -> int:
    """Insert answers (response id, variable, text, number, comment, response version) with executemany.

    The whole demo is some 440 000 answers. bulk_create spends about 100 µs a row preparing fields (quantizing
    each Decimal, stamping and converting auto_now), which made the run take minutes; these rows are already
    valid and typed, so they go to the driver as they are, 5 000 at a time, on SQLite and PostgreSQL alike."""
    if not rows:
        return 0
    meta = Answer._meta
    fields = {f.name: f.column for f in meta.concrete_fields}
    columns = ["response", "variable", "value_text", "value_num", "comment", "updated_at", "updated_by"]
    if "version" in fields:  # the response version that last wrote the answer (optimistic locking per answer)
        columns.append("version")
    quoted = ", ".join(connection.ops.quote_name(fields[c]) for c in columns)
    # Table and column names come from the model; every value is a query parameter.
    table = connection.ops.quote_name(meta.db_table)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with_version = "version" in columns
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            cursor.executemany(
                sql,
                [
                    (pk, code, text, num, comment, now, None, *((version,) if with_version else ()))
                    for pk, code, text, num, comment, version in chunk
                ],
            )
    return len(rows)


def write_round(
    plan: RoundPlan,
    units: Sequence[ReportingUnit],
    answered: Mapping[str, UnitAnswers],
    rng: random.Random,
    detail: Mapping[str, Any],
) -> tuple[Round, int]:
    """One round with a response for every unit (not started when it did not answer) and its answers in bulk.
    Returns the round and the number of answers written."""
    round_obj = Round.objects.create(
        version=plan.version,
        name=plan.name,
        year=plan.year,
        opens_at=plan.opens,
        deadline=plan.deadline,
        closes_at=plan.closes,
        locked_at=plan.locked,
    )
    codes = [u.code for u in units if u.code in answered]
    times = dict(zip(codes, submission_times(rng, len(codes), at(plan.deadline, 23, 59)), strict=True))
    responses = Response.objects.bulk_create(
        [
            Response(
                round=round_obj,
                unit=unit,
                status=ResponseStatus.SUBMITTED if unit.code in answered else ResponseStatus.NOT_STARTED,
                version=rng.randint(2, 14) if unit.code in answered else 0,
                submitted_at=times.get(unit.code),
            )
            for unit in units
        ]
    )
    rows = []
    for response in responses:
        mine = answered.get(response.unit.code)
        if mine is None:
            continue
        for code, value in mine.values.items():
            rows.append(
                (
                    response.pk,
                    code,
                    engine.dump_value(value),
                    number(value),
                    mine.comments.get(code, ""),
                    response.version,
                )
            )
        for code, text in mine.comments.items():
            if code not in mine.values:  # a comment on a whole grid
                rows.append((response.pk, code, None, None, text, response.version))
    written = insert_answers(rows)
    audit(
        DEMO_ACTION,
        channel=Channel.SYSTEM,
        obj=round_obj,
        year=plan.year,
        responses=len(responses),
        submitted=len(codes),
        answers=written,
        **detail,
    )
    return round_obj, written
