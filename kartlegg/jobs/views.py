"""The analysts' page of background jobs (/oppgaver/), one job's progress bar (polled by htmx) and "run again"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kartlegg.accounts.permissions import require_analyst

from . import services
from .models import Job, JobStatus

PAGE_SIZE = 50


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    status = request.GET.get("status", "")
    jobs = Job.objects.select_related("created_by")
    if status in JobStatus.values:
        jobs = jobs.filter(status=status)
    else:
        status = ""
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("side"))
    for job in page.object_list:
        services.live(job)
    counts = {value: Job.objects.filter(status=value).count() for value in JobStatus.values}
    choices = [(value, label, counts[value]) for value, label in JobStatus.choices]
    return render(request, "jobs/index.html", {"page": page, "status": status, "choices": choices})


@require_GET
@login_required
def progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    if not services.visible_to(job, request.user):
        raise Http404
    return render(request, "jobs/_progress.html", {"job": services.live(job)})


@require_POST
@login_required
def rerun(request: HttpRequest, job_id: int) -> HttpResponse:
    require_analyst(request.user)
    job = get_object_or_404(Job, pk=job_id)
    try:
        again = services.rerun(job, request.user)
    except services.JobError as exc:
        messages.error(request, str(exc))
        return redirect("jobs:index")
    messages.success(request, _("Oppgaven er lagt i køen igjen."))
    return redirect(services.with_job(reverse("jobs:index"), again))
