"""Small builders shared by the chapters: cells from series figures, references to the explorer, paragraphs from
sentences, and the change between two figures (never across a break). Pure."""

from __future__ import annotations

from kartlegg.reports.document import (
    ESTIMATED,
    IMPUTED,
    MISSING,
    OK,
    SUPPRESSED,
    Cell,
    Paragraph,
)
from kartlegg.reports.inputs import Fig, Series
from kartlegg.reports.narrative import Sentence, percent_change


def ref(variable: str, measure: str, level: str, region: str, year: int | str) -> str:
    return f"{variable}|{measure}|{level}|{region}|{year}"


def cell(fig: Fig, series: Series | None = None, region: str = "", year: int = 0) -> Cell:
    """A table cell: the figure, or its mark when it may not be shown."""
    link = ref(series.variable, series.measure, series.level, region, year) if series is not None else ""
    if fig.status == SUPPRESSED:
        return Cell(None, SUPPRESSED, link)
    if fig.value is None:
        return Cell(None, MISSING, link)
    return Cell(fig.value, fig.status if fig.status in (IMPUTED, ESTIMATED) else OK, link)


def series_cell(series: Series | None, region: str, year: int) -> Cell:
    if series is None:
        return Cell(None, MISSING)
    return cell(series.get(region, year), series, region, year)


def change_fig(series: Series | None, region: str, year: int, previous: int | None, percent: bool) -> Fig:
    """The change from `previous` to `year` (in per cent or in units); missing across a break or from a figure that
    may not be shown; carries the imputed flag of either end."""
    if series is None or previous is None or not series.comparable(year, previous):
        return Fig(None, MISSING)
    now, before = series.get(region, year), series.get(region, previous)
    if not (now.usable and before.usable):
        return Fig(None, SUPPRESSED if SUPPRESSED in (now.status, before.status) else MISSING)
    value = percent_change(now.value, before.value) if percent else (now.value or 0.0) - (before.value or 0.0)
    if value is None:
        return Fig(None, MISSING)
    status = IMPUTED if IMPUTED in (now.status, before.status) else OK
    return Fig(value, status)


def paragraph(paragraph_id: str, sentence: Sentence | None, rule: str) -> Paragraph | None:
    if sentence is None or not sentence.text:
        return None
    return Paragraph(id=paragraph_id, text=sentence.text, cites=list(sentence.cites), rule=rule)


def slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part)[:60]
