"""The free-text chapter: the coded themes of the year's free-text questions (pure, no ORM).

The themes come as plain data in `ReportInputs.free_text` (sources.FREE_TEXT_PROVIDERS; the free-text app registers
the provider). Per question: a sentence from the `largest_theme` rule (the largest theme, its count, N and share), a
table of the themes with the number and share of units (the share of the units with a coded, relevant answer, N in
the note), a bar chart of the shares with that table as its twin, and the analysts' approved, masked quotes. No
question with a coded answer, no chapter.
"""

from __future__ import annotations

from kartlegg.reports import charts, narrative
from kartlegg.reports.blocks import paragraph
from kartlegg.reports.document import NUMBER, PERCENT, Cell, Chapter, Column, Figure, Row, Table
from kartlegg.reports.inputs import FreeTextQuestion, ReportInputs
from kartlegg.reports.labels import labels
from kartlegg.reports.narrative_words import words

QUOTES_PER_THEME = 2


def free_text_chapters(inputs: ReportInputs, lang: str) -> list[Chapter]:
    """One chapter for every question with coded answers, or none at all."""
    questions = [q for q in inputs.free_text if q.has_codes]
    if not questions:
        return []
    chapter = Chapter("fritekst", labels(lang)["free_text"])
    for question in questions:
        _question_part(chapter, question, lang)
    return [chapter]


def _question_part(chapter: Chapter, question: FreeTextQuestion, lang: str) -> None:
    t, w = labels(lang), words(lang)
    key = question.key
    themes = sorted((th for th in question.themes if th.count > 0), key=lambda th: (-th.count, th.label))
    sentence = narrative.largest_theme([(th.label, th.count) for th in themes], question.denominator, lang)
    chapter.add_paragraph(paragraph(f"fritekst.{key}.largest", sentence, "largest_theme"))
    table_id = f"fritekst-{key}"
    n = narrative.number(question.denominator, 0, lang)
    notes = [
        t["free_text_n"].format(n=n, answered=narrative.number(question.answered, 0, lang),
                                coded=narrative.number(question.coded, 0, lang)),
    ]  # fmt: skip
    if question.method and lang == "nb":
        notes.append(question.method)  # the agreement sentence is written by the free-text app, in bokmål
    table = Table(
        id=table_id,
        title=t["free_text_table"].format(question=question.question),
        columns=[Column(t["units"], NUMBER, 0), Column(t["share_of_units"], PERCENT, 0)],
        rows=[Row(th.label, [Cell(float(th.count)), Cell(round(th.share, 1))], th.key) for th in themes],
        notes=notes,
        source=t["free_text_source"],
        stub=t["theme"],
    )
    chapter.add_figure(
        Figure(
            id=f"figur-{table_id}",
            title=table.title,
            kind="bar",
            spec=charts.bar_spec(table.title, [(th.label, th.share) for th in themes], t["percent"], 0),
            table_id=table_id,
        )
    )
    chapter.add_table(table)
    for theme in themes:
        quotes = [w["quoted"].format(label=q) for q in theme.quotes[:QUOTES_PER_THEME] if q.strip()]
        if quotes:
            text = w["theme_quotes"].format(theme=theme.label, quotes=" ".join(quotes))
            chapter.add_paragraph(paragraph(f"fritekst.{key}.sitat.{theme.key}", narrative.Sentence(text), "quotes"))
