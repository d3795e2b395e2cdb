"""Starting a pulse series and changing its course (pause, resume, extend, stop), each audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import require_analyst
from kartlegg.geography.models import County, ReportingUnit
from kartlegg.surveys.models import QuestionnaireVersion

from ..models import LateAnswers, PulseSeries, SeriesStatus, UnitScope

MAX_INTERVAL, MAX_OPEN, MAX_WAVES = 366, 60, 200


class PulseError(ValueError):
    """A series cannot be started or changed as asked; the message names the field (bokmål)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def series_for_user(user: Any) -> QuerySet[PulseSeries]:
    """Analysts see every series; nobody else sees any (the waves' dashboards have their own gate)."""
    require_analyst(user)
    return PulseSeries.objects.select_related("version__survey", "created_by")


def get_series_for_user(user: Any, pk: int) -> PulseSeries:
    found = series_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("Fant ikke pulsserien."))
    return found


def check_units(scope: str, year: int, county_code: str = "", unit_codes: Sequence[str] = ()) -> list[str]:
    """The unit codes of a county or a list, checked against the reporting units of `year`; [] for all units."""
    if scope == UnitScope.ALL:
        return []
    if scope == UnitScope.COUNTY:
        if not County.objects.filter(year=year, code=county_code).exists():
            raise PulseError(_("Ukjent fylke «%(code)s» for %(year)s.") % {"code": county_code, "year": year}, "county")
        return list(ReportingUnit.objects.filter(year=year, county_code=county_code).values_list("code", flat=True))
    if scope == UnitScope.LIST:
        codes = sorted({c.strip() for c in unit_codes if c.strip()})
        if not codes:
            raise PulseError(_("Skriv minst én enhetskode."), "units")
        known = set(ReportingUnit.objects.filter(year=year, code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise PulseError(
                _("Ukjente enhetskoder for %(year)s: %(codes)s.") % {"year": year, "codes": ", ".join(unknown[:10])},
                "units",
            )
        return codes
    raise PulseError(_("Ukjent utvalg «%(scope)s».") % {"scope": scope}, "scope")


@transaction.atomic
def start_series(
    version: QuestionnaireVersion,
    *,
    name: str,
    first_date: dt.date,
    end_date: dt.date,
    interval_days: int = 14,
    open_days: int = 3,
    scope: str = UnitScope.ALL,
    county_code: str = "",
    unit_codes: Sequence[str] = (),
    language: str = "nb",
    late_answers: str = LateAnswers.REFUSE,
    publish_at_once: bool = False,
    user: Any = None,
) -> PulseSeries:
    """Start a series; its first wave opens when the schedule reaches `first_date` (at once if that is today)."""
    require_analyst(user)
    name = " ".join((name or "").split())
    if not name:
        raise PulseError(_("Gi serien et navn."), "name")
    if not 1 <= interval_days <= MAX_INTERVAL:
        raise PulseError(_("Intervallet må være 1–%(max)s dager.") % {"max": MAX_INTERVAL}, "interval_days")
    if not 1 <= open_days <= MAX_OPEN:
        raise PulseError(_("Hver måling må være åpen 1–%(max)s dager.") % {"max": MAX_OPEN}, "open_days")
    if open_days > interval_days:
        raise PulseError(_("En måling kan ikke være åpen lenger enn intervallet."), "open_days")
    if end_date < first_date:
        raise PulseError(_("Siste dag kan ikke være før første måling."), "end_date")
    if (end_date - first_date).days // interval_days + 1 > MAX_WAVES:
        raise PulseError(_("Serien får mer enn %(max)s målinger; velg en tidligere siste dag.") % {"max": MAX_WAVES},
                         "end_date")  # fmt: skip
    if language not in dict(settings.LANGUAGES):
        raise PulseError(_("Ukjent språk «%(language)s».") % {"language": language}, "language")
    if late_answers not in LateAnswers.values:
        raise PulseError(_("Ukjent valg for sene svar «%(value)s».") % {"value": late_answers}, "late_answers")
    codes = check_units(scope, first_date.year, county_code, unit_codes)
    series = PulseSeries.objects.create(
        name=name[:200],
        version=version,
        interval_days=interval_days,
        open_days=open_days,
        unit_scope=scope,
        county_code=county_code if scope == UnitScope.COUNTY else "",
        unit_codes=codes if scope == UnitScope.LIST else [],
        first_date=first_date,
        end_date=end_date,
        language=language,
        late_answers=late_answers,
        publish_at_once=publish_at_once,
        created_by=user,
    )
    audit("pulse.started", user=user, channel=Channel.FORM, obj=series, first=first_date.isoformat(),
          end=end_date.isoformat(), interval=interval_days, open_days=open_days, scope=scope)  # fmt: skip
    return series


ACTIONS = ("pause", "resume", "extend", "stop")


@transaction.atomic
def change_series(series: PulseSeries, action: str, user: Any, end_date: dt.date | None = None) -> PulseSeries:
    """Pause (no new wave opens; an open wave runs to its end), resume, extend (a later end date) or stop (no more
    waves; an open wave runs to its end). Audited with the old and the new state."""
    require_analyst(user)
    locked = PulseSeries.objects.select_for_update().get(pk=series.pk)
    before = {"status": locked.status, "end": locked.end_date.isoformat()}
    if action == "pause":
        if locked.status != SeriesStatus.ACTIVE:
            raise PulseError(_("Bare en aktiv serie kan settes på pause."), "action")
        locked.status, locked.paused_at = SeriesStatus.PAUSED, timezone.now()
    elif action == "resume":
        if locked.status != SeriesStatus.PAUSED:
            raise PulseError(_("Bare en serie på pause kan gjenopptas."), "action")
        locked.status, locked.paused_at = SeriesStatus.ACTIVE, None
    elif action == "extend":
        if locked.status in (SeriesStatus.STOPPED,):
            raise PulseError(_("En stoppet serie kan ikke forlenges."), "action")
        if end_date is None or end_date <= locked.end_date:
            raise PulseError(_("Ny siste dag må være etter %(date)s.") % {"date": locked.end_date.strftime("%d.%m.%Y")},
                             "end_date")  # fmt: skip
        if (end_date - locked.first_date).days // locked.interval_days + 1 > MAX_WAVES:
            raise PulseError(_("Serien får mer enn %(max)s målinger.") % {"max": MAX_WAVES}, "end_date")
        locked.end_date = end_date
        if locked.status == SeriesStatus.FINISHED:
            locked.status = SeriesStatus.ACTIVE
    elif action == "stop":
        if locked.status in (SeriesStatus.STOPPED, SeriesStatus.FINISHED):
            raise PulseError(_("Serien er allerede avsluttet."), "action")
        locked.status = SeriesStatus.STOPPED
    else:
        raise PulseError(_("Ukjent handling «%(action)s».") % {"action": action[:20]}, "action")
    locked.save()
    after = {"status": locked.status, "end": locked.end_date.isoformat()}
    audit(f"pulse.{action}", user=user, channel=Channel.FORM, obj=locked, old=before, new=after)
    return locked
