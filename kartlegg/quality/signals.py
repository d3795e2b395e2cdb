"""Queue the checks when a response is submitted.

responses sits below quality and must not import it, so quality listens instead: responses.services.submit saves
the response with update_fields including "status", and that is the moment. The checks run as a background job
(tasks.checks_after_submit), queued when the transaction commits (a rolled-back submission is not checked), so the
respondent never waits for them and a failing check never makes the submission fail (the job shows the error).
Bulk writes (demo data, imports) do not send post_save and are checked with `manage.py run_qa`.
Set KARTLEGG_QA_ON_SUBMIT = False to switch it off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from kartlegg.responses.models import Response, ResponseStatus

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
