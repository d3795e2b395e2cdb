"""A question's trend as an analytics Cube (pure), so that the statistics downloads render it: CSV, XLSX, PX and
JSON-stat with the wave as the time dimension (its code is the wave's opening date).

Dimensions: region (the nation, or counties, RHFs or size groups), the answer (shares only), the measure (share,
lower and upper 95 % limit and N; or mean, median and N) and the wave. A group under 5 units is suppressed (":").
With `panel`, only the units that answered the question in every wave of the table count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kartlegg.analytics.cube import GEO, METRIC, TIME, Cube, Dimension, MetricUnit
from kartlegg.analytics.measures import MIN_UNITS_FOR_SHARE, MISSING, SUPPRESSED, Value

from .trends import (
    GROUP_LEVELS,
    SHARE,
    QuestionInfo,
    UnitInfo,
    WaveAnswers,
    WaveInfo,
    answered,
    numbers_of,
    shares_of,
)

NATION = "nation"
LEVELS = (NATION, *GROUP_LEVELS)
LEVEL_LABELS = {NATION: "Hele landet", "county": "Fylke", "rhf": "Helseregion", "size_group": "Kommunestørrelse"}
SHARE_MEASURES = (("andel", "Andel"), ("nedre", "Nedre 95 %-grense"), ("ovre", "Øvre 95 %-grense"),
                  ("n", "Antall enheter som svarte"))  # fmt: skip
NUMBER_MEASURES = (("snitt", "Gjennomsnitt"), ("median", "Median"), ("n", "Antall enheter som svarte"))


def panel_units(question: QuestionInfo, answers: Sequence[WaveAnswers]) -> set[str]:
    """The units that answered the question in every wave."""
    sets = [set(answered(question, a)) for a in answers]
    return set.intersection(*sets) if sets else set()


def _keep(answers: WaveAnswers, units: set[str]) -> dict[str, Mapping[str, str | None]]:
    return {u: v for u, v in answers.items() if u in units}


def trend_cube(
    question: QuestionInfo,
    waves: Sequence[WaveInfo],
    answers: Sequence[WaveAnswers],
    units: Mapping[str, UnitInfo],
    level: str = NATION,
    panel: bool = False,
    min_n: int = MIN_UNITS_FOR_SHARE,
    source: str = "kartlegg, pulsundersøkelse",
) -> Cube:
    if level not in LEVELS:
        raise ValueError(f"level: ukjent nivå {level!r}; gyldige er {', '.join(LEVELS)}.")
    if not waves:
        raise ValueError("Serien har ingen målinger ennå.")
    if panel:
        keep = panel_units(question, answers)
        answers = [_keep(a, keep) for a in answers]
    groups: dict[str, str] = {}
    if level == NATION:
        groups["0"] = "Hele landet"
    else:
        for a in answers:
            for unit in answered(question, a):
                info = units.get(unit)
                if info is not None:
                    code, label = info.group(level)
                    if code:
                        groups.setdefault(code, label)
    if not groups:
        groups["0"] = "Hele landet"
    region = Dimension("region", "region", sorted(groups.items()), role=GEO)
    time = Dimension("maling", "måling", [(w.code, w.label) for w in waves], role=TIME)
    cells: dict[tuple[str, ...], Value | float | None] = {}
    share_kind = question.kind == SHARE
    measures = SHARE_MEASURES if share_kind else NUMBER_MEASURES
    decimals = question.decimals
    units_of = {"andel": MetricUnit("prosent", 1), "nedre": MetricUnit("prosent", 1), "ovre": MetricUnit("prosent", 1),
                "n": MetricUnit("antall", 0), "snitt": MetricUnit(question.unit or "verdi", decimals),
                "median": MetricUnit(question.unit or "verdi", decimals)}  # fmt: skip
    metric = Dimension("mal", "statistikkmål", list(measures), role=METRIC, units={c: units_of[c] for c, _ in measures})
    dims = [region]
    if share_kind:
        dims.append(Dimension("svar", "svar", list(question.categories)))
    dims += [metric, time]
    for wave, wave_answers in zip(waves, answers, strict=True):
        values = answered(question, wave_answers)
        for group in groups:
            if level == NATION:
                members = values
                floor = 1
            else:
                members = {u: v for u, v in values.items() if units.get(u) and units[u].group(level)[0] == group}
                floor = min_n
            if share_kind:
                shares = shares_of(question, members, floor)
                for category, s in shares.items():
                    status = s.status if s.percent is None else "ok"
                    empty = Value(None, SUPPRESSED if status == SUPPRESSED else MISSING)
                    for measure, value in (("andel", s.percent), ("nedre", s.low), ("ovre", s.high)):
                        cells[(group, category, measure, wave.code)] = Value(value) if value is not None else empty
                    cells[(group, category, "n", wave.code)] = float(s.n)
            else:
                stat = numbers_of(members, floor)
                empty = Value(None, SUPPRESSED if stat.status == SUPPRESSED else MISSING)
                for measure, value in (("snitt", stat.mean), ("median", stat.median)):
                    cells[(group, measure, wave.code)] = Value(value) if value is not None else empty
                cells[(group, "n", wave.code)] = float(stat.n)
    notes = ["Andeler i prosent av enhetene som svarte på spørsmålet; 95 %-grenser etter Wilson."]
    if level != NATION:
        notes.append(f"Grupper med færre enn {min_n} enheter som svarte, er skjult (:).")
    if panel:
        notes.append("Bare enheter som svarte på spørsmålet i alle målingene i tabellen (panel).")
    return Cube.from_cells(
        f"puls_{question.code.lower()}",
        question.label.rstrip("?"),
        dims,
        cells,
        source=source,
        notes=notes,
    )
