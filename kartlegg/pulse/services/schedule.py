"""The schedule: open the waves that are due, close the waves whose time is up, remind once before closing.

`run_schedule(now)` is idempotent and safe to run as often as one likes, from cron (`manage.py run_pulse_schedule`)
and from the task worker at once: each series is handled under a row lock, and every slot gets exactly one Wave row
(a unique constraint), so no slot is ever opened twice. It catches up after missed days: waves whose time is up are
closed, the slot whose window holds `now` is opened, and slots whose whole window passed while nothing ran are
recorded as missed rather than opened after the fact (a pulse asks about the last fortnight; asking late would mix
two periods). While a series is paused, slots it reaches are recorded as skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kartlegg.accounts.models import Channel, Role, UnitAssignment, audit
from kartlegg.geography.models import ReportingUnit
from kartlegg.responses import invitations
from kartlegg.responses.models import Invitation, InvitationKind
from kartlegg.responses.services import RoundError, open_round

from ..models import LateAnswers, PulseSeries, SeriesStatus, UnitScope, Wave, WaveState

OPEN_HOUR = 8  # a wave opens at 08:00 local time on its day and closes at midnight after its last day
REMINDER_KIND = "pulse"


@dataclass
class ScheduleReport:
    opened: list[int] = field(default_factory=list)  # wave ids
    closed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)  # series ids
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.closed or self.skipped or self.reminded or self.finished)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def slot_window(series: PulseSeries, slot: int) -> tuple[dt.datetime, dt.datetime]:
    day = series.slot_date(slot)
    return _at(day, OPEN_HOUR), _at(day + dt.timedelta(days=series.open_days), 0)


def reminder_at(wave: Wave) -> dt.datetime:
    """The last day a wave is open, at the hour waves open (for a one-day wave: four hours after opening)."""
    last_day = timezone.localtime(wave.closes_at).date() - dt.timedelta(days=1)
    at = _at(last_day, OPEN_HOUR)
    return at if at > wave.opens_at else wave.opens_at + dt.timedelta(hours=4)


def next_event(now: dt.datetime | None = None) -> dt.datetime | None:
    """When the schedule next has something to do (open, remind or close), for the worker to wake up then."""
    now = now or timezone.now()
    times: list[dt.datetime] = []
    for wave in Wave.objects.filter(state=WaveState.OPEN).select_related("round"):
        times.append(wave.closes_at)
        if wave.reminded_at is None:
            times.append(reminder_at(wave))
    for series in PulseSeries.objects.filter(status=SeriesStatus.ACTIVE):
        slot = next_slot(series)
        if slot < series.slot_count():
            times.append(slot_window(series, slot)[0])
    future = [t for t in times if t > now]
    return min(future) if future else None


def next_slot(series: PulseSeries) -> int:
    last = series.waves.order_by("-slot").values_list("slot", flat=True).first()
    return 0 if last is None else last + 1


def next_wave_date(series: PulseSeries) -> dt.datetime | None:
    if series.status != SeriesStatus.ACTIVE:
        return None
    slot = next_slot(series)
    return slot_window(series, slot)[0] if slot < series.slot_count() else None


def run_schedule(now: dt.datetime | None = None, base_url: str | None = None) -> ScheduleReport:
    """Bring every series up to `now` (default: the clock). See the module docstring."""
    now = now or timezone.now()
    report = ScheduleReport()
    pending = PulseSeries.objects.exclude(status=SeriesStatus.FINISHED).order_by("pk").values_list("pk", flat=True)
    for pk in list(pending):
        _bring_up_to_date(pk, now, report, base_url)
    return report


@transaction.atomic
def _bring_up_to_date(pk: int, now: dt.datetime, report: ScheduleReport, base_url: str | None) -> None:
    series = PulseSeries.objects.select_for_update(of=("self",)).select_related("version", "created_by").get(pk=pk)
    for wave in series.waves.filter(state=WaveState.OPEN, closes_at__lte=now).select_related("round"):
        close_wave(wave, now)
        report.closed.append(wave.pk)
    if series.status in (SeriesStatus.ACTIVE, SeriesStatus.PAUSED):
        for slot in range(next_slot(series), series.slot_count()):
            opens, closes = slot_window(series, slot)
            if opens > now:
                break
            if series.status == SeriesStatus.PAUSED or now >= closes:
                reason = "paused" if series.status == SeriesStatus.PAUSED else "missed"
                wave = Wave.objects.create(series=series, slot=slot, state=WaveState.SKIPPED, skip_reason=reason,
                                           opens_at=opens, closes_at=closes)  # fmt: skip
                audit("pulse.wave_skipped", obj=series, slot=slot, reason=reason, day=opens.date().isoformat())
                report.skipped.append(wave.pk)
                continue
            try:
                wave = open_wave(series, slot, opens, closes, base_url)
            except (RoundError, PermissionDenied) as exc:
                report.problems.append(f"{series.name}: {exc}")
                break
            report.opened.append(wave.pk)
    for wave in series.waves.filter(state=WaveState.OPEN, closes_at__gt=now).select_related("round"):
        if now >= reminder_at(wave) and remind_once(wave, now):
            report.reminded.append(wave.pk)
    if (
        series.status == SeriesStatus.ACTIVE
        and next_slot(series) >= series.slot_count()
        and not series.waves.filter(state=WaveState.OPEN).exists()
    ):
        series.status = SeriesStatus.FINISHED
        series.save(update_fields=["status"])
        audit("pulse.finished", obj=series)
        report.finished.append(series.pk)


def open_wave(series: PulseSeries, slot: int, opens: dt.datetime, closes: dt.datetime, base_url: str | None) -> Wave:
    """Open the slot's round (one response per unit of the series) and invite every unit's known addresses in the
    series' language. Runs as the analyst who started the series."""
    number = series.waves.exclude(state=WaveState.SKIPPED).count() + 1
    codes = None if series.unit_scope == UnitScope.ALL else unit_codes_of(series, opens.year)
    round_obj = open_round(
        series.version,
        name=f"{series.name} – måling {number}",
        year=opens.year,
        opens_at=opens,
        deadline=timezone.localtime(closes).date() - dt.timedelta(days=1),
        # Accepted late answers: the round stays open after the wave closes; answers after closes_at are late.
        closes_at=None if series.late_answers == LateAnswers.ACCEPT else closes,
        user=series.created_by,
        unit_codes=codes,
    )
    wave = Wave.objects.create(
        series=series, slot=slot, number=number, round=round_obj, opens_at=opens, closes_at=closes
    )
    wave.invited = invite_units(wave, series.language, base_url)
    wave.save(update_fields=["invited"])
    audit("pulse.wave_opened", obj=series, wave=wave.pk, round=round_obj.pk, number=number, invited=wave.invited)
    return wave


def unit_codes_of(series: PulseSeries, year: int) -> list[str]:
    if series.unit_scope == UnitScope.COUNTY:
        return list(
            ReportingUnit.objects.filter(year=year, county_code=series.county_code).values_list("code", flat=True)
        )
    return list(series.unit_codes)


def known_addresses(codes: Iterable[str] | None = None) -> dict[str, set[str]]:
    """unit code → the addresses invited to it in any earlier round (invitations and colleagues), and the active
    respondents bound to it."""
    found: dict[str, set[str]] = defaultdict(set)
    invited = Invitation.objects.filter(kind__in=[InvitationKind.INVITE, InvitationKind.COLLEAGUE])
    bound = UnitAssignment.objects.filter(user__role=Role.RESPONDENT, user__is_active=True).exclude(user__email="")
    if codes is not None:
        wanted = list(codes)
        invited, bound = invited.filter(unit__code__in=wanted), bound.filter(unit_code__in=wanted)
    for code, email in invited.values_list("unit__code", "email").distinct():
        found[code].add(invitations.normalise_email(email))
    for code, email in bound.values_list("unit_code", "user__email"):
        found[code].add(invitations.normalise_email(email))
    return found


def invite_units(wave: Wave, language: str, base_url: str | None) -> int:
    assert wave.round is not None
    responses = list(wave.round.responses.select_related("unit"))
    addresses = known_addresses([r.unit.code for r in responses])
    sent = 0
    for response in responses:
        for email in sorted(addresses.get(response.unit.code, ())):
            invitations.invite(wave.round, response.unit, email, language=language, base_url=base_url)
            sent += 1
    return sent


def remind_once(wave: Wave, now: dt.datetime) -> bool:
    """The one reminder before a wave closes, to the units that have not submitted. True when it was sent now."""
    assert wave.round is not None
    claimed = Wave.objects.filter(pk=wave.pk, reminded_at__isnull=True).update(reminded_at=now)
    if not claimed:
        return False
    result = invitations.remind(wave.round, kind=REMINDER_KIND)
    audit("pulse.reminded", obj=wave.series, wave=wave.pk, units=len(result.sent), emails=result.emails)
    return True


def close_wave(wave: Wave, now: dt.datetime) -> None:
    wave.state, wave.closed_at = WaveState.CLOSED, now
    wave.save(update_fields=["state", "closed_at"])
    audit("pulse.wave_closed", channel=Channel.SYSTEM, obj=wave.series, wave=wave.pk, number=wave.number)


def late_count(wave: Wave) -> int:
    """Responses submitted after the wave closed (only possible when the series accepts late answers)."""
    if wave.round is None:
        return 0
    return wave.round.responses.filter(status="submitted", submitted_at__gt=wave.closes_at).count()
