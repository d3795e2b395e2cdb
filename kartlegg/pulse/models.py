"""Pulse surveys: a series of short waves every N days, each wave an ordinary round (invitations, reminders,
dashboard and QA as for any round), and the quick report built when a wave closes.

A series plans its waves as slots: slot k opens on first_date + k × interval_days and stays open open_days days.
Each slot gets exactly one Wave row (unique per series and slot) when the schedule reaches it: opened, or skipped
(paused, or missed because the schedule did not run while the slot was open). That row is what makes the
schedule idempotent: a slot is never opened twice, however often or late the schedule runs.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitScope(models.TextChoices):
    ALL = "all", _("alle enheter")
    COUNTY = "county", _("ett fylke")
    LIST = "list", _("en liste med enheter")


class LateAnswers(models.TextChoices):
    REFUSE = "refuse", _("avvises")
    ACCEPT = "accept", _("tas imot og merkes som sene")


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", _("aktiv")
    PAUSED = "paused", _("satt på pause")
    STOPPED = "stopped", _("stoppet")
    FINISHED = "finished", _("ferdig")


class PulseSeries(models.Model):
    name = models.CharField(_("navn"), max_length=200)
    version = models.ForeignKey(
        "surveys.QuestionnaireVersion", on_delete=models.PROTECT, related_name="pulse_series", verbose_name=_("skjema")
    )
    interval_days = models.PositiveSmallIntegerField(_("intervall (dager)"), default=14)
    open_days = models.PositiveSmallIntegerField(_("åpen (dager)"), default=3)
    unit_scope = models.CharField(_("enheter"), max_length=10, choices=UnitScope.choices, default=UnitScope.ALL)
    county_code = models.CharField(_("fylke"), max_length=2, blank=True)
    unit_codes = models.JSONField(_("enhetskoder"), default=list, blank=True)
    first_date = models.DateField(_("første måling"))
    end_date = models.DateField(_("siste dag"))
    language = models.CharField(
        _("språk i invitasjonene"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    late_answers = models.CharField(
        _("svar etter stenging"), max_length=10, choices=LateAnswers.choices, default=LateAnswers.REFUSE
    )
    publish_at_once = models.BooleanField(_("publiser hurtigrapporten straks"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-first_date", "-id"]
        verbose_name = _("pulsserie")
        verbose_name_plural = _("pulsserier")

    def __str__(self) -> str:
        return self.name

    def slot_date(self, slot: int) -> dt.date:
        return self.first_date + dt.timedelta(days=self.interval_days * slot)

    def slot_count(self) -> int:
        """How many slots fit between the first date and the end date (both included)."""
        if self.end_date < self.first_date:
            return 0
        return (self.end_date - self.first_date).days // self.interval_days + 1


class WaveState(models.TextChoices):
    OPEN = "open", _("åpen")
    CLOSED = "closed", _("stengt")
    SKIPPED = "skipped", _("hoppet over")


class Wave(models.Model):
    series = models.ForeignKey(PulseSeries, on_delete=models.CASCADE, related_name="waves")
    slot = models.PositiveSmallIntegerField()
    number = models.PositiveSmallIntegerField(default=0)  # 1, 2, 3 … among the waves that opened; 0 when skipped
    state = models.CharField(max_length=10, choices=WaveState.choices, default=WaveState.OPEN)
    skip_reason = models.CharField(max_length=20, blank=True)  # "paused" or "missed"
    round = models.OneToOneField(
        "responses.Round", null=True, blank=True, on_delete=models.SET_NULL, related_name="pulse_wave"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    invited = models.PositiveIntegerField(default=0)  # invitation e-mails sent when the wave opened
    reminded_at = models.DateTimeField(null=True, blank=True)  # the one reminder before closing (None: not yet)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "slot"], name="unique_pulse_wave_slot")]
        ordering = ["series", "slot"]
        verbose_name = _("måling")
        verbose_name_plural = _("målinger")

    def __str__(self) -> str:
        return f"{self.series} – måling {self.number}"

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.state == WaveState.OPEN and (now or timezone.now()) < self.closes_at


class ReportState(models.TextChoices):
    QUEUED = "queued", _("i kø")
    DRAFT = "draft", _("utkast")
    PUBLISHED = "published", _("publisert")
    FAILED = "failed", _("feilet")


class QuickReport(models.Model):
    """The quick report of one closed wave: the report document (reports.document, as JSON), its HTML and PDF."""

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="quick_report")
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.QUEUED)
    document = models.JSONField(default=dict)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    error = models.TextField(blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The publication in the publishing workflow: a draft for an analyst, or published at once when the series says so.
    publication = models.ForeignKey(
        "publishing.Publication", null=True, blank=True, on_delete=models.SET_NULL, related_name="pulse_reports"
    )

    class Meta:
        ordering = ["-wave__opens_at"]
        verbose_name = _("hurtigrapport")
        verbose_name_plural = _("hurtigrapporter")

    def __str__(self) -> str:
        return f"Hurtigrapport: {self.wave}"
