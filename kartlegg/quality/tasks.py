"""QA as background jobs: the checks on a whole round (started by an analyst, with a progress bar) and the checks
for one unit after it submits (queued by signals.py, so a respondent's request never waits for them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kartlegg.jobs import services as jobs
from kartlegg.responses.models import Response, Round

from . import services
from .checks import QAConfigError


@jobs.job(gettext_noop("Kontroll av runden"))
def run_round_checks(progress: jobs.Progress, round_id: int, user_id: int | None = None) -> dict[str, Any]:
    """Every unit of the round. Idempotent (services.run_checks brings the flags up to date)."""
    from kartlegg.accounts.models import User

    round_obj = Round.objects.select_related("version").get(pk=round_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    progress.start(Response.objects.filter(round=round_obj).count(), _("kontrollerer enhetene"))
    try:
        report = services.run_checks(round_obj, user=user, progress=lambda _unit: progress.advance())
    except QAConfigError as exc:
        raise jobs.JobError(_("Kontrolloppsettet for skjemaet er ugyldig: %(e)s") % {"e": exc}) from exc
    message = _("%(new)s nye flagg, %(reopened)s åpnet igjen, %(resolved)s løst av data.") % {
        "new": report.created,
        "reopened": report.reopened,
        "resolved": report.resolved,
    }
    return {"message": message, "created": report.created, "reopened": report.reopened, "resolved": report.resolved}


@jobs.job(gettext_noop("Kontroll av innsendt skjema"))
def checks_after_submit(progress: jobs.Progress, response_id: int) -> dict[str, Any]:
    """One unit's checks against its round. Idempotent; a response deleted meanwhile is nothing to check."""
    response = Response.objects.select_related("round__version", "unit").filter(pk=response_id).first()
    if response is None:
        return {"message": _("Svaret finnes ikke lenger.")}
    progress.start(1)
    report = services.run_checks_for_response(response)
    return {"message": _("%(n)s flagg.") % {"n": report.created + report.updated + report.unchanged}}


def start_round_checks(round_obj: Round, user: Any, url: str) -> jobs.Job:
    return jobs.start(
        run_round_checks,
        user=user,
        key=f"quality.checks.round:{round_obj.pk}",
        detail=round_obj.name,
        url=url,
        round_id=round_obj.pk,
        user_id=user.pk if getattr(user, "is_authenticated", False) else None,
    )


def queue_checks_after_submit(response: Response) -> jobs.Job:
    return jobs.start(
        checks_after_submit,
        key=f"quality.checks.response:{response.pk}",
        detail=f"{response.round.name}: {response.unit.code}",
        response_id=response.pk,
    )
