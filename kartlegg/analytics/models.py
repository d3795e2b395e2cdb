"""Precomputed statistics and their publication.

AggregateBlock holds the figures of one (variable, imputation rule, structure, level, year): every region of the level
in one compact row, each cell a wide record (the sum, the per-capita rate and the median side by side, with N and
the status), because every measure the pages and the API offer is one of these or is derived from two of them at
read time (change from last year, the share answering yes).

Every row belongs to one data version of its year: "live" (the current figures: the round's newest data version,
or its submitted answers while it is open) or a pinned "v<N>" (quality.DataVersion number N of the round, computed
once when the version is made and never overwritten by a later version). AggregateSet records, per year, rule and
version, what a computation read (its basis: the data version of every year it used) and when, so a pinned
version can be rebuilt identically.

Publication says when a year's results leave embargo and which data version they are. Before that only analysts,
county reviewers (own county) and a unit's own respondents see the figures.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Structure 0 means "as reported": each year grouped with its own units and regions (the old counties).
AS_REPORTED = 0
LIVE = "live"


class AggregateBlock(models.Model):
    """The figures of one variable at one level in one year (for one imputation rule, structure and data version):
    every region of the level in one compact row. `payload` holds one list per column (region, value, rate, median,
    status, n, n_units, n_imputed, value_imputed), in region order, packed by services/store.py (encode, decode),
    which every reader goes through. One row per block rather than per region keeps a full computation to some
    ten thousand rows instead of ~190 000 (issue 11).

    Per cell: `value` the sum over units with a figure (for yes/no: the number answering yes), None when no unit has
    one; `rate` per capita with the variable's age band and base; `median`; `status` "" ok, ".." missing,
    "e" estimated (split municipality), "i" imputed (":" is decided at read time, for shares); `n` units with a
    figure (reported or imputed); `n_units` units in the group; `n_imputed`; `value_imputed` the part of `value`
    that comes from imputed units (None when nothing is imputed): the cell's imputed share."""

    variable = models.CharField(_("variabel"), max_length=80)
    rule = models.CharField(_("imputering"), max_length=20)
    structure = models.PositiveSmallIntegerField(_("strukturår"))
    level = models.CharField(_("nivå"), max_length=20)
    year = models.PositiveSmallIntegerField(_("år"))
    data_version = models.CharField(max_length=40, default=LIVE)  # "live" or "v<number>" (quality.DataVersion)
    source_code = models.CharField(max_length=80, blank=True)  # the variable's code in that year's questionnaire
    regions = models.PositiveIntegerField(default=0)  # how many cells the payload holds
    payload = models.BinaryField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variable", "rule", "structure", "level", "year", "data_version"],
                name="unique_aggregate_block",
            )
        ]
        verbose_name = _("aggregatblokk")
        verbose_name_plural = _("aggregatblokker")

    def __str__(self) -> str:
        return f"{self.variable} {self.level} {self.year} ({self.regions} regioner)"


def version_key(number: int | None) -> str:
    """The data_version of a pinned data version's rows ("v3"), or LIVE for None."""
    return LIVE if number is None else f"v{number}"


def version_number(key: str) -> int | None:
    return int(key[1:]) if key.startswith("v") and key[1:].isdigit() else None


def version_filter(keys: dict[int, str]) -> models.Q:
    """The rows of these years, each at its version ({2023: "v1", 2024: "live"})."""
    by_key: dict[str, list[int]] = {}
    for year, key in keys.items():
        by_key.setdefault(key, []).append(year)
    condition = models.Q(pk__in=[])
    for key, years in by_key.items():
        condition |= models.Q(data_version=key, year__in=years)
    return condition


class AggregateSet(models.Model):
    """One computation of a year's aggregates for one rule and data version: what it read and when."""

    year = models.PositiveSmallIntegerField(_("år"))
    rule = models.CharField(_("imputering"), max_length=20)
    data_version = models.CharField(max_length=40, default=LIVE)
    source = models.CharField(max_length=40, default=LIVE)  # the year's own data: "v<N>" or "live" (answers)
    basis = models.JSONField(default=dict)  # {year: "v<N>" | "live"}: every year's data the computation read
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "rule", "data_version"], name="unique_aggregate_set")]
        verbose_name = _("aggregatsett")
        verbose_name_plural = _("aggregatsett")

    def __str__(self) -> str:
        return f"{self.year} {self.rule} {self.data_version}"


class Publication(models.Model):
    """A year's statistics are public from `published_at` (the embargo ends then), at data version `data_version`
    (None: the live figures, for a round that was never locked). Publishing a later version of a year that is
    already public is a correction: `correction_note` says what changed, and the public pages show it."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    published_at = models.DateTimeField(_("publiseres"))
    data_version = models.PositiveIntegerField(_("dataversjon"), null=True, blank=True)
    note = models.TextField(_("merknad"), blank=True)
    correction_note = models.TextField(_("rettelse"), blank=True)
    corrected_at = models.DateTimeField(_("rettet"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("publisering")
        verbose_name_plural = _("publiseringer")

    def __str__(self) -> str:
        return f"{self.year}: {self.published_at:%Y-%m-%d %H:%M} ({version_key(self.data_version)})"

    @property
    def version_key(self) -> str:
        return version_key(self.data_version)

    def is_public(self, now: object = None) -> bool:
        return self.published_at <= (now or timezone.now())  # type: ignore[operator]
