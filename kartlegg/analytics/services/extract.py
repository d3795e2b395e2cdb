"""Reading the database into plain data for the statistics core: the annual rounds, each year's values, the units
and the municipal reforms between the years.

A round's values come from ONE streaming query: from its newest data version (quality's frozen snapshot) when the
round has one, else from the live answers of the units that have submitted. Numbers arrive as floats (cast in the
database, which skips Decimal on the way) and yes/no as 1/0. Only value_num is read: text and choice answers are
not statistics variables here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connections
from django.db.models import FloatField, Max
from django.db.models.functions import Cast

from kartlegg.analytics.levels import UnitRecord
from kartlegg.analytics.models import LIVE
from kartlegg.analytics.series import build_mapping, check_mapping
from kartlegg.geography import services as geography
from kartlegg.geography.logic import ChangeIndex, Harmonised
from kartlegg.geography.models import County, ReportingUnit
from kartlegg.responses.models import Answer, Round
from kartlegg.surveys.definition import NUMERIC_TYPES

CHUNK = 20_000
_YES = {"true", "ja", "yes", "1"}


def annual_rounds() -> dict[int, Round]:
    """One round per survey year: the newest round of the annual survey of the newest annual round (a pulse survey
    or a trial round of another survey is not part of the series)."""
    rounds = list(
        Round.objects.filter(version__survey__kind="annual")
        .select_related("version__survey")
        .order_by("year", "opens_at", "id")
    )
    if not rounds:
        return {}
    survey = max(rounds, key=lambda r: (r.year, r.opens_at, r.pk)).version.survey_id
    result: dict[int, Round] = {}
    for round_obj in rounds:
        if round_obj.version.survey_id == survey:
            result[round_obj.year] = round_obj  # ordered, so the newest of a year wins
    return result


def data_version_of(round_obj: Round) -> tuple[str, Any]:
    """("v<number>", DataVersion) for a round frozen by QA, else ("live", None). quality sits below analytics; the
    import is guarded so that analytics still works where that app is not installed."""
    try:
        from kartlegg.quality.services.versions import current_data_version
    except ImportError:  # pragma: no cover - quality is part of the project
        return LIVE, None
    version = current_data_version(round_obj)
    if version is None:
        return LIVE, None
    return f"v{version.number}", version


def data_version_labels(rounds: Mapping[int, Round]) -> dict[int, str]:
    """{year: "v<number>" of the round's newest data version, or "live"}, in one query (as data_version_of)."""
    try:
        from kartlegg.quality.models import DataVersion
    except ImportError:  # pragma: no cover - quality is part of the project
        return dict.fromkeys(rounds, LIVE)
    by_round = {r.pk: y for y, r in rounds.items()}
    newest = DataVersion.objects.filter(round_id__in=list(by_round)).values("round_id").annotate(number=Max("number"))
    labels = dict.fromkeys(rounds, LIVE)
    for row in newest:
        labels[by_round[row["round_id"]]] = f"v{row['number']}"
    return labels


@dataclass
class YearValues:
    """One survey year's numbers: {code: {unit: value}} (yes/no as 1.0/0.0) and where they came from."""

    year: int
    round_id: int
    data_version: str
    values: dict[str, dict[str, float]] = field(default_factory=dict)

    def answered(self, codes: Iterable[str]) -> set[str]:
        """Units with a value in any of these codes (a unit that left a whole årsverk grid blank did not report)."""
        units: set[str] = set()
        for code in codes:
            units.update(self.values.get(code, ()))
        return units


def numeric_kinds(defn: Any) -> dict[str, str]:
    """{value code: "number" | "yesno"} for the codes of a questionnaire that carry a number."""
    kinds: dict[str, str] = {}
    for question in defn.all_questions():
        if question.is_grid:
            kinds.update(dict.fromkeys(question.cell_codes(), "number"))
        elif question.type in NUMERIC_TYPES:
            kinds[question.code] = "number"
        elif question.type == "yesno":
            kinds[question.code] = "yesno"
    return kinds


_CURRENT: Any = object()


def live_numbers(**filters: Any) -> Any:
    """The answers that count while a round is open (submitted responses, a number given), each with `number`, its
    value as a float; `filters` narrow them (the round, the units)."""
    rows = Answer.objects.filter(response__submitted_at__isnull=False, value_num__isnull=False, **filters)
    return rows.annotate(number=Cast("value_num", FloatField()))


def read_year(round_obj: Round, codes: Collection[str] | None = None, version: Any = _CURRENT) -> YearValues:
    """A round's numeric values in one streaming query; `codes` limits it to some variables. `version` picks a
    data version (a quality.DataVersion, or None for the live answers); by default the round's newest."""
    if version is _CURRENT:
        label, version = data_version_of(round_obj)
    else:
        label = LIVE if version is None else f"v{version.number}"
    result = YearValues(round_obj.year, round_obj.pk, label)
    values: dict[str, dict[str, float]] = defaultdict(dict)
    if codes is not None and not codes:
        return result  # the variables have no code in this year's questionnaire: nothing to read
    if version is None:
        rows = live_numbers(response__round_id=round_obj.pk)
        if codes is not None:
            rows = rows.filter(variable__in=list(codes))
        for unit, code, number in stream(rows.values_list("response__unit__code", "variable", "number")):
            values[code][unit] = number
    else:
        _read_snapshot(version, round_obj.definition(), codes, values)
    result.values = dict(values)
    return result


def read_years(rounds: Mapping[int, Round]) -> dict[int, YearValues]:
    """Every numeric value of the rounds whose current data are live (not locked), in one streaming query: one scan
    of the answers rather than one per round. Locked rounds are left out (read_year reads their data version)."""
    labels = data_version_labels(rounds)
    live = {r.pk: y for y, r in rounds.items() if labels[y] == LIVE}
    found = {y: YearValues(y, r.pk, LIVE) for y, r in rounds.items() if r.pk in live}
    if not live:
        return found
    values: dict[int, dict[str, dict[str, float]]] = {y: defaultdict(dict) for y in found}
    rows = live_numbers(response__round_id__in=sorted(live))
    query = rows.values_list("response__round_id", "response__unit__code", "variable", "number")
    for round_id, unit, code, number in stream(query):
        values[live[round_id]][code][unit] = number
    for year, result in found.items():
        result.values = dict(values[year])
    return found


def read_units(round_obj: Round, units: Collection[str]) -> dict[str, dict[str, float]]:
    """The live numeric values of some units of a round ({code: {unit: value}}), as read_year reads the round's
    submitted answers: a unit that has not submitted has none."""
    found: dict[str, dict[str, float]] = defaultdict(dict)
    rows = live_numbers(response__round_id=round_obj.pk, response__unit__code__in=sorted(units))
    # A few units: a plain query, no server-side cursor.
    for unit, code, number in rows.values_list("response__unit__code", "variable", "number"):
        found[code][unit] = number
    return dict(found)


def stream(query: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a values_list query, CHUNK at a time from a server-side cursor on PostgreSQL (as
    QuerySet.iterator does), without Django's per-row conversion: the columns are already text and floats, and on
    the 18 million values of a 100× mapping that conversion costs more than the query."""
    sql, params = query.query.sql_with_params()
    connection = connections[query.db]
    chunked = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    cursor = connection.chunked_cursor() if chunked else connection.cursor()
    try:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                break
            yield from rows
    finally:
        cursor.close()


def _read_snapshot(version: Any, defn: Any, codes: Collection[str] | None, out: dict[str, dict[str, float]]) -> None:
    """A data version's frozen values (stored text per unit), numbers parsed straight to float."""
    from kartlegg.quality.models import DataSnapshot

    kinds = numeric_kinds(defn)
    wanted = set(codes) if codes is not None else None
    rows = DataSnapshot.objects.filter(version=version).values_list("unit_code", "values")
    for unit, stored in rows.iterator(chunk_size=500):
        for code, text in (stored or {}).items():
            kind = kinds.get(code)
            if kind is None or text is None or text == "" or (wanted is not None and code not in wanted):
                continue
            if kind == "yesno":
                out[code][unit] = 1.0 if str(text).strip().lower() in _YES else 0.0
                continue
            try:
                out[code][unit] = float(text)
            except ValueError:
                continue


@dataclass
class Geography:
    """The units of every year, county names, and the code changes between years, read once per computation."""

    units: dict[int, list[UnitRecord]]
    county_names: dict[int, dict[str, str]]
    index: ChangeIndex
    _populations: dict[int, dict[str, int]] = field(default_factory=dict)
    _mappings: dict[tuple[int, int], dict[str, Harmonised]] = field(default_factory=dict)
    _forward: dict[tuple[int, ...], dict[int, dict[str, Harmonised]]] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted(self.units)

    def population(self, year: int) -> dict[str, int]:
        if year not in self._populations:
            self._populations[year] = geography.population_by_code(year)
        return self._populations[year]

    def mapping(self, from_year: int, to_year: int) -> dict[str, Harmonised]:
        """{unit code of from_year: Harmonised onto to_year} (splits shared by to_year's population)."""
        key = (from_year, to_year)
        if key not in self._mappings:
            codes = [u.code for u in self.units[from_year]]
            self._mappings[key] = build_mapping(codes, from_year, to_year, self.index, self.population(to_year))
        return self._mappings[key]

    def forward_mappings(self, years: list[int]) -> dict[int, dict[str, Harmonised]]:
        """Each survey year's mapping from the survey year before, for imputation to follow the codes across
        reforms. Only the codes that change, and the codes others merge into, are given: imputation leaves codes
        the mapping does not mention as they are, which for any other unchanged code is what its entry would do, so
        the result is the same and each of the ~200 variables does not walk the ~400 unchanged codes again. Built
        once per list of years: every variable of a computation gets the same dicts."""
        key = tuple(years)
        if key in self._forward:
            return self._forward[key]
        result = {}
        for previous, year in zip(years, years[1:], strict=False):
            mapping = self.mapping(previous, year)
            changed = {code: h for code, h in mapping.items() if [c for c, _ in h.parts] != [code]}
            targets = {new for h in changed.values() for new in h.codes}
            keep = {code: h for code, h in mapping.items() if code in changed or code in targets}
            if keep:
                check_mapping(keep)
                result[year] = keep
        self._forward[key] = result
        return result

    @cached_property
    def labels(self) -> dict[int, dict[str, str]]:
        """Names of the units of each year, for the unit level."""
        return {year: {u.code: u.name for u in units} for year, units in self.units.items()}


def load_geography(years: Iterable[int] | None = None) -> Geography:
    wanted = set(years) if years is not None else None
    units: dict[int, list[UnitRecord]] = defaultdict(list)
    rows = ReportingUnit.objects.order_by("year", "code")
    if wanted is not None:
        rows = rows.filter(year__in=wanted)
    for row in rows.iterator(chunk_size=CHUNK):
        units[row.year].append(UnitRecord.from_object(row))
    names: dict[int, dict[str, str]] = defaultdict(dict)
    for year, code, name in County.objects.values_list("year", "code", "name"):
        names[year][code] = name
    return Geography(dict(units), dict(names), geography.change_index())
