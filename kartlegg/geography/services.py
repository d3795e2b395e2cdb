"""Database helpers for the reference geography, used by every later app.

The rules themselves live in logic.py (pure functions); these helpers fetch the data and call them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404

from kartlegg.accounts.permissions import Access, check_unit_access
from kartlegg.geography import logic
from kartlegg.geography.models import CodeChange, County, Municipality, Population, ReportingUnit, UnitKind


def available_years() -> list[int]:
    """The years that have reporting units, oldest first."""
    return sorted(set(ReportingUnit.objects.values_list("year", flat=True).distinct()))


def units_for_year(year: int) -> QuerySet[ReportingUnit]:
    """The units that report in `year` (Oslo through bydeler 01–15), ordered by code."""
    return ReportingUnit.objects.filter(year=year).order_by("code")


def county_names(year: int) -> dict[str, str]:
    """The counties of `year`: code → name, ordered by code."""
    return dict(County.objects.filter(year=year).order_by("code").values_list("code", "name"))


def county_choices(year: int) -> list[tuple[str, str]]:
    """The counties of `year` as form choices: (code, "code name"), ordered by code."""
    return [(code, f"{code} {name}") for code, name in county_names(year).items()]


def municipalities_for_year(year: int) -> QuerySet[Municipality]:
    return Municipality.objects.filter(year=year).order_by("code")


def unit_population(year: int, code: str, min_age: int | None = 0, max_age: int | None = None) -> int:
    """Population of a municipality or bydel on 1 January of `year`, aged min_age..max_age (inclusive, None = open).

    Raises GeographyError for a bad age band. A code without population data gives 0.
    """
    logic.population_in_band({}, min_age, max_age)  # checks the band
    rows = Population.objects.filter(year=year, code=code, age__gte=min_age or 0)
    if max_age is not None:
        rows = rows.filter(age__lte=max_age)
    return int(rows.aggregate(total=Sum("population"))["total"] or 0)


def change_index() -> logic.ChangeIndex:
    """All code changes, with each year's valid municipality codes (to tell border adjustments from splits)."""
    changes = [
        logic.Change(old, new, occurred)
        for old, new, occurred in CodeChange.objects.values_list("old_code", "new_code", "occurred")
    ]
    valid: dict[int, set[str]] = {}
    for year, code in Municipality.objects.values_list("year", "code"):
        valid.setdefault(year, set()).add(code)
    return logic.ChangeIndex(changes, valid)


def population_by_code(year: int) -> dict[str, int]:
    """Total population per municipality and reporting bydel code in `year` (the split key of harmonisation)."""
    result = dict(Municipality.objects.filter(year=year).values_list("code", "population_total"))
    result.update(ReportingUnit.objects.filter(year=year, kind=UnitKind.BYDEL).values_list("code", "population_total"))
    return result


def harmonise_code(code: str, from_year: int, to_year: int, index: logic.ChangeIndex | None = None) -> logic.Harmonised:
    """`code` in from_year's structure as [(code in to_year, weight)]; splits are shared by to_year population."""
    return logic.harmonise(code, from_year, to_year, index or change_index(), population_by_code(to_year))


def harmonise_values(values_by_code: dict[str, Any], from_year: int, to_year: int) -> tuple[dict[str, float], set[str]]:
    """A year's values per code carried to to_year's structure: (value per code, codes that are estimated)."""
    return logic.harmonise_values(values_by_code, from_year, to_year, change_index(), population_by_code(to_year))


def get_unit(year: int, code: str) -> ReportingUnit:
    try:
        return ReportingUnit.objects.get(year=year, code=code)
    except (ReportingUnit.DoesNotExist, ValueError, TypeError):
        raise Http404("Ukjent enhet.") from None


def get_unit_for_user(user: Any, year: int, code: str, access: Access = Access.VIEW) -> ReportingUnit:
    """The unit, if the user may reach it: Http404 for an unknown unit, PermissionDenied for someone else's."""
    unit = get_unit(year, code)
    check_unit_access(user, unit.code, unit.county_code, access)
    return unit
