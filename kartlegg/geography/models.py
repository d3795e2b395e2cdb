"""Reference geography over time: municipalities per year, reporting units, counties, health regions,
population by single year of age, code changes and boundary files. Loaded by `load_reference`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    KOMMUNE = "kommune", _("kommune")
    BYDEL = "bydel", _("bydel")


class County(models.Model):
    """A county (fylke) as it was in one year."""

    year = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=2)
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="unique_county_year")]
        ordering = ["year", "code"]
        verbose_name = _("fylke")
        verbose_name_plural = _("fylker")

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.year})"


class Municipality(models.Model):
    """A municipality valid in one year (one row per year and code, from the KLASS 131 versions)."""

    year = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=4)
    name = models.CharField(max_length=100)
    county_code = models.CharField(max_length=2)
    # Oslo spans four HF areas through its bydeler, so its own region fields stay blank.
    rhf_code = models.CharField(max_length=10, blank=True)
    rhf_name = models.CharField(max_length=100, blank=True)
    hf_code = models.CharField(max_length=10, blank=True)
    hf_name = models.CharField(max_length=100, blank=True)
    size_group = models.CharField(max_length=40, blank=True)
    population_total = models.PositiveIntegerField(default=0)
    population_0_17 = models.PositiveIntegerField(default=0)
    population_18_plus = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="unique_municipality_year")]
        ordering = ["year", "code"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.year})"


class ReportingUnit(models.Model):
    """A unit that reports in a year: a municipality, or one of Oslo's reporting bydeler (Oslo itself does not).

    Region membership and population are denormalised onto the row, because every statistic groups by them.
    """

    year = models.PositiveSmallIntegerField(db_index=True)
    code = models.CharField(max_length=6)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=UnitKind.choices)
    municipality_code = models.CharField(max_length=4)
    county_code = models.CharField(max_length=2)
    rhf_code = models.CharField(max_length=10, blank=True)
    rhf_name = models.CharField(max_length=100, blank=True)
    hf_code = models.CharField(max_length=10, blank=True)
    hf_name = models.CharField(max_length=100, blank=True)
    dps_area = models.CharField(max_length=100, blank=True)
    size_group = models.CharField(max_length=40, blank=True)
    # SSB's KOSTRA group of the unit's municipality (KLASS 112), when the reference folder has it.
    kostra_group = models.CharField(max_length=20, blank=True)
    kostra_group_name = models.CharField(max_length=100, blank=True)
    population_total = models.PositiveIntegerField(default=0)
    population_0_17 = models.PositiveIntegerField(default=0)
    population_18_plus = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "code"], name="unique_unit_year")]
        ordering = ["year", "code"]
        verbose_name = _("rapporteringsenhet")
        verbose_name_plural = _("rapporteringsenheter")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Population(models.Model):
    """Population on 1 January by single year of age (105 means 105 or older). SSB tables 07459 and 10826."""

    year = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=6)
    age = models.PositiveSmallIntegerField()
    population = models.PositiveIntegerField()

    class Meta:
        # The unique index also serves look-ups by (year, code) and (year); a second index only slows the load.
        constraints = [models.UniqueConstraint(fields=["year", "code", "age"], name="unique_population_cell")]


class CodeChange(models.Model):
    """One row of SSB KLASS 131 /changes. A merge is several old codes to one new; a split one old to several."""

    old_code = models.CharField(max_length=4)
    old_name = models.CharField(max_length=100)
    new_code = models.CharField(max_length=4)
    new_name = models.CharField(max_length=100)
    occurred = models.DateField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["old_code", "new_code", "occurred"], name="unique_code_change")]
        ordering = ["occurred", "old_code", "new_code"]


class HealthRegionMembership(models.Model):
    """Municipality (or city district) → RHF / HF (and DPS where SKDE has it), per code structure (2020 or 2024)."""

    structure = models.PositiveSmallIntegerField()
    municipality_code = models.CharField(max_length=4)
    bydel_code = models.CharField(max_length=6, blank=True)
    rhf_code = models.CharField(max_length=10)
    rhf_name = models.CharField(max_length=100)
    hf_code = models.CharField(max_length=10)
    hf_name = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "municipality_code", "bydel_code"], name="unique_health_region_row"
            )
        ]


class DpsMembership(models.Model):
    """A municipality (2024 code) or city district in one of the 69 adult DPS catchment areas."""

    code = models.CharField(max_length=6, unique=True)
    name = models.CharField(max_length=100)
    dps_area = models.CharField(max_length=100)
    area_adjusted = models.BooleanField(default=False)


class Boundary(models.Model):
    """A boundary file (TopoJSON or GeoJSON), stored as loaded. `name` is the file's stem, e.g. kommuner_2024."""

    name = models.CharField(max_length=60, unique=True)
    level = models.CharField(max_length=20)  # kommune, fylke, hf, dps
    structure = models.PositiveSmallIntegerField()
    format = models.CharField(max_length=10)  # topojson or geojson
    data = models.JSONField()


class ReferenceLoad(models.Model):
    """One successful run of load_reference, with a checksum per file, so a re-run can skip what is unchanged."""

    at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=500)
    checksums = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
