"""How current the figures are: when the stored aggregates behind a page were computed, and whether a recompute is
queued or running (tasks.py). The pages and the API say both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from kartlegg.analytics.services import store


@dataclass(frozen=True)
class Freshness:
    computed_at: dt.datetime | None
    pending: bool

    def as_json(self) -> dict[str, object]:
        stamp = self.computed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if self.computed_at else None
        return {"computed_at": stamp, "recompute_pending": self.pending}


def freshness(variables: Sequence[str] | None = None) -> Freshness:
    """The newest computation of these variables (all when None), and whether a recompute waits."""
    from kartlegg.analytics.tasks import recompute_pending

    newest = store.newest() if variables is None else store.newest(variable__in=list(variables))
    return Freshness(newest, recompute_pending())
