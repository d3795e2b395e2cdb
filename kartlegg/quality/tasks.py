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


@jobs.job(gettext_noop("Kontroll etter import"))
def checks_after_import(
    progress: jobs.Progress, round_id: int, units: list[str], user_id: int | None = None
) -> dict[str, Any]:
    """The units an import changed, checked once against their round (read once)."""
    from kartlegg.accounts.models import User

    round_obj = Round.objects.select_related("version").filter(pk=round_id).first()
    if round_obj is None:
        return {"message": _("Runden finnes ikke lenger.")}
    user = User.objects.filter(pk=user_id).first() if user_id else None
    progress.start(len(units), _("kontrollerer enhetene"))
    report = services.run_checks(round_obj, units=units, user=user, progress=lambda _unit: progress.advance())
    message = _("%(new)s nye flagg, %(reopened)s åpnet igjen, %(resolved)s løst av data.") % {
        "new": report.created,
        "reopened": report.reopened,
        "resolved": report.resolved,
    }
    return {"message": message, "created": report.created, "reopened": report.reopened, "resolved": report.resolved}


def _join_units(queued: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A second import into the same round while the first's checks wait: one job for both."""
    return {**queued, "units": sorted(set(queued.get("units", [])) | set(new.get("units", [])))}


def queue_checks_after_import(round_obj: Round, units: list[str], user: Any = None) -> jobs.Job:
    return jobs.start(
        checks_after_import,
        user=user,
        key=f"quality.checks.import:{round_obj.pk}",
        merge=_join_units,
        detail=round_obj.name,
        round_id=round_obj.pk,
        units=sorted(units),
        user_id=user.pk if getattr(user, "is_authenticated", False) else None,
    )
