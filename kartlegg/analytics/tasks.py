"""Statistics as background jobs: the full computation (an analyst's button, with a progress bar) and the recompute
after data change, coalesced: one pending recompute per round that collects the units changed meanwhile and waits
KARTLEGG_RECOMPUTE_DELAY seconds for more, so 300 submissions in a minute make a handful of recomputes of the
changed units, not 300 of the whole year."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kartlegg.jobs import services as jobs
from kartlegg.jobs.models import Job
from kartlegg.lib.numbers import format_number
from kartlegg.responses.models import Round

from . import services

RECOMPUTE_KEY = "analytics.recompute:"
# More changed units than this in one recompute: the round's years are recomputed whole (one read instead of many).
UNIT_LIMIT = 10


@jobs.job(gettext_noop("Beregning av statistikken"))
def compute_all(progress: jobs.Progress, structure: int | None = None) -> dict[str, Any]:
    """Everything from scratch. Idempotent (services.compute replaces what it writes)."""
    progress.start(len(services.catalogue().variables), _("variabler"))
    result = services.compute(structure=structure, progress=lambda variable: progress.advance(message=variable.code))
    message = _("%(rows)s tall for %(n)s variabler.") % {
        "rows": format_number(result.rows, space=" "),
        "n": result.variables,
    }
    return {"message": message, "rows": result.rows, "years": result.years}


@jobs.job(gettext_noop("Oppdatering av statistikken"))
def recompute_round(progress: jobs.Progress, round_id: int, units: list[str] | None = None) -> dict[str, Any]:
    """What changed in a round: its changed units (and the later years that carry their figures), or, with no
    units, the round's year and every later year. Idempotent. Nothing happens while no aggregates are stored."""
    round_obj = Round.objects.select_related("version").filter(pk=round_id).first()
    if round_obj is None:
        return {"message": _("Runden finnes ikke lenger.")}
    if units is None or len(units) > UNIT_LIMIT:
        progress.start(1, _("hele året"))
        # The whole round (a lock or a correction): the live figures, and the new data version's pinned ones.
        result = services.recompute(round_obj.pk)
        return {"message": _("%(n)s tall oppdatert.") % {"n": format_number(result.rows, space=" ")}}
    progress.start(1, _("enheter"))
    result = services.recompute(round_obj.pk, units)  # one read for all the changed units
    progress.advance(message=", ".join(units))
    return {"message": _("%(n)s tall oppdatert.") % {"n": format_number(result.rows, space=" ")}, "units": units}


def merge_units(queued: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A pending recompute widened by another change: the union of the units, or the whole round if either is."""
    if queued.get("units") is None or new.get("units") is None:
        return {**queued, "units": None}
    return {**queued, "units": sorted(set(queued["units"]) | set(new["units"]))}


def schedule_recompute(round_obj: Round, units: Iterable[str] | None = None, user: Any = None) -> Job:
    """Queue (or widen the pending) recompute of a round; it runs after KARTLEGG_RECOMPUTE_DELAY seconds."""
    return jobs.start(
        recompute_round,
        user=user,
        key=f"{RECOMPUTE_KEY}{round_obj.pk}",
        merge=merge_units,
        delay=float(getattr(settings, "KARTLEGG_RECOMPUTE_DELAY", 0)),
        detail=round_obj.name,
        round_id=round_obj.pk,
        units=None if units is None else sorted(set(units)),
    )


def start_full_compute(user: Any, url: str) -> Job:
    return jobs.start(compute_all, user=user, key="analytics.compute_all", url=url)


def recompute_pending() -> bool:
    """Whether a computation or recompute is queued or running (the pages and the API say so)."""
    return jobs.pending(RECOMPUTE_KEY) or jobs.pending("analytics.compute_all")
