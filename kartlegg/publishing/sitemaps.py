"""The sitemap (django.contrib.sitemaps): the list, each public publication version and each topic page. Only
what is public now: a publication under embargo is not named before its time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services import access, pages


class PublicationSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> list[Publication]:
        return list(access.public_publications().order_by("slug", "version"))

    def location(self, item: Publication) -> str:
        return pages.version_url(item)

    def lastmod(self, item: Publication) -> dt.datetime | None:
        return item.publish_at


class TopicSitemap(Sitemap):
    changefreq = "weekly"

    def items(self) -> list[Topic]:
        return list(Topic.objects.all())

    def location(self, item: Topic) -> str:
        return reverse("publishing:topic", args=[item.slug])

    def lastmod(self, item: Topic) -> Any:
        from kartlegg.publishing.services.topics import last_updated, topic_publications

        return last_updated(item, topic_publications(item))


class PagesSitemap(Sitemap):
    def items(self) -> list[str]:
        return ["publishing:index", "analytics:explorer"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"publikasjoner": PublicationSitemap, "temaer": TopicSitemap, "sider": PagesSitemap}
