"""The annual report's free-text chapter: the largest-theme rule on hand-made cases, the pure chapter (no coded
answers, no chapter; one theme; ties; quotes), the free-text app's provider (codes as they are, approved quotes
only), and the chapter in the built report's HTML, PDF and XLSX."""

from __future__ import annotations

import io
from typing import Any

import pytest

from kartlegg.reports import narrative, sources
from kartlegg.reports.chapters_freetext import free_text_chapters
from kartlegg.reports.inputs import FreeTextQuestion, FreeTextTheme, ReportInputs


def question(themes: list[tuple[str, int]], denominator: int = 20, quotes: dict[str, list[str]] | None = None,
             key: str = "k1") -> FreeTextQuestion:  # fmt: skip
    return FreeTextQuestion(
        key, "Hva var konsekvensene?", denominator, answered=denominator + 3, coded=denominator + 1,
        themes=tuple(FreeTextTheme(label.lower(), label, count, 100 * count / denominator if denominator else 0.0,
                                   tuple((quotes or {}).get(label, []))) for label, count in themes),
    )  # fmt: skip


def inputs_with(*questions: FreeTextQuestion) -> ReportInputs:
    return ReportInputs(2023, [2022, 2023], 2024, "last", "v1", {}, {}, {}, {}, free_text=list(questions))


def test_largest_theme_one_tie_and_nothing() -> None:
    one = narrative.largest_theme([("Stengte tilbud", 9), ("Økt rusbruk", 4)], 20)
    assert one is not None
    assert one.text == (
        "Flest kommuner nevner «Stengte tilbud»: 9 av 20 kommuner med et kodet, relevant svar (45 prosent)."
    )
    assert [c.value for c in one.cites] == [9.0, 45.0]
    tie = narrative.largest_theme([("A", 5), ("B", 5), ("C", 5), ("D", 1)], 10)
    assert tie is not None and tie.text.startswith("Flest kommuner nevner «A», «B» og «C», 5 av 10")
    assert "(50 prosent)" in tie.text and "«D»" not in tie.text
    assert narrative.largest_theme([("A", 0), ("B", 0)], 10) is None  # no theme has a unit
    assert narrative.largest_theme([("A", 3)], 0) is None  # N = 0
    assert narrative.largest_theme([], 10) is None
    en = narrative.largest_theme([("A", 2), ("B", 2)], 3, "en")
    assert (
        en is not None
        and en.text.startswith("Most municipalities mention “A” and “B”: 2 of 3")
        and "67 per cent" in en.text
    )
    nn = narrative.largest_theme([("A", 1)], 4, "nn")
    assert nn is not None and nn.text.startswith("Flest kommunar nemner «A»: 1 av 4 kommunar med eit koda")


def test_no_coded_answers_no_chapter() -> None:
    assert free_text_chapters(inputs_with(), "nb") == []
    assert free_text_chapters(inputs_with(question([("A", 0), ("B", 0)]), question([("A", 2)], 0)), "nb") == []


def test_one_theme_chapter_has_sentence_table_figure_and_quotes() -> None:
    chapters = free_text_chapters(
        inputs_with(question([("Stengte tilbud", 6), ("Tom", 0)], 8, {"Stengte tilbud": ["Dagsenteret ble stengt."]})),
        "nb",
    )  # fmt: skip
    assert [c.id for c in chapters] == ["fritekst"]
    chapter = chapters[0]
    assert chapter.title == "Kommunenes egne beskrivelser"
    first = chapter.paragraphs[0]
    assert first.id == "fritekst.k1.largest" and "6 av 8" in first.text and "75 prosent" in first.text
    table = chapter.tables[0]
    assert [r.label for r in table.rows] == ["Stengte tilbud"]  # themes no unit mentions are left out
    assert [c.value for c in table.rows[0].cells] == [6.0, 75.0]
    assert any(note.startswith("N = 8:") for note in table.notes)
    assert chapter.figures[0].table_id == table.id
    assert chapter.paragraphs[1].text == "Eksempler på svar om «Stengte tilbud»: «Dagsenteret ble stengt.»"


def test_ties_keep_both_themes_in_order_and_english_headings() -> None:
    chapters = free_text_chapters(inputs_with(question([("B", 3), ("A", 3), ("C", 1)], 6)), "en")
    chapter = chapters[0]
    assert chapter.title == "The municipalities' own descriptions"
    assert [r.label for r in chapter.tables[0].rows] == ["A", "B", "C"]  # count first, then the label
    assert chapter.paragraphs[0].text.startswith("Most municipalities mention “A” and “B”: 3 of 6")
    assert [c.label for c in chapter.tables[0].columns] == ["Municipalities", "Share (%)"]


def test_provider_data_is_validated_into_plain_inputs() -> None:
    data = {"key": "k2", "question": "Q", "denominator": 4, "themes": [{"key": "a", "label": "A", "count": 2,
                                                                        "share": 50.0, "quotes": ["x"]}]}  # fmt: skip
    parsed = FreeTextQuestion.from_dict(data)
    assert parsed.themes[0].quotes == ("x",) and parsed.has_codes and parsed.answered == 0
    with pytest.raises(KeyError):
        FreeTextQuestion.from_dict({"question": "Q", "denominator": 1})


@pytest.mark.django_db
def test_free_text_app_provides_coded_themes_and_confirmed_quotes_only() -> None:
    from kartlegg.freetext.report_provider import coded_free_text
    from kartlegg.freetext.services import coding
    from kartlegg.freetext.services import summary as summary_services
    from tests.factories import make_analyst
    from tests.factories.freetext import codebook, korona_round, write_texts

    assert coded_free_text in sources.FREE_TEXT_PROVIDERS  # registered by the free-text app
    analyst = make_analyst()
    round_obj = korona_round(analyst)
    answers = write_texts(round_obj)
    book = codebook(analyst)
    assert coded_free_text(2020) == []  # nothing coded yet: no chapter
    coding.set_codes(book, answers["4601"], analyst, ["tjenester.dagtilbud_stengt"], confirm=True)
    coding.set_codes(book, answers["030101"], analyst, ["tjenester.telefon_ute"], confirm=True)
    coding.set_codes(book, answers["3024"], analyst, ["annet"], confirm=True)
    found = coded_free_text(2020, "live")
    assert len(found) == 1 and found[0]["denominator"] == 2 and found[0]["coded"] == 3
    services_theme = next(t for t in found[0]["themes"] if t["key"] == "tjenester")
    assert services_theme["count"] == 2 and services_theme["share"] == pytest.approx(100.0)
    assert all(not t["quotes"] for t in found[0]["themes"])  # no raw answer is ever quoted
    masked = "Dagsenteret i [sted] ble stengt, og [navn] fulgte opp brukerne på telefon."
    summary_services.confirm_quote(book, answers["4601"], analyst, True, masked)
    quoted = [q for t in coded_free_text(2020)[0]["themes"] for q in t["quotes"]]
    assert quoted == [masked] and "Bergen" not in str(coded_free_text(2020))
    assert coded_free_text(2019) == []  # a year without a round


@pytest.mark.django_db
def test_chapter_in_html_pdf_and_xlsx(monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from kartlegg.analytics import services as statistics
    from kartlegg.reports import services
    from kartlegg.reports.render_xlsx import sheet_name
    from tests.test_analytics_aggregates import SmallSurvey

    SmallSurvey()
    statistics.compute()
    calls: list[tuple[int, str]] = []

    def provider(year: int, data_version: str) -> list[dict[str, Any]]:
        calls.append((year, data_version))
        return [{"key": "k9", "question": "Konsekvenser av korona", "denominator": 10, "answered": 12, "coded": 11,
                 "themes": [{"key": "stengt", "label": "Stengte tilbud", "count": 7, "share": 70.0,
                             "quotes": ["Tilbudet i [sted] ble stengt."]}]}]  # fmt: skip

    monkeypatch.setattr(sources, "FREE_TEXT_PROVIDERS", [provider])
    stored = services.build_report(2020)
    assert calls == [(2020, "live")]
    document = services.document_of(stored)
    chapter = document.chapter("fritekst")
    assert chapter is not None and [c.id for c in document.chapters].index("fritekst") > 0
    assert "Kommunenes egne beskrivelser" in stored.html and "7 av 10 kommuner" in stored.html
    assert "«Tilbudet i [sted] ble stengt.»" in stored.html
    workbook = load_workbook(io.BytesIO(services.xlsx_of(stored)))
    rows = list(workbook[sheet_name("fritekst-k9", set())].iter_rows(values_only=True))
    assert rows[2][0] == "Temaer i svarene på «Konsekvenser av korona»"
    assert rows[4][:3] == ("Stengte tilbud", 7, 70)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(services.pdf_of(stored))).pages)
    assert "Kommunenes egne beskrivelser" in text and "7 av 10 kommuner" in text.replace("\u00a0", " ")
