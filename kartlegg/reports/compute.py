"""One year's aggregates → the report (document.Report). Pure: it reads ReportInputs only, never the ORM, so the same
inputs always give the same report.

Chapters, in order: summary; one chapter per theme of the questionnaire (chapters_themes); regions (county, RHF,
HF, DPS, size group, KOSTRA group when loaded); time series; methods; free text (only when a provider supplies
coded themes); appendix per unit and one-page profiles (chapters_units). docs/reports.md says how to add one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_noop

from kartlegg.reports import charts, maps, narrative
from kartlegg.reports.blocks import cell, change_fig, paragraph, series_cell
from kartlegg.reports.chapters_freetext import free_text_chapters
from kartlegg.reports.chapters_themes import theme_chapters
from kartlegg.reports.chapters_units import appendix_chapter, profiles_chapter
from kartlegg.reports.document import (
    CHANGE,
    CHANGE_PERCENT,
    NUMBER,
    TEXT,
    Cell,
    Chapter,
    Column,
    Figure,
    Footnote,
    Report,
    Row,
    Source,
    Table,
)
from kartlegg.reports.inputs import (
    ADULTS,
    CHILDREN,
    COUNTY,
    DPS,
    HF,
    KOSTRA_GROUP,
    NATION,
    NATION_CODE,
    PER_CAPITA,
    RHF,
    SIZE_GROUP,
    SUM,
    TOTAL,
    ReportInputs,
)
from kartlegg.reports.labels import labels, tr

SOURCES = [
    ("SSB", gettext_noop("Folketall: tabell 07459 og 10826; kommune- og fylkesinndeling (KLASS 131)")),
    ("Kartverket", gettext_noop("Kartgrenser")),
    ("SKDE", gettext_noop("Opptaksområder for helseforetak og DPS")),
    ("kartlegg", gettext_noop("Kartleggingen av kommunalt psykisk helse- og rusarbeid")),
]
REGION_LEVELS = (COUNTY, RHF, HF, DPS, SIZE_GROUP, KOSTRA_GROUP)
LEVEL_TITLES = {
    COUNTY: gettext_noop("fylke"), RHF: gettext_noop("regionalt helseforetak"), HF: gettext_noop("helseforetak"),
    DPS: gettext_noop("DPS-område"), SIZE_GROUP: gettext_noop("kommunestørrelse"),
    KOSTRA_GROUP: gettext_noop("KOSTRA-gruppe"),
}  # fmt: skip

FOLLOW_UP_COLUMNS = (
    gettext_noop("Enheter"), gettext_noop("Merknader"), gettext_noop("Enheter med spørsmål"),
    gettext_noop("Spørsmål sendt"), gettext_noop("Enheter som rettet"),
)  # fmt: skip
Progress = Callable[[str], None]


def compute_report(inputs: ReportInputs, lang: str = "nb", progress: Progress | None = None) -> Report:
    narrative.check_language(lang)
    t = labels(lang)
    step = progress or (lambda _name: None)
    report = Report(
        year=inputs.year,
        title=t["title"].format(year=inputs.year),
        subtitle=t["subtitle"],
        language=lang,
        data_version=inputs.data_version,
        structure=inputs.structure,
        rule=inputs.rule,
        questionnaire_versions={str(y): v for y, v in sorted(inputs.questionnaire_versions.items())},
        sources=[Source(name, tr(lang, detail)) for name, detail in SOURCES],
        demo=inputs.demo,
        data_versions={str(y): k for y, k in sorted(inputs.data_versions.items())},
    )
    builders: list[tuple[str, Callable[[], list[Chapter]]]] = [
        ("summary", lambda: [summary_chapter(inputs, lang)]),
        ("themes", lambda: theme_chapters(inputs, lang)),
        ("regions", lambda: [regions_chapter(inputs, lang)]),
        ("series", lambda: [series_chapter(inputs, lang)]),
        ("methods", lambda: [methods_chapter(inputs, lang)]),
        ("free_text", lambda: free_text_chapters(inputs, lang)),
        ("appendix", lambda: [appendix_chapter(inputs, lang)]),
        ("profiles", lambda: [profiles_chapter(inputs, lang)]),
    ]
    for name, build in builders:
        step(name)
        report.chapters.extend(c for c in build() if c.blocks)
    report.footnotes = [
        Footnote("symbols", tr(lang, gettext_noop(
            "Tegnforklaring: .. = mangler, : = skjult (færre enn 5 enheter), i = imputert (siste rapporterte tall er "
            "brukt), e = anslått (delt kommune, fordelt etter folketall)."))),
    ]  # fmt: skip
    if inputs.demo:
        report.footnotes.append(
            Footnote("demo", tr(lang, gettext_noop("{demo}: tallene for enkeltenheter er oppdiktet."), demo=t["demo"]))
        )
    return report


def summary_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    year, previous = inputs.year, inputs.previous_year
    chapter = Chapter("sammendrag", t["summary"])
    rows = [(ADULTS, t["adults"], t["group_adults"]), (CHILDREN, t["children"], t["group_children"]),
            (TOTAL, t["total"], "")]  # fmt: skip
    sums = {code: inputs.get(code, SUM, NATION) for code, _, _ in rows}
    rates = {code: inputs.get(code, PER_CAPITA, NATION) for code, _, _ in rows}
    pct = {code: change_fig(sums[code], NATION_CODE, year, previous, True) for code, _, _ in rows}
    rate_pct = {code: change_fig(rates[code], NATION_CODE, year, previous, True) for code, _, _ in rows}
    total = sums[TOTAL]
    comparable = total is not None and previous is not None and total.comparable(year, previous)

    # Sentences: the level and change of the total, the split, per capita, growth against earlier years, the period.
    first = None
    if total is not None and previous is not None:
        first = narrative.change_sentence(
            label_of(inputs, TOTAL), total.nation(year), total.nation(previous), year, previous, t["arsverk"],
            decimals=0, comparable=comparable, lang=lang, ref=f"{TOTAL}|sum|nation|0|{year}",
        )  # fmt: skip
        if first is not None and total.nation(year).status == "imputed":
            first.text = first.text[:-1] + narrative.includes_imputed(total.nation(year), lang) + "."
    split = narrative.growth_breakdown(
        pct[TOTAL].value, [(t["group_children"], pct[CHILDREN].value), (t["group_adults"], pct[ADULTS].value)],
        comparable, lang,
    )  # fmt: skip
    chapter.add_paragraph(paragraph("sammendrag.total", narrative.join([first, split]), "change_sentence"))
    capita = [
        narrative.per_capita_against_raw(group, pct[code].value, rate_pct[code].value, comparable, lang)
        for code, _, group in rows[:2]
    ]
    chapter.add_paragraph(paragraph("sammendrag.per_capita", narrative.join(capita), "per_capita_against_raw"))
    if total is not None and previous is not None:
        earlier = _earlier_growth(inputs, total)
        chapter.add_paragraph(
            paragraph(
                "sammendrag.growth",
                narrative.growth_against_previous(pct[TOTAL].value, earlier, lang),
                "growth_against_previous",
            )  # fmt: skip
        )
    if total is not None:
        points = [(y, total.nation(y)) for y in inputs.years]
        chapter.add_paragraph(
            paragraph(
                "sammendrag.period",
                narrative.cumulative(label_of(inputs, TOTAL).lower(), points, total.breaks, lang),
                "cumulative",
            )  # fmt: skip
        )
        chapter.add_paragraph(
            paragraph(
                "sammendrag.imputed",
                narrative.imputed_sentence(total.imputed.get(year), year, lang),
                "imputed_sentence",
            )  # fmt: skip
        )

    columns = [Column(str(previous or "")), Column(str(year)), Column(t["change"], CHANGE), Column(t["change_pct"],
               CHANGE_PERCENT)]  # fmt: skip
    table_rows = []
    for code, label, _ in rows:
        series = sums[code]
        before = series_cell(series, NATION_CODE, previous) if previous else Cell(None, "missing")
        table_rows.append(
            Row(
                label,
                [
                    before,
                    series_cell(series, NATION_CODE, year),
                    cell(change_fig(series, NATION_CODE, year, previous, False), None),
                    cell(pct[code], None),
                ],
                code,
                total=code == TOTAL,
            )  # fmt: skip
        )
    headline = Table(
        id="sammendrag-hovedtall",
        title=t["headline"].format(previous=previous or "", year=year),
        columns=[Column(c.label, c.kind, 1 if c.kind == CHANGE_PERCENT else 0, t["arsverk"]) for c in columns],
        rows=table_rows,
        notes=_headline_notes(inputs, sums[TOTAL], lang),
        source=t["source"],
        stub=t["area"],
        variable=TOTAL, level=NATION, measure=SUM, years=f"{previous}-{year}" if previous else str(year),
    )  # fmt: skip
    chapter.add_table(headline)
    rate_rows = [
        Row(f"{label} ({_rate_unit(code, lang)})", [series_cell(rates[code], NATION_CODE, previous) if previous else
            Cell(None, "missing"), series_cell(rates[code], NATION_CODE, year), cell(rate_pct[code], None)], code)
        for code, label, _ in rows
    ]  # fmt: skip
    chapter.add_table(
        Table(
            id="sammendrag-per-innbygger",
            title=tr(
                lang, gettext_noop("{what}, {previous} og {year}"), what=t["per_capita"], previous=previous, year=year
            )
            if previous
            else t["per_capita"],  # fmt: skip
            columns=[
                Column(str(previous or ""), NUMBER, 1),
                Column(str(year), NUMBER, 1),
                Column(t["change_pct"], CHANGE_PERCENT, 1),
            ],  # fmt: skip
            rows=rate_rows,
            source=t["source"],
            stub=t["area"],
            variable=TOTAL,
            level=NATION,
            measure=PER_CAPITA,
            years=str(year),
        )  # fmt: skip
    )
    return chapter


def _rate_unit(code: str, lang: str) -> str:
    units = {ADULTS: gettext_noop("per 10 000 18+"), CHILDREN: gettext_noop("per 10 000 0–17"),
             TOTAL: gettext_noop("per 1 000")}  # fmt: skip
    return tr(lang, units[code])


def label_of(inputs: ReportInputs, code: str) -> str:
    info = inputs.variables.get(code)
    return info.label if info is not None else code


def _earlier_growth(inputs: ReportInputs, series: object) -> list[float | None]:
    """Growth (per cent) of the two survey years before this one, newest first, each only when comparable."""
    from kartlegg.reports.inputs import Series

    assert isinstance(series, Series)
    years = [y for y in inputs.years if y < inputs.year]
    result: list[float | None] = []
    for later, earlier in ((years[-1], years[-2]), (years[-2], years[-3])) if len(years) >= 3 else ():
        result.append(change_fig(series, NATION_CODE, later, earlier, True).value)
    return result


def _headline_notes(inputs: ReportInputs, total: object, lang: str) -> list[str]:
    from kartlegg.reports.inputs import Series

    notes = []
    if isinstance(total, Series):
        count = total.imputed.get(inputs.year)
        if count:
            notes.append(tr(lang, gettext_noop("Tallene for {year} inkluderer {count} enheter som ikke rapporterte "
                                               "(merket i)."), year=inputs.year, count=count))  # fmt: skip
        for b in total.breaks:
            if inputs.previous_year is not None and inputs.previous_year < b <= inputs.year:
                notes.append(tr(lang, gettext_noop("Brudd i tidsserien i {year}: endring fra året før vises ikke."),
                                year=b))  # fmt: skip
    return notes


def regions_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    chapter = Chapter("regioner", t["regions"])
    year = inputs.year
    for level in REGION_LEVELS:
        base = inputs.get(TOTAL, SUM, level)
        if base is None or not base.regions:
            continue  # KOSTRA groups only when loaded
        codes = [(ADULTS, SUM), (CHILDREN, SUM), (TOTAL, SUM), (ADULTS, PER_CAPITA), (CHILDREN, PER_CAPITA),
                 (TOTAL, PER_CAPITA)]  # fmt: skip
        columns = [Column(t["adults"], NUMBER, 0), Column(t["children"], NUMBER, 0), Column(t["total"], NUMBER, 0),
                   Column(t["adults_rate"], NUMBER, 1), Column(t["children_rate"], NUMBER, 1),
                   Column(t["total_rate"], NUMBER, 1), Column(t["change_pct"], CHANGE_PERCENT, 1)]  # fmt: skip
        rows = []
        for region, label in base.regions:
            cells = [series_cell(inputs.get(v, m, level), region, year) for v, m in codes]
            cells.append(cell(change_fig(base, region, year, inputs.previous_year, True), None))
            rows.append(Row(label, cells, region))
        nation = [series_cell(inputs.get(v, m, NATION), NATION_CODE, year) for v, m in codes]
        nation.append(cell(change_fig(inputs.get(TOTAL, SUM, NATION), NATION_CODE, year, inputs.previous_year,
                                      True), None))  # fmt: skip
        rows.append(Row(t["nation"], nation, NATION_CODE, total=True))
        what = tr(lang, LEVEL_TITLES[level])
        rate_title = tr(lang, gettext_noop("Årsverk per 1 000 innbyggere etter {what}, {year}"), what=what, year=year)
        table = Table(
            id=f"regioner-{level.replace('_', '-')}",
            title=tr(lang, gettext_noop("Årsverk etter {what}, {year}"), what=what, year=year),
            columns=columns, rows=rows, source=t["source"], stub=what.capitalize(),
            variable=TOTAL, level=level, measure=SUM, years=str(year),
        )  # fmt: skip
        rate = inputs.get(TOTAL, PER_CAPITA, level)
        if rate is not None:
            refs = {label: f"{TOTAL}|per_capita|{level}|{code}|{year}" for code, label in rate.regions}
            items = [(label, rate.get(code, year)) for code, label in rate.regions]
            what_rate = tr(lang, gettext_noop("Årsverk per 1 000 innbyggere etter {what}"), what=what)
            sentence = narrative.extremes(what_rate, items, 1, lang, refs)
            chapter.add_paragraph(paragraph(f"regioner.{level}.extremes", sentence, "extremes"))
            if level in (COUNTY, HF, RHF, SIZE_GROUP):
                chapter.add_figure(
                    Figure(
                        id=f"figur-{table.id}",
                        title=rate_title,
                        kind="bar",
                        spec=charts.bar_spec(
                            rate_title,
                            [(label, f.value if f.usable else None) for label, f in items],
                            tr(lang, gettext_noop("årsverk per 1 000")),
                        ),  # fmt: skip
                        table_id=table.id,
                    )
                )
        for figure in maps.region_maps(inputs, level, what, table.id, lang):
            chapter.add_figure(figure)
        chapter.add_table(table)
    return chapter


def series_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    chapter = Chapter("tidsserier", t["series"])
    parts = [(ADULTS, SUM, t["adults"], 0), (CHILDREN, SUM, t["children"], 0), (TOTAL, SUM, t["total"], 0),
             (TOTAL, PER_CAPITA, t["total_rate"], 1)]  # fmt: skip
    breaks = sorted({b for v, m, _, _ in parts for b in getattr(inputs.get(v, m, NATION), "breaks", [])})
    rows = []
    for year in inputs.years:
        label = tr(lang, gettext_noop("{year} (brudd)"), year=year) if year in breaks else str(year)
        rows.append(Row(label, [series_cell(inputs.get(v, m, NATION), NATION_CODE, year) for v, m, _, _ in parts],
                        str(year)))  # fmt: skip
    break_note = gettext_noop(
        "Brudd i tidsserien i {year}: skjemaets inndeling ble endret, så tallene før og etter kan ikke sammenlignes "
        "direkte. Teksten sammenligner ikke over bruddet."
    )
    notes = [tr(lang, break_note, year=b) for b in breaks]
    table = Table(
        id="tidsserier-nasjonalt",
        title=tr(lang, gettext_noop("Årsverk nasjonalt, {first}–{year}"), first=inputs.years[0], year=inputs.year),
        columns=[Column(label, NUMBER, d) for _, _, label, d in parts],
        rows=rows, notes=notes, source=t["source"], stub=t["year"],
        variable=TOTAL, level=NATION, measure=SUM, years=f"{inputs.years[0]}-{inputs.year}",
    )  # fmt: skip
    sentences = []
    for code, label in ((ADULTS, t["group_adults"]), (CHILDREN, t["group_children"]), (TOTAL, "")):
        series = inputs.get(code, SUM, NATION)
        if series is not None:
            subject = (
                tr(lang, gettext_noop("årsverk i tjenester til {group}"), group=label)
                if label
                else tr(lang, gettext_noop("årsverk i alt"))
            )
            points = [(y, series.nation(y)) for y in inputs.years]
            sentences.append(narrative.cumulative(subject, points, series.breaks, lang))
    chapter.add_paragraph(paragraph("tidsserier.period", narrative.join(sentences), "cumulative"))
    lines = [
        {"year": y, "series": label, "value": _value(inputs, v, m, y)}
        for v, m, label, _ in parts[:3] for y in inputs.years
    ]  # fmt: skip
    chapter.add_figure(
        Figure(
            id="figur-tidsserier",
            title=table.title,
            kind="line",
            spec=charts.line_spec(
                table.title, lines, t["arsverk"], breaks, break_label=tr(lang, gettext_noop("Brudd"))
            ),
            table_id=table.id,
        )  # fmt: skip
    )
    chapter.add_table(table)
    return chapter


def _value(inputs: ReportInputs, variable: str, measure: str, year: int) -> float | None:
    series = inputs.get(variable, measure, NATION)
    fig = series.nation(year) if series is not None else None
    return fig.value if fig is not None and fig.usable else None


def methods_chapter(inputs: ReportInputs, lang: str) -> Chapter:
    t = labels(lang)
    year = inputs.year
    chapter = Chapter("metode", t["methods"])
    units, submitted = inputs.responses.get(year, (0, 0))
    chapter.add_paragraph(paragraph("metode.response", narrative.response_rate(submitted, units, year, lang),
                                    "response_rate"))  # fmt: skip
    total = inputs.get(TOTAL, SUM, NATION)
    imputed = narrative.imputed_sentence(total.imputed.get(year) if total else None, year, lang)
    chapter.add_paragraph(paragraph("metode.imputed", imputed, "imputed_sentence"))
    follow = inputs.follow_up.get(year)
    if follow is not None:
        before = inputs.follow_up.get(inputs.previous_year or -1)
        sentence = narrative.follow_up_sentence(
            follow.units_queried, follow.units, follow.units_corrected, follow.flags,
            before.share_queried if before is not None else None, lang,
        )  # fmt: skip
        chapter.add_paragraph(paragraph("metode.followup", sentence, "follow_up_sentence"))
        rows = []
        for y in inputs.years:
            f = inputs.follow_up.get(y)
            if f is not None:
                rows.append(Row(str(y), [Cell(float(v)) for v in (f.units, f.flags, f.units_queried, f.queries,
                                                                   f.units_corrected)], str(y)))  # fmt: skip
        chapter.add_table(
            Table(
                id="metode-oppfolging",
                title=tr(lang, gettext_noop("Kvalitetskontroll og oppfølging")),
                columns=[Column(tr(lang, c), NUMBER, 0) for c in FOLLOW_UP_COLUMNS],
                rows=rows,
                stub=t["year"],
                source="kartlegg",
            )  # fmt: skip
        )
    reforms = [r for r in inputs.reforms if r.year <= year]
    text = tr(lang, gettext_noop(
        "Tallene er harmonisert til kommune- og fylkesinndelingen i {year}: sammenslåtte kommuner er summert, og ved "
        "deling er tallene fordelt etter folketall (merket e)."), year=inputs.structure)  # fmt: skip
    if reforms:
        latest = sorted({r.year for r in reforms})[-3:]
        text += " " + tr(lang, gettext_noop("Kommunereformer i perioden:")) + " " + "; ".join(
            f"{y}: " + ", ".join(f"{r.old} → {r.new}" for r in reforms if r.year == y)[:300] for y in latest
        ) + "."  # fmt: skip
    chapter.add_paragraph(paragraph("metode.reforms", narrative.Sentence(text), "reforms"))
    chapter.add_paragraph(
        paragraph(
            "metode.suppression",
            narrative.Sentence(
                tr(
                    lang,
                    gettext_noop(
                        "Andeler som bygger på færre enn 5 enheter, vises ikke (merket :), verken i tabeller "
                        "eller tekst. Teksten sammenligner aldri tall over et brudd i tidsserien."
                    ),
                )
            ),  # fmt: skip
            "suppression",
        )  # fmt: skip
    )
    versions = ", ".join(f"{y}: {v}" for y, v in sorted(inputs.questionnaire_versions.items()))
    live, numbered = tr(lang, gettext_noop("foreløpige tall")), gettext_noop("dataversjon {number}")
    version = (
        tr(lang, gettext_noop("foreløpige tall (ikke låst)")) if inputs.data_version == "live"
        else tr(lang, numbered, number=inputs.data_version[1:])
    )  # fmt: skip
    earlier = [
        f"{y}: {live if k == 'live' else tr(lang, numbered, number=k[1:])}"
        for y, k in sorted(inputs.data_versions.items())
        if y != year
    ]
    if earlier:
        version += " " + tr(lang, gettext_noop("(tidligere år: {years})"), years=", ".join(earlier))
    chapter.add_paragraph(
        paragraph(
            "metode.versions",
            narrative.Sentence(
                tr(
                    lang,
                    gettext_noop(
                        "Rapporten bygger på {version} for {year}, imputeringsregelen «{rule}» og skjemaversjonene "
                        "{versions}."
                    ),
                    version=version,
                    year=year,
                    rule=inputs.rule,
                    versions=versions,
                )
            ),  # fmt: skip
            "versions",
        )  # fmt: skip
    )
    return chapter


__all__ = ["compute_report", "TEXT"]
