"""Corrections: a public publication is corrected into a new version (a draft, with what was corrected); the old
version stays public, and reachable at its own address, until the new one is published."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kartlegg.publishing.models import Publication
from kartlegg.publishing.services import common
from kartlegg.publishing.services.datayear import PublishingError
from kartlegg.reports.models import Report


def correct(publication: Publication, user: Any, note: str, report: Report | None = None) -> Publication:
    """A new version (a draft) of a public publication, saying what was corrected; a new report (a rebuild from a
    new data version) may replace the old one. The old version stays public until the new one is published."""
    common.analyst(user)
    note = common.text("correction_note", note, common.MAX_SUMMARY)
    with transaction.atomic():
        locked = common.lock(publication)
        if not locked.is_public():
            raise PublishingError("status: bare en publisert publikasjon kan rettes; endre utkastet i stedet.")
        if Publication.objects.filter(previous=locked).exists():
            raise PublishingError("status: det finnes allerede en nyere versjon; rett den.")
        source = report or locked.report
        new = Publication.objects.create(
            slug=locked.slug, version=locked.version + 1, kind=locked.kind, title=locked.title,
            summary=locked.summary, body=locked.body, language=locked.language, report=source,
            year=locked.year, data_version=source.data_version if source is not None else locked.data_version,
            links=locked.links, sources=locked.sources, correction_note=note, previous=locked, created_by=user,
        )  # fmt: skip
        new.topics.set(locked.topics.all())
        common.audit_step("corrected", new, user, note=note)
    return new
