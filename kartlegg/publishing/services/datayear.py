"""A report publication and its year's statistics (analytics.Publication) go public at the same moment.

- A year that is not public yet gets its embargo set to the publication's time (analytics access.publish), so the
  explorer, profiles, API and exports of that data version open exactly when the report does. What the year's
  statistics publication said before is kept on the publication, so unscheduling puts it back.
- A year that is public at the same data version is left alone.
- A year that is public at an older data version (a data correction) is switched to the new version when the
  correction itself is published (`publish_correction`, from publish_due or publish_now), never before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kartlegg.analytics.models import Publication as StatisticsPublication
from kartlegg.analytics.services import access as statistics_access
from kartlegg.publishing.models import Kind, Publication


class PublishingError(ValueError):
    """A step of the workflow that cannot be taken as asked; the message names the field or the reason (bokmål)."""


def _actor(publication: Publication, user: Any) -> Any:
    actor = user or publication.scheduled_by or publication.approved_by or publication.created_by
    if actor is None or not getattr(actor, "is_analyst", False):
        raise PublishingError("Statistikken for året kan bare publiseres i en analytikers navn.")
    return actor


def _applies(publication: Publication) -> bool:
    return publication.kind == Kind.REPORT and publication.year is not None


def embargo_with(publication: Publication, at: dt.datetime, user: Any) -> None:
    """On scheduling: a year not yet public is set to go public at `at` with the publication's data version."""
    if not _applies(publication):
        return
    year = publication.year
    assert year is not None
    existing = StatisticsPublication.objects.filter(year=year).first()
    if existing is not None and existing.is_public():
        return  # same version: nothing to do; an older one: publish_correction does it at the time
    publication.statistics_before = (
        None
        if existing is None
        else {"published_at": existing.published_at.isoformat(), "data_version": existing.data_version}
    )
    note = f"Publisert med «{publication.title}»."
    try:
        statistics_access.publish(year, at, _actor(publication, user), note=note,
                                  data_version=publication.data_version_number)  # fmt: skip
    except statistics_access.PublishError as error:
        raise PublishingError(f"year: {error}") from error


def move_embargo(publication: Publication, at: dt.datetime) -> None:
    """A scheduled publication published earlier than planned: its year's statistics go public with it."""
    if not _applies(publication):
        return
    existing = StatisticsPublication.objects.filter(year=publication.year or 0).first()
    if existing is not None and not existing.is_public():
        existing.published_at = at
        existing.save(update_fields=["published_at"])


def lift_embargo(publication: Publication) -> None:
    """On unscheduling: put the year's statistics publication back as it was (if it is still under embargo)."""
    if not _applies(publication):
        return
    existing = StatisticsPublication.objects.filter(year=publication.year or 0).first()
    if existing is None or existing.is_public():
        return
    before = publication.statistics_before
    if before is None:
        existing.delete()
    else:
        existing.published_at = dt.datetime.fromisoformat(before["published_at"])
        existing.data_version = before["data_version"]
        existing.save(update_fields=["published_at", "data_version"])


def publish_correction(publication: Publication, user: Any = None) -> None:
    """When a publication goes public: if its year is public at an older data version, publish the new version
    as a correction of the statistics, with the publication's correction note."""
    if not _applies(publication):
        return
    number = publication.data_version_number
    existing = StatisticsPublication.objects.filter(year=publication.year or 0).first()
    if existing is None or number is None or existing.data_version == number or not existing.is_public():
        return
    if existing.data_version is not None and existing.data_version > number:
        return  # never step the statistics back to an older version
    note = publication.correction_note or f"Ny dataversjon publisert med «{publication.title}»."
    try:
        statistics_access.publish(publication.year, None, _actor(publication, user), data_version=number,  # type: ignore[arg-type]
                                  correction_note=note)  # fmt: skip
    except statistics_access.PublishError as error:
        raise PublishingError(f"year: {error}") from error
