"""A round's answers imported from an uploaded file on the task worker, with a progress bar (issue 18: a large
workbook must not hold a web worker). The work is bounded by the cells read (spreadsheets.MAX_CELLS, counted before
openpyxl parses anything), not by the file's size."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kartlegg.jobs import services as jobs

from .importers import ResponseImportError, import_responses
from .models import ResponseImport
from .spreadsheets import FileFormatError

IMPORT_KEY = "responses.import:"


@jobs.job(gettext_noop("Import av svar"))
def import_upload(progress: jobs.Progress, import_id: int) -> dict[str, Any]:
    """Import the uploaded file, all or nothing. Safe to run twice: the outcome is stored in the transaction that
    writes the answers, so a second run finds the import finished and does nothing."""
    upload = ResponseImport.objects.select_related("round__version", "created_by").filter(pk=import_id).first()
    if upload is None:
        return {"message": _("Importen finnes ikke lenger.")}
    if upload.finished:
        return {"message": _("Importen var allerede ferdig.")}
    progress.start(1, _("leser filen"))

    def step(done: int, total: int) -> None:
        progress.set(done, total, _("enheter lagret"))

    try:
        with transaction.atomic():
            report = import_responses(
                upload.round, bytes(upload.data), user=upload.created_by, source=upload.filename, progress=step
            )
            outcome = {
                "rows": report.rows,
                "units_in_file": report.units_in_file,
                "units_changed": report.units_changed,
                "changed": report.changed,
            }
            ResponseImport.objects.filter(pk=upload.pk).update(outcome=outcome, data=b"", finished_at=timezone.now())
    except FileFormatError as exc:
        problems = [[0, str(exc)]]
    except ResponseImportError as exc:
        problems = [[problem.row, problem.message] for problem in exc.problems]
    else:
        return {"message": report.summary()}
    ResponseImport.objects.filter(pk=upload.pk).update(problems=problems, data=b"", finished_at=timezone.now())
    return {"message": _("%(n)s feil; ingenting er importert.") % {"n": len(problems)}}


def start_import(upload: ResponseImport, user: Any, url: str) -> jobs.Job:
    return jobs.start(
        import_upload,
        user=user,
        key=f"{IMPORT_KEY}{upload.pk}",
        detail=f"{upload.round.name}: {upload.filename}"[:200],
        url=url,
        import_id=upload.pk,
    )


def job_of(upload: ResponseImport) -> jobs.Job | None:
    return jobs.Job.objects.filter(key=f"{IMPORT_KEY}{upload.pk}").order_by("-id").first()
