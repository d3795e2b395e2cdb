"""The workflow of a publication: draft → review → approved → scheduled → published, with who and when at every
step; corrections into new versions. These names are the API other apps use (the pulse quick report too):

    pub = services.create_from_report(report, user=analyst, topics=["arsverk"], title="…", summary="…")
    services.submit(pub, analyst)
    services.approve(pub, other_analyst)        # KARTLEGG_PUBLISH_FOUR_EYES: not the one who wrote or submitted it
    services.schedule(pub, at, user=publisher)  # or services.publish_now(pub, publisher)

Scheduling and publishing need an analyst with the publishing permission (`publishing.publish_publication`).
`user=None` is the system acting on a standing decision an analyst made (a pulse series set to publish at once):
the checks of who is asking are skipped, the history says "automatisk", and the year's statistics are published
in the name of whoever approved or created it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kartlegg.jobs import services as jobs
from kartlegg.publishing import rules, tasks
from kartlegg.publishing.models import Kind, Publication, Status, Topic
from kartlegg.publishing.services import common, datayear
from kartlegg.publishing.services.datayear import PublishingError
from kartlegg.publishing.services.due import mark_published
from kartlegg.reports.models import Report, ReportStatus
from kartlegg.reports.services import document_of

PERMISSION = "publishing.publish_publication"


def four_eyes() -> bool:
    return bool(settings.KARTLEGG_PUBLISH_FOUR_EYES)


def can_publish(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_analyst and user.has_perm(PERMISSION))


def require_publisher(user: Any) -> None:
    if user is not None and not can_publish(user):
        raise PermissionDenied("Bare analytikere med publiseringsrett kan planlegge og publisere.")


def create_publication(
    *,
    user: Any,
    kind: str,
    title: str,
    summary: str,
    topics: Iterable[Topic | str] = (),
    report: Report | None = None,
    year: int | None = None,
    data_version: str = "",
    body: str = "",
    links: Sequence[dict[str, str]] = (),
    sources: str = "",
    language: str = "nb",
    slug: str = "",
) -> Publication:
    """A new publication in draft (version 1)."""
    common.analyst(user)
    if kind not in Kind.values:
        raise PublishingError(f"kind: ukjent type {kind[:20]!r}; gyldige er {', '.join(Kind.values)}.")
    try:
        body = rules.check_markdown(body)
    except ValueError as error:
        raise PublishingError(f"body: {error}") from error
    if data_version and data_version != "live" and rules.version_number(data_version) is None:
        raise PublishingError(f"data_version: {data_version[:20]!r} er ikke «live» eller v1, v2 …")
    for link in links:
        if not str(link.get("url", "")).startswith(("/", "https://", "http://")):
            raise PublishingError(f"links: {str(link.get('url', ''))[:60]!r} er ikke en nettadresse.")
    chosen = common.topics_of(topics)
    with transaction.atomic():
        publication = Publication.objects.create(
            slug=common.unique_slug(title, slug),
            kind=kind,
            title=common.text("title", title, common.MAX_TITLE),
            summary=common.text("summary", summary, common.MAX_SUMMARY),
            body=body,
            report=report,
            year=year,
            data_version=data_version,
            links=list(links),
            sources=sources,
            language=language,
            created_by=user,
        )
        publication.topics.set(chosen)
        common.audit_step("created", publication, user)
    return publication


def create_from_report(
    report: Report, *, user: Any, topics: Iterable[Topic | str] = (), title: str = "", summary: str = ""
) -> Publication:
    """A publication of a built report: its year and data version, title (default the report's), sources."""
    document = document_of(report) if report.document else None
    if not title and document is not None:
        title = f"{document.title} {report.year}" if str(report.year) not in document.title else document.title
    if not summary and document is not None:
        first = next((p.text for p in document.paragraphs() if p.text), "")
        summary = first[: common.MAX_SUMMARY]
    sources = "\n".join(f"{s.name}{': ' + s.detail if s.detail else ''}" for s in document.sources) if document else ""
    return create_publication(
        user=user, kind=Kind.REPORT, title=title, summary=summary, topics=topics, report=report, year=report.year,
        data_version=report.data_version, sources=sources, language=report.language,
    )  # fmt: skip


def update(publication: Publication, user: Any, **fields: Any) -> Publication:
    """Change a draft's title, summary, body, sources or topics."""
    common.analyst(user)
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.DRAFT, action="endre")
        if "title" in fields:
            locked.title = common.text("title", fields["title"], common.MAX_TITLE)
        if "summary" in fields:
            locked.summary = common.text("summary", fields["summary"], common.MAX_SUMMARY)
        if "body" in fields:
            try:
                locked.body = rules.check_markdown(fields["body"])
            except ValueError as error:
                raise PublishingError(f"body: {error}") from error
        if "sources" in fields:
            locked.sources = common.text("sources", fields["sources"], common.MAX_SUMMARY, required=False)
        if "correction_note" in fields and locked.previous_id:
            locked.correction_note = common.text("correction_note", fields["correction_note"], common.MAX_SUMMARY)
        locked.save()
        if "topics" in fields:
            locked.topics.set(common.topics_of(fields["topics"]))
        common.audit_step("edited", locked, user)
    return locked


def submit(publication: Publication, user: Any) -> Publication:
    common.analyst(user)
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.DRAFT, action="send til godkjenning")
        locked.status, locked.submitted_by, locked.submitted_at = Status.REVIEW, user, timezone.now()
        locked.save()
        common.audit_step("submitted", locked, user)
    return locked


def approve(publication: Publication, user: Any) -> Publication:
    """Approve a publication in review. With four eyes (the default), the approver must be another analyst than
    the one who wrote or submitted it. A report must be approved in the reports app first."""
    common.analyst(user)
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.REVIEW, action="godkjenn")
        if user is not None and four_eyes() and user.pk in {locked.created_by_id, locked.submitted_by_id}:
            raise PermissionDenied("En annen analytiker må godkjenne (fire øyne): du skrev eller sendte den selv.")
        if locked.report is not None and locked.report.status != ReportStatus.APPROVED:
            raise PublishingError("report: rapporten er ikke godkjent ennå; godkjenn den under Rapporter først.")
        locked.status, locked.approved_by, locked.approved_at = Status.APPROVED, user, timezone.now()
        locked.save()
        common.audit_step("approved", locked, user)
    return locked


def reopen(publication: Publication, user: Any) -> Publication:
    """Back to draft from review or approved (to change it)."""
    common.analyst(user)
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.REVIEW, Status.APPROVED, action="tilbake til utkast")
        locked.status = Status.DRAFT
        locked.approved_by, locked.approved_at = None, None
        locked.save()
        common.audit_step("reopened", locked, user)
    return locked


def schedule(publication: Publication, at: dt.datetime, user: Any = None) -> Publication:
    """Set an approved publication to go public at `at` (to the minute; a time already past publishes now). The
    year's statistics are embargoed to the same minute; the worker records it as published then."""
    require_publisher(user)
    if not isinstance(at, dt.datetime) or timezone.is_naive(at):
        raise PublishingError("publish_at: oppgi dato og klokkeslett med tidssone.")
    now = timezone.now()
    at = max(rules.to_minute(at), now) if at > now else now
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.APPROVED, action="planlegg")
        datayear.embargo_with(locked, at, user)
        locked.status, locked.publish_at = Status.SCHEDULED, at
        locked.scheduled_by, locked.scheduled_at = user, now
        locked.save()
        common.audit_step("scheduled", locked, user, publish_at=at.isoformat())
        # The worker records it as published at its minute (and sends the notices); publish_due does the same.
        delay = max((at - now).total_seconds() + 1, 0) if at > now else 0
        jobs.start(tasks.publish_due_job, user=user, key=f"publishing:due:{at:%Y%m%d%H%M}", delay=delay,
                   detail=locked.title)  # fmt: skip
    return locked


def unschedule(publication: Publication, user: Any) -> Publication:
    """Take a scheduled publication back to approved before its time (its year's embargo is put back)."""
    require_publisher(user)
    with transaction.atomic():
        locked = common.lock(publication)
        common.expect(locked, Status.SCHEDULED, action="avbryt planleggingen")
        if locked.is_public():
            raise PublishingError("status: publikasjonen er allerede offentlig; lag en rettet versjon i stedet.")
        datayear.lift_embargo(locked)
        locked.status, locked.publish_at, locked.scheduled_by, locked.scheduled_at = Status.APPROVED, None, None, None
        locked.save()
        common.audit_step("unscheduled", locked, user)
    return locked


def publish_now(publication: Publication, user: Any = None) -> Publication:
    """Publish an approved (or scheduled) publication at once; the subscribers are told by the worker."""
    require_publisher(user)
    with transaction.atomic():
        locked = common.lock(publication)
        if locked.status == Status.APPROVED:
            locked = schedule(locked, timezone.now(), user)
        common.expect(locked, Status.SCHEDULED, action="publiser nå")
        if not locked.is_public():
            locked.publish_at = timezone.now()
            datayear.move_embargo(locked, locked.publish_at)
        mark_published(locked, user)
        jobs.start(tasks.send_notices_job, user=user, key=f"publishing:notices:{locked.pk}", publication_id=locked.pk)
    return locked
