"""Helpers shared by the workflow modules: checks of text and status, the row lock, the audit line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.text import slugify

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import require_analyst
from kartlegg.publishing.models import Publication, Status, Topic
from kartlegg.publishing.services.datayear import PublishingError

MAX_TITLE, MAX_SUMMARY = 200, 2_000
# Addresses under /publikasjoner/ that a publication's slug must not take.
RESERVED = {"redaksjon", "tema", "varsler", "rss", "atom", "ny", "forhandsvis"}


def analyst(user: Any) -> None:
    if user is not None:
        require_analyst(user)


def topics_of(topics: Iterable[Topic | str]) -> list[Topic]:
    found = []
    for item in topics:
        if isinstance(item, Topic):
            found.append(item)
            continue
        topic = Topic.objects.filter(slug=str(item)).first()
        if topic is None:
            raise PublishingError(f"topics: fant ikke temaet {str(item)[:40]!r}.")
        found.append(topic)
    return found


def text(field: str, value: str, limit: int, required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise PublishingError(f"{field}: skriv en {'tittel' if field == 'title' else 'tekst'}.")
    if len(value) > limit:
        raise PublishingError(f"{field}: for lang ({len(value)} tegn; høyst {limit}).")
    return value


def unique_slug(title: str, wanted: str = "") -> str:
    base = slugify(wanted or title)[:90] or "publikasjon"
    slug, n = (base, 2) if base not in RESERVED else (f"{base}-2", 3)
    while Publication.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def lock(publication: Publication) -> Publication:
    return Publication.objects.select_for_update().get(pk=publication.pk)


def expect(locked: Publication, *statuses: str, action: str) -> None:
    if locked.status not in statuses:
        wanted = " eller ".join(f"«{Status(s).label}»" for s in statuses)
        raise PublishingError(f"status: publikasjonen er «{locked.get_status_display()}»; «{action}» krever {wanted}.")


def audit_step(action: str, publication: Publication, user: Any, **detail: Any) -> None:
    audit(f"publishing.{action}", user=user, channel=Channel.FORM if user is not None else Channel.SYSTEM,
          obj=publication, slug=publication.slug, version=publication.version, **detail)  # fmt: skip
