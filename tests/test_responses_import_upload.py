"""Analysts import a round's answers from an uploaded file through the task worker (issue 18): the upload answers at
once with a progress bar, the import applies whole or not at all, and the result page names every bad row. A
workbook with millions of cells is refused by counting cells, on the worker, not on the web server."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kartlegg.jobs.models import Job, JobStatus
from kartlegg.responses import services, tasks, views_import
from kartlegg.responses.models import Answer, ResponseImport
from tests.factories import make_analyst, make_respondent
from tests.factories.collection import ASKER, BAERUM, make_round, response_of
from tests.test_responses_browser import _log_in

from .browser import assert_accessible, browser, chromium_browser, live_url  # noqa: F401

pytestmark = pytest.mark.django_db

CELL = "B_arsverk.led.psyk"


@pytest.fixture
def round_obj() -> Any:
    return make_round()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, round_obj: Any, name: str, data: bytes, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(
            reverse("responses:round_import", args=[round_obj.pk]), {"file": SimpleUploadedFile(name, data)}
        )


def _result(client: Client, answer: Any) -> str:
    assert answer.status_code == 302 and "oppgave=" in answer.url
    page = client.get(answer.url)
    assert page.status_code == 200
    return page.content.decode()


def test_an_uploaded_file_is_imported_by_the_worker_with_a_result_page(
    round_obj: Any, django_capture_on_commit_callbacks: Any
) -> None:
    analyst = make_analyst()
    client = _client(analyst)
    page = client.get(reverse("responses:round_import", args=[round_obj.pk]))
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    data = f'unit_code,variable,value\n{BAERUM},{CELL},1.5\n{BAERUM},E_ventetid,14\n{ASKER},{CELL},"2,25"\n'
    answer = _upload(client, round_obj, "svar.csv", data.encode(), django_capture_on_commit_callbacks)
    html = _result(client, answer)
    assert "Importert: 3 rader, 2 enheter i filen; 3 verdier endret i 2 enheter." in html
    values, _comments = services.stored_values(response_of(round_obj, BAERUM))
    assert values[CELL] == Decimal("1.5") and values["E_ventetid"] == 14
    record = ResponseImport.objects.get()
    assert record.finished and record.outcome["changed"] == 3 and bytes(record.data) == b""  # the file is dropped
    job = Job.objects.get(key=f"{tasks.IMPORT_KEY}{record.pk}")
    assert job.status == JobStatus.DONE and job.created_by == analyst and job.total == 2


def test_bad_rows_are_named_and_nothing_is_imported(round_obj: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = _client(make_analyst())
    data = (
        "unit_code,variable,value\n"
        f"{BAERUM},{CELL},1.5\n"  # row 2 is good, but the file is imported whole or not at all
        f"{BAERUM},B_arsverk.finnes.ikke,1\n"  # row 3: no such variable
        f"{ASKER},{CELL},mange\n"  # row 4: not a number
    )
    html = _result(client, _upload(client, round_obj, "svar.csv", data.encode(), django_capture_on_commit_callbacks))
    assert "2 feil i filen" in html and "Rad 3" in html and "Rad 4" in html and "Ingenting er importert" in html
    assert not Answer.objects.filter(response__round=round_obj, variable=CELL).exists()
    record = ResponseImport.objects.get()
    assert [row for row, _message in record.problems] == [3, 4]


def test_a_job_run_twice_imports_once(round_obj: Any, django_capture_on_commit_callbacks: Any) -> None:
    client = _client(make_analyst())
    data = f"unit_code,variable,value\n{BAERUM},{CELL},1.5\n".encode()
    _upload(client, round_obj, "svar.csv", data, django_capture_on_commit_callbacks)
    record = ResponseImport.objects.get()
    job = tasks.job_of(record)
    assert job is not None
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)  # as recover_abandoned leaves it
    tasks.import_upload.call(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and "allerede ferdig" in job.message
    record.refresh_from_db()
    assert record.outcome["changed"] == 1
    assert Answer.objects.filter(response__round=round_obj, variable=CELL).count() == 1


def _workbook_with_cells(cells: int) -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["unit_code", CELL])
    book.save(buffer)
    source, out = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="2">' + b"<c/>" * cells + b"</row></sheetData>")
            target.writestr(name, data)
    return out.getvalue()


def test_a_workbook_of_millions_of_cells_is_refused_by_its_cells_on_the_worker(
    round_obj: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(make_analyst())
    data = _workbook_with_cells(4_000_000)
    assert len(data) < 300_000  # small on disk, so a size limit would let it through
    html = _result(client, _upload(client, round_obj, "stor.xlsx", data, django_capture_on_commit_callbacks))
    assert "for mange celler" in html and "Ingenting er importert" in html


def test_bad_uploads_are_refused_with_a_message_naming_the_field(round_obj: Any, monkeypatch: Any) -> None:
    client = _client(make_analyst())
    url = reverse("responses:round_import", args=[round_obj.pk])
    missing = client.post(url, {})
    assert missing.status_code == 400 and "Fil: velg en CSV- eller Excel-fil" in missing.content.decode()
    monkeypatch.setattr(views_import, "MAX_IMPORT_BYTES", 10)
    large = client.post(url, {"file": SimpleUploadedFile("svar.csv", b"x" * 11)})
    assert large.status_code == 400 and "Fil: filen er større enn" in large.content.decode()
    assert not ResponseImport.objects.exists()


def test_only_analysts_import_and_see_imports(round_obj: Any, django_capture_on_commit_callbacks: Any) -> None:
    _upload(
        _client(make_analyst()),
        round_obj,
        "svar.csv",
        b"unit_code,variable,value\n",
        django_capture_on_commit_callbacks,
    )
    record = ResponseImport.objects.get()
    respondent = _client(make_respondent(BAERUM))
    url = reverse("responses:round_import", args=[round_obj.pk])
    assert respondent.get(url).status_code == 403
    assert (
        respondent.post(url, {"file": SimpleUploadedFile("svar.csv", b"unit_code,variable,value\n")}).status_code == 403
    )
    result = reverse("responses:round_import_result", args=[round_obj.pk, record.pk])
    assert respondent.get(result).status_code == 403
    assert Client().get(result).status_code == 302  # to the log-in page
    assert ResponseImport.objects.count() == 1


@pytest.mark.browser
def test_the_import_pages_are_accessible(live_url, browser, round_obj: Any) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    analyst = make_analyst()
    page = browser.new_page()
    _log_in(page, live_url, analyst.username)
    page.goto(live_url + reverse("responses:round_import", args=[round_obj.pk]))
    assert_accessible(page, "importer svar")
    # The upload posts through the page; the job waits for the test transaction to commit, so the page shows it queued.
    page.locator("#import-file").set_input_files(
        files=[
            {
                "name": "svar.csv",
                "mimeType": "text/csv",
                "buffer": f"unit_code,variable,value\n{BAERUM},{CELL},1\n".encode(),
            }
        ]
    )
    page.get_by_role("button", name="Importer").click()
    page.wait_for_url(lambda url: "oppgave=" in url)
    assert "Importen kjøres i bakgrunnen" in page.inner_text("main")
    assert_accessible(page, "import i kø")
    record = ResponseImport.objects.get()
    ResponseImport.objects.filter(pk=record.pk).update(
        problems=[[3, "Ukjent variabel «x»."]], finished_at=timezone.now()
    )
    page.goto(live_url + reverse("responses:round_import_result", args=[round_obj.pk, record.pk]))
    assert "Rad 3" in page.inner_text("main")
    assert_accessible(page, "import med feil")
