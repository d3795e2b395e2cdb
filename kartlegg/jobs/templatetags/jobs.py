"""{% job_progress request %}: the progress bar of the job the page address names (?oppgave=ID), for any page that
starts jobs. Shows nothing when none is named or the user may not see it."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from kartlegg.jobs import services
from kartlegg.jobs.models import Job

register = template.Library()


@register.simple_tag
def job_progress(request: Any) -> SafeString:
    value = request.GET.get(services.JOB_PARAM, "") if request is not None else ""
    if not value.isdigit():
        return mark_safe("")  # noqa: S308 - empty
    job = Job.objects.filter(pk=int(value)).first()
    if job is None or not services.visible_to(job, request.user):
        return mark_safe("")  # noqa: S308 - empty
    return mark_safe(render_to_string("jobs/_progress.html", {"job": services.live(job)}, request=request))  # noqa: S308
