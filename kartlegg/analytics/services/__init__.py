"""The database side of analytics, one module per subject; the pure calculations sit beside this package
(catalogue, compute, charts, params, measures, levels, series, imputation, cube, jsonstat, px).

- aggregates: compute and store the aggregates (all, one round's, what one response touches; `ensure` a slice);
  store: the compact blocks they are kept in; kept: the worker's figures kept between computations.
- extract: read answers, rounds and geography from the other apps.
- read: build the tables that pages and the API show.
- access: who may see which years (publication, embargo).
- profile, explorer, maps: a unit's profile page, the explorer page, the choropleth maps.
- hooks: signals that queue a recompute after a change (not imported here; AnalyticsConfig.ready() connects them).
- freshness: when the figures were computed, and whether a recompute waits.
- versions: the pinned figures of locked data versions (pin, rebuild, a year's versions, year_aggregates).

Callers use `from kartlegg.analytics import services` and `services.compute(...)` for the entry points below, and
import the other modules by name (`from kartlegg.analytics.services import access`).
"""

from kartlegg.analytics.services.aggregates import (
    StatisticsError,
    catalogue,
    compute,
    default_levels,
    default_rule,
    default_structure,
    every_level,
    is_warm,
    iter_levels,
    loaded_years,
    read_data,
    run,
    stored_levels,
)
from kartlegg.analytics.services.extract import annual_rounds
from kartlegg.analytics.services.versions import ensure, recompute, recompute_for_response, recompute_for_round

__all__ = [
    "StatisticsError",
    "annual_rounds",
    "catalogue",
    "compute",
    "default_levels",
    "default_rule",
    "default_structure",
    "ensure",
    "every_level",
    "is_warm",
    "iter_levels",
    "loaded_years",
    "read_data",
    "recompute",
    "recompute_for_response",
    "recompute_for_round",
    "run",
    "stored_levels",
]
