"""The QA checks: pure functions on plain data, registered by name (see base.register).

Importing this package registers every check, in the order the queue lists them.
"""

from . import cells, change, consistency, missing, peers, unit_error  # noqa: F401  (registers the checks)
from .base import (
    ERROR,
    INFO,
    REGISTRY,
    SEVERITIES,
    WARNING,
    CheckContext,
    FlagCandidate,
    Grid,
    Layout,
    Previous,
    QAConfigError,
    UnitData,
    check_labels,
    default_config,
    effective_config,
)
from .layout import layout_for
from .runner import CheckRun, run_checks, sort_key

ORDER = ["unit_error", "cell_outlier", "implausible_change", "peer_outlier", "inconsistency", "stale_copy", "missing"]
for _name in ORDER:
    REGISTRY[_name] = REGISTRY.pop(_name)

__all__ = [
    "ERROR",
    "INFO",
    "REGISTRY",
    "SEVERITIES",
    "WARNING",
    "CheckContext",
    "CheckRun",
    "FlagCandidate",
    "Grid",
    "Layout",
    "Previous",
    "QAConfigError",
    "UnitData",
    "check_labels",
    "default_config",
    "effective_config",
    "layout_for",
    "run_checks",
    "sort_key",
]
