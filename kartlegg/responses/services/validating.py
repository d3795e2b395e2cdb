"""Validating a response's values, re-checking after a save only what the save touched.

Each process keeps the last validation of each response it validated (bounded). The next validation of that
response passes it to engine.validate as `previous`, which then re-evaluates only the questions and rules whose
variables changed or whose questions were shown or hidden since; the verdicts are the same as a full validation's
(tests/test_surveys_engine_incremental.py compares them on random edits). Nothing here trusts version numbers: the
engine compares the values themselves, so a stale entry (another process saved since, an import wrote rows) only
makes more rules re-checked, never a wrong verdict.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from kartlegg.surveys import engine

from ..models import Response

# Responses whose last validation a process keeps; a collection round has a few hundred to a few thousand.
MAX_KEPT = 5_000
_LAST: dict[int, engine.ValidationResult] = {}
_LOCK = threading.Lock()


def validation_context(response: Response) -> dict[str, Any]:
    """The read-only variables rules may use (_population_total…), from the unit's reference data."""
    unit = response.unit
    return {
        "_population_total": Decimal(unit.population_total) if unit.population_total else None,
        "_population_0_17": Decimal(unit.population_0_17) if unit.population_0_17 else None,
        "_population_18_plus": Decimal(unit.population_18_plus) if unit.population_18_plus else None,
        "_year": Decimal(response.round.year),
    }


def validate_values(
    response: Response,
    values: dict[str, Any],
    comments: dict[str, str],
    defn: Any | None = None,
    *,
    incremental: bool = True,
) -> engine.ValidationResult:
    """engine.validate for this response. `incremental` (the default) starts from this process's last validation of
    the response; False validates everything (submitting does, as a gate)."""
    defn = defn or response.round.version.definition()
    previous = None
    if incremental and response.pk is not None:
        with _LOCK:
            previous = _LAST.get(response.pk)
    result = engine.validate(defn, values, comments, validation_context(response), previous=previous)
    if response.pk is not None:
        with _LOCK:
            if len(_LAST) >= MAX_KEPT:
                _LAST.clear()
            _LAST[response.pk] = result
    return result


def forget_validations() -> None:
    """Empty this process's kept validations."""
    with _LOCK:
        _LAST.clear()
