"""Opening, closing and locking rounds, and counting their responses by status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import require_analyst
from kartlegg.geography.services import units_for_year

from ..models import Response, ResponseStatus, Round


class RoundError(ValueError):
    """A round cannot be opened as asked. The message says why, in bokmål."""


@transaction.atomic
def open_round(
    version: Any,
    *,
    name: str,
    year: int,
    opens_at: dt.datetime,
    deadline: dt.date,
    closes_at: dt.datetime | None = None,
    user: Any = None,
    unit_codes: Collection[str] | None = None,
) -> Round:
    """Create a round and one not-started response for every reporting unit of `year` (or only those of
    `unit_codes`, as a pulse series limited to a county or a list asks)."""
    require_analyst(user)
    if closes_at is not None and closes_at <= opens_at:
        raise RoundError(_("Runden må stenge etter at den åpner."))
    if deadline < timezone.localtime(opens_at).date():
        raise RoundError(_("Svarfristen kan ikke være før runden åpner."))
    units = list(units_for_year(year))
    if unit_codes is not None:
        wanted = set(unit_codes)
        units = [unit for unit in units if unit.code in wanted]
    if not units:
        raise RoundError(_("Det finnes ingen rapporteringsenheter for %(year)s.") % {"year": year})
    round_obj = Round.objects.create(
        version=version,
        name=name,
        year=year,
        opens_at=opens_at,
        deadline=deadline,
        closes_at=closes_at,
        created_by=user,
    )
    Response.objects.bulk_create([Response(round=round_obj, unit=unit) for unit in units])
    audit("round.opened", user=user, channel=Channel.FORM, obj=round_obj, units=len(units), year=year)
    return round_obj


def lock_round(round_obj: Round, user: Any) -> None:
    """Freeze a round's data (analysts only). Idempotent."""
    require_analyst(user)
    if round_obj.locked_at is None:
        round_obj.locked_at = timezone.now()
        round_obj.save(update_fields=["locked_at"])
        audit("round.locked", user=user, channel=Channel.FORM, obj=round_obj)


def round_status_counts(round_obj: Round, responses: Any | None = None) -> dict[str, int]:
    """Number of responses per status (every status present, zero included), plus `total`."""
    qs = responses if responses is not None else Response.objects.filter(round=round_obj)
    counts = dict.fromkeys(ResponseStatus.values, 0)
    for row in qs.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts
