"""QA flags: run the checks and keep the flags in step, move flags through their states, and the figures for the
methods chapter. Queries are in queries.py and locking in versions.py; the package re-exports all three.

Re-running is idempotent: a flag is identified by (round, unit, check, rule, variable). A check that fires again
updates its flag; one that no longer fires resolves an active flag ("løst av data"); a settled flag (accepted,
corrected, dismissed) is left alone unless the check fires with different values, which reopens it, because the
decision was about the old values.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import AuditEvent, Channel, audit
from kartlegg.accounts.permissions import Access, check_unit_access, require_analyst, unit_filter
from kartlegg.responses.models import Response, Round

from .. import checks, metrics
from ..checks import FlagCandidate, UnitData
from ..loader import load_round
from ..models import Flag, FlagEvent, QAConfig, Query
from ..states import ACTIVE, ANALYST_ACTIONS, SETTLED, SYSTEM_ACTIONS, UNIT_ACTIONS, FlagState, next_state

logger = logging.getLogger(__name__)


class FlagError(ValueError):
    """A flag action that cannot be done as asked (a missing reason, flags of different rounds). Norwegian message."""


def config_for(version: Any) -> dict[str, dict[str, Any]]:
    """The effective check settings of a questionnaire version (its QAConfig over the defaults)."""
    found = QAConfig.objects.filter(version=version).first()
    return found.effective() if found is not None else checks.default_config()


@dataclass
class RunReport:
    units: int = 0
    candidates: int = 0
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    by_check: dict[str, int] = field(default_factory=dict)


def run_checks(
    round_obj: Round,
    *,
    units: Collection[str] | None = None,
    user: Any = None,
    progress: Callable[[UnitData], None] | None = None,
) -> RunReport:
    """Run the checks on a round (or on some of its units) and bring its flags up to date."""
    started = time.perf_counter()
    data = load_round(round_obj)
    config = config_for(round_obj.version)
    run = checks.run_checks(data.units, data.layout, config, only=units, year=round_obj.year, progress=progress)
    unit_ids = {u.code: u.unit_id for u in data.units}
    report = sync_flags(round_obj, run.candidates, run.units, run.checks, unit_ids, user)
    report.seconds = time.perf_counter() - started
    return report


def run_checks_for_response(response: Response, user: Any = None) -> RunReport:
    """Run the checks for one unit (on submit, and after a correction). Its peers are the whole round."""
    return run_checks(response.round, units=[response.unit.code], user=user)


def after_submit(response: Response) -> None:
    """The submit hook: QA must never stand in the way of a submission, so a failure is logged, not raised."""
    try:
        run_checks_for_response(response)
    except Exception:  # noqa: BLE001 - any failure here is ours to log, not the respondent's to see
        logger.exception("QA-kontrollene feilet for %s", response)


def _event(flag: Flag, action: str, old: str, new: str, user: Any, note: str, channel: str) -> FlagEvent:
    actor = user if getattr(user, "is_authenticated", False) else None
    return FlagEvent(flag=flag, user=actor, action=action, from_state=old, to_state=new, note=note, channel=channel)


def _audit_row(
    flag: Flag, unit_code: str, action: str, old: str, new: str, user: Any, note: str, channel: str
) -> AuditEvent:
    return AuditEvent(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=f"quality.flag.{action}",
        channel=channel,
        object_type=flag._meta.label_lower,
        object_id=str(flag.pk),
        unit_code=unit_code,
        variable=flag.variable,
        old_value=old or None,
        new_value=new,
        detail={"round": flag.round_id, "check": flag.check_name, "rule": flag.rule, "note": note},
    )


@transaction.atomic
def sync_flags(
    round_obj: Round,
    candidates: Iterable[FlagCandidate],
    unit_codes: Collection[str],
    check_names: Collection[str],
    unit_ids: dict[str, int | None],
    user: Any = None,
) -> RunReport:
    """Bring the stored flags of these units and checks in line with what the checks found now."""
    now = timezone.now()
    code_of = {pk: code for code, pk in unit_ids.items()}
    wanted_ids = [unit_ids[c] for c in unit_codes if unit_ids.get(c) is not None]
    existing: dict[tuple[str, str, str, str], Flag] = {}
    for row in Flag.objects.select_for_update().filter(
        round=round_obj, unit_id__in=wanted_ids, check_name__in=list(check_names)
    ):
        existing[(code_of[row.unit_id], row.check_name, row.rule, row.variable)] = row
    report = RunReport(units=len(unit_codes))
    new_flags: list[Flag] = []
    changed: list[Flag] = []
    seen: list[int] = []  # unchanged flags: only last_seen_at moves
    transitions: list[tuple[Flag, str, str, str, str]] = []  # flag, action, from, to, note
    for candidate in candidates:
        report.candidates += 1
        report.by_check[candidate.check] = report.by_check.get(candidate.check, 0) + 1
        fields = {
            "severity": candidate.severity,
            "values": candidate.values,
            "variables": list(candidate.variables),
            "explanation": candidate.explanation,
            "impact": float(candidate.impact),
        }
        flag = existing.pop(candidate.key) if candidate.key in existing else None
        unit_id = unit_ids.get(candidate.unit)
        if flag is None and unit_id is not None:
            flag = Flag(
                round=round_obj,
                unit_id=unit_id,
                variable=candidate.variable,
                check_name=candidate.check,
                rule=candidate.rule,
                last_seen_at=now,
                **fields,
            )
            new_flags.append(flag)
            continue
        if flag is None:
            continue  # a unit the caller did not pass an id for cannot hold a flag
        values_changed = flag.values != candidate.values
        dirty = values_changed or any(getattr(flag, k) != v for k, v in fields.items() if k != "values")
        for key, value in fields.items():
            setattr(flag, key, value)
        flag.last_seen_at = now
        if flag.state == FlagState.RESOLVED or (flag.state in SETTLED and values_changed):
            note = (
                _("Kontrollen slår ut igjen.")
                if flag.state == FlagState.RESOLVED
                else _("Verdiene er endret siden flagget ble avgjort.")
            )
            transitions.append((flag, "reopen", flag.state, FlagState.OPEN, note))
            flag.state = FlagState.OPEN
            flag.settled_at = None
            flag.settled_by = None
            report.reopened += 1
        elif dirty:
            report.updated += 1
        else:
            report.unchanged += 1
            seen.append(flag.pk)
            continue
        changed.append(flag)
    for flag in existing.values():
        if flag.state in ACTIVE:
            transitions.append((flag, "resolve", flag.state, FlagState.RESOLVED, _("Kontrollen slår ikke lenger ut.")))
            flag.state = FlagState.RESOLVED
            changed.append(flag)
            report.resolved += 1
    Flag.objects.bulk_create(new_flags)
    report.created = len(new_flags)
    if seen:
        Flag.objects.filter(pk__in=seen).update(last_seen_at=now)
    if changed:
        Flag.objects.bulk_update(
            changed,
            [
                "severity",
                "values",
                "variables",
                "explanation",
                "impact",
                "last_seen_at",
                "state",
                "settled_at",
                "settled_by",
            ],
        )
    for flag in new_flags:
        transitions.append((flag, "open", "", FlagState.OPEN, _("Funnet av kontrollen.")))
    FlagEvent.objects.bulk_create(
        [_event(f, a, old, new, user, note, Channel.SYSTEM) for f, a, old, new, note in transitions]
    )
    AuditEvent.objects.bulk_create(
        [
            _audit_row(f, code_of.get(f.unit_id, ""), a, old, new, user, note, Channel.SYSTEM)
            for f, a, old, new, note in transitions
        ]
    )
    return report


def _authorise(flag: Flag, action: str, user: Any) -> None:
    if user is None:
        if action not in SYSTEM_ACTIONS:
            raise PermissionDenied(_("Bare en innlogget bruker kan gjøre dette."))
        return
    if getattr(user, "is_analyst", False) and action in ANALYST_ACTIONS:
        return
    if action in UNIT_ACTIONS:
        check_unit_access(user, flag.unit.code, flag.unit.county_code, Access.EDIT)
        return
    require_analyst(user)
    raise PermissionDenied(_("Du kan ikke gjøre dette med flagget."))


def transition(flag: Flag, action: str, user: Any, note: str = "", channel: str = Channel.FORM) -> Flag:
    """Move one flag (IllegalTransition when its state does not allow the action; PermissionDenied for the wrong
    user). Dismissing needs a reason. Logged as a FlagEvent and in the audit log."""
    note = (note or "").strip()
    if action == "dismiss" and not note:
        raise FlagError(_("Skriv en begrunnelse for å avvise flagget."))
    _authorise(flag, action, user)
    with transaction.atomic():
        locked = Flag.objects.select_for_update().select_related("unit").get(pk=flag.pk)
        old = locked.state
        new = next_state(old, action)
        locked.state = new
        if new in SETTLED:
            locked.settled_at = timezone.now()
            locked.settled_by = user if getattr(user, "is_authenticated", False) else None
            if note:
                locked.reason = note
        elif new == FlagState.OPEN:
            locked.settled_at, locked.settled_by = None, None
        locked.save(update_fields=["state", "settled_at", "settled_by", "reason", "updated_at"])
        FlagEvent.objects.create(
            flag=locked,
            user=user if getattr(user, "is_authenticated", False) else None,
            action=action,
            from_state=old,
            to_state=new,
            note=note,
            channel=channel,
        )
        audit(
            f"quality.flag.{action}",
            user=user,
            channel=channel,
            obj=locked,
            unit_code=locked.unit.code,
            variable=locked.variable,
            old=old,
            new=new,
            round=locked.round_id,
            check=locked.check_name,
            rule=locked.rule,
            note=note,
        )
    flag.state, flag.settled_at, flag.settled_by, flag.reason = (
        locked.state,
        locked.settled_at,
        locked.settled_by,
        locked.reason,
    )
    return flag


@dataclass
class BulkResult:
    done: list[Flag] = field(default_factory=list)
    refused: list[tuple[Flag, str]] = field(default_factory=list)


def bulk_transition(flags: Iterable[Flag], action: str, user: Any, note: str = "") -> BulkResult:
    """The same action on many flags; a flag whose state does not allow it is reported, not fatal."""
    from ..states import IllegalTransition

    require_analyst(user)
    if action == "dismiss" and not (note or "").strip():
        raise FlagError(_("Skriv en begrunnelse for å avvise flaggene."))
    result = BulkResult()
    for flag in flags:
        try:
            transition(flag, action, user, note)
        except IllegalTransition as exc:
            result.refused.append((flag, str(exc)))
        else:
            result.done.append(flag)
    return result


def flags_for_analyst(user: Any, round_obj: Round) -> Any:
    """The flag queue of a round: analysts only."""
    require_analyst(user)
    return Flag.objects.filter(round=round_obj).filter(unit_filter(user, Access.EDIT)).select_related("unit")


def metrics_for_round(round_obj: Round) -> metrics.FollowUp:
    flags = [
        metrics.FlagRow(code, check, state)
        for code, check, state in Flag.objects.filter(round=round_obj).values_list("unit__code", "check_name", "state")
    ]
    queries = [
        metrics.QueryRow(code, sent, answered)
        for code, sent, answered in Query.objects.filter(round=round_obj).values_list(
            "unit__code", "sent_at", "answered_at"
        )
    ]
    units = Response.objects.filter(round=round_obj).count()
    return metrics.follow_up(units, flags, queries)
