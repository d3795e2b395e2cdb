"""Questionnaire pages, the blank PDF and the questionnaire API: who sees what, what the pages show, the PDF's
help texts read back with pypdf, and the API's shapes and 400/404 answers."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kartlegg.surveys.models import QuestionnaireVersion
from kartlegg.surveys.services import import_questionnaire, import_questionnaire_text
from tests.factories import make_analyst, make_respondent

SHIPPED = Path(__file__).resolve().parent.parent / "questionnaires"

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions() -> tuple[QuestionnaireVersion, QuestionnaireVersion]:
    return import_questionnaire(SHIPPED / "annual-2020.yaml"), import_questionnaire(SHIPPED / "annual-2024.yaml")


def analyst_client() -> Client:
    client = Client()
    client.force_login(make_analyst())
    return client


def draft_version() -> QuestionnaireVersion:
    text = (SHIPPED / "pulse-2020.yaml").read_text(encoding="utf-8").replace("label: v1", "label: utkast")
    return import_questionnaire_text(text, published=False)


HOSTILE = """survey: {code: farlig, name: "<script>alert(1)</script>", kind: annual}
year: 2024
label: x
title: "Skjema <img src=x onerror=alert(1)>"
sections:
  - code: A
    title: "Del <b>A</b>"
    questions:
      - code: q
        type: text
        label: "Spørsmål <script>alert('q')</script>"
        help: "Hjelp: <iframe src=javascript:alert(1)> Sámi: Čáhcesuolu 👍"
"""


def test_list_shows_published_versions_to_everyone_and_drafts_only_to_analysts(versions) -> None:  # type: ignore[no-untyped-def]
    draft = draft_version()
    public = Client().get("/skjema/")
    assert public.status_code == 200
    body = public.content.decode()
    assert "Kartlegging av kommunalt psykisk helse- og rusarbeid 2024" in body
    assert f"/skjema/{draft.pk}/" not in body
    assert "Sammenlign to versjoner" not in body
    analyst = analyst_client().get("/skjema/").content.decode()
    assert f"/skjema/{draft.pk}/" in analyst and "utkast" in analyst and "Sammenlign to versjoner" in analyst
    assert Client().get(f"/skjema/{draft.pk}/").status_code == 404
    assert Client().get(f"/skjema/{draft.pk}/blankett.pdf").status_code == 404
    assert analyst_client().get(f"/skjema/{draft.pk}/").status_code == 200


def test_detail_shows_sections_help_skip_logic_grids_and_rules(versions) -> None:  # type: ignore[no-untyped-def]
    _, v2024 = versions
    response = Client().get(f"/skjema/{v2024.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "B. Årsverk i psykisk helse- og rusarbeid for voksne" in body
    assert "Et årsverk er en hel stilling" in body  # section help
    assert "Besvares bare når" in body and "E_fact = true" in body  # skip logic in words and as written
    assert '<th scope="col">Psykolog' in body and '<th scope="row">Rask psykisk helsehjelp' in body
    assert "Mer enn 500 årsverk i én celle er ikke mulig" in body
    assert "Feil (stopper innsending)" in body and "Advarsel (krever kommentar)" in body
    assert "B_arsverk_2020" in body  # continues
    assert Client().get("/skjema/999999/").status_code == 404


def test_pages_escape_html_from_the_questionnaire() -> None:
    version = import_questionnaire_text(HOSTILE)
    body = Client().get(f"/skjema/{version.pk}/").content.decode()
    assert "<script>alert" not in body and "<iframe" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;" in body


def test_compare_is_for_analysts(versions) -> None:  # type: ignore[no-untyped-def]
    v2020, v2024 = versions
    url = f"/skjema/sammenlign/?a={v2020.pk}&b={v2024.pk}"
    assert Client().get(url).status_code == 302  # to login
    respondent = Client()
    respondent.force_login(make_respondent("0301"))
    assert respondent.get(url).status_code == 403


def test_compare_page_lists_continued_added_removed_and_changed(versions) -> None:  # type: ignore[no-untyped-def]
    v2020, v2024 = versions
    client = analyst_client()
    response = client.get(f"/skjema/sammenlign/?a={v2024.pk}&b={v2020.pk}")  # reversed on purpose
    assert response.status_code == 200
    body = response.content.decode()
    assert "ordnet etter år" in body
    assert "Videreført fra annen kode" in body and "Ny" in body and "Fjernet" in body and "Endret" in body
    assert "D_rekruttering_psykolog" in body and "D_rekr_psykolog" in body
    assert "ny rad: «Rask psykisk helsehjelp»" in body
    assert "Kan dere kort gi en beskrivelse av konsekvensene av koronasituasjonen" in body  # removed
    assert client.get("/skjema/sammenlign/").status_code == 200  # the empty form
    preselected = client.get(f"/skjema/sammenlign/?b={v2024.pk}")
    assert preselected.status_code == 200 and f'value="{v2024.pk}" selected' in preselected.content.decode()
    for bad in ("?a=abc&b=1", f"?a={v2020.pk}&b=999999", "?a=-1&b=1", f"?a={v2020.pk}&b=1e3"):
        assert client.get("/skjema/sammenlign/" + bad).status_code == 400, bad


def test_import_page_shows_every_problem_and_imports_good_files() -> None:
    client = analyst_client()
    assert client.get("/skjema/importer/").status_code == 200
    broken = HOSTILE.replace("type: text", "type: tekst").replace("code: q", "code: 1q")
    response = client.post("/skjema/importer/", {"file": SimpleUploadedFile("feil.yaml", broken.encode())})
    assert response.status_code == 400
    body = response.content.decode()
    assert "linje 9: " in body and "ukjent type «tekst»" in body and "ugyldig kode «1q»" in body
    assert not QuestionnaireVersion.objects.filter(survey__code="farlig").exists()
    response = client.post("/skjema/importer/", {"file": SimpleUploadedFile("ok.yaml", HOSTILE.encode())})
    assert response.status_code == 302
    assert QuestionnaireVersion.objects.filter(survey__code="farlig", source_name="ok.yaml").exists()


def test_import_page_does_not_read_server_files_named_in_the_upload() -> None:
    client = analyst_client()
    response = client.post("/skjema/importer/", {"file": SimpleUploadedFile("x.yaml", b"/etc/passwd")})
    assert response.status_code == 400
    assert "root:" not in response.content.decode()


def test_import_page_is_for_analysts() -> None:
    assert Client().get("/skjema/importer/").status_code == 302
    respondent = Client()
    respondent.force_login(make_respondent("0301"))
    assert respondent.post("/skjema/importer/", {}).status_code == 403


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    # Justified text may carry extra spaces; normalise them so phrases can be searched.
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_blank_pdf_has_help_texts_grids_and_skip_logic(versions) -> None:  # type: ignore[no-untyped-def]
    _, v2024 = versions
    response = Client().get(f"/skjema/{v2024.pk}/blankett.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    defn = v2024.definition()
    for question in defn.questions.values():
        if question.help:
            assert " ".join(question.help.split())[:60] in text, question.code
    for section in defn.sections:
        if section.help:
            assert " ".join(section.help.split())[:60] in text
    assert "Rask psykisk helsehjelp" in text and "Psykolog" in text and "Sum" in text
    assert "Besvares bare når" in text
    assert "Mer enn 500 årsverk i én celle er ikke mulig" in text
    assert "Syntetiske demodata" in text


def test_blank_pdf_writes_markup_literally() -> None:
    version = import_questionnaire_text(HOSTILE)
    content = Client().get(f"/skjema/{version.pk}/blankett.pdf").content
    text = pdf_text(content)
    assert "Spørsmål <script>alert('q')</script>" in text
    assert "<iframe src=javascript:alert(1)>" in text
    assert "Čáhcesuolu" in text
    # No active content: text in the questionnaire never becomes a PDF action or script.
    assert b"/JavaScript" not in content and b"/JS" not in content and b"/Launch" not in content


def test_api_lists_versions(versions) -> None:  # type: ignore[no-untyped-def]
    draft = draft_version()
    response = Client().get("/api/v1/questionnaires")
    assert response.status_code == 200
    items = response.json()
    assert {item["id"] for item in items} == {v.pk for v in versions}
    item = next(i for i in items if i["id"] == versions[1].pk)
    assert item["survey"] == {"code": "arlig", "name": versions[1].survey.name, "kind": "annual", "interval_days": None}
    assert item["year"] == 2024 and item["variable_count"] > item["question_count"] > 40
    assert item["url"] == f"/api/v1/questionnaires/{versions[1].pk}"
    analyst = analyst_client().get("/api/v1/questionnaires").json()
    assert draft.pk in {i["id"] for i in analyst}


def test_api_returns_a_whole_version(versions) -> None:  # type: ignore[no-untyped-def]
    _, v2024 = versions
    data = Client().get(f"/api/v1/questionnaires/{v2024.pk}").json()
    assert data["id"] == v2024.pk and data["year"] == 2024 and data["label"] == "hovedskjema"
    assert [s["code"] for s in data["sections"]] == list("ABCDEFGHI")
    questions = {q["code"]: q for s in data["sections"] for q in s["questions"]}
    grid = questions["B_arsverk"]
    assert grid["type"] == "grid" and grid["min"] == 0 and grid["decimals"] == 2
    assert grid["continues"] == "B_arsverk_2020" and grid["tags"] == ["arsverk_voksne"]
    assert [r["code"] for r in grid["rows"]][:2] == ["ledelse", "oppfolging"]
    assert len(grid["value_codes"]) == 70 and "B_arsverk.rask.psykolog" in grid["value_codes"]
    assert questions["E_fact_type"]["relevance"] == "E_fact = true"
    assert questions["E_fact_type"]["choices"][0] == {"code": "fact", "label": "FACT"}
    assert questions["A_navn"]["required"] is True and questions["A_navn"]["max_length"] == 200
    rule = next(r for r in data["rules"] if r["code"] == "B_celle_maks")
    assert rule["each_cell"] == "B_arsverk" and rule["severity"] == "error"
    assert "_population_total" in data["reserved_variables"]


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "99999999999999999999999"])
def test_api_bad_id_is_400(bad: str) -> None:
    response = Client().get(f"/api/v1/questionnaires/{bad}")
    assert response.status_code == 400
    assert "version_id" in response.json()["error"]


def test_api_unknown_or_draft_id_is_404() -> None:
    draft = draft_version()
    for version_id in (999999, draft.pk):
        response = Client().get(f"/api/v1/questionnaires/{version_id}")
        assert response.status_code == 404
        assert "error" in response.json()
    assert analyst_client().get(f"/api/v1/questionnaires/{draft.pk}").status_code == 200


def test_api_is_in_the_openapi_schema() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/questionnaires" in schema["paths"]
    assert "/api/v1/questionnaires/{version_id}" in schema["paths"]
    assert "VersionOut" in schema["components"]["schemas"]
