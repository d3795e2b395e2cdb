"""Questionnaire texts in bokmål, nynorsk and English: the file format, the import, the shipped 2024 questionnaire,
and the language reaching the form, the API and the statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from kartlegg.surveys import texts
from kartlegg.surveys.loader import QuestionnaireImportError
from kartlegg.surveys.services import import_questionnaire, import_questionnaire_text

from .factories import make_respondent
from .factories.responses import open_round

pytestmark = pytest.mark.django_db
QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "questionnaires"

SMALL = """
survey: {code: sprak, name: {nb: Språktest, nn: Språktest, en: Language test}}
year: 2024
label: v1
title: {nb: Tittel, nn: Tittel på nynorsk, en: Title}
sections:
  - code: A
    title: {nb: Tjenester, nn: Tenester, en: Services}
    questions:
      - code: A_type
        type: choice
        label: {nb: "Hvilken type?", nn: "Kva type?", en: "Which type?"}
        help: Bare bokmål her.
        choices:
          - {code: a, label: {nb: Bolig, nn: Bustad, en: Housing}}
          - {code: b, label: Annet}
      - code: A_grid
        type: grid
        label: {nb: Årsverk, en: FTEs}
        rows: [{code: r, label: {nb: Ledelse, nn: Leiing, en: Management}, help: {nb: Hjelp, en: Help}}]
        columns: [{code: c, label: {nb: Lege, nn: Lege, en: Physician}}]
rules:
  - code: maks
    each_cell: A_grid
    expression: empty(_cell) or _cell <= 5
    message: {nb: For mange., nn: For mange., en: Too many.}
"""


def test_texts_may_carry_translations_and_plain_strings_still_work() -> None:
    version = import_questionnaire_text(SMALL)
    bokmal = version.definition()
    assert bokmal.title == "Tittel" and bokmal.questions["A_type"].label == "Hvilken type?"
    assert version.title == "Tittel" and version.survey.name == "Språktest"  # stored rows hold bokmål
    nynorsk = version.definition("nn")
    assert nynorsk.title == "Tittel på nynorsk" and nynorsk.sections[0].title == "Tenester"
    assert nynorsk.questions["A_type"].choices == [("a", "Bustad"), ("b", "Annet")]  # untranslated: bokmål
    assert nynorsk.questions["A_type"].help == "Bare bokmål her."
    assert nynorsk.questions["A_grid"].label == "Årsverk"  # no nn given for this label
    english = version.definition("en")
    assert english.questions["A_grid"].rows == [("r", "Management")] and english.questions["A_grid"].row_help == {
        "r": "Help"
    }
    assert english.rules[0].message == "Too many." and english.survey_name == "Language test"
    # Codes, rules and structure are the same in every language.
    assert list(english.cells) == list(bokmal.cells) and english.rules[0].expression == bokmal.rules[0].expression


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("title: {nb: Tittel, nn: Tittel på nynorsk, en: Title}", "title: {nn: Bare nynorsk}"),
        ("title: {nb: Tittel, nn: Tittel på nynorsk, en: Title}", "title: {nb: Tittel, se: Sámegiella}"),
        ('label: {nb: "Hvilken type?", nn: "Kva type?", en: "Which type?"}', "label: {nb: [liste]}"),
        ("relevance", "code: {nb: A_type}"),
    ],
)
def test_bad_translations_are_import_errors_naming_the_line(change: str, message: str) -> None:
    if change == "relevance":
        text = SMALL.replace("      - code: A_type\n", "      - code: {nb: A_type}\n")
    else:
        text = SMALL.replace(change, message)
    with pytest.raises(QuestionnaireImportError) as error:
        import_questionnaire_text(text)
    problems = str(error.value)
    assert "linje" in problems
    if "Bare nynorsk" in message:
        assert "mangler bokmålsteksten «nb»" in problems
    elif "se:" in message:
        assert "ukjent språk «se»" in problems
    elif "liste" in message:
        assert "må være tekst" in problems
    else:
        assert "ugyldig kode" in problems or "må være tekst" in problems


def test_the_shipped_2024_questionnaire_is_fully_in_nynorsk_and_english() -> None:
    data = yaml.safe_load((QUESTIONNAIRES / "annual-2024.yaml").read_text(encoding="utf-8"))
    bokmal = yaml.safe_load((QUESTIONNAIRES / "annual-2024.yaml").read_text(encoding="utf-8"))
    translations = texts.extract(data)
    coverage = texts.coverage(translations, data)
    assert coverage["nn"][0] == coverage["nn"][1] > 150 and coverage["en"][0] == coverage["en"][1]
    assert data != bokmal  # the file really carries maps
    import_questionnaire(QUESTIONNAIRES / "annual-2020.yaml")
    version = import_questionnaire(QUESTIONNAIRES / "annual-2024.yaml")
    nynorsk = version.definition("nn")
    assert nynorsk.questions["B_arsverk"].label == "Årsverk for vaksne fordelte på tenesteområde og utdanning"
    assert ("ledelse", "Leiing og koordinering") in nynorsk.questions["B_arsverk"].rows


def test_form_shows_the_questionnaire_in_the_page_language() -> None:
    import_questionnaire(QUESTIONNAIRES / "annual-2020.yaml")
    version = import_questionnaire(QUESTIONNAIRES / "annual-2024.yaml")
    round_obj = open_round(version, year=2024)
    client = Client()
    client.force_login(make_respondent("4601"))
    url = reverse("responses:section", args=[round_obj.pk, "4601", "B"])
    assert "Ledelse og koordinering" in client.get(url).content.decode()
    client.cookies["django_language"] = "nn"
    page = client.get(url).content.decode()
    assert "Leiing og koordinering" in page and "Høgskule helse/sosial" in page and 'lang="nn"' in page
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "Management and coordination" in page and "Psychologist" in page
    receipt = client.get(reverse("responses:receipt_pdf", args=[round_obj.pk, "4601"]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    workbook = client.get(reverse("responses:workbook_download", args=[round_obj.pk, "4601"]))
    assert workbook.status_code == 200


def test_api_gives_the_questionnaire_in_the_asked_language_and_refuses_others() -> None:
    version = import_questionnaire_text(SMALL)
    url = reverse("api:get_questionnaire", kwargs={"version_id": version.pk})
    english = Client().get(url, {"lang": "en"}).json()
    assert english["title"] == "Title" and english["language"] == "en"
    assert english["sections"][0]["questions"][0]["label"] == "Which type?"
    assert Client().get(url).json()["title"] == "Tittel"
    bad = Client().get(url, {"lang": "de"})
    assert bad.status_code == 400 and "lang" in bad.json()["error"]


def test_workbook_upload_reads_labels_in_any_language() -> None:
    from kartlegg.responses import workbook

    import_questionnaire(QUESTIONNAIRES / "annual-2020.yaml")
    version = import_questionnaire(QUESTIONNAIRES / "annual-2024.yaml")
    aliases = workbook._label_aliases(version.definition())
    rows = dict(aliases[("B_arsverk", "rows")])
    assert "Leiing og koordinering" in [label for code, label in aliases[("B_arsverk", "rows")] if code == "ledelse"]
    assert rows  # both nn and en labels are there
    assert workbook._match("Management and coordination", aliases[("B_arsverk", "rows")]) == "ledelse"
    assert workbook._match("Ukjent område", aliases[("B_arsverk", "rows")]) is None
