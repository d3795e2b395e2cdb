"""Precomputed statistics and their publication.

Aggregate holds one figure per (variable, imputation rule, structure, level, region, year). It is a wide row: the
sum, the per-capita rate and the median sit side by side, with N and the status, because every measure the pages
and the API offer is one of these or is derived from two of them at read time (change from last year, the share
answering yes). One row per cell rather than one per cell and measure keeps the table a fifth of the size, which is
what the 100× mapping needs.

Publication says when a year's results leave embargo. Before that only analysts, county reviewers (own county) and
a unit's own respondents see the figures.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Structure 0 means "as reported": each year grouped with its own units and regions (the old counties).
AS_REPORTED = 0
LIVE = "live"


class Aggregate(models.Model):
    variable = models.CharField(_("variabel"), max_length=80)
    rule = models.CharField(_("imputering"), max_length=20)
    structure = models.PositiveSmallIntegerField(_("strukturår"))
    level = models.CharField(_("nivå"), max_length=20)
    region = models.CharField(_("region"), max_length=120)
    year = models.PositiveSmallIntegerField(_("år"))
    # The sum over units with a figure (for yes/no: the number answering yes). None when no unit has one.
    value = models.FloatField(null=True)
    rate = models.FloatField(null=True)  # per capita, with the variable's age band and base
    median = models.FloatField(null=True)
    # "" ok, ".." missing, "e" estimated (split municipality), "i" imputed; ":" is decided at read time (shares).
    status = models.CharField(max_length=2, blank=True)
    n = models.PositiveIntegerField(default=0)  # units with a figure (reported or imputed)
    n_units = models.PositiveIntegerField(default=0)  # units in the group
    n_imputed = models.PositiveIntegerField(default=0)
    source_code = models.CharField(max_length=80, blank=True)  # the variable's code in that year's questionnaire
    data_version = models.CharField(max_length=40, default=LIVE)  # "live" or "v<number>" (quality.DataVersion)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variable", "rule", "structure", "level", "year", "region"], name="unique_aggregate_cell"
            )
        ]
        verbose_name = _("aggregat")
        verbose_name_plural = _("aggregater")

    def __str__(self) -> str:
        return f"{self.variable} {self.level}:{self.region} {self.year} = {self.value}"


class Publication(models.Model):
    """A year's statistics are public from `published_at` (the embargo ends then)."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    published_at = models.DateTimeField(_("publiseres"))
    note = models.TextField(_("merknad"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("publisering")
        verbose_name_plural = _("publiseringer")

    def __str__(self) -> str:
        return f"{self.year}: {self.published_at:%Y-%m-%d %H:%M}"

    def is_public(self, now: object = None) -> bool:
        return self.published_at <= (now or timezone.now())  # type: ignore[operator]
