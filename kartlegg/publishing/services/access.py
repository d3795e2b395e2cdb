"""Who sees which publication. The public (anonymous visitors and respondents) sees a version once it is public
(rules.is_public: scheduled or published and its time has come); analysts see everything, county reviewers also
what is approved or scheduled (the preview, marked "Under embargo til …"). `get_publication_for_user` is the one
way a view reaches a publication; what a user may not see is a 404, so its existence is not told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kartlegg.publishing.models import PUBLIC_STATUSES, Publication, Status, Topic

PREVIEW_STATUSES = (Status.APPROVED, Status.SCHEDULED)


def public_q(now: dt.datetime | None = None) -> Q:
    return Q(status__in=PUBLIC_STATUSES, publish_at__lte=now or timezone.now())


def is_analyst(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_analyst", False))


def can_preview(user: Any) -> bool:
    """Analysts, and county reviewers, see publications under embargo."""
    return is_analyst(user) or bool(getattr(user, "is_authenticated", False) and getattr(user, "is_reviewer", False))


def public_publications(now: dt.datetime | None = None) -> QuerySet[Publication]:
    return Publication.objects.filter(public_q(now))


def visible_publications(user: Any, now: dt.datetime | None = None) -> QuerySet[Publication]:
    """Every version the user may open: analysts all, reviewers also those approved or scheduled, others the
    public ones."""
    if is_analyst(user):
        return Publication.objects.all()
    if can_preview(user):
        return Publication.objects.filter(public_q(now) | Q(status__in=PREVIEW_STATUSES))
    return public_publications(now)


def newest_versions(publications: Iterable[Publication]) -> list[Publication]:
    """The newest version of each slug among `publications`, newest publication first (unpublished ones first)."""
    best: dict[str, Publication] = {}
    for publication in publications:
        if publication.slug not in best or publication.version > best[publication.slug].version:
            best[publication.slug] = publication
    far = timezone.now() + dt.timedelta(days=36500)
    return sorted(best.values(), key=lambda p: (p.publish_at or far, p.created_at), reverse=True)


def get_publication_for_user(user: Any, slug: str, version: int | None = None) -> Publication:
    """The version asked for (default: the newest the user may see), or Http404."""
    found = visible_publications(user).filter(slug=slug)
    if version is not None:
        found = found.filter(version=version)
    publication = found.order_by("-version").select_related("report", "previous").first()
    if publication is None:
        raise Http404("Fant ikke publikasjonen.")
    return publication


def first_published(publication: Publication) -> dt.datetime | None:
    """ "Publisert": when the first version of the slug went public."""
    first = Publication.objects.filter(slug=publication.slug, version=1).values_list("publish_at", flat=True).first()
    return first if first is not None else publication.publish_at


def versions_of(user: Any, publication: Publication) -> list[Publication]:
    return list(visible_publications(user).filter(slug=publication.slug).order_by("-version"))


def topics_for_list() -> QuerySet[Topic]:
    return Topic.objects.all()


def hide_embargoed_reports(reports: Any) -> Any:
    """For reports.services.PUBLIC_FILTERS: a report that belongs to publications, none of them public yet, is
    hidden from the public (it is under embargo); a report without a publication keeps the reports app's rule."""
    linked = Publication.objects.filter(report__isnull=False).values("report_id")
    public = public_publications().filter(report__isnull=False).values("report_id")
    return reports.exclude(Q(pk__in=linked) & ~Q(pk__in=public))
