"""Who may see which statistics: publication and embargo.

A year's results are public once its Publication's time has passed. Before that (the embargo) only analysts see
the tables; on a unit's profile, also county reviewers (their own county) and the unit's own respondents, through
the one permission check (geography.services.get_unit_for_user → accounts.permissions). With the setting
KARTLEGG_STATISTICS_PREVIEW (on by default in demo mode) unpublished years are shown to everyone, marked as
preliminary, so that a demo without any publication still has pages to show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kartlegg.accounts.models import Channel, audit
from kartlegg.accounts.permissions import Access, require_analyst
from kartlegg.analytics.models import Publication
from kartlegg.geography import services as geography
from kartlegg.geography.models import ReportingUnit


def preview_all() -> bool:
    return bool(settings.KARTLEGG_STATISTICS_PREVIEW)


def published_years(now: dt.datetime | None = None) -> set[int]:
    moment = now or timezone.now()
    return set(Publication.objects.filter(published_at__lte=moment).values_list("year", flat=True))


def is_analyst(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_analyst", False))


def visible_years(user: Any, years: list[int]) -> list[int]:
    """The years whose tables `user` may see: published ones; all for analysts, or for everyone in preview."""
    if is_analyst(user) or preview_all():
        return list(years)
    public = published_years()
    return [y for y in years if y in public]


def unit_years_for_user(user: Any, code: str, years: list[int]) -> list[int]:
    """The years of a unit's profile `user` may see: published years for everyone; unpublished years for those the
    one permission check lets reach the unit (analysts, its county reviewer, its respondents). PermissionDenied when
    none is left, so a respondent cannot look at another unit before publication."""
    if is_analyst(user) or preview_all():
        return list(years)
    public = published_years()
    shown = [y for y in years if y in public]
    hidden = [y for y in years if y not in public]
    if hidden:
        unit = ReportingUnit.objects.filter(code=code, year__lte=max(hidden)).order_by("-year").first()
        if unit is not None:
            try:
                geography.get_unit_for_user(user, unit.year, unit.code, Access.VIEW)
                shown.extend(hidden)
            except PermissionDenied:
                pass
    if not shown:
        raise PermissionDenied("Tallene for denne enheten er ikke publisert ennå.")
    return sorted(shown)


def publish(year: int, at: dt.datetime | None, user: Any, note: str = "") -> Publication:
    """Set (or move) the end of a year's embargo. Analysts only; audited."""
    require_analyst(user)
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise PermissionDenied("Publiseringstidspunktet må ha tidssone.")
    with transaction.atomic():
        publication, created = Publication.objects.update_or_create(
            year=year, defaults={"published_at": moment, "note": note, "created_by": user}
        )
        audit(
            "analytics.published",
            user=user,
            channel=Channel.FORM,
            obj=publication,
            year=year,
            published_at=moment.isoformat(),
            created=created,
        )
    return publication
