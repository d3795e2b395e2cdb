"""The end of an embargo, recorded: every scheduled publication whose time has come is marked published (who
scheduled it, at its own time), the version it corrects is marked replaced, and a data correction switches the
year's statistics to the new version. Idempotent and safe to run from cron and the worker at once (row locks;
a publication that is no longer scheduled is left alone). Sending the notices is the caller's (tasks.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kartlegg.accounts.models import Channel, audit
from kartlegg.publishing.models import Publication, Status
from kartlegg.publishing.services.datayear import publish_correction


def mark_published(publication: Publication, user: object = None) -> Publication:
    """Inside a transaction, on a locked scheduled row whose time has come."""
    publication.status = Status.PUBLISHED
    publication.published_by = user or publication.scheduled_by  # type: ignore[assignment]
    publication.published_at = publication.publish_at
    publication.save()
    if publication.previous_id is not None:
        Publication.objects.filter(pk=publication.previous_id).update(status=Status.REPLACED)
    publish_correction(publication, user)
    audit("publishing.published", user=publication.published_by, channel=Channel.SYSTEM if user is None else
          Channel.FORM, obj=publication, slug=publication.slug, version=publication.version)  # fmt: skip
    return publication


def publish_due(now: dt.datetime | None = None) -> list[Publication]:
    """Mark every scheduled publication whose time has passed as published. Returns those it marked."""
    moment = now or timezone.now()
    done = []
    due = Publication.objects.filter(status=Status.SCHEDULED, publish_at__lte=moment).order_by("publish_at", "pk")
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            locked = Publication.objects.select_for_update().get(pk=pk)
            if locked.status != Status.SCHEDULED or locked.publish_at is None or locked.publish_at > moment:
                continue
            done.append(mark_published(locked))
    return done
