"""Importing responses from a file, all or nothing.

Two layouts are read, from CSV (UTF-8, comma or semicolon) or XLSX alike:
- long: one row per value, columns unit_code, variable, value and optionally comment;
- wide: one row per unit, a unit_code column and one column per variable (and optionally `<code>#comment`).
A header with a `variable` or `value` column is long; otherwise it is wide. Columns such as unit_name and status
(as the export writes them) are ignored, so an export can be edited and imported again.

Every row is checked before anything is written, and every problem is reported with its row number. Only a file
without problems is written, in one transaction, through services.save_values with channel "import", so each
change is parsed by the engine and audited like any other. A blank value blanks the variable; a blank comment
leaves the stored comment alone. After the commit, one `signals.answers_imported` names the units that changed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from kartlegg.accounts.models import Channel, audit
from kartlegg.geography.models import ReportingUnit
from kartlegg.surveys import engine

from . import services
from .models import Response, Round
from .signals import answers_imported
from .spreadsheets import (
    FileFormatError,
    Row,
    column_letter,
    csv_rows,
    decode_text,
    detect_format,
    is_blank,
    normalise_unit_code,
    open_workbook,
    sheet_rows,
)

UNIT_COLUMNS = ("unit_code", "enhetskode", "enhet", "kommunenummer")
VARIABLE_COLUMNS = ("variable", "variabel")
VALUE_COLUMNS = ("value", "verdi")
COMMENT_COLUMNS = ("comment", "kommentar")
# Columns the export writes for people to read; an import ignores them.
INFO_COLUMNS = {"unit_name", "enhetsnavn", "navn", "status", "county", "fylke", "version", "versjon", "submitted_at"}
COMMENT_SUFFIXES = ("#comment", "#kommentar")
HEADER_SEARCH_ROWS = 10
FORMULA_START = "=+-@\t\r"


@dataclass(frozen=True, order=True)
class Problem:
    row: int  # 0 when the problem concerns the whole file
    message: str

    def __str__(self) -> str:
        return f"Rad {self.row}: {self.message}" if self.row else self.message


class ResponseImportError(ValueError):
    """Nothing was imported. `problems` lists every problem found, each with its row number."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Entry:
    """One value (and perhaps a comment) for one unit, from one row of the file."""

    row: int
    unit: str
    variable: str
    raw: Any
    comment: str = ""
    has_value: bool = True
    where: str = ""  # "kolonne D" in the wide layout


@dataclass
class ImportReport:
    rows: int = 0
    units_in_file: int = 0
    units_changed: int = 0
    changed: int = 0  # variables whose value or comment changed
    dry_run: bool = False
    by_unit: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        head = "Prøvekjøring – ingenting er lagret. " if self.dry_run else ""
        return (
            f"{head}{self.rows} rader, {self.units_in_file} enheter i filen; "
            f"{self.changed} verdier endret i {self.units_changed} enheter."
        )


def unguard(value: Any) -> Any:
    """Undo the export's formula guard ("'=SUM(...)" -> "=SUM(...)"), so an export imports back unchanged."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def _header_key(value: Any) -> str:
    return str(value if value is not None else "").strip().lower()


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _is_header(row: Row) -> bool:
    keys = {_header_key(c) for c in row.cells}
    return bool(keys & {*UNIT_COLUMNS, *VARIABLE_COLUMNS, *VALUE_COLUMNS})


def _rows(data: bytes) -> Iterator[Row]:
    kind = detect_format(data)
    if kind == "csv":
        yield from csv_rows(decode_text(data))
        return
    workbook = open_workbook(data)
    try:
        # The first sheet with a header in its first rows (the export puts the data on the first sheet).
        for sheet in workbook.worksheets:
            rows = sheet_rows(sheet)
            head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
            if any(_is_header(r) for r in head):
                yield from head
                yield from rows
                return
        raise FileFormatError("Fant ingen overskriftsrad med «unit_code» i noe ark.")
    finally:
        workbook.close()


def read_entries(data: bytes) -> tuple[list[Entry], list[Problem], int]:
    """The file's entries, its layout problems, and the number of data rows. FileFormatError for an unreadable file."""
    rows = _rows(data)
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    # Above the header there may be a title or the demo mark; the header is the first row naming a known column.
    candidates = [r for r in head if not all(is_blank(c) for c in r.cells)]
    if not candidates:
        raise FileFormatError("Filen er tom.")
    header_row = next((r for r in candidates if _is_header(r)), None)
    if header_row is None:
        header_row = next((r for r in candidates if not str(r.cells[0] or "").startswith("#")), candidates[0])
    rest = itertools.chain([r for r in head if r.number > header_row.number], rows)
    header = [_header_key(c) for c in header_row.cells]
    unit_col = _find(header, UNIT_COLUMNS)
    long = _find(header, VARIABLE_COLUMNS) is not None or _find(header, VALUE_COLUMNS) is not None
    if long:
        entries, problems, count = _read_long(header, header_row.number, rest)
    else:
        if unit_col is None:
            raise ResponseImportError([Problem(header_row.number, _missing(["unit_code", "variable", "value"]))])
        names = [str(c).strip() if c is not None else "" for c in header_row.cells]
        entries, problems, count = _read_wide(names, header_row.number, unit_col, rest)
    if count == 0 and not problems:
        problems.append(Problem(0, "Filen har ingen datarader under overskriftsraden."))
    return entries, problems, count


def _missing(columns: list[str]) -> str:
    return f"Mangler kolonne{'r' if len(columns) > 1 else ''}: {', '.join(columns)}."


def _read_long(header: list[str], header_number: int, rows: Iterator[Row]) -> tuple[list[Entry], list[Problem], int]:
    cols = {
        "unit_code": _find(header, UNIT_COLUMNS),
        "variable": _find(header, VARIABLE_COLUMNS),
        "value": _find(header, VALUE_COLUMNS),
    }
    missing = [name for name, index in cols.items() if index is None]
    if missing:
        raise ResponseImportError([Problem(header_number, _missing(missing))])
    unit_i, var_i, value_i = (int(cols[k]) for k in ("unit_code", "variable", "value"))  # type: ignore[arg-type]
    comment_i = _find(header, COMMENT_COLUMNS)
    entries: list[Entry] = []
    problems: list[Problem] = []
    count = 0
    for row in rows:
        cells = row.cells
        if all(is_blank(c) for c in cells):
            continue
        count += 1

        def cell(index: int | None, cells: list[Any] = cells) -> Any:
            return cells[index] if index is not None and index < len(cells) else None

        unit = normalise_unit_code(cell(unit_i))
        variable = str(cell(var_i) or "").strip()
        if not unit:
            problems.append(Problem(row.number, "enhetskoden (unit_code) mangler."))
            continue
        if not variable:
            problems.append(Problem(row.number, "variabelen (variable) mangler."))
            continue
        comment = cell(comment_i)
        comment_text = "" if is_blank(comment) else str(unguard(comment))
        entries.append(Entry(row.number, unit, variable, unguard(cell(value_i)), comment_text))
    return entries, problems, count


def _read_wide(
    header: list[str], header_number: int, unit_col: int, rows: Iterator[Row]
) -> tuple[list[Entry], list[Problem], int]:
    columns: list[tuple[int, str, bool]] = []  # (index, variable, is_comment)
    for index, name in enumerate(header):
        key = name.lower()
        if index == unit_col or not name or key in INFO_COLUMNS:
            continue
        for suffix in COMMENT_SUFFIXES:
            if key.endswith(suffix):
                columns.append((index, name[: -len(suffix)], True))
                break
        else:
            columns.append((index, name, False))
    if not columns:
        raise ResponseImportError([Problem(header_number, "Fant ingen variabelkolonner ved siden av unit_code.")])
    entries: list[Entry] = []
    problems: list[Problem] = []
    count = 0
    for row in rows:
        cells = row.cells
        if all(is_blank(c) for c in cells):
            continue
        count += 1
        unit = normalise_unit_code(cells[unit_col] if unit_col < len(cells) else None)
        if not unit:
            problems.append(Problem(row.number, "enhetskoden (unit_code) mangler."))
            continue
        for index, variable, is_comment in columns:
            value = cells[index] if index < len(cells) else None
            where = f"kolonne {column_letter(index)}"
            if is_comment:
                if not is_blank(value):
                    comment = str(unguard(value))
                    entries.append(Entry(row.number, unit, variable, None, comment, has_value=False, where=where))
            else:
                entries.append(Entry(row.number, unit, variable, unguard(value), where=where))
    return entries, problems, count


def _label(entry: Entry) -> str:
    where = f", {entry.where}" if entry.where else ""
    return f"{entry.unit}/{entry.variable}{where}"


def check_entries(
    round_obj: Round, entries: list[Entry]
) -> tuple[dict[str, tuple[dict[str, Any], dict[str, str]]], list[Problem]]:
    """Values and comments by unit code, and every problem. Nothing is written."""
    defn = round_obj.version.definition()
    value_codes = set(engine.value_codes(defn))
    comment_codes = services.comment_codes(defn)
    in_round = set(Response.objects.filter(round=round_obj).values_list("unit__code", flat=True))
    outside = {e.unit for e in entries} - in_round
    known_elsewhere = dict(
        ReportingUnit.objects.filter(code__in=outside).order_by("code", "-year").values_list("code", "name")
    )
    problems: list[Problem] = []
    by_unit: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    seen: dict[tuple[str, str], int] = {}
    column_reported: set[str] = set()
    # Codes are matched regardless of case: spreadsheets and people are careless with it.
    canonical = {code.lower(): code for code in sorted(comment_codes, reverse=True)}
    for entry in entries:
        entry.variable = canonical.get(entry.variable.lower(), entry.variable)
        if entry.unit not in in_round:
            if entry.unit in known_elsewhere:
                message = (
                    f"enheten {entry.unit} {known_elsewhere[entry.unit]} er ikke med i runden "
                    f"«{round_obj.name}» ({round_obj.year})."
                )
            else:
                message = f"ukjent enhet «{entry.unit}»."
            problems.append(Problem(entry.row, message))
            continue
        grid_comment = entry.variable not in value_codes and entry.variable in comment_codes
        if entry.has_value and grid_comment and is_blank(entry.raw):
            # A comment on a whole grid (the long export writes it as "B_arsverk;;comment"): no value to set.
            entry.has_value = False
        known = value_codes if entry.has_value else comment_codes
        if entry.variable not in known:
            if entry.where and entry.where in column_reported:
                continue  # an unknown column is reported once, not once per row
            problems.append(Problem(entry.row, _unknown_variable(defn, entry)))
            if entry.where:
                column_reported.add(entry.where)
            continue
        key = (entry.unit, entry.variable + ("" if entry.has_value else "#comment"))
        if key in seen:
            problems.append(Problem(entry.row, f"{entry.unit}/{entry.variable} står også på rad {seen[key]}."))
            continue
        seen[key] = entry.row
        values, comments = by_unit.setdefault(entry.unit, ({}, {}))
        if entry.has_value:
            try:
                engine.parse_answer(defn, entry.variable, entry.raw)
            except engine.AnswerError as exc:
                problems.append(Problem(entry.row, f"{_label(entry)}: {exc.message}"))
                continue
            values[entry.variable] = entry.raw
        if entry.comment:
            if len(entry.comment) > services.MAX_TEXT_LENGTH:
                problems.append(Problem(entry.row, f"{_label(entry)}: kommentaren er for lang."))
                continue
            comments[entry.variable] = entry.comment
    return by_unit, problems


def _unknown_variable(defn: Any, entry: Entry) -> str:
    where = f" ({entry.where})" if entry.where else ""
    question = defn.questions.get(entry.variable)
    if question is not None and question.is_grid:
        return (
            f"«{entry.variable}»{where} er en tabell; bruk cellekoder som {entry.variable}.rad.kolonne, "
            f"for eksempel {question.cell_codes()[0]}."
        )
    return f"ukjent variabel «{entry.variable}»{where}."


def import_responses(
    round_obj: Round,
    data: bytes,
    *,
    user: Any = None,
    dry_run: bool = False,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check the whole file, then write it in one transaction. Raises ResponseImportError listing every problem
    (nothing written), or FileFormatError when the file is not a CSV/XLSX at all. `progress(done, total)` is called
    after each unit written."""
    if round_obj.is_locked:
        raise ResponseImportError([Problem(0, "Runden er låst. Svarene kan ikke endres.")])
    entries, problems, count = read_entries(data)
    by_unit, check_problems = check_entries(round_obj, entries)
    problems += check_problems
    if problems:
        raise ResponseImportError(problems)
    report = ImportReport(rows=count, units_in_file=len(by_unit), dry_run=dry_run)
    with transaction.atomic():
        responses = Response.objects.filter(round=round_obj, unit__code__in=by_unit).select_related(
            "round__version", "unit"
        )
        for done, response in enumerate(responses.order_by("unit__code"), start=1):
            values, comments = by_unit[response.unit.code]
            result = _save(response, values, comments, user)
            if result.changed:
                report.by_unit[response.unit.code] = len(result.changed)
            if progress is not None:
                progress(done, len(by_unit))
        report.units_changed = len(report.by_unit)
        report.changed = sum(report.by_unit.values())
        if not dry_run:
            audit(
                "responses.imported",
                user=user,
                channel=Channel.IMPORT,
                obj=round_obj,
                source=source[:200],
                rows=report.rows,
                units=report.units_changed,
                changed=report.changed,
            )
            changed_units = sorted(report.by_unit)
            if changed_units:
                # Once for the whole import, after it commits (quality runs its checks on these units).
                transaction.on_commit(
                    lambda: answers_imported.send(sender=Round, round=round_obj, units=changed_units, user=user)
                )
        else:
            transaction.set_rollback(True)
    return report


def _save(response: Response, values: dict[str, Any], comments: dict[str, str], user: Any) -> services.SaveResult:
    code = response.unit.code
    try:
        result = services.save_values(
            response, values, comments, expected_version=response.version, user=user, channel=Channel.IMPORT
        )
    except services.NotWritable as exc:
        raise ResponseImportError([Problem(0, f"{code}: {exc}")]) from None
    except services.StaleVersion:
        raise ResponseImportError([Problem(0, f"{code}: svaret ble endret under importen. Prøv igjen.")]) from None
    if result.errors:  # checked above already; reaching this means the questionnaire changed meanwhile
        raise ResponseImportError([Problem(0, f"{code}/{var}: {msg}") for var, msg in result.errors.items()])
    return result
