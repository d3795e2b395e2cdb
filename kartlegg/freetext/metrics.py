"""Agreement and accuracy on plain data: F1, Cohen's kappa, Krippendorff's alpha. Pure functions, no ORM."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence


def f1_scores(
    gold: Sequence[set[str]], predicted: Sequence[set[str]], keys: Sequence[str]
) -> tuple[float, dict[str, float]]:
    """Macro-F1 over `keys` and F1 per key. A key that is neither in the gold nor predicted anywhere scores 1."""
    per_key: dict[str, float] = {}
    for key in keys:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if key in g and key in p)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if key not in g and key in p)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if key in g and key not in p)
        per_key[key] = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    macro = sum(per_key.values()) / len(per_key) if per_key else 0.0
    return macro, per_key


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa for two coders' labels of the same items. None when there are no items; 1 when both coders
    agree on every item and chance agreement is 1 too (every item has the same label)."""
    if len(first) != len(second):
        raise ValueError("Kodingene må gjelde de samme svarene.")
    n = len(first)
    if n == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in set(count_a) | set(count_b)) / (n * n)
    if expected >= 1:
        return 1.0 if observed >= 1 else 0.0
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(units: Sequence[Mapping[str, Hashable]]) -> float | None:
    """Krippendorff's alpha for nominal data. `units` holds one mapping per coded item: coder → label (coders who
    did not code the item are left out). Items with fewer than two labels do not count. None without pairs."""
    coincidences: dict[tuple[Hashable, Hashable], float] = {}
    for unit in units:
        values = list(unit.values())
        m = len(values)
        if m < 2:
            continue
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidences[(a, b)] = coincidences.get((a, b), 0.0) + 1 / (m - 1)
    total = sum(coincidences.values())
    if total == 0:
        return None
    marginals: dict[Hashable, float] = {}
    for (a, _b), weight in coincidences.items():
        marginals[a] = marginals.get(a, 0.0) + weight
    observed = sum(w for (a, b), w in coincidences.items() if a != b)
    expected = sum(marginals[a] * marginals[b] for a in marginals for b in marginals if a != b) / (total - 1)
    if expected == 0:
        return 1.0 if observed == 0 else 0.0
    return 1 - observed / expected


def kappa_words(kappa: float | None) -> str:
    """Landis and Koch's words for a kappa, in Norwegian."""
    if kappa is None:
        return "ikke beregnet"
    if kappa < 0.2:
        return "svakt"
    if kappa < 0.4:
        return "noe"
    if kappa < 0.6:
        return "moderat"
    if kappa < 0.8:
        return "godt"
    return "svært godt"
