"""The report as plain data: chapters of paragraphs, tables and figures, with footnotes and sources. Every renderer
(HTML, PDF, XLSX) reads this object alone, and a built report stores it as JSON (to_dict / from_dict), so a
published report never changes when the data change later.

Pure: no Django, no ORM.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Cell and figure statuses, as analytics.measures names them.
OK, MISSING, SUPPRESSED, IMPUTED, ESTIMATED = "ok", "missing", "suppressed", "imputed", "estimated"
SYMBOLS = {MISSING: "..", SUPPRESSED: ":", IMPUTED: "i", ESTIMATED: "e"}
# Column kinds: how a number is shown and which display format the spreadsheet gets.
TEXT, NUMBER, PERCENT, CHANGE, CHANGE_PERCENT = "text", "number", "percent", "change", "change_percent"


@dataclass
class Cite:
    """A figure quoted in prose: the text as written, the value it stands for, and where it comes from (the explorer
    query that shows it, pinned to the data version by the renderer)."""

    text: str
    value: float | None
    ref: str = ""  # "variable|measure|level|region|year"


@dataclass
class Paragraph:
    id: str  # stable across rebuilds: "<chapter>.<rule>[.<part>]"
    text: str
    cites: list[Cite] = field(default_factory=list)
    rule: str = ""  # the narrative rule that wrote it ("" for an analyst's own paragraph)
    edited: bool = False  # replaced or added by an analyst
    edited_by: str = ""
    edited_at: str = ""
    stale: bool = False  # edited, and a rebuild changed the figures it cites

    def cited_texts(self) -> list[str]:
        return [c.text for c in self.cites]


@dataclass
class Cell:
    value: float | str | None
    status: str = OK
    ref: str = ""  # the explorer query behind a figure ("" for labels)


@dataclass
class Column:
    label: str
    kind: str = NUMBER
    decimals: int = 1
    unit: str = ""


@dataclass
class Row:
    label: str
    cells: list[Cell]
    code: str = ""
    total: bool = False  # the table's total row (shown in bold)


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    source: str = ""
    stub: str = ""  # the heading of the label column ("Fylke", "Kommune" …)
    variable: str = ""  # for the CSV / JSON-stat / PX links
    level: str = ""
    measure: str = ""
    years: str = ""

    def statuses(self) -> set[str]:
        return {c.status for r in self.rows for c in r.cells if c.status != OK}


@dataclass
class Figure:
    id: str
    title: str
    kind: str  # "line", "bar" or "map"
    spec: dict[str, Any]  # Vega-Lite, rendered to SVG by the renderers
    table_id: str  # the table that holds the same figures
    description: str = ""


@dataclass
class Block:
    """One item of a chapter, in order: exactly one of paragraph, table or figure."""

    paragraph: Paragraph | None = None
    table: Table | None = None
    figure: Figure | None = None


@dataclass
class Chapter:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    kind: str = "chapter"  # "chapter", "appendix" or "profiles"

    def add_paragraph(self, paragraph: Paragraph | None) -> None:
        if paragraph is not None and paragraph.text:
            self.blocks.append(Block(paragraph=paragraph))

    def add_table(self, table: Table) -> None:
        self.blocks.append(Block(table=table))

    def add_figure(self, figure: Figure) -> None:
        self.blocks.append(Block(figure=figure))

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b.paragraph for b in self.blocks if b.paragraph is not None]

    @property
    def tables(self) -> list[Table]:
        return [b.table for b in self.blocks if b.table is not None]

    @property
    def figures(self) -> list[Figure]:
        return [b.figure for b in self.blocks if b.figure is not None]


@dataclass
class Footnote:
    id: str
    text: str


@dataclass
class Source:
    name: str
    detail: str = ""


@dataclass
class Report:
    year: int
    title: str
    subtitle: str
    language: str
    data_version: str
    structure: int
    rule: str
    questionnaire_versions: dict[str, str]  # survey year → version label
    chapters: list[Chapter] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    demo: bool = False
    data_versions: dict[str, str] = field(default_factory=dict)  # survey year → the version read ("v1", "live")

    def chapter(self, chapter_id: str) -> Chapter | None:
        return next((c for c in self.chapters if c.id == chapter_id), None)

    def tables(self) -> list[Table]:
        return [t for c in self.chapters for t in c.tables]

    def table(self, table_id: str) -> Table | None:
        return next((t for t in self.tables() if t.id == table_id), None)

    def paragraphs(self) -> list[Paragraph]:
        return [p for c in self.chapters for p in c.paragraphs]

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return next((p for p in self.paragraphs() if p.id == paragraph_id), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        chapters = [_chapter(c) for c in data.get("chapters", [])]
        return cls(
            year=data["year"],
            title=data["title"],
            subtitle=data.get("subtitle", ""),
            language=data.get("language", "nb"),
            data_version=data.get("data_version", ""),
            structure=data.get("structure", 0),
            rule=data.get("rule", ""),
            questionnaire_versions=dict(data.get("questionnaire_versions", {})),
            chapters=chapters,
            footnotes=[Footnote(**f) for f in data.get("footnotes", [])],
            sources=[Source(**s) for s in data.get("sources", [])],
            demo=bool(data.get("demo", False)),
            data_versions=dict(data.get("data_versions", {})),
        )


def _paragraph(data: dict[str, Any]) -> Paragraph:
    return Paragraph(**{**data, "cites": [Cite(**c) for c in data.get("cites", [])]})


def _table(data: dict[str, Any]) -> Table:
    rows = [
        Row(
            label=r["label"], cells=[Cell(**c) for c in r["cells"]], code=r.get("code", ""), total=r.get("total", False)
        )
        for r in data["rows"]
    ]
    return Table(**{**data, "columns": [Column(**c) for c in data["columns"]], "rows": rows})


def _chapter(data: dict[str, Any]) -> Chapter:
    blocks = []
    for b in data.get("blocks", []):
        blocks.append(
            Block(
                paragraph=_paragraph(b["paragraph"]) if b.get("paragraph") else None,
                table=_table(b["table"]) if b.get("table") else None,
                figure=Figure(**b["figure"]) if b.get("figure") else None,
            )
        )
    return Chapter(id=data["id"], title=data["title"], blocks=blocks, kind=data.get("kind", "chapter"))


def mark_stale_edits(new: Report, old: Report) -> list[str]:
    """Carry an analyst's paragraphs from the old build into the new one: a replaced paragraph keeps its text, and is
    flagged stale when the figures its original cited have changed; an added paragraph stays after its neighbour.
    Returns the ids of the stale paragraphs."""
    stale: list[str] = []
    for chapter in old.chapters:
        target = new.chapter(chapter.id)
        if target is None:
            continue
        previous_id = ""
        for paragraph in chapter.paragraphs:
            if paragraph.edited:
                current = target_paragraph(target, paragraph.id)
                if current is not None:
                    # The edit keeps the figures the generated paragraph cited when it was edited: the flag stays
                    # until an analyst edits it again.
                    changed = current.cited_texts() != paragraph.cited_texts()
                    kept = _paragraph(asdict(paragraph))
                    kept.stale = paragraph.stale or changed
                    _replace(target, paragraph.id, kept)
                    if kept.stale:
                        stale.append(paragraph.id)
                else:
                    _insert_after(target, previous_id, _paragraph(asdict(paragraph)))
            previous_id = paragraph.id
    return stale


def target_paragraph(chapter: Chapter, paragraph_id: str) -> Paragraph | None:
    return next((p for p in chapter.paragraphs if p.id == paragraph_id), None)


def _replace(chapter: Chapter, paragraph_id: str, paragraph: Paragraph) -> None:
    for block in chapter.blocks:
        if block.paragraph is not None and block.paragraph.id == paragraph_id:
            block.paragraph = paragraph
            return


def _insert_after(chapter: Chapter, previous_id: str, paragraph: Paragraph) -> None:
    index = 0
    for i, block in enumerate(chapter.blocks):
        if block.paragraph is not None and block.paragraph.id == previous_id:
            index = i + 1
    chapter.blocks.insert(index, Block(paragraph=paragraph))
