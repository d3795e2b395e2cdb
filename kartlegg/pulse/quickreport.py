"""The quick report of a closed wave as a reports.document.Report (pure: no ORM), so that the report machinery
renders it to HTML and PDF like the annual report: response rate, the key changes in sentences, a table of every
question's figures against the wave before, trend charts (Vega-Lite, with their table twins), the free-text summary
when the wave's answers are coded, and a short method note. One to three A4 pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kartlegg.analytics import charts
from kartlegg.reports.document import (
    CHANGE,
    NUMBER,
    PERCENT,
    SUPPRESSED,
    TEXT,
    Cell,
    Chapter,
    Column,
    Figure,
    Paragraph,
    Report,
    Row,
    Source,
    Table,
)

from . import sentences
from .trends import NUMBER as NUMBER_KIND
from .trends import SHARE, YES, QuestionTrend, WaveInfo

MAX_CHARTS = 2


@dataclass
class FreeTextPart:
    """What the free-text summary contributes: (theme, sentences) and the denominator text."""

    question: str
    bullets: list[tuple[str, list[str]]]
    denominator: str


@dataclass
class QuickInputs:
    series: str
    wave: WaveInfo
    year: int
    submitted: int
    total: int
    previous_rate: float | None
    trends: list[QuestionTrend]
    late_note: str = ""
    free_text: list[FreeTextPart] = field(default_factory=list)
    questionnaire: str = ""
    demo: bool = False


def headline_category(trend: QuestionTrend) -> str:
    """The answer a question is summed up by in the table: "yes", else the answer whose share moved most."""
    if trend.question.type == "yesno":
        return YES
    best, size = trend.question.categories[0][0], -1.0
    for code, changes in trend.changes.items():
        change = changes[-1] if changes else None
        if change is not None and change.diff is not None and abs(change.diff) > size:
            best, size = code, abs(change.diff)
    return best


def figures_table(trends: Sequence[QuestionTrend]) -> Table:
    """One row per question: the headline answer's share (or the mean) in the wave before and now, the change,
    N now, and whether the change is larger than the intervals allow."""
    columns = [
        Column("Svar", TEXT),
        Column("Forrige måling", PERCENT, 0),
        Column("Denne målingen", PERCENT, 0),
        Column("Endring (prosentpoeng)", CHANGE, 0),
        Column("N", NUMBER, 0),
        Column("Sikker endring", TEXT),
    ]
    rows = []
    for trend in trends:
        q = trend.question
        if q.kind == SHARE:
            category = headline_category(trend)
            shares = trend.shares.get(category, [])
            now = shares[-1] if shares else None
            before = shares[-2] if len(shares) > 1 else None
            change = trend.latest_change(category)
            answer = dict(q.categories).get(category, category)
            cells = [
                Cell(answer),
                _stat_cell(before.percent if before else None, before.status if before else "missing"),
                _stat_cell(now.percent if now else None, now.status if now else "missing"),
                _stat_cell(change.diff if change else None),
                Cell(float(now.n) if now else None, "ok" if now else "missing"),
                Cell("ja" if change and change.marked else "nei"),
            ]
        else:
            stats = trend.numbers
            now_n = stats[-1] if stats else None
            before_n = stats[-2] if len(stats) > 1 else None
            change = trend.latest_change("mean")
            cells = [
                Cell(f"gjennomsnitt{(' ' + q.unit) if q.unit else ''}"),
                _stat_cell(before_n.mean if before_n else None),
                _stat_cell(now_n.mean if now_n else None),
                _stat_cell(change.diff if change else None),
                Cell(float(now_n.n) if now_n else None, "ok" if now_n else "missing"),
                Cell("ja" if change and change.marked else "nei"),
            ]
        rows.append(Row(q.label, cells, code=q.code))
    return Table(
        "puls-tall",
        "Svarene i denne og forrige måling",
        columns,
        rows,
        notes=[
            "Andeler i prosent av enhetene som svarte på spørsmålet (N). For tall: gjennomsnittet, endringen i "
            "samme enhet som tallet.",
            "«Sikker endring»: endringen er større enn 95 %-usikkerhetsintervallene tillater (Newcombes metode "
            "for andeler, Welch for gjennomsnitt).",
        ],
        stub="Spørsmål",
    )


def _stat_cell(value: float | None, status: str = "ok") -> Cell:
    return Cell(value, "ok" if value is not None else (status if status in (SUPPRESSED, "missing") else "missing"))


def trend_table(trend: QuestionTrend, table_id: str) -> Table:
    """The figure's table twin: one column per wave; a share per answer (or mean and median) and N."""
    q = trend.question
    rows = []
    if q.kind == SHARE:
        columns = [Column(w.label, PERCENT, 0) for w in trend.waves]
        for code, label in q.categories:
            rows.append(Row(label, [_stat_cell(s.percent, s.status) for s in trend.shares.get(code, [])], code=code))
        ns = [Cell(float(s.n)) for s in next(iter(trend.shares.values()), [])]
    else:
        columns = [Column(w.label, NUMBER, q.decimals) for w in trend.waves]
        rows.append(Row("Gjennomsnitt", [_stat_cell(s.mean, s.status) for s in trend.numbers], code="mean"))
        rows.append(Row("Median", [_stat_cell(s.median, s.status) for s in trend.numbers], code="median"))
        ns = [Cell(float(s.n)) for s in trend.numbers]
    columns_n = len(columns)
    rows.append(Row("N (svarte)", ns[:columns_n], code="n"))
    return Table(table_id, q.label, columns, rows, stub="Svar")


def trend_figure(trend: QuestionTrend, figure_id: str, table_id: str) -> Figure | None:
    """The question over the waves (x: the wave's number), drawn by analytics.charts like the pulse pages; None
    without a figure to draw (the table still shows the marks)."""
    numbers = [w.number for w in trend.waves]
    lines: list[charts.Series] = []
    if trend.question.kind == SHARE:
        for code, label in trend.question.categories:
            if trend.question.type == "yesno" and code != YES:
                continue
            shares = trend.shares.get(code, [])
            points = [charts.Point(n, s.percent) for n, s in zip(numbers, shares, strict=True)]
            lines.append(charts.Series(label, points))
        decimals = 0
    else:
        means = [charts.Point(n, stat.mean) for n, stat in zip(numbers, trend.numbers, strict=True)]
        lines.append(charts.Series(trend.question.unit or "Gjennomsnitt", means))
        decimals = trend.question.decimals
    spec = charts.line_chart(lines, numbers, trend.question.label, decimals=decimals, x_label="Måling")
    if spec is None:
        return None
    return Figure(figure_id, trend.question.label, "line", spec, table_id,
                  "Utviklingen over målingene; tallene står i tabellen under.")  # fmt: skip


def chart_trends(trends: Sequence[QuestionTrend]) -> list[QuestionTrend]:
    """The questions with the largest change since the wave before (marked changes first), at most MAX_CHARTS."""

    def size(trend: QuestionTrend) -> tuple[int, float]:
        best = (0, 0.0)
        for changes in trend.changes.values():
            change = changes[-1] if changes else None
            if change is not None and change.diff is not None:
                scale = abs(change.previous) if trend.question.kind == NUMBER_KIND and change.previous else 1.0
                best = max(best, (int(change.marked), abs(change.diff) / scale))
        return best

    with_data = [t for t in trends if len(t.waves) > 1]
    return sorted(with_data, key=size, reverse=True)[:MAX_CHARTS]


def quick_report(inputs: QuickInputs) -> Report:
    wave = inputs.wave
    summary = Chapter("hovedfunn", "Hovedfunn")
    summary.add_paragraph(Paragraph("hovedfunn.svar", sentences.response_sentence(
        wave.number, inputs.submitted, inputs.total, inputs.previous_rate), rule="response_rate"))  # fmt: skip
    if wave.number > 1:
        changes = sentences.key_changes(inputs.trends)
        for i, key in enumerate(changes):
            summary.add_paragraph(Paragraph(f"hovedfunn.endring.{i}", key.text, rule="key_change"))
        if not changes:
            summary.add_paragraph(Paragraph("hovedfunn.ingen", sentences.no_key_change_sentence(), rule="key_change"))
    else:
        summary.add_paragraph(Paragraph("hovedfunn.forste", "Dette er seriens første måling; endringer vises fra "
                                        "neste måling.", rule="first_wave"))  # fmt: skip
    if inputs.late_note:
        summary.add_paragraph(Paragraph("hovedfunn.sene", inputs.late_note, rule="late"))
    summary.add_table(figures_table(inputs.trends))

    development = Chapter("utvikling", "Utviklingen over målingene")
    for i, trend in enumerate(chart_trends(inputs.trends)):
        table_id = f"puls-trend-{i + 1}"
        figure = trend_figure(trend, f"puls-figur-{i + 1}", table_id)
        if figure is not None:
            development.add_figure(figure)
        development.add_table(trend_table(trend, table_id))

    chapters = [summary, development]
    if inputs.free_text:
        free = Chapter("fritekst", "Kommunenes egne beskrivelser")
        for i, part in enumerate(inputs.free_text):
            for j, (theme, lines) in enumerate(part.bullets):
                free.add_paragraph(Paragraph(f"fritekst.{i}.{j}", f"{theme}: {' '.join(lines)}", rule="freetext"))
            free.add_paragraph(Paragraph(f"fritekst.{i}.n", part.denominator, rule="freetext"))
        chapters.append(free)
    method = Chapter("metode", "Metode")
    method.add_paragraph(Paragraph("metode.tekst", (
        "Andelene er regnet av enhetene (kommuner og Oslos bydeler) som sendte inn skjemaet og svarte på "
        "spørsmålet. Usikkerheten er vist som 95 %-intervall (Wilson). En endring regnes som sikker når "
        "intervallet for forskjellen (Newcombe) ikke omfatter null. Hvem som svarer, skifter fra måling til "
        "måling; panelvalget i statistikken viser endringer bare for enheter som svarte begge gangene."),
        rule="method"))  # fmt: skip
    chapters.append(method)
    return Report(
        year=inputs.year,
        title=f"{inputs.series}: {wave.label.lower()}",
        subtitle="Hurtigrapport",
        language="nb",
        data_version="live",
        structure=inputs.year,
        rule="",
        questionnaire_versions={str(inputs.year): inputs.questionnaire} if inputs.questionnaire else {},
        chapters=[c for c in chapters if c.blocks],
        sources=[Source("kartlegg", "pulsundersøkelse til kommunene og Oslos bydeler")],
        demo=inputs.demo,
    )
