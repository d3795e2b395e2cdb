"""The catalogue of statistics variables, built from the questionnaire versions of the annual rounds (pure: it takes
engine Definitions, never the ORM).

A variable is a series: its code in the newest version it appears in, and its code in each earlier year, followed
back through `continues` (series.follow_variable over surveys.engine.predecessor_map). Besides the stored value codes
(numbers, yes/no, grid cells) every numeric grid adds its row and column totals ("B_arsverk.ledelse.*",
"B_arsverk.*.psykolog", Definition.expand's notation), which are computed, never stored. The three headline series
(headline.ADULTS, CHILDREN, TOTAL) are sums of the cells tagged arsverk_voksne / arsverk_barn_og_unge; their per-capita
codes (arsverk_voksne_per_10000 …) are accepted as aliases of (series, "per_capita").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

from kartlegg.analytics import headline
from kartlegg.analytics.headline import MEASURES as HEADLINE_MEASURES
from kartlegg.analytics.headline import TAG_ADULTS, TAG_CHILDREN
from kartlegg.analytics.series import continues_by_year, follow_variable, tag_breaks

HEADLINE, NUMBER, PERCENT, YESNO = "headline", "number", "percent", "yesno"
KINDS = (HEADLINE, NUMBER, PERCENT, YESNO)

SUM, PER_CAPITA, CHANGE, CHANGE_PERCENT, MEDIAN, SHARE = (
    "sum",
    "per_capita",
    "change",
    "change_percent",
    "median",
    "share",
)
MEASURE_LABELS = {
    SUM: gettext_noop("Sum"),
    PER_CAPITA: gettext_noop("Per innbygger"),
    CHANGE: gettext_noop("Endring fra året før"),
    CHANGE_PERCENT: gettext_noop("Endring fra året før (prosent)"),
    MEDIAN: gettext_noop("Median for enhetene"),
    SHARE: gettext_noop("Andel som svarte ja"),
}
MEASURES_BY_KIND = {
    HEADLINE: (SUM, PER_CAPITA, CHANGE, CHANGE_PERCENT, MEDIAN),
    NUMBER: (SUM, PER_CAPITA, CHANGE, CHANGE_PERCENT, MEDIAN),
    PERCENT: (MEDIAN,),
    YESNO: (SHARE,),
}
TARGET_OF_TAG = {TAG_ADULTS: "voksne", TAG_CHILDREN: "barn_og_unge"}
HEADLINE_TAGS: dict[str, tuple[str, ...]] = {
    headline.ADULTS: (TAG_ADULTS,),
    headline.CHILDREN: (TAG_CHILDREN,),
    headline.TOTAL: (TAG_ADULTS, TAG_CHILDREN),
}
HEADLINE_TARGET = {headline.ADULTS: "voksne", headline.CHILDREN: "barn_og_unge", headline.TOTAL: "totalt"}
# The per-capita headline codes, as the API and the report name them: code → (series, measure).
ALIASES = {m.code: (m.base, PER_CAPITA) for m in HEADLINE_MEASURES.values() if m.target is not None}


@dataclass(frozen=True)
class Variable:
    code: str
    label: str
    kind: str
    codes: Mapping[int, str]  # survey year → the variable's code in that year's questionnaire
    breaks: tuple[int, ...] = ()
    section: str = ""
    unit: str = ""
    decimals: int = 1
    target: str = "totalt"  # measures.RATES key: which age band a per-capita figure uses
    tag: str = ""  # the årsverk tag of its grid: such values are imputed for units that did not report
    derived: bool = False  # a grid row or column total

    @property
    def years(self) -> list[int]:
        return sorted(self.codes)

    @property
    def measures(self) -> tuple[str, ...]:
        return MEASURES_BY_KIND[self.kind]

    @property
    def default_measure(self) -> str:
        return self.measures[0]

    @property
    def imputed(self) -> bool:
        return self.kind == HEADLINE or bool(self.tag)

    @property
    def additive(self) -> bool:
        """Sums can be carried across municipal reforms (a merge adds up); yes/no answers and percentages cannot."""
        return self.kind in (HEADLINE, NUMBER)

    def comparable(self, year: int, previous: int) -> bool:
        """Whether `year` can be compared with the survey year before it (no break in between)."""
        return year in self.codes and previous in self.codes and year not in self.breaks


@dataclass
class Catalogue:
    variables: dict[str, Variable] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    # year → {tag: cell codes}: what the headline sums are made of in each version
    tag_cells: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    # year → {grid code: cell codes} and year → {grid total code: cell codes}
    grid_cells: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    derived_cells: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def cells_of(self, variable: Variable, year: int) -> list[str]:
        """The stored cells a derived total adds up in `year`."""
        return self.derived_cells.get(year, {}).get(variable.codes.get(year, ""), [])

    def grid_of(self, variable: Variable, year: int) -> list[str]:
        """Every cell of the grid a cell or total of `variable` belongs to in `year` (to tell who answered it)."""
        code = variable.codes.get(year, "")
        return self.grid_cells.get(year, {}).get(code.split(".")[0], [])

    def get(self, code: str) -> Variable | None:
        return self.variables.get(code)

    def resolve(self, code: str) -> tuple[Variable, str | None] | None:
        """The variable a code names and the measure it implies (an alias such as arsverk_totalt_per_1000)."""
        if code in self.variables:
            return self.variables[code], None
        if code in ALIASES:
            base, measure = ALIASES[code]
            if base in self.variables:
                return self.variables[base], measure
        return None

    def search(self, text: str, limit: int = 50) -> list[Variable]:
        """Variables whose code or label contains every word of `text` (case-insensitive), headline first."""
        words = [w for w in text.lower().split() if w]
        found = []
        for variable in self.variables.values():
            haystack = f"{variable.code} {variable.label}".lower()
            if all(w in haystack for w in words):
                found.append(variable)
        found.sort(key=lambda v: (v.kind != HEADLINE, v.section, v.code))
        return found[:limit]

    def coded(self, year: int) -> Iterator[tuple[Variable, str]]:
        """The variables with a code in `year`, with that code."""
        for variable in self.variables.values():
            code = variable.codes.get(year)
            if code is not None:
                yield variable, code

    def for_codes(self, year: int, codes: Iterable[str]) -> list[Variable]:
        """The variables that read any of these codes in `year` (a changed answer, say); derived totals and the
        headline follow their cells."""
        wanted = set(codes)
        result = []
        for variable, code in self.coded(year):
            if variable.kind == HEADLINE:
                cells = {c for tag in HEADLINE_TAGS[variable.code] for c in self.tag_cells.get(year, {}).get(tag, ())}
                hit = bool(cells & wanted)
            elif variable.derived:
                hit = any(c.startswith(code.split(".")[0] + ".") for c in wanted)
            else:
                hit = code in wanted
            if hit:
                result.append(variable)
        return result


def affected(catalogue: Catalogue, year: int, codes: Iterable[str], regridded: Iterable[str] = ()) -> list[Variable]:
    """The variables whose figures a change of these codes' values in `year` can move, narrower than for_codes: a
    grid total only when one of its own cells changed. `regridded` names the grids (code prefixes) that some unit
    answered before and not after, or the other way round: then a blank cell of it turns from missing into 0 (or
    back), so every cell and total of that grid moves."""
    wanted = set(codes)
    grids = set(regridded)
    result = []
    for variable, code in catalogue.coded(year):
        if variable.kind == HEADLINE:
            tags = catalogue.tag_cells.get(year, {})
            hit = any(c in wanted for tag in HEADLINE_TAGS[variable.code] for c in tags.get(tag, ()))
        elif (variable.tag or variable.derived) and code.split(".")[0] in grids:
            hit = True
        elif variable.derived:
            hit = not wanted.isdisjoint(catalogue.cells_of(variable, year))
        else:
            hit = code in wanted
        if hit:
            result.append(variable)
    return result


@dataclass(frozen=True)
class _Entry:
    code: str
    label: str
    kind: str
    section: str
    unit: str
    decimals: int
    tag: str
    derived: bool


def _entries(defn: Any) -> dict[str, _Entry]:
    """Every statistics code of one version: numbers, yes/no, grid cells and grid row/column totals."""
    entries: dict[str, _Entry] = {}
    for question in defn.all_questions():
        tag = next((t for t in question.tags if t in TARGET_OF_TAG), "")
        section = question.section
        if question.is_grid:
            decimals = 0 if question.cell_type == "integer" else 1
            unit = question.unit
            rows, columns = dict(question.rows), dict(question.columns)
            for row, row_label in question.rows:
                for col, col_label in question.columns:
                    code = f"{question.code}.{row}.{col}"
                    label = f"{question.label}: {row_label}, {col_label.lower()}"
                    entries[code] = _Entry(code, label, NUMBER, section, unit, decimals, tag, False)
            for row in rows:
                code = f"{question.code}.{row}.*"
                label = gettext("%(question)s: %(part)s, i alt") % {"question": question.label, "part": rows[row]}
                entries[code] = _Entry(code, label, NUMBER, section, unit, decimals, tag, True)
            for col in columns:
                code = f"{question.code}.*.{col}"
                label = gettext("%(question)s: %(part)s, i alt") % {"question": question.label, "part": columns[col]}
                entries[code] = _Entry(code, label, NUMBER, section, unit, decimals, tag, True)
        elif question.type in ("integer", "decimal"):
            decimals = 0 if question.type == "integer" else 1
            entries[question.code] = _Entry(
                question.code, question.label, NUMBER, section, question.unit, decimals, tag, False
            )
        elif question.type == "percent":
            entries[question.code] = _Entry(
                question.code, question.label, PERCENT, section, gettext("prosent"), 1, "", False
            )
        elif question.type == "yesno":
            entries[question.code] = _Entry(question.code, question.label, YESNO, section, "", 1, "", False)
    return entries


def _derived_links(defn: Any, previous: Any, links: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """Predecessors of the grid totals of `defn` in `previous`, and the totals whose cells changed (a break): a row
    total continues the total of the row its grid and row continue, and is comparable only when its cells link
    one-to-one to that row's cells."""
    result: dict[str, str] = {}
    changed: set[str] = set()
    old_questions = previous.questions
    for question in defn.all_questions():
        if not question.is_grid:
            continue
        old_grid = old_questions.get(question.continues or question.code)
        if old_grid is None or not old_grid.is_grid:
            continue
        old_rows, old_cols = {r for r, _ in old_grid.rows}, {c for c, _ in old_grid.columns}
        totals = [
            (f"{question.code}.{r}.*", question.row_continues.get(r, r), old_rows, "row") for r, _ in question.rows
        ]
        totals += [
            (f"{question.code}.*.{c}", question.column_continues.get(c, c), old_cols, "col")
            for c, _ in question.columns
        ]
        for code, old_part, old_parts, kind in totals:
            if old_part not in old_parts:
                continue
            old_code = f"{old_grid.code}.{old_part}.*" if kind == "row" else f"{old_grid.code}.*.{old_part}"
            result[code] = old_code
            linked = {links.get(cell, "") for cell in defn.expand(code)}
            if "" in linked or linked != set(previous.expand(old_code)):
                changed.add(code)
    return result, changed


def declared_changes(defn: Any) -> tuple[set[str], set[str]]:
    """(value codes, grid codes) whose definition the version declares changed (`changed` on a question, a grid
    row or a grid column): a cell is changed when its grid, row or column is; a grid declared changed as a whole
    changes every sum over it."""
    codes: set[str] = set()
    grids: set[str] = set()
    for question in defn.all_questions():
        if not question.is_grid:
            if question.changed:
                codes.add(question.code)
            continue
        if question.changed:
            grids.add(question.code)
        for row, _ in question.rows:
            for col, _ in question.columns:
                if question.changed or row in question.row_changed or col in question.column_changed:
                    codes.add(f"{question.code}.{row}.{col}")
    return codes, grids


def _same_version(defn: Any, previous: Any) -> bool:
    """Two survey years answered on the same questionnaire version (nothing can have changed between them)."""
    return defn is previous or (
        (defn.survey_code, defn.year, defn.label) == (previous.survey_code, previous.year, previous.label)
    )


def build_catalogue(definitions: Mapping[int, Any]) -> Catalogue:
    """The variables of the annual rounds, one Definition per survey year (several years may share a version)."""
    years = sorted(definitions)
    catalogue = Catalogue(years=years)
    if not years:
        return catalogue
    links = continues_by_year(definitions)
    breaks: dict[int, set[str]] = {}
    entries = {year: _entries(definitions[year]) for year in years}
    grid_breaks: dict[int, set[str]] = {}
    for index, year in enumerate(years[1:], start=1):
        defn, previous = definitions[year], definitions[years[index - 1]]
        extra, changed = _derived_links(defn, previous, links[year])
        links[year].update(extra)
        breaks[year] = changed
        if not _same_version(defn, previous):
            # Declared changes of definition break the cell, and every row or column total it is part of.
            cells, grids = declared_changes(defn)
            breaks[year] |= cells
            for code in entries[year]:
                if entries[year][code].derived and (
                    cells.intersection(defn.expand(code)) or code.split(".")[0] in grids
                ):
                    breaks[year].add(code)
            grid_breaks[year] = {c for g in grids for c in defn.questions[g].cell_codes()}
    catalogue.tag_cells = {year: headline.tag_cells(definitions[year]) for year in years}
    for year in years:
        defn = definitions[year]
        catalogue.grid_cells[year] = {q.code: q.cell_codes() for q in defn.all_questions() if q.is_grid}
        catalogue.derived_cells[year] = {c: defn.expand(c) for c, e in entries[year].items() if e.derived}
    _add_headline(catalogue, links, grid_breaks)
    covered: set[tuple[int, str]] = set()
    for year in reversed(years):
        for code, entry in entries[year].items():
            if (year, code) in covered:
                continue
            lineage = follow_variable(code, year, {y: links[y] for y in years if y <= year}, breaks)
            # Only years whose questionnaire holds the code of its own kind (a type change starts a new series).
            codes = {y: c for y, c in lineage.codes.items() if c in entries[y] and entries[y][c].kind == entry.kind}
            codes = _contiguous(codes, year, years)
            covered.update(codes.items())
            key = code if code not in catalogue.variables else f"{code}@{year}"
            catalogue.variables[key] = Variable(
                code=key,
                label=entry.label,
                kind=entry.kind,
                codes=codes,
                breaks=tuple(b for b in lineage.breaks if b in codes and b != min(codes)),
                section=entry.section,
                unit=entry.unit,
                decimals=entry.decimals,
                target=TARGET_OF_TAG.get(entry.tag, "totalt"),
                tag=entry.tag,
                derived=entry.derived,
            )
    return catalogue


def _contiguous(codes: Mapping[int, str], last: int, years: list[int]) -> dict[int, str]:
    """The unbroken run of survey years ending at `last` (a year dropped for a type change ends the series)."""
    result: dict[int, str] = {}
    for year in sorted((y for y in years if y <= last), reverse=True):
        if year not in codes:
            break
        result[year] = codes[year]
    return dict(sorted(result.items()))


def _add_headline(
    catalogue: Catalogue, links: Mapping[int, Mapping[str, str]], flagged: Mapping[int, set[str]] | None = None
) -> None:
    """The three headline series. They break where their tagged cells do not link one-to-one, or where a tagged
    grid is declared changed as a whole (a changed row or column inside a grid moves årsverk between cells, which
    leaves the sum comparable)."""
    years = catalogue.years
    usable = [y for y in years if all(catalogue.tag_cells[y].get(t) for t in (TAG_ADULTS, TAG_CHILDREN))]
    if not usable:
        return
    tag_years = {y: catalogue.tag_cells[y] for y in usable}
    link_years = {y: links[y] for y in usable}
    by_tag = {tag: tag_breaks(tag_years, link_years, tag, flagged) for tag in (TAG_ADULTS, TAG_CHILDREN)}
    for code, tags in HEADLINE_TAGS.items():
        measure = HEADLINE_MEASURES[code]
        breaks = sorted({b for tag in tags for b in by_tag[tag]})
        catalogue.variables[code] = Variable(
            code=code,
            label=gettext(measure.label),
            kind=HEADLINE,
            codes=dict.fromkeys(usable, code),
            breaks=tuple(breaks),
            section=gettext("Årsverk"),
            unit=gettext("årsverk"),
            decimals=measure.decimals,
            target=HEADLINE_TARGET[code],
            tag=tags[0] if len(tags) == 1 else "",
        )
