"""Topic pages: saving one (Markdown, sanitised when shown), its public publications, when it was last updated
(its own text or its newest public publication, whichever is later), and its key figures: national figures of a
few catalogue variables for the newest published year, at the published data version, so they follow the newest
publication by themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import get_language

from kartlegg.accounts.permissions import require_analyst
from kartlegg.analytics import services as statistics
from kartlegg.analytics.levels import NATION, NATION_CODE
from kartlegg.analytics.services import access as statistics_access
from kartlegg.analytics.services.read import Request, build_table
from kartlegg.lib.numbers import format_change, format_number
from kartlegg.publishing import rules
from kartlegg.publishing.models import Publication, Topic
from kartlegg.publishing.services.access import newest_versions, public_publications
from kartlegg.publishing.services.datayear import PublishingError

MAX_FIGURES = 6


@dataclass
class KeyFigure:
    code: str
    label: str
    value: str  # formatted, with the unit
    year: int
    data_version: str
    change: str  # "+2,1 %" against the year before, or ""
    url: str  # the explorer, pinned to the year and data version


def save_topic(user: Any, *, title: str, body: str, key_figures: list[str] | str, slug: str = "",
               topic: Topic | None = None, order: int = 0) -> Topic:  # fmt: skip
    """Create or change a topic page. `key_figures`: variable codes of the statistics catalogue."""
    require_analyst(user)
    title = (title or "").strip()
    if not title:
        raise PublishingError("title: skriv en tittel.")
    if len(title) > 120:
        raise PublishingError("title: for lang (høyst 120 tegn).")
    try:
        body = rules.check_markdown(body)
    except ValueError as error:
        raise PublishingError(f"body: {error}") from error
    codes = [c.strip() for c in key_figures.replace(",", " ").split()] if isinstance(key_figures, str) else key_figures
    if len(codes) > MAX_FIGURES:
        raise PublishingError(f"key_figures: høyst {MAX_FIGURES} nøkkeltall.")
    known = statistics.catalogue().variables if codes else {}
    for code in codes:
        if code not in known:
            raise PublishingError(f"key_figures: {code[:40]!r} er ingen variabel i statistikken.")
    with transaction.atomic():
        if topic is None:
            wanted = slugify(slug or title)[:80]
            if not wanted:
                raise PublishingError("slug: adressen kan ikke være tom.")
            if Topic.objects.filter(slug=wanted).exists():
                raise PublishingError(f"slug: temaet {wanted!r} finnes allerede.")
            topic = Topic(slug=wanted)
        topic.title, topic.body, topic.key_figures, topic.order = title, body, list(codes), order
        topic.updated_by = user
        topic.save()
    return topic


def topic_publications(topic: Topic) -> list[Publication]:
    return newest_versions(public_publications().filter(topics=topic))


def last_updated(topic: Topic, publications: list[Publication]) -> dt.datetime:
    moments = [topic.updated_at] + [p.publish_at for p in publications if p.publish_at is not None]
    return max(moments)


def key_figures(topic: Topic) -> list[KeyFigure]:
    """The topic's figures for the newest published year (nothing before any year is published)."""
    if not topic.key_figures:
        return []
    rounds = statistics.annual_rounds()
    published = sorted(statistics_access.published_years() & set(rounds))
    if not published:
        return []
    catalogue = statistics.catalogue(rounds, get_language())
    rule, structure = statistics.default_rule(), statistics.default_structure()
    found = []
    for code in topic.key_figures:
        variable = catalogue.variables.get(code)
        if variable is None:
            continue
        years = [y for y in published if y in variable.codes]
        if not years:
            continue
        year = years[-1]
        shown = tuple(years[-2:])
        keys = statistics_access.version_keys(None, list(shown))
        measure = variable.default_measure
        statistics.ensure(variable, rule, structure, NATION, list(shown), keys)
        table = build_table(Request(variable, measure, NATION, shown, structure, rule), keys=keys)
        cell = table.cell(NATION_CODE, year)
        if cell.value is None:
            continue
        before = table.cell(NATION_CODE, shown[0]) if len(shown) == 2 else None
        change = ""
        if before is not None and before.value and variable.comparable(year, shown[0]):
            change = format_change((cell.value - before.value) / before.value * 100, 1) + "\u00a0%"
        version = keys.get(year, "live")
        query = f"variable={code}&years={year}&level={NATION}"
        number = rules.version_number(version)
        if number is not None:
            query += f"&version={number}"
        found.append(KeyFigure(code, variable.label, f"{format_number(table.rounded(cell), table.decimals)}",
                               year, version, change, f"/statistikk/?{query}"))  # fmt: skip
    return found
