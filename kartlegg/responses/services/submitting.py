"""Submitting a response (errors block, warnings need a comment) and reopening it for corrections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import require_analyst
from kartlegg.surveys import engine

from ..models import Response, ResponseStatus
from .access import NotWritable, lock_response, writable_reason
from .saving import validate_response


@dataclass
class SubmitResult:
    submitted: bool
    already: bool = False
    validation: engine.ValidationResult | None = None
    message: str = ""


def submit(response: Response, user: Any, channel: str = Channel.FORM) -> SubmitResult:
    """Errors block; every warning needs a comment on one of its variables. Submitting twice is harmless."""
    with transaction.atomic():
        locked = lock_response(response, "round__version", "unit")
        if locked.status == ResponseStatus.SUBMITTED:
            return SubmitResult(submitted=True, already=True, message=_("Skjemaet er allerede sendt inn."))
        reason = writable_reason(locked, user, channel)
        if reason:
            raise NotWritable(reason)
        validation = validate_response(locked)
        if validation.errors or validation.unexplained_warnings:
            return SubmitResult(
                submitted=False,
                validation=validation,
                message=_("Skjemaet kan ikke sendes inn før feilene er rettet og advarslene forklart."),
            )
        locked.status = ResponseStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_by = user if getattr(user, "is_authenticated", False) else None
        locked.version += 1
        locked.save(update_fields=["status", "submitted_at", "submitted_by", "version", "updated_at"])
        audit(
            "response.submitted",
            user=user,
            channel=channel,
            obj=locked,
            unit_code=locked.unit.code,
            round=locked.round_id,
            warnings=len(validation.warnings),
        )
    response.status, response.version = locked.status, locked.version
    response.submitted_at, response.submitted_by = locked.submitted_at, locked.submitted_by
    return SubmitResult(submitted=True, validation=validation, message=_("Skjemaet er sendt inn."))


def reopen(response: Response, user: Any, reason: str = "", channel: str = Channel.FORM) -> bool:
    """Analysts reopen a submitted response so the unit can correct it. Returns False when it was not submitted."""
    require_analyst(user)
    with transaction.atomic():
        locked = lock_response(response, "round", "unit")
        if locked.round.is_locked:
            raise NotWritable(_("Runden er låst. Svarene kan ikke endres."))
        if locked.status != ResponseStatus.SUBMITTED:
            return False
        locked.status = ResponseStatus.REOPENED
        locked.reopened_at = timezone.now()
        locked.reopened_by = user
        locked.version += 1
        locked.save(update_fields=["status", "reopened_at", "reopened_by", "version", "updated_at"])
        audit(
            "response.reopened",
            user=user,
            channel=channel,
            obj=locked,
            unit_code=locked.unit.code,
            round=locked.round_id,
            reason=reason,
        )
    response.status, response.version = locked.status, locked.version
    return True
