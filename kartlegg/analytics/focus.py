"""What one unit's change can move: the focus of an incremental recompute. Pure (no ORM).

A unit's figures after imputation depend only on the figures of the codes linked to it by the municipal reforms
(its own code in every year, the codes it merged into or split from, and their other parts): imputation carries a
figure along those links and nowhere else. So the codes are split once into linked groups (components), and a
change to some units is recomputed from the components of those units alone, plus, in the years whose rows are
written, every unit of the year (a group's sum and median need all of them) and the components of that year's
non-respondents (their carried figures). Only the regions that contain a changed code are written; every other
row of those years is the same as before. compute.unit_series and compute._rows take a Focus; the result is the
same rows a full computation gives for those regions (tests/test_analytics_aggregates.py compares them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from kartlegg.geography.logic import Harmonised


def code_components(mappings: Mapping[int, Mapping[str, Harmonised]]) -> dict[str, frozenset[str]]:
    """{code: every code linked to it} for the codes that some reform changed (union-find over the forward
    mappings: an old code and each of its new codes are linked). A code that no reform touched is alone."""
    parent: dict[str, str] = {}

    def root(code: str) -> str:
        parent.setdefault(code, code)
        while parent[code] != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    for mapping in mappings.values():
        for old, harmonised in mapping.items():
            for new, _ in harmonised.parts:
                a, b = root(old), root(new)
                if a != b:
                    parent[a] = b
    groups: dict[str, set[str]] = {}
    for code in list(parent):
        groups.setdefault(root(code), set()).add(code)
    return {code: frozenset(members) for members in groups.values() for code in members}


@dataclass
class Focus:
    """An incremental recompute: `codes` changed (with everything linked to them); `years` are the years whose
    rows are written (set once the changed codes' own imputation has shown where their figures go)."""

    codes: frozenset[str]
    components: Mapping[str, frozenset[str]]
    years: frozenset[int] = frozenset()
    _closures: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, units: Iterable[str], mappings: Mapping[int, Mapping[str, Harmonised]]) -> Focus:
        components = code_components(mappings)
        return cls(close(units, components), components)

    def closure(self, codes: Collection[str]) -> frozenset[str]:
        """The changed codes and `codes`, with every code linked to any of them."""
        key = frozenset(codes)
        found = self._closures.get(key)
        if found is None:
            found = self._closures[key] = self.codes | close(key, self.components)
        return found


def close(codes: Iterable[str], components: Mapping[str, frozenset[str]]) -> frozenset[str]:
    result: set[str] = set()
    for code in codes:
        result.update(components.get(code, (code,)))
    return frozenset(result)
