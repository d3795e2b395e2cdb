"""The annual report end to end on a small survey: the stored build, its figures against the statistics API (in the
document, the HTML, the PDF text and the XLSX), breaks, edits kept and flagged across rebuilds, the workflow, the
command and who may see drafts."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from kartlegg.analytics import services as statistics
from kartlegg.analytics.cube import round_half_up
from kartlegg.analytics.models import Publication
from kartlegg.lib.numbers import format_number
from kartlegg.reports import services
from kartlegg.reports.compute import compute_report
from kartlegg.reports.document import SYMBOLS, Report
from kartlegg.reports.models import Report as StoredReport
from kartlegg.reports.models import ReportStatus
from kartlegg.reports.render_xlsx import NOTES_SHEET, PROFILES_SHEET, sheet_name
from kartlegg.reports.sources import ReportError, read_inputs
from kartlegg.responses.models import Answer
from tests.factories import make_analyst, make_respondent, make_reviewer
from tests.test_analytics_aggregates import SmallSurvey

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.fixture
def survey() -> SmallSurvey:
    small = SmallSurvey()
    statistics.compute()
    return small


@pytest.fixture
def built(survey: SmallSurvey) -> StoredReport:
    return services.build_report(2020)


def api_nation(client: Client, variable: str, years: str, measure: str = "sum") -> dict[int, float | None]:
    """{year: value} for the nation from the open API (JSON-stat 2.0), as an analyst sees it before publication."""
    response = client.get(f"/api/v1/statistics/{variable}?years={years}&measure={measure}&structure=2024")
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    index = data["dimension"]["Tid"]["category"]["index"]
    order = sorted(index, key=lambda y: index[y])
    values = data["value"]
    return {int(y): values[i] for i, y in enumerate(order)}


def headline_row(document: Report, label: str) -> list[Any]:
    table = document.table("sammendrag-hovedtall")
    assert table is not None
    row = next(r for r in table.rows if r.label == label)
    return [c.value for c in row.cells]


def test_summary_matches_the_statistics_api_in_document_html_and_pdf(built: StoredReport, client: Client) -> None:
    from pypdf import PdfReader

    client.force_login(make_analyst())
    document = services.document_of(built)
    assert built.data_version == "live" and built.year == 2020 and built.code_version
    assert built.questionnaire_versions == {"2019": "v1", "2020": "v1"}
    api = api_nation(client, "arsverk_totalt", "2019-2020")
    before, now, absolute, percent = headline_row(document, "Totalt")
    # The API rounds to the variable's decimals (one); the report keeps the full value and rounds when it shows it.
    assert round_half_up(before, 1) == api[2019] and round_half_up(now, 1) == api[2020]
    assert absolute == pytest.approx(now - before) and percent == pytest.approx((now - before) / before * 100)
    adults = api_nation(client, "arsverk_voksne", "2020")
    assert round_half_up(headline_row(document, "Voksne")[1], 1) == adults[2020]

    shown_total = format_number(round_half_up(now, 0), 0)
    summary = document.chapter("sammendrag")
    assert summary is not None and shown_total in summary.paragraphs[0].text
    assert shown_total in built.html and "Syntetiske demodata" in built.html
    # The live figures (2020 is not locked) carry no version parameter.
    assert "/statistikk/tall/?variable=arsverk_totalt" in built.html and "&amp;version=" not in built.html
    assert "/statistikk/?variable=arsverk_totalt" in built.html  # each table links to the explorer's table

    pdf = PdfReader(io.BytesIO(services.pdf_of(built)))
    text = "\n".join(page.extract_text() for page in pdf.pages[:4]).replace(NBSP, " ")
    assert shown_total.replace(NBSP, " ") in text
    assert format_number(round_half_up(before, 0), 0).replace(NBSP, " ") in text
    assert f"side 3 av {len(pdf.pages)}" in pdf.pages[2].extract_text()  # the cover has no page number
    assert len(pdf.pages) < 80  # the profiles cover the units with figures, one page each
    assert "Syntetiske demodata" in text and "Innhold" in text
    assert bool(pdf.trailer["/Root"]["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in pdf.trailer["/Root"]  # tagged


def test_xlsx_reads_back_as_the_document(built: StoredReport) -> None:
    from openpyxl import load_workbook

    document = services.document_of(built)
    workbook = load_workbook(io.BytesIO(services.xlsx_of(built)))
    assert workbook.sheetnames[-1] == NOTES_SHEET and PROFILES_SHEET in workbook.sheetnames
    taken: set[str] = {NOTES_SHEET.lower(), PROFILES_SHEET.lower()}
    compared = 0
    for chapter in document.chapters:
        if chapter.kind == "profiles":
            continue
        for table in chapter.tables:
            sheet = workbook[sheet_name(table.id, taken)]
            rows = list(sheet.iter_rows(values_only=True))
            assert rows[0][0].startswith("Syntetiske demodata")
            assert rows[2][0] == table.title
            for row, line in zip(table.rows, rows[4:], strict=False):
                assert line[0] == row.label
                for c, value in zip(row.cells, line[1:], strict=False):
                    if c.value is None:
                        assert value == SYMBOLS.get(c.status, "..")
                    else:
                        assert isinstance(value, int | float) and value == pytest.approx(c.value)  # a number
                    compared += 1
    assert compared > 50
    number_cell = workbook[sheet_name("sammendrag-hovedtall", set())]["C5"]
    assert number_cell.number_format == "#,##0"
    notes = [r[1] for r in workbook[NOTES_SHEET].iter_rows(values_only=True) if r[0] == "Kilde"]
    assert any(str(n).startswith("SSB") for n in notes) and any(str(n).startswith("Kartverket") for n in notes)


def test_chapters_and_no_change_across_a_break(survey: SmallSurvey) -> None:
    document = services.document_of(services.build_report(2024))
    ids = [c.id for c in document.chapters]
    assert ids[:2] == ["sammendrag", "tema-b"] and {"regioner", "tidsserier", "metode", "vedlegg", "profiler"} <= set(
        ids
    )
    assert "fritekst" not in ids  # no provider, no empty chapter
    summary = document.chapter("sammendrag")
    assert summary is not None
    text = " ".join(p.text for p in summary.paragraphs)
    assert "brudd i tidsserien" in text and "økte med" not in text.split("Fra")[0]
    assert headline_row(document, "Totalt")[2:] == [None, None]  # no change across the 2024 break
    series = document.table("tidsserier-nasjonalt")
    assert series is not None and [r.label for r in series.rows] == ["2019", "2020", "2024 (brudd)"]
    methods = document.chapter("metode")
    assert methods is not None and any("rapporterte ikke årsverk i 2024" in p.text for p in methods.paragraphs)
    appendix = document.table("vedlegg-enheter")
    assert appendix is not None and {r.code for r in appendix.rows} >= {"1505", "1506"}


def test_the_computation_reads_no_database(survey: SmallSurvey, django_assert_num_queries: Any) -> None:
    inputs = read_inputs(2020)
    with django_assert_num_queries(0):
        first = compute_report(inputs)
    assert first.to_dict() == compute_report(inputs).to_dict()  # same inputs, same report
    assert Report.from_dict(json.loads(json.dumps(first.to_dict()))).to_dict() == first.to_dict()


def test_bad_year_and_data_version_name_the_parameter(survey: SmallSurvey) -> None:
    with pytest.raises(ReportError, match="^year: 2018"):
        services.build_report(2018)
    with pytest.raises(ReportError, match="^data-version:"):
        services.build_report(2020, data_version="v9")
    with pytest.raises(ReportError, match="^language:"):
        services.build_report(2020, language="sv")


def test_edited_paragraph_is_kept_marked_and_flagged_when_its_figures_change(
    built: StoredReport, survey: SmallSurvey
) -> None:
    analyst = make_analyst()
    services.edit_paragraph(built, "sammendrag.total", "Vår egen tekst om årsverkene.", analyst)
    services.edit_paragraph(built, "sammendrag.total", "Et nytt avsnitt.", analyst, add_after=True)
    built.refresh_from_db()
    rebuilt = services.build_report(2020)
    assert rebuilt.pk == built.pk and rebuilt.stale_paragraphs == []  # same figures: not flagged
    paragraph = services.document_of(rebuilt).paragraph("sammendrag.total")
    assert paragraph is not None and paragraph.text == "Vår egen tekst om årsverkene." and paragraph.edited
    assert any(p.text == "Et nytt avsnitt." for p in services.document_of(rebuilt).paragraphs())

    answer = Answer.objects.filter(response__round__year=2020, variable="B_a.r1.c1").first()
    assert answer is not None
    answer.value_num = Decimal("500")
    answer.value_text = "500"
    answer.save()
    statistics.compute()
    rebuilt = services.build_report(2020)
    assert "sammendrag.total" in rebuilt.stale_paragraphs
    stale = services.document_of(rebuilt).paragraph("sammendrag.total")
    assert stale is not None and stale.stale and stale.text == "Vår egen tekst om årsverkene."
    services.change_status(rebuilt, "submit", analyst)
    with pytest.raises(ReportError, match="rediger dem før godkjenning"):
        services.change_status(rebuilt, "approve", analyst)


def test_workflow_records_who_and_when_and_an_approved_report_never_changes(built: StoredReport) -> None:
    analyst = make_analyst()
    with pytest.raises(ReportError, match="krever"):
        services.change_status(built, "approve", analyst)
    services.change_status(built, "submit", analyst)
    approved = services.change_status(built, "approve", analyst)
    assert approved.status == ReportStatus.APPROVED and approved.approved_by == analyst
    assert approved.submitted_at is not None and approved.approved_at is not None
    with pytest.raises(Exception, match="Bare utkast"):
        services.edit_paragraph(approved, "sammendrag.total", "Nei.", analyst)
    again = services.build_report(2020)
    assert again.pk != approved.pk and again.status == ReportStatus.DRAFT
    approved.refresh_from_db()
    assert approved.status == ReportStatus.APPROVED and approved.document == built.document


def test_only_analysts_see_drafts_and_change_reports(built: StoredReport, client: Client) -> None:
    url = f"/rapporter/{built.pk}/"
    assert client.get(url).status_code == 404
    assert client.get(url + "rapport.xlsx").status_code == 404
    assert client.get(url + "vedlegg/").status_code == 404
    assert client.get(url + "profiler/?enhet=1505").status_code == 404
    for user in (make_respondent("1505"), make_reviewer("15")):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(url + "rapport.pdf").status_code == 404
        assert client.post(url + "avsnitt/", {"paragraph": "sammendrag.total", "text": "x"}).status_code == 403
        assert client.post(url + "status/", {"action": "submit"}).status_code == 403
        assert client.post("/rapporter/bygg/", {"year": "2020"}).status_code == 403
        assert f"/rapporter/{built.pk}/" not in client.get("/rapporter/").content.decode()
    client.logout()
    analyst = make_analyst()
    client.force_login(analyst)
    page = client.get(url).content.decode()
    assert "Rediger avsnittet" in page and "Send til gjennomsyn" in page
    assert 'href="vedlegg/"' in page and 'href="profiler/"' in page and "profil-1505" not in page  # own pages
    appendix = client.get(url + "vedlegg/").content.decode()
    assert 'id="vedlegg-enheter"' in appendix and "1505 Kristiansund" in appendix
    listing = client.get(url + "profiler/").content.decode()
    assert "?enhet=1505" in listing and 'id="profil-1505"' not in listing
    one = client.get(url + "profiler/?enhet=1505").content.decode()
    assert 'id="profil-1505"' in one and 'id="profil-1506"' not in one
    assert client.get(url + "profiler/?enhet=9999").status_code == 404
    bad = client.post(url + "avsnitt/", {"paragraph": "sammendrag.total", "text": "  "}, follow=True)
    assert "text: skriv en tekst" in bad.content.decode()
    services.change_status(built, "submit", analyst)
    services.change_status(built, "approve", analyst)
    client.logout()
    assert client.get(url).status_code == 404  # approved, but 2020 is not published
    Publication.objects.create(year=2020, published_at=timezone.now())
    public = client.get(url)
    assert public.status_code == 200 and "Rediger avsnittet" not in public.content.decode()
    assert client.get(url + "rapport.xlsx").status_code == 200


def test_build_from_the_page_runs_the_task_and_stores_progress(survey: SmallSurvey, client: Client) -> None:
    client.force_login(make_analyst())
    bad = client.post("/rapporter/bygg/", {"year": "1999"}, follow=True)
    assert "year: &#x27;1999&#x27; er ikke et år" in bad.content.decode()
    response = client.post("/rapporter/bygg/", {"year": "2020", "language": "nn"})
    stored = StoredReport.objects.get()
    assert response.status_code == 302 and response.url == f"/rapporter/{stored.pk}/"
    assert stored.build_state == "done" and stored.progress == 100 and stored.language == "nn"
    assert "Samandrag" in stored.html
    progress = client.get(f"/rapporter/{stored.pk}/framdrift/").content.decode()
    assert "Rapporten er bygd" in progress


def test_command_writes_the_files_and_rejects_bad_input(survey: SmallSurvey, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("build_report", "--year", "2020", "--format", "html,xlsx", "--out", str(tmp_path), stdout=out)
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "report.xlsx").stat().st_size > 1000
    assert "100 %" in out.getvalue() and not (tmp_path / "report.pdf").exists()
    with pytest.raises(CommandError, match="--format: ukjent format doc"):
        call_command("build_report", "--year", "2020", "--format", "doc", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="year: 1999"):
        call_command("build_report", "--year", "1999", "--out", str(tmp_path), stdout=io.StringIO())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match="--out:"):
        call_command("build_report", "--year", "2020", "--out", str(blocker))
