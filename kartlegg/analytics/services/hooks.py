"""Keeping stored aggregates current when data change, without the apps below knowing about statistics.

responses and quality sit below analytics and must not import it, so analytics listens: when a response that
counts (it has been submitted) is saved (submit, reopen, import, a QA correction), or when QA makes a new data
version of a round (a lock, a correction after it), a recompute of what changed is queued as a background job
(tasks.schedule_recompute: one pending job per round collects the changed units). The job is created in the same
transaction as the change and enqueued after it commits. Bulk writes that send no signals (the demo data) are
caught up with `manage.py compute_aggregates`. Nothing is queued while no aggregates are stored, and a failure to
queue is logged, never raised into the save that triggered it. AnalyticsConfig.ready() connects it;
KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE = False switches it off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from kartlegg.analytics.models import AggregateBlock
from kartlegg.quality.models import DataVersion
from kartlegg.responses.models import Response, Round

logger = logging.getLogger(__name__)
_FIELDS = {"status", "version", "submitted_at"}


def _enabled() -> bool:
    return bool(getattr(settings, "KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE", True)) and AggregateBlock.objects.exists()


def _schedule(round_id: int, units: list[str] | None) -> None:
    from kartlegg.analytics import tasks

    try:
        with transaction.atomic():
            tasks.schedule_recompute(Round.objects.get(pk=round_id), units)
    except Exception:  # a statistics failure must never undo or break a respondent's save
        logger.exception("Klarte ikke å legge oppdateringen av statistikken for runde %s i køen", round_id)


def response_saved(sender: Any, instance: Response, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.submitted_at is None:
        return
    if update_fields is not None and not _FIELDS.intersection(update_fields):
        return
    if _enabled():
        _schedule(instance.round_id, [instance.unit.code])


def data_version_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw") and _enabled():
        _schedule(instance.round_id, None)


def connect() -> None:
    post_save.connect(response_saved, sender=Response, dispatch_uid="analytics.response_saved")
    post_save.connect(data_version_saved, sender=DataVersion, dispatch_uid="analytics.data_version_saved")
