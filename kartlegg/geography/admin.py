"""Admin views of the reference geography. Read-only: the tables are replaced by `load_reference`, so an edit made
here would be silently lost at the next load. Correct the source files (or the loader's known fixes) instead."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kartlegg.geography.models import (
    Boundary,
    CodeChange,
    County,
    DpsMembership,
    HealthRegionMembership,
    Municipality,
    Population,
    ReferenceLoad,
    ReportingUnit,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(County)
class CountyAdmin(ReadOnlyAdmin):
    list_display = ["year", "code", "name"]
    list_filter = ["year"]
    search_fields = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(ReadOnlyAdmin):
    list_display = ["year", "code", "name", "county_code", "hf_name", "size_group", "population_total"]
    list_filter = ["year", "county_code", "rhf_name", "size_group"]
    search_fields = ["code", "name"]


@admin.register(ReportingUnit)
class ReportingUnitAdmin(ReadOnlyAdmin):
    list_display = ["year", "code", "name", "kind", "county_code", "hf_name", "dps_area", "population_total"]
    list_filter = ["year", "kind", "county_code", "rhf_name", "hf_name", "size_group"]
    search_fields = ["code", "name", "dps_area"]


@admin.register(Population)
class PopulationAdmin(ReadOnlyAdmin):
    list_display = ["year", "code", "age", "population"]
    list_filter = ["year"]
    search_fields = ["code"]
    show_full_result_count = False  # a third of a million rows: counting them on every page is slow


@admin.register(CodeChange)
class CodeChangeAdmin(ReadOnlyAdmin):
    list_display = ["occurred", "old_code", "old_name", "new_code", "new_name"]
    list_filter = ["occurred"]
    search_fields = ["old_code", "old_name", "new_code", "new_name"]


@admin.register(HealthRegionMembership)
class HealthRegionMembershipAdmin(ReadOnlyAdmin):
    list_display = ["structure", "municipality_code", "bydel_code", "rhf_name", "hf_name"]
    list_filter = ["structure", "rhf_name", "hf_name"]
    search_fields = ["municipality_code", "bydel_code"]


@admin.register(DpsMembership)
class DpsMembershipAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "dps_area", "area_adjusted"]
    list_filter = ["dps_area", "area_adjusted"]
    search_fields = ["code", "name", "dps_area"]


@admin.register(Boundary)
class BoundaryAdmin(ReadOnlyAdmin):
    list_display = ["name", "level", "structure", "format"]
    exclude = ["data"]  # megabytes of coordinates; not useful in a form


@admin.register(ReferenceLoad)
class ReferenceLoadAdmin(ReadOnlyAdmin):
    list_display = ["at", "source"]
    readonly_fields = ["at", "source", "checksums", "summary"]
