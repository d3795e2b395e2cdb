"""The report in nynorsk and English: every fixed text and heading goes through gettext (labels.py, the
gettext_noop texts of the chapters, the templates) and the narrative rules have their words in all three languages,
so a report built in English or nynorsk has its own headings and no bokmål fixed text in the summary, the time
series and the methods (data such as questionnaire labels stays as written)."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from kartlegg.analytics import services as statistics
from kartlegg.reports import services
from kartlegg.reports.document import Chapter
from kartlegg.reports.labels import MSGIDS
from kartlegg.reports.narrative_words import LANGUAGES
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
REPORTS = Path(__file__).resolve().parent.parent / "kartlegg" / "reports"
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")


def fixed_msgids() -> set[str]:
    """The report's own fixed texts: the labels and every gettext_noop text in reports/*.py."""
    found = set(MSGIDS.values())
    for path in REPORTS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "gettext_noop":
                found.add(node.args[0].value)  # type: ignore[attr-defined]
    return found


def bokmal_fragments(lang: str) -> set[str]:
    """Pieces (between placeholders, 6 characters or more) of bokmål fixed texts that `lang` says otherwise."""
    pieces: set[str] = set()
    with translation.override(lang):
        for msgid in fixed_msgids():
            translated = translation.gettext(msgid)
            if translated != msgid:
                pieces |= {p.strip(" ,.:;()") for p in PLACEHOLDER.split(msgid) if p.strip(" ,.:;()") not in translated}
    for key, text in LANGUAGES["nb"].items():
        other = LANGUAGES[lang][key]
        if isinstance(text, str) and text != other:
            pieces |= {p.strip(" ,.:;()") for p in PLACEHOLDER.split(text) if p.strip(" ,.:;()") not in other}
    return {p for p in pieces if len(p) >= 6}


def texts(chapter: Chapter) -> list[str]:
    out = [chapter.title] + [p.text for p in chapter.paragraphs]
    for table in chapter.tables:
        out += [table.title, table.stub, table.source, *table.notes, *(c.label for c in table.columns)]
        out += [r.label for r in table.rows if r.code.isdigit() or r.code in ("arsverk_voksne", "arsverk_barn_og_unge")]
    return out


@pytest.fixture
def built() -> dict[str, Any]:
    SmallSurvey()
    statistics.compute()
    stored = {lang: services.build_report(2024, language=lang) for lang in ("en", "nn")}
    out: dict[str, Any] = {lang: services.document_of(report) for lang, report in stored.items()}
    out |= {f"{lang}-html": report.html for lang, report in stored.items()}
    return out


@pytest.mark.parametrize(
    ("lang", "headings"),
    [
        ("en", ["Summary", "Counties, health regions and DPS areas", "Development over time", "Methods and data"]),
        ("nn", ["Samandrag", "Fylke, helseregionar og DPS-område", "Utviklinga over tid", "Metode og datagrunnlag"]),
    ],
)
def test_headings_are_in_the_reports_language(built: dict[str, Any], lang: str, headings: list[str]) -> None:
    document = built[lang]
    titles = [c.title for c in document.chapters]
    assert all(h in titles for h in headings), titles
    assert document.language == lang
    summary = document.chapter("sammendrag")
    assert summary is not None
    table = document.table("sammendrag-hovedtall")
    assert table is not None
    change = {"en": "Change (%)", "nn": "Endring (%)"}[lang]
    assert [c.label for c in table.columns][-1] == change


@pytest.mark.parametrize("lang", ["en", "nn"])
def test_no_bokmal_fixed_text_in_summary_series_and_methods(built: dict[str, Any], lang: str) -> None:
    fragments = bokmal_fragments(lang)
    assert len(fragments) > 40 and "Sammendrag" in fragments if lang == "en" else len(fragments) > 20
    found = []
    for chapter_id in ("sammendrag", "tidsserier", "metode"):
        chapter = built[lang].chapter(chapter_id)
        assert chapter is not None
        for text in texts(chapter):
            found += [(chapter_id, f, text) for f in fragments if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)]
    assert not found, found


def test_english_page_has_english_fixed_text(built: dict[str, Any]) -> None:
    html = built["en-html"]
    assert isinstance(html, str)
    assert "Contents" in html and "Notes and sources" in html and "See the table with the figures" in html
    for bokmal in ("Innhold", "Merknader og kilder", "Se tabellen med tallene", "Laget med kartlegg", "Last ned:"):
        assert bokmal not in html, bokmal
    nn = built["nn-html"]
    assert isinstance(nn, str) and "Innhald" in nn and "Sjå tabellen med tala" in nn and "Innhold<" not in nn


def test_english_workbook_and_pdf_footer(built: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    from kartlegg.reports.render_pdf import part_css
    from kartlegg.reports.render_xlsx import render_xlsx

    workbook = load_workbook(io.BytesIO(render_xlsx(built["en"])))
    assert workbook.sheetnames[-1] == "Notes and sources" and "Municipality profiles" in workbook.sheetnames
    labels = [r[0] for r in workbook["Notes and sources"].iter_rows(values_only=True)]
    assert "Data version" in labels and "Dataversjon" not in labels
    assert '"page " counter(page) " of 12"' in part_css(built["en"], 1, 12, None)
