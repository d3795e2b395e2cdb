"""The analysts' button that computes the statistics from scratch as a background job (with a progress bar on the
publication page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from kartlegg.accounts.permissions import require_analyst
from kartlegg.analytics import tasks
from kartlegg.jobs.services import with_job


@require_POST
@login_required
def compute(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    page = reverse("analytics:publications")
    return redirect(with_job(page, tasks.start_full_compute(request.user, page)))
