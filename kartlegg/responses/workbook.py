"""The helper workbook (hjelpeskjema): one row per position, summed into the årsverk grids.

Municipalities gather each service's positions in a spreadsheet before they enter the totals. This module writes
that spreadsheet for one unit (from the questionnaire version's own grid rows and columns, so a new version needs
no code change) and reads a filled one back into grid sums. Nothing here touches the database: the view loads the
response, and saving goes through services.save_values.

Which grid is which target group: the grid tagged `arsverk_voksne` / `arsverk_barn_og_unge`, or else the first grid
of section B / C.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kartlegg.lib.exports import DEMO_MARK, safe_cell
from kartlegg.lib.numbers import NumberParseError, parse_decimal
from kartlegg.surveys import engine

from .spreadsheets import FileFormatError, detect_format, is_blank, open_workbook, sheet_rows

MAX_POSITIONS = 5000
# The downloaded workbook holds about 3 000 cells; 5 000 positions with every column filled about 50 000.
MAX_CELLS = 100_000
DATA_ROWS = 500  # rows prepared with drop-downs; more may be added by copying
SHARE_DECIMALS = 6

ADULTS, CHILDREN = "voksne", "barn og unge"
GROUPS = ((ADULTS, "arsverk_voksne", "B"), (CHILDREN, "arsverk_barn_og_unge", "C"))

POSITIONS_SHEET, SUMS_SHEET, GUIDE_SHEET, LISTS_SHEET = "Stillinger", "Summer", "Veiledning", "Lister"
HEADERS = ["Tjenesteområde", "Utdanning", "Andel stilling", "Målgruppe", "Navn (valgfritt)", "Kommentar (valgfritt)"]
_HEADER_KEYS = {"tjenesteområde": "area", "utdanning": "education", "andel": "share", "målgruppe": "group"}


@dataclass(frozen=True)
class Grid:
    group: str  # ADULTS or CHILDREN
    question: engine.Question

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def decimals(self) -> int:
        return self.question.effective_decimals()


def grids_for(defn: engine.Definition) -> list[Grid]:
    found: list[Grid] = []
    grids = [q for q in defn.questions.values() if q.is_grid]
    for group, tag, section in GROUPS:
        question = next((q for q in grids if tag in q.tags), None) or next(
            (q for q in grids if q.section == section), None
        )
        if question is not None:
            found.append(Grid(group, question))
    return found


def _unique(labels: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for label in labels:
        seen.setdefault(label.casefold(), label)
    return list(seen.values())


def build_workbook(defn: engine.Definition, unit_label: str, round_label: str, demo: bool = False) -> bytes:
    """The helper workbook for one unit, as XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    grids = grids_for(defn)
    if not grids:
        raise ValueError("Skjemaet har ingen årsverkstabeller.")
    areas = _unique(label for g in grids for _code, label in g.question.rows)
    educations = _unique(label for g in grids for _code, label in g.question.columns)
    groups = [g.group for g in grids]
    bold = Font(bold=True)

    workbook = Workbook()
    guide = workbook.active
    guide.title = GUIDE_SHEET
    lines = _guide_lines(grids, unit_label, round_label, demo)
    for line in lines:
        guide.append([safe_cell(line)])
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 110
    for row in guide.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    lists = workbook.create_sheet(LISTS_SHEET)
    lists.append(["Tjenesteområder", "Utdanning", "Målgrupper"])
    for i in range(max(len(areas), len(educations), len(groups))):
        lists.append(
            [
                safe_cell(areas[i]) if i < len(areas) else None,
                safe_cell(educations[i]) if i < len(educations) else None,
                groups[i] if i < len(groups) else None,
            ]
        )
    lists.sheet_state = "hidden"

    positions = workbook.create_sheet(POSITIONS_SHEET, 1)
    positions.append(HEADERS)
    for cell in positions[1]:
        cell.font = bold
    positions.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (45, 50, 16, 16, 28, 40), strict=True):
        positions.column_dimensions[letter].width = width
    last = DATA_ROWS + 1
    area_list = DataValidation(type="list", formula1=f"={LISTS_SHEET}!$A$2:$A${len(areas) + 1}", allow_blank=True)
    education_list = DataValidation(
        type="list", formula1=f"={LISTS_SHEET}!$B$2:$B${len(educations) + 1}", allow_blank=True
    )
    group_list = DataValidation(type="list", formula1=f"={LISTS_SHEET}!$C$2:$C${len(groups) + 1}", allow_blank=True)
    share_rule = DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True)
    for validation, what in (
        (area_list, "Velg tjenesteområde fra listen."),
        (education_list, "Velg utdanning fra listen."),
        (group_list, "Velg voksne eller barn og unge."),
        (share_rule, "Skriv andel av en hel stilling, mellom 0 og 1 (50 % = 0,5)."),
    ):
        validation.error = what
        validation.errorTitle = "Ugyldig verdi"
        validation.showErrorMessage = True
        positions.add_data_validation(validation)
    area_list.add(f"A2:A{last}")
    education_list.add(f"B2:B{last}")
    share_rule.add(f"C2:C{last}")
    group_list.add(f"D2:D{last}")
    for row in range(2, last + 1):
        positions.cell(row=row, column=3).number_format = "0.00"

    _sums_sheet(workbook.create_sheet(SUMS_SHEET, 2), grids, bold)
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _guide_lines(grids: list[Grid], unit_label: str, round_label: str, demo: bool) -> list[str]:
    tables = " og ".join(f"«{g.question.label}»" for g in grids)
    lines = [
        f"Hjelpeskjema for årsverk – {unit_label}",
        f"Runde: {round_label}",
        "Slik bruker du hjelpeskjemaet:",
        f"1. Gå til arket «{POSITIONS_SHEET}». Før opp én rad per stilling (eller del av stilling) i psykisk helse- "
        "og rusarbeidet.",
        "2. Velg tjenesteområde, utdanning og målgruppe fra listene i cellene.",
        "3. Skriv andel stilling som et tall mellom 0 og 1: en hel stilling er 1, en 50 % stilling er 0,5. Ta bare "
        "med den delen av stillingen som går til psykisk helse- og rusarbeid.",
        "4. Navn og kommentar er valgfrie og blir ikke sendt inn; de er til hjelp for dere selv. "
        "Tomme rader hoppes over.",
        f"5. Arket «{SUMS_SHEET}» viser summene slik de blir i skjemaet.",
        f"6. Last opp filen på siden for hjelpeskjema. Summene føres inn i tabellene {tables}. Du ser endringene "
        "før noe blir lagret.",
        "Summene rundes til to desimaler. Celler uten stillinger blir tomme.",
    ]
    if demo:
        lines.insert(1, f"{DEMO_MARK}: tallene for enkeltenheter er oppdiktet.")
    return lines


def _quoted(label: str) -> str:
    # SUMIFS treats * ? ~ as wildcards; escape them so a label matches only itself.
    escaped = label.replace("~", "~~").replace("*", "~*").replace("?", "~?")
    return '"' + escaped.replace('"', '""') + '"'


def _sums_sheet(sheet: Any, grids: list[Grid], bold: Any) -> None:
    from openpyxl.utils import get_column_letter

    sheet.column_dimensions["A"].width = 45
    rng = f"{POSITIONS_SHEET}!$"
    for grid in grids:
        question = grid.question
        sheet.append([safe_cell(f"{question.label} ({grid.group})")])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append(["Tjenesteområde", *(safe_cell(label) for _c, label in question.columns), "Sum"])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = bold
        first = header_row + 1
        ncols = len(question.columns)
        for _row_code, row_label in question.rows:
            formulas = [
                f"=SUMIFS({rng}C:$C,{rng}A:$A,{_quoted(row_label)},{rng}B:$B,{_quoted(col_label)},"
                f"{rng}D:$D,{_quoted(grid.group)})"
                for _col_code, col_label in question.columns
            ]
            row_number = sheet.max_row + 1
            total = f"=SUM(B{row_number}:{get_column_letter(ncols + 1)}{row_number})"
            sheet.append([safe_cell(row_label), *formulas, total])
        last = sheet.max_row
        sheet.append(
            ["Sum", *(f"=SUM({get_column_letter(c)}{first}:{get_column_letter(c)}{last})" for c in range(2, ncols + 3))]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in sheet.iter_rows(min_row=first, max_row=sheet.max_row, min_col=2, max_col=ncols + 2):
            for cell in row:
                cell.number_format = "0.00"
        sheet.append([])


@dataclass
class ParsedWorkbook:
    values: dict[str, Decimal | None] = field(default_factory=dict)  # every cell of each grid that had rows
    grids: list[Grid] = field(default_factory=list)  # the grids the workbook had rows for
    positions: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)


def _match(text: str, options: list[tuple[str, str]]) -> str | None:
    wanted = " ".join(text.split()).casefold()
    for code, label in options:
        if wanted in (code.casefold(), " ".join(label.split()).casefold()):
            return code
    return None


def _group_of(text: str, grids: dict[str, Grid]) -> Grid | None:
    wanted = text.strip().casefold()
    if wanted.startswith("voks") or wanted in ("18+", "adults"):
        return grids.get(ADULTS)
    if wanted.startswith("barn") or wanted in ("0-17", "0–17", "children"):
        return grids.get(CHILDREN)
    return None


def _share(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise NumberParseError("andel stilling må være et tall.")
    try:
        share = parse_decimal(value if isinstance(value, int | Decimal) else str(value), max_decimals=SHARE_DECIMALS)
    except NumberParseError as exc:
        raise NumberParseError(f"andel stilling: {exc}") from None
    if share is None:
        raise NumberParseError("andel stilling mangler.")
    if share < 0:
        raise NumberParseError("andel stilling kan ikke være negativ.")
    if share > 1:
        raise NumberParseError(
            "andel stilling kan ikke være større enn 1 (en hel stilling). En 50 % stilling skrives 0,5."
        )
    return share


def parse_workbook(defn: engine.Definition, data: bytes) -> ParsedWorkbook:
    """Read a filled helper workbook into grid sums. FileFormatError when it is not a workbook we can read."""
    if detect_format(data) != "xlsx":
        raise FileFormatError("Filen er ikke et Excel-ark (.xlsx). Last opp hjelpeskjemaet slik du lastet det ned.")
    grids = {g.group: g for g in grids_for(defn)}
    # A workbook downloaded in nynorsk or English names areas and educations in that language: accept all three.
    aliases = _label_aliases(defn)
    workbook = open_workbook(data, max_cells=MAX_CELLS)
    try:
        sheet = workbook[POSITIONS_SHEET] if POSITIONS_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = sheet_rows(sheet, max_col=len(HEADERS) + 4, max_rows=MAX_POSITIONS + 50)
        columns: dict[str, int] = {}
        result = ParsedWorkbook()
        sums: dict[str, Decimal] = {}
        used: dict[str, Grid] = {}
        for row in rows:
            if not columns:
                columns = _header(row.cells)
                if not columns and row.number >= 10:
                    raise FileFormatError(
                        f"Fant ikke kolonnene {', '.join(HEADERS[:4])} i arket «{sheet.title}». "
                        "Bruk hjelpeskjemaet slik det ble lastet ned."
                    )
                continue
            cells = {key: (row.cells[i] if i < len(row.cells) else None) for key, i in columns.items()}
            if all(is_blank(v) for v in cells.values()):
                continue
            result.positions += 1
            if result.positions > MAX_POSITIONS:
                raise FileFormatError(f"Hjelpeskjemaet har mer enn {MAX_POSITIONS} stillinger.")
            problem = _read_position(cells, grids, sums, used, aliases)
            if problem:
                result.problems.append((row.number, problem))
        if not columns:
            raise FileFormatError(f"Fant ikke kolonnene {', '.join(HEADERS[:4])} i arket «{sheet.title}».")
    finally:
        workbook.close()
    result.grids = [g for g in grids.values() if g.group in used]
    for grid in result.grids:
        step = Decimal(1).scaleb(-grid.decimals)
        for cell in grid.question.cell_codes():
            total = sums.get(cell)
            result.values[cell] = None if total is None else total.quantize(step, rounding=ROUND_HALF_UP)
    return result


def _header(cells: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        text = str(cell or "").strip().casefold()
        for prefix, key in _HEADER_KEYS.items():
            if text.startswith(prefix) and key not in found:
                found[key] = index
    return found if len(found) == len(_HEADER_KEYS) else {}


def _label_aliases(defn: engine.Definition) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{(grid code, "rows"|"columns"): [(code, label in another language)]} from the questionnaire's translations."""
    aliases: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for language in defn.translations or {}:
        other = defn.localized(language)
        for question in other.questions.values():
            if question.is_grid:
                aliases.setdefault((question.code, "rows"), []).extend(question.rows)
                aliases.setdefault((question.code, "columns"), []).extend(question.columns)
    return aliases


def _read_position(
    cells: dict[str, Any],
    grids: dict[str, Grid],
    sums: dict[str, Decimal],
    used: dict[str, Grid],
    aliases: dict[tuple[str, str], list[tuple[str, str]]] | None = None,
) -> str:
    """Add one position to the sums; return what is wrong with it instead, if anything."""
    problems: list[str] = []
    group_text = "" if is_blank(cells["group"]) else str(cells["group"])
    grid = _group_of(group_text, grids) if group_text else None
    if not group_text:
        problems.append("målgruppe mangler (voksne eller barn og unge).")
    elif grid is None:
        problems.append(f"ukjent målgruppe «{group_text}» (bruk {' eller '.join(grids)}).")
    area = education = None
    aliases = aliases or {}
    for key, what, options in (
        (
            "area",
            "tjenesteområde",
            [*grid.question.rows, *aliases.get((grid.question.code, "rows"), [])] if grid else None,
        ),
        (
            "education",
            "utdanning",
            [*grid.question.columns, *aliases.get((grid.question.code, "columns"), [])] if grid else None,
        ),
    ):
        text = "" if is_blank(cells[key]) else " ".join(str(cells[key]).split())
        if not text:
            problems.append(f"{what} mangler.")
            continue
        if options is None:
            continue
        code = _match(text, options)
        if code is None:
            problems.append(f"ukjent {what} «{text[:80]}» for {grid.group if grid else ''}.")
        elif key == "area":
            area = code
        else:
            education = code
    try:
        share = _share(cells["share"])
    except NumberParseError as exc:
        problems.append(str(exc))
        share = None
    if problems or grid is None or area is None or education is None or share is None:
        return " ".join(p[0].upper() + p[1:] for p in problems)
    cell = f"{grid.code}.{area}.{education}"
    sums[cell] = sums.get(cell, Decimal(0)) + share
    used[grid.group] = grid
    return ""


@dataclass(frozen=True)
class CellChange:
    code: str
    grid: str
    row: str
    column: str
    old: Any
    new: Any


def changes(defn: engine.Definition, current: dict[str, Any], proposed: dict[str, Decimal | None]) -> list[CellChange]:
    """Every cell whose value would change, in questionnaire order."""
    found: list[CellChange] = []
    for code, new in proposed.items():
        old = current.get(code)
        if old == new:
            continue
        question, row, column = defn.cells[code]
        found.append(
            CellChange(code, question.label, dict(question.rows)[row], dict(question.columns)[column], old, new)
        )
    return found


def totals(defn: engine.Definition, grid: Grid, values: dict[str, Any]) -> Decimal:
    return engine.grid_totals(defn, grid.code, values)["total"]
