"""The demo's statistics step: lock every annual round but the newest with data version 1 (as QA would), pin their
figures, and publish them, leaving the newest year open. A newcomer then sees both states: published years with a
named data version, and the newest year's preliminary figures (shown to everyone in the demo by
KARTLEGG_STATISTICS_PREVIEW). Idempotent: a round that is locked keeps its version, a published year stays so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kartlegg.accounts.models import User
from kartlegg.analytics import services
from kartlegg.analytics.models import Publication
from kartlegg.analytics.services import access as services_access
from kartlegg.analytics.services import versions as services_versions
from kartlegg.quality.services.versions import lock_round


def lock_and_publish_demo(analyst: User, write: Any = None) -> list[int]:
    """Lock and publish every annual round before the newest; returns the years published."""
    rounds = services.annual_rounds()
    if len(rounds) < 2:
        return []
    years = sorted(rounds)[:-1]
    for year in years:
        lock_round(rounds[year], analyst, "Låst for analyse (demo).")
    services_versions.pin_missing()
    published = []
    for year in years:
        if Publication.objects.filter(year=year).exists():
            continue
        moment = dt.datetime(year + 1, 6, 15, 8, 0, tzinfo=dt.UTC)
        services_access.publish(year, moment, analyst, note="Demo: publisert etter kvalitetskontroll.")
        published.append(year)
    if write is not None and published:
        write(f"Låst og publisert (dataversjon 1): {', '.join(map(str, published))}; {max(rounds)} er åpen.")
    return published
