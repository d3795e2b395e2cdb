"""What a publication's page, the feeds and the API show about one version: its dates ("Publisert", "Endret",
"Rettet"), the citation line, its files and the explorer links pinned to its data version. Only public data: the
dates of later, unpublished versions are never shown to a visitor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_noop

from kartlegg.publishing import rules
from kartlegg.publishing.models import Kind, Publication
from kartlegg.publishing.services import access

PUBLISHER = "kartlegg"
EXPLORER = "/statistikk/"


@dataclass
class FileLink:
    kind: str  # html, pdf, xlsx, data
    title: str
    url: str


@dataclass
class Page:
    publication: Publication
    published: dt.datetime | None  # the first version's time
    changed: dt.datetime | None  # this version's time, when it is a later version
    embargo: bool  # not public yet (an analyst's or reviewer's preview)
    citation: str
    url: str  # the stable address of this version
    files: list[FileLink] = field(default_factory=list)
    versions: list[Publication] = field(default_factory=list)
    corrections: list[Publication] = field(default_factory=list)  # this and earlier versions with a note
    sources: list[str] = field(default_factory=list)
    body_html: str = ""


def absolute(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def version_url(publication: Publication) -> str:
    return reverse("publishing:version", args=[publication.slug, publication.version])


def explorer_url(publication: Publication, variable: str = "") -> str:
    """The explorer at the publication's year and data version."""
    query = []
    if variable:
        query.append(f"variable={variable}")
    if publication.year:
        query.append(f"years={publication.year}")
    number = publication.data_version_number
    if number is not None:
        query.append(f"version={number}")
    return EXPLORER + ("?" + "&".join(query) if query else "")


def files_of(publication: Publication) -> list[FileLink]:
    files = []
    if publication.kind == Kind.REPORT and publication.report_id:
        files.append(FileLink("html", gettext_noop("Rapporten på nett (HTML)"), f"/rapporter/{publication.report_id}/"))
        args = [publication.slug, publication.version]
        files.append(FileLink("pdf", gettext_noop("Rapporten som PDF"), reverse("publishing:pdf", args=args)))
        files.append(FileLink("xlsx", gettext_noop("Tabellene i Excel (XLSX)"), reverse("publishing:xlsx", args=args)))
    if publication.year:
        files.append(FileLink("data", gettext_noop("Tallene i statistikkbanken"), explorer_url(publication)))
        api = f"/api/v1/statistics/versions/{publication.year}"
        files.append(FileLink("data", gettext_noop("Dataversjonene i det åpne API-et (JSON)"), api))
    for link in publication.links or []:
        files.append(FileLink("data", str(link.get("title", link.get("url", ""))), str(link.get("url", ""))))
    return files


def page(publication: Publication, user: Any) -> Page:
    versions = access.versions_of(user, publication)
    first = access.first_published(publication)
    url = absolute(version_url(publication))
    year = (first or publication.publish_at or publication.created_at).year
    corrections = [v for v in versions if v.version <= publication.version and v.correction_note]
    return Page(
        publication=publication,
        published=first,
        changed=publication.publish_at if publication.version > 1 else None,
        embargo=not publication.is_public(),
        citation=rules.citation(PUBLISHER, year, publication.title, url, publication.version),
        url=url,
        files=files_of(publication),
        versions=versions,
        corrections=corrections,
        sources=[line for line in publication.sources.splitlines() if line.strip()],
        body_html=rules.render_markdown(publication.body) if publication.body else "",
    )
