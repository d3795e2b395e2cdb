"""/api/v1/publications: the public publications and their files, with the same embargo rules as the pages (a
version under embargo is not listed and is a 404 until its time; analysts with a token also see drafts)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from kartlegg.accounts.tokens import api_user
from kartlegg.publishing import services
from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services import pages

router = Router(tags=["publikasjoner"])


class FileOut(Schema):
    kind: str
    title: str
    url: str


class PublicationOut(Schema):
    slug: str
    version: int
    kind: str
    title: str
    summary: str
    status: str
    topics: list[str]
    year: int | None
    data_version: str
    published: dt.datetime | None
    changed: dt.datetime | None
    correction: str
    url: str
    citation: str
    files: list[FileOut]


class PublicationListOut(Schema):
    count: int
    publications: list[PublicationOut]


class ErrorOut(Schema):
    error: str


def _out(publication: Publication, user: object) -> PublicationOut:
    page = pages.page(publication, user)
    return PublicationOut(
        slug=publication.slug, version=publication.version, kind=publication.kind, title=publication.title,
        summary=publication.summary, status=publication.status,
        topics=[t.slug for t in publication.topics.all()], year=publication.year,
        data_version=publication.data_version, published=page.published, changed=page.changed,
        correction=publication.correction_note, url=page.url, citation=page.citation,
        files=[FileOut(kind=f.kind, title=f.title, url=pages.absolute(f.url) if f.url.startswith("/") else f.url)
               for f in page.files],
    )  # fmt: skip


@router.get(
    "/publications",
    response={200: PublicationListOut, 400: ErrorOut, 401: ErrorOut},
    summary="Publications",
    description=(
        "The newest public version of every publication (reports and notes), newest first, with its files (HTML, "
        "PDF, XLSX and data links pinned to its data version). `topic` (a topic's slug) and `year` (the year "
        "it was published) filter the list. A publication under embargo is not listed until its time."
    ),
)
def list_publications(request: HttpRequest, topic: str | None = None, year: int | None = None) -> PublicationListOut:
    user = api_user(request)
    found = services.visible_publications(user)
    if topic is not None:
        if not Topic.objects.filter(slug=topic).exists():
            raise HttpError(400, f"topic: fant ikke temaet {topic[:40]!r}.")
        found = found.filter(topics__slug=topic)
    if year is not None:
        if not 1900 <= year <= 2999:
            raise HttpError(400, "year: oppgi et årstall (fire sifre).")
        found = found.filter(publish_at__year=year)
    shown = services.newest_versions(found.prefetch_related("topics").select_related("report"))
    return PublicationListOut(count=len(shown), publications=[_out(p, user) for p in shown])


@router.get(
    "/publications/{slug}",
    response={200: PublicationOut, 401: ErrorOut, 404: ErrorOut},
    summary="One publication",
    description="The newest public version of a publication, or `version=N` for an earlier one.",
)
def get_publication(request: HttpRequest, slug: str, version: int | None = None) -> PublicationOut:
    user = api_user(request)
    try:
        publication = services.get_publication_for_user(user, slug, version)
    except Http404 as error:
        raise HttpError(404, "Fant ikke publikasjonen.") from error
    return _out(publication, user)
