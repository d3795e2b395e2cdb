"""Queue the checks when a response is submitted, and once per import.

responses sits below quality and must not import it, so quality listens instead:
- responses.services.submit saves the response with "status" in update_fields and the status submitted; a save of
  answers names "status" only when it changes (not started → draft), so it never looks like a submission. The checks
  run as a background job (tasks.checks_after_submit), queued when the transaction commits (a rolled-back
  submission is not checked), so the respondent never waits for them and a failing check never makes the
  submission fail (the job shows the error).
- responses.importers.import_responses sends `answers_imported` once, after its transaction commits, with the units
  whose answers changed; one job (tasks.checks_after_import) checks them all, reading the round once. Imports into
  the same round while it waits join it.
Other bulk writes (the demo data) send neither and are checked with `manage.py run_qa`.
Set KARTLEGG_QA_ON_SUBMIT = False to switch both off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from kartlegg.responses.models import Response, ResponseStatus, Round
from kartlegg.responses.signals import answers_imported

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Response, dispatch_uid="quality.run_checks_on_submit")
def run_checks_on_submit(
    sender: Any, instance: Response, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if not getattr(settings, "KARTLEGG_QA_ON_SUBMIT", True) or kwargs.get("raw"):
        return
    if instance.status != ResponseStatus.SUBMITTED or not update_fields or "status" not in update_fields:
        return
    from .tasks import queue_checks_after_submit

    try:
        with transaction.atomic():
            queue_checks_after_submit(instance)
    except Exception:  # noqa: BLE001 - QA must never stand in the way of a submission
        logger.exception("Klarte ikke å legge kontrollene for %s i køen", instance)


@receiver(answers_imported, dispatch_uid="quality.run_checks_on_import")
def run_checks_on_import(sender: Any, round: Round, units: list[str], user: Any = None, **kwargs: Any) -> None:  # noqa: A002
    if not getattr(settings, "KARTLEGG_QA_ON_SUBMIT", True) or not units:
        return
    from .tasks import queue_checks_after_import

    try:
        with transaction.atomic():
            queue_checks_after_import(round, units, user)
    except Exception:  # noqa: BLE001 - the import has committed; QA is queued again by run_qa
        logger.exception("Klarte ikke å legge kontrollene etter importen i %s i køen", round)
