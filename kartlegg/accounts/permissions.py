"""The one permission check. Every view and API endpoint that touches a unit's data calls `check_unit_access`
(usually through an app's `get_unit_for_user`-style helper), and every list of units' data filters with
`unit_filter`, so the rules live in exactly one place.

- Analysts read and write everything.
- Respondents read and write only the units they are bound to.
- County reviewers read (never write) the units whose county, in the year shown, is theirs.
- Anyone else sees nothing that is not published.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q


class Access(Enum):
    VIEW = "view"
    EDIT = "edit"


def can_access_unit(
    user: Any, unit_code: str, county_code: str, access: Access = Access.VIEW, *, bound: bool | None = None
) -> bool:
    """`bound`: whether a respondent is bound to the unit, when the caller has read it already (the save path reads
    it in the statement that locks the response); None reads the user's units."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_analyst:
        return True
    if user.is_respondent:
        return bound if bound is not None else unit_code in user.unit_codes()
    if user.is_reviewer:
        return access is Access.VIEW and county_code == user.county_code
    return False


def unit_filter(user: Any, access: Access = Access.VIEW, prefix: str = "unit__") -> Q:
    """can_access_unit as a queryset filter: the rows whose unit this user may reach. `prefix` leads from the
    queryset's model to the ReportingUnit ("unit__" on a Response or Flag, "" on ReportingUnit itself,
    "responses__unit__" on a Round)."""
    nothing = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    if user.is_analyst:
        return Q()
    if user.is_respondent:
        return Q(**{f"{prefix}code__in": sorted(user.unit_codes())})
    if user.is_reviewer:
        return Q(**{f"{prefix}county_code": user.county_code}) if access is Access.VIEW else nothing
    return nothing


def check_unit_access(
    user: Any, unit_code: str, county_code: str, access: Access = Access.VIEW, *, bound: bool | None = None
) -> None:
    """Raise PermissionDenied unless the user may reach this unit's data."""
    if not can_access_unit(user, unit_code, county_code, access, bound=bound):
        raise PermissionDenied("Du har ikke tilgang til denne enheten.")


def require_analyst(user: Any) -> None:
    if not (getattr(user, "is_authenticated", False) and user.is_analyst):
        raise PermissionDenied("Bare analytikere har tilgang til dette.")


def is_staff_reader(user: Any) -> bool:
    """Analysts and county reviewers may open dashboards (reviewers then see only their county)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_analyst or user.is_reviewer))
