"""Who may see which statistics: publication and embargo.

A year's results are public once its Publication's time has passed. Before that (the embargo) only analysts see
the tables; on a unit's profile, also county reviewers (their own county) and the unit's own respondents, through
the one permission check (geography.services.get_unit_for_user → accounts.permissions). With the setting
KARTLEGG_STATISTICS_PREVIEW (on by default in demo mode) unpublished years are shown to everyone, marked as
preliminary, so that a demo without any publication still has pages to show; a year under embargo (its Publication
is set for a later time, e.g. a scheduled report) stays hidden all the same, and from respondents on their own
unit's profile too.

Which figures: everyone sees a published year at the data version its Publication names, and an unpublished one
(where they may see it) at its live figures. Analysts may ask for the live figures or any data version
(`version=live|N`); the public may ask for a version up to the published one.
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
from kartlegg.analytics.models import LIVE, Publication, version_key
from kartlegg.analytics.params import ParamError, clean
from kartlegg.analytics.services import versions as services_versions
from kartlegg.analytics.services.extract import annual_rounds
from kartlegg.geography import services as geography
from kartlegg.geography.models import ReportingUnit


def preview_all() -> bool:
    return bool(settings.KARTLEGG_STATISTICS_PREVIEW)


def published_years(now: dt.datetime | None = None) -> set[int]:
    moment = now or timezone.now()
    return set(Publication.objects.filter(published_at__lte=moment).values_list("year", flat=True))


def embargoed_years(now: dt.datetime | None = None) -> set[int]:
    """Years whose publication is set for a later time: hidden from everyone but analysts (and, on a unit's profile,
    its county's reviewers), whatever KARTLEGG_STATISTICS_PREVIEW says."""
    moment = now or timezone.now()
    return set(Publication.objects.filter(published_at__gt=moment).values_list("year", flat=True))


def is_analyst(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_analyst", False))


def visible_years(user: Any, years: list[int]) -> list[int]:
    """The years whose tables `user` may see: published ones; all for analysts, or for everyone in preview (but
    for the years under embargo)."""
    if is_analyst(user):
        return list(years)
    if preview_all():
        embargoed = embargoed_years()
        return [y for y in years if y not in embargoed]
    public = published_years()
    return [y for y in years if y in public]


def unit_years_for_user(user: Any, code: str, years: list[int]) -> list[int]:
    """The years of a unit's profile `user` may see: published years for everyone; unpublished years for those the
    one permission check lets reach the unit (analysts, its county reviewer, its respondents). PermissionDenied when
    none is left, so a respondent cannot look at another unit before publication. A year under embargo is shown
    to analysts and the unit's county reviewer only."""
    if is_analyst(user):
        return list(years)
    embargoed = embargoed_years()
    public = published_years()
    if preview_all():
        public |= {y for y in years if y not in embargoed}
    shown = [y for y in years if y in public]
    hidden = [y for y in years if y not in public]
    if hidden:
        unit = ReportingUnit.objects.filter(code=code, year__lte=max(hidden)).order_by("-year").first()
        if unit is not None:
            try:
                geography.get_unit_for_user(user, unit.year, unit.code, Access.VIEW)
                reviewer = bool(getattr(user, "is_reviewer", False))
                shown.extend(y for y in hidden if reviewer or y not in embargoed)
            except PermissionDenied:
                pass
    if not shown:
        raise PermissionDenied("Tallene for denne enheten er ikke publisert ennå.")
    return sorted(shown)


def version_keys(user: Any, years: list[int], requested: str | None = None) -> dict[int, str]:
    """{year: the version to show}: "published" (default) gives each published year's published version and the
    others' live figures; "live" the live figures (analysts); a number that data version of every year (the
    public: only up to the published one); "2019:1,2020:2" each named year at its version and the others as by
    default. ParamError("version", …) names what is wrong."""
    text = clean(requested).lower()
    moment = timezone.now()
    publications = {p.year: p for p in Publication.objects.filter(year__in=years, published_at__lte=moment)}
    if text in ("", "published", "publisert"):
        return {y: publications[y].version_key if y in publications else LIVE for y in years}
    analyst = is_analyst(user)
    if text == LIVE:
        if not analyst:
            raise ParamError("version", "bare analytikere kan se løpende tall; bruk published", 403)
        return dict.fromkeys(years, LIVE)
    if ":" in text:
        # "2019:1,2020:2": each named year at its own data version (a report pinned to one version of its year reads
        # the earlier years at the versions its figures rest on); the other years as by default.
        wanted = _year_versions(text)
        chosen = {y: n for y, n in wanted.items() if y in years}
        keys = version_keys(user, years)
        for year, number in chosen.items():
            keys.update(version_keys(user, [year], str(number)))
        return keys
    if not text.isdigit() or int(text) < 1 or len(text) > 6:
        raise ParamError(
            "version", f"{text[:20]!r} er ikke published, live, et dataversjonsnummer (1, 2 …) eller år:nummer"
        )
    number = int(text)
    rounds = annual_rounds()
    have = services_versions.current_numbers({y: r for y, r in rounds.items() if y in years})
    for year in years:
        if have.get(year, 0) < number:
            raise ParamError("version", f"{year} har ingen dataversjon {number}; velg år med years=", 404)
        if not analyst:
            published = publications.get(year)
            if published is None or published.data_version is None or published.data_version < number:
                raise ParamError("version", f"dataversjon {number} av {year} er ikke publisert", 403)
    return dict.fromkeys(years, version_key(number))


def _year_versions(text: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in text.split(","):
        year, _sep, number = part.strip().partition(":")
        if not (len(year) == 4 and year.isdigit() and number.isdigit() and 1 <= len(number) <= 6 and int(number)):
            raise ParamError("version", f"{part.strip()[:20]!r} er ikke år:dataversjon (f.eks. 2023:2)")
        if int(year) in found:
            raise ParamError("version", f"{year} står to ganger")
        found[int(year)] = int(number)
    return found


def table_keys(user: Any, years: list[int], all_years: list[int], requested: str | None = None) -> dict[int, str]:
    """version_keys for the shown years, plus the default version of every other year the user may see (a change
    from the year before needs that year's figure, at the version the user would see it)."""
    keys = version_keys(user, years, requested)
    others = [y for y in visible_years(user, all_years) if y not in keys]
    return {**version_keys(user, others), **keys}


class PublishError(ValueError):
    """A publication that cannot be made as asked; the message says why (bokmål)."""


def publish(
    year: int,
    at: dt.datetime | None,
    user: Any,
    note: str = "",
    data_version: int | None = None,
    correction_note: str = "",
) -> Publication:
    """Set (or move) the end of a year's embargo, naming the data version published (default: the round's newest;
    none for a round that was never locked). Publishing a later version of a year that is already public is a
    correction and needs `correction_note`, which the public pages show. The version's figures are pinned (computed
    and stored) first. Analysts only; audited."""
    require_analyst(user)
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise PermissionDenied("Publiseringstidspunktet må ha tidssone.")
    rounds = annual_rounds()
    if year not in rounds:
        raise PublishError(f"{year} har ingen årlig runde.")
    newest = services_versions.current_numbers({year: rounds[year]}).get(year)
    if data_version is None:
        data_version = newest
    elif newest is None or not 1 <= data_version <= newest:
        raise PublishError(f"{year} har ingen dataversjon {data_version}.")
    correction_note = (correction_note or "").strip()
    with transaction.atomic():
        existing = Publication.objects.select_for_update().filter(year=year).first()
        correcting = (
            existing is not None
            and existing.is_public()
            and existing.data_version != data_version
            and data_version is not None
        )
        if correcting and not correction_note:
            raise PublishError(
                f"{year} er allerede publisert (dataversjon {existing.data_version or 'løpende'}): skriv hva "  # type: ignore[union-attr]
                "rettelsen gjelder, så det vises sammen med tallene."
            )
        if data_version is not None:
            services_versions.pin(rounds[year], data_version)
        defaults: dict[str, Any] = {
            "published_at": moment,
            "note": note,
            "created_by": user,
            "data_version": data_version,
        }
        if correcting and existing is not None:
            defaults.update(
                correction_note=correction_note, corrected_at=timezone.now(), published_at=existing.published_at
            )
        publication, created = Publication.objects.update_or_create(year=year, defaults=defaults)
        audit(
            "analytics.published",
            user=user,
            channel=Channel.FORM,
            obj=publication,
            year=year,
            published_at=publication.published_at.isoformat(),
            data_version=data_version,
            correction=correction_note if correcting else "",
            created=created,
        )
    return publication
