"""A data correction after publication (a new data version of a published year) offers to rebuild the report and
re-issue it as a corrected version. Nothing changes in public until an analyst publishes that version: the rebuild
makes a report draft and a publication draft; the statistics switch version when the correction is published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kartlegg.accounts.models import User
from kartlegg.analytics.services import annual_rounds
from kartlegg.analytics.services.versions import current_numbers
from kartlegg.publishing.models import Kind, Publication, Status
from kartlegg.publishing.services import corrections
from kartlegg.publishing.services.access import newest_versions, public_publications
from kartlegg.publishing.services.datayear import PublishingError
from kartlegg.reports import services as reports


@dataclass
class Offer:
    publication: Publication
    published_version: int | None
    newest_version: int


def offers() -> list[Offer]:
    """Public report publications whose year has a newer data version than the one they rest on, and no newer
    version of the publication in the works."""
    found = []
    rounds = annual_rounds()
    newest = current_numbers(rounds)
    for publication in newest_versions(public_publications().filter(kind=Kind.REPORT, year__isnull=False)):
        number = newest.get(publication.year or 0)
        if number is None or (publication.data_version_number or 0) >= number:
            continue
        if Publication.objects.filter(slug=publication.slug, version__gt=publication.version).exists():
            continue
        found.append(Offer(publication, publication.data_version_number, number))
    return found


def rebuild(publication_id: int, user_id: int, data_version: int) -> Publication:
    """Build the year's report from `data_version` and make a corrected version (a draft) resting on it."""
    publication = Publication.objects.get(pk=publication_id)
    user: Any = User.objects.get(pk=user_id)
    if publication.year is None or publication.report is None:
        raise PublishingError("report: publikasjonen har ingen rapport å bygge på nytt.")
    if (
        Publication.objects.filter(slug=publication.slug, version__gt=publication.version)
        .exclude(status=Status.REPLACED)
        .exists()
    ):
        raise PublishingError("status: det finnes allerede en nyere versjon.")
    report = reports.build_report(publication.year, f"v{data_version}", publication.report.language, user=user)
    note = f"Tallene bygger nå på dataversjon {data_version} (rettede data)."
    return corrections.correct(publication, user, note, report=report)
