"""Run every enabled check over the units of a round: pure, so a whole round takes a fraction of a second."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import REGISTRY, SEVERITY_RANK, CheckContext, FlagCandidate, Layout, UnitData, effective_config
from .cells import build_cell_spread
from .peers import build_peer_table


@dataclass
class CheckRun:
    candidates: list[FlagCandidate] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # the units that were checked
    checks: list[str] = field(default_factory=list)  # the checks that ran


def sort_key(flag: FlagCandidate) -> tuple[float, int, str, str, str, str]:
    """Largest estimated impact first, then the more severe, then by unit and check (a stable order)."""
    return (-flag.impact, SEVERITY_RANK.get(flag.severity, 9), flag.unit, flag.check, flag.rule, flag.variable)


def run_checks(
    units: Sequence[UnitData],
    layout: Layout,
    config: Mapping[str, Any] | None = None,
    *,
    only: Collection[str] | None = None,
    year: int = 0,
    progress: Callable[[UnitData], None] | None = None,
) -> CheckRun:
    """Run the enabled checks. `config` is a version's overrides (or a whole effective configuration: laying it over
    the defaults changes nothing). Peers are every unit given; `only` limits which units are checked."""
    settings = effective_config(config)
    names = [name for name in REGISTRY if settings[name]["enabled"]]
    peers = build_peer_table(units, layout, settings["peer_outlier"])
    peers.cells = build_cell_spread(units, layout, settings["cell_outlier"])
    contexts = {name: CheckContext(layout, settings[name], peers, year) for name in names}
    run = CheckRun(checks=names)
    wanted = set(only) if only is not None else None
    for unit in units:
        if wanted is not None and unit.code not in wanted:
            continue
        run.units.append(unit.code)
        for name in names:
            run.candidates.extend(REGISTRY[name].function(unit, contexts[name]))
        if progress is not None:
            progress(unit)
    run.candidates.sort(key=sort_key)
    return run
