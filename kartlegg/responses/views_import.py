"""Analysts import a round's answers from a CSV or XLSX file (the layouts of `manage.py import_responses`): the
upload is stored and imported by the task worker with a progress bar, all or nothing; the result page gives the
counts, or every bad row by number. A large workbook never holds a web worker (issue 18)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kartlegg.accounts.permissions import Access
from kartlegg.jobs import services as jobs
from kartlegg.lib.numbers import format_number

from . import services, tasks
from .models import ResponseImport

MAX_IMPORT_BYTES = 5 * 1024 * 1024  # nginx takes 6 MB (deploy/nginx); the work is bounded by cells, not bytes


@login_required
@require_http_methods(["GET", "POST"])
def round_import(request: HttpRequest, round_id: int) -> HttpResponse:
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or not upload.name:
            error = _("Fil: velg en CSV- eller Excel-fil (.csv eller .xlsx).")
        elif upload.size is not None and upload.size > MAX_IMPORT_BYTES:
            error = _("Fil: filen er større enn %(limit)s MB. Del den i flere filer.") % {
                "limit": format_number(MAX_IMPORT_BYTES // (1024 * 1024), space=" ")
            }
        elif round_obj.is_locked:
            error = _("Runden er låst. Svarene kan ikke endres.")
        else:
            record = ResponseImport.objects.create(
                round=round_obj,
                filename=(upload.name or "")[:200],
                data=upload.read(MAX_IMPORT_BYTES + 1),
                created_by=request.user,  # type: ignore[misc]
            )
            page = reverse("responses:round_import_result", args=[round_obj.pk, record.pk])
            job = tasks.start_import(record, request.user, page)
            return redirect(jobs.with_job(page, job))
    recent = ResponseImport.objects.filter(round=round_obj).defer("data")[:10]
    context = {"round": round_obj, "error": error, "recent": recent, "limit_mb": MAX_IMPORT_BYTES // (1024 * 1024)}
    return render(request, "responses/round_import.html", context, status=400 if error else 200)


@login_required
@require_GET
def round_import_result(request: HttpRequest, round_id: int, pk: int) -> HttpResponse:
    round_obj = services.get_round_for_user(request.user, round_id, Access.EDIT)
    record = ResponseImport.objects.filter(pk=pk, round=round_obj).defer("data").first()
    if record is None:
        raise Http404(_("Fant ikke importen."))
    job = tasks.job_of(record)
    if not record.finished and job is not None and request.GET.get(jobs.JOB_PARAM) != str(job.pk):
        return redirect(jobs.with_job(request.path, job))  # the page shows the bar of its job
    context = {"round": round_obj, "record": record, "job": job}
    return render(request, "responses/round_import_result.html", context)
