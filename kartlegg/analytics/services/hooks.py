"""Keeping stored aggregates current when data change, without the apps below knowing about statistics.

responses and quality sit below analytics and must not import it, so analytics listens: when a response that
counts (it has been submitted) is saved, or when QA makes a new data version of a round, the affected slices are
recomputed after the transaction commits (services.recompute_for_response / recompute_for_round). Bulk writes
(demo data, imports) send no signals and are caught up with `manage.py compute_aggregates`. Nothing is recomputed
while no aggregates are stored, and a failure is logged, never raised into the save that triggered it.
Wire it with `from kartlegg.analytics.services import hooks; hooks.connect()` in AppConfig.ready();
KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE = False switches it off.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from kartlegg.responses.models import Response

logger = logging.getLogger(__name__)
_FIELDS = {"status", "version", "submitted_at"}


def _enabled() -> bool:
    return bool(getattr(settings, "KARTLEGG_STATISTICS_RECOMPUTE_ON_SAVE", True))


def response_saved(sender: Any, instance: Response, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if not _enabled() or kwargs.get("raw") or instance.submitted_at is None:
        return
    if update_fields is not None and not _FIELDS.intersection(update_fields):
        return
    pk = instance.pk

    def recompute() -> None:
        from kartlegg.analytics import services

        try:
            services.recompute_for_response(Response.objects.select_related("round", "unit").get(pk=pk))
        except Exception:  # a statistics failure must never undo or break a respondent's save
            logger.exception("Klarte ikke å oppdatere aggregatene etter lagring av svar %s", pk)

    transaction.on_commit(recompute)


def data_version_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created or not _enabled() or kwargs.get("raw"):
        return
    round_id = instance.round_id

    def recompute() -> None:
        from kartlegg.analytics import services
        from kartlegg.responses.models import Round

        try:
            services.recompute_for_round(Round.objects.get(pk=round_id))
        except Exception:  # the data version is made; the aggregates can be caught up with compute_aggregates
            logger.exception("Klarte ikke å oppdatere aggregatene etter ny dataversjon for runde %s", round_id)

    transaction.on_commit(recompute)


def connect() -> None:
    post_save.connect(response_saved, sender=Response, dispatch_uid="analytics.response_saved")
    try:
        from kartlegg.quality.models import DataVersion
    except ImportError:  # pragma: no cover - quality is part of the project
        return
    post_save.connect(data_version_saved, sender=DataVersion, dispatch_uid="analytics.data_version_saved")
