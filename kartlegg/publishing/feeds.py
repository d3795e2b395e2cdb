"""RSS and Atom feeds (django.contrib.syndication) of every public publication and of each topic's. Entries are
the newest public version of each publication, dated by when it went public; nothing under embargo."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services import access, pages

LIMIT = 50


NAME = "kartlegg – publikasjoner"


class PublicationsRss(Feed):
    description = "Nye publikasjoner fra kartlegging av kommunalt psykisk helse- og rusarbeid."

    def get_object(self, request: HttpRequest, slug: str = "") -> Topic | None:  # type: ignore[override]
        return get_object_or_404(Topic, slug=slug) if slug else None

    def link(self, obj: Topic | None) -> str:
        return reverse("publishing:topic", args=[obj.slug]) if obj else reverse("publishing:index")

    def title(self, obj: Topic | None) -> str:
        return f"{NAME}: {obj.title}" if obj else NAME

    def items(self, obj: Topic | None) -> list[Publication]:
        found = access.public_publications()
        if obj is not None:
            found = found.filter(topics=obj)
        return access.newest_versions(found)[:LIMIT]

    def item_title(self, item: Publication) -> str:
        return item.title + (f" (rettet, versjon {item.version})" if item.version > 1 else "")

    def item_description(self, item: Publication) -> str:
        return item.summary + (f"\n\nRettet: {item.correction_note}" if item.correction_note else "")

    def item_link(self, item: Publication) -> str:
        return pages.version_url(item)

    def item_guid(self, item: Publication) -> str:
        return pages.absolute(pages.version_url(item))

    def item_pubdate(self, item: Publication) -> dt.datetime | None:
        return access.first_published(item)

    def item_updateddate(self, item: Publication) -> dt.datetime | None:
        return item.publish_at

    def item_categories(self, item: Publication) -> list[str]:
        return [t.title for t in item.topics.all()]


class PublicationsAtom(PublicationsRss):
    feed_type = Atom1Feed
    subtitle = PublicationsRss.description
