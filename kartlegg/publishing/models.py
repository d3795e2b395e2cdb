"""Publications (a built report or a short note, in versions), topic pages and e-mail subscribers.

A publication's versions share a slug: /publikasjoner/<slug>/ shows the newest public version, and
/publikasjoner/<slug>/v<n>/ each version at its own address. A version is public when it is scheduled or published
and its `publish_at` has passed (rules.is_public): the time alone lifts the embargo, to the minute, whether or not
the worker has run yet; the worker (or `manage.py publish_due`) then records it as published and sends notices.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kartlegg.publishing import rules


class Kind(models.TextChoices):
    REPORT = "report", _("rapport")
    NOTE = "note", _("notat")


class Status(models.TextChoices):
    DRAFT = "draft", _("utkast")
    REVIEW = "review", _("til godkjenning")
    APPROVED = "approved", _("godkjent")
    SCHEDULED = "scheduled", _("planlagt")
    PUBLISHED = "published", _("publisert")
    REPLACED = "replaced", _("erstattet av en ny versjon")


PUBLIC_STATUSES = (Status.SCHEDULED, Status.PUBLISHED, Status.REPLACED)


class Topic(models.Model):
    """A topic page: Markdown text by analysts (sanitised when shown), its publications and a few key figures."""

    slug = models.SlugField(_("adresse"), max_length=80, unique=True)
    title = models.CharField(_("tittel"), max_length=120)
    body = models.TextField(_("tekst (Markdown)"), blank=True)
    key_figures = models.JSONField(_("nøkkeltall"), default=list, blank=True)  # variable codes of the catalogue
    order = models.PositiveSmallIntegerField(_("rekkefølge"), default=0)
    updated_at = models.DateTimeField(_("oppdatert"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["order", "title"]
        verbose_name = _("tema")
        verbose_name_plural = _("temaer")

    def __str__(self) -> str:
        return self.title


class Publication(models.Model):
    slug = models.SlugField(_("adresse"), max_length=100)
    version = models.PositiveSmallIntegerField(_("versjon"), default=1)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.REPORT)
    title = models.CharField(_("tittel"), max_length=200)
    summary = models.TextField(_("sammendrag"))
    body = models.TextField(_("tekst (Markdown)"), blank=True)  # a note's text
    language = models.CharField(_("språk"), max_length=5, default="nb")
    topics = models.ManyToManyField(Topic, blank=True, related_name="publications", verbose_name=_("temaer"))
    report = models.ForeignKey(
        "reports.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="publications"
    )
    year = models.PositiveSmallIntegerField(_("statistikkår"), null=True, blank=True)
    data_version = models.CharField(_("dataversjon"), max_length=20, blank=True)  # "v1" or "live"
    links = models.JSONField(_("datalenker"), default=list, blank=True)  # [{"title": …, "url": …}]
    sources = models.TextField(_("kilder"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(_("publiseres"), null=True, blank=True)
    correction_note = models.TextField(_("rettelse"), blank=True)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    # What analytics.Publication of the year said before this publication was scheduled (to undo an unschedule).
    statistics_before = models.JSONField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("publisert"), null=True, blank=True)

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="publishing_slug_version")]
        permissions = [("publish_publication", _("Kan publisere"))]
        verbose_name = _("publikasjon")
        verbose_name_plural = _("Publikasjoner")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version}, {self.get_status_display()})"

    def is_public(self, now: dt.datetime | None = None) -> bool:
        return rules.is_public(self.status, self.publish_at, now)

    @property
    def is_correction(self) -> bool:
        return self.previous_id is not None

    @property
    def data_version_number(self) -> int | None:
        return rules.version_number(self.data_version)


class Subscriber(models.Model):
    """An e-mail address that asked for notices of new publications (all, or one topic's). Confirmed by a link sent
    to it (double opt-in); the same token unsubscribes in one click."""

    email = models.EmailField(_("e-post"))
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="subscribers")
    token = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=5, default="nb")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email", "topic"], name="publishing_subscriber_topic")]
        verbose_name = _("abonnent")
        verbose_name_plural = _("abonnenter")

    def __str__(self) -> str:
        return f"{self.email} ({self.topic or 'alle'})"
