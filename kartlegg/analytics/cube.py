"""A result cube: dimensions (e.g. region × measure × year) with labels, one value per combination in row-major
order (the last dimension varies fastest, as in JSON-stat), and a status per cell. JSON-stat, CSV and PX are all
rendered from one Cube, so they cannot disagree.

Missing and suppressed cells hold None, never 0. Values are floats; they are rounded only when rendered, half away
from zero (what readers expect of 2,25 → 2,3), to the decimals of their measure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kartlegg.analytics.measures import (
    EMPTY_STATUSES,
    MISSING,
    OK,
    STATUS_SYMBOLS,
    STATUS_TEXTS,
    STATUSES,
    AnalyticsError,
    Value,
    number,
)

GEO, TIME, METRIC = "geo", "time", "metric"
ROLES = (GEO, TIME, METRIC)
MAX_DECIMALS = 15  # the PX format's limit
_POW10 = [10.0**d for d in range(MAX_DECIMALS + 1)]
# A float is the nearest binary number to what was typed: 2.675 is stored as 2.67499999999999982236431605997495353221.
# Nudging by a relative 1e-12 before flooring puts such ties back where the written digits put them, while real
# differences (2.6749 and 2.675 differ by 4e-5 relative) are far larger than the nudge.
_NUDGE = 1e-12


def round_half_up(value: float, decimals: int) -> float:
    """Round half away from zero on the decimal digits as written: 2.675 → 2.68 (a plain round() gives 2.67),
    0.25 → 0.3 (round() gives 0.2). Plain float arithmetic, because cubes can hold millions of cells."""
    scale = _POW10[decimals]
    scaled = abs(value) * scale
    return math.copysign(math.floor(scaled + 0.5 + scaled * _NUDGE) / scale, value)


def format_plain(value: float, decimals: int, decimal_comma: bool = False) -> str:
    """A rounded number for a data file: no thousands separator, a point or a comma as the decimal mark."""
    rounded = round_half_up(value, decimals)
    text = f"{rounded + 0.0:.{decimals}f}"  # + 0.0 turns -0.0 into 0.0
    if text.startswith("-") and rounded == 0:
        text = text[1:]
    return text.replace(".", ",") if decimal_comma else text


@dataclass(frozen=True)
class MetricUnit:
    """The unit and the published decimals of one measure (a category of the metric dimension)."""

    label: str
    decimals: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.decimals, bool) or not isinstance(self.decimals, int):
            raise AnalyticsError(f"Antall desimaler må være et heltall, ikke {self.decimals!r}.")
        if not 0 <= self.decimals <= MAX_DECIMALS:
            raise AnalyticsError(f"Antall desimaler må være mellom 0 og {MAX_DECIMALS}, ikke {self.decimals}.")


@dataclass
class Dimension:
    id: str
    label: str
    categories: list[tuple[str, str]]
    role: str | None = None
    units: dict[str, MetricUnit] = field(default_factory=dict)

    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.id or not isinstance(self.id, str):
            raise AnalyticsError("En dimensjon mangler id.")
        if not self.categories:
            raise AnalyticsError(f"Dimensjonen {self.id} har ingen kategorier.")
        codes = [code for code, _ in self.categories]
        if any(not isinstance(code, str) or not code for code in codes):
            raise AnalyticsError(f"Dimensjonen {self.id} har en tom eller ugyldig kategorikode.")
        self._index = {code: i for i, code in enumerate(codes)}
        if len(self._index) != len(codes):
            twice = sorted({c for c in codes if codes.count(c) > 1})
            raise AnalyticsError(f"Dimensjonen {self.id} har samme kode flere ganger: {', '.join(twice)}.")
        if self.role is not None and self.role not in ROLES:
            raise AnalyticsError(f"Ukjent rolle {self.role!r} for {self.id}; gyldige er {', '.join(ROLES)}.")
        if self.units and self.role != METRIC:
            raise AnalyticsError(f"Bare måldimensjonen kan ha enheter, ikke {self.id}.")
        stray = sorted(set(self.units) - set(codes))
        if stray:
            raise AnalyticsError(f"Enheter for ukjente mål i {self.id}: {', '.join(stray)}.")

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.categories]

    @property
    def size(self) -> int:
        return len(self.categories)

    def position(self, code: str) -> int:
        if code not in self._index:
            raise AnalyticsError(f"Ukjent kategori {code!r} i dimensjonen {self.id}.")
        return self._index[code]


@dataclass
class Cube:
    id: str
    label: str
    dimensions: list[Dimension]
    values: list[float | None]
    status: dict[int, str] = field(default_factory=dict)
    source: str = ""
    updated: str = ""  # ISO 8601, e.g. 2026-05-01T06:00:00Z
    notes: list[str] = field(default_factory=list)
    table_id: str = ""
    contact: str = ""
    language: str = "no"

    def __post_init__(self) -> None:
        if not self.dimensions:
            raise AnalyticsError("En kube trenger minst én dimensjon.")
        ids = [d.id for d in self.dimensions]
        if len(set(ids)) != len(ids):
            raise AnalyticsError(f"Dimensjonene må ha ulike id-er: {ids}.")
        if sum(1 for d in self.dimensions if d.role == METRIC) > 1:
            raise AnalyticsError("En kube kan ha bare én måldimensjon (rolle metric).")
        expected = math.prod(self.sizes)
        if len(self.values) != expected:
            raise AnalyticsError(
                f"Antall verdier ({len(self.values)}) stemmer ikke med dimensjonene ({' × '.join(map(str, self.sizes))}"
                f" = {expected})."
            )
        present = [v for v in self.values if v is not None]
        if not set(map(type, present)) <= {float} or not _finite(present):
            self.values = [None if v is None else number(v, f"verdi nr. {i}") for i, v in enumerate(self.values)]
        else:
            self.values = list(self.values)
        status: dict[int, str] = {}
        for index, name in self.status.items():
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < expected:
                raise AnalyticsError(f"Status for en celle som ikke finnes: {index!r}.")
            if name not in STATUSES:
                raise AnalyticsError(f"Ukjent status {name!r}; gyldige er {', '.join(STATUSES)}.")
            if name in EMPTY_STATUSES and self.values[index] is not None:
                raise AnalyticsError(f"Celle {index} har status {name!r}, men også et tall.")
            if name != OK:
                status[index] = name
        for index, value in enumerate(self.values):
            if value is None and index not in status:
                status[index] = MISSING
            elif value is None and status[index] not in EMPTY_STATUSES:
                raise AnalyticsError(f"Celle {index} mangler tall, men har status {status[index]!r}.")
        self.status = dict(sorted(status.items()))

    @classmethod
    def from_cells(
        cls,
        id: str,
        label: str,
        dimensions: list[Dimension],
        cells: Mapping[tuple[str, ...], Value | float | int | None],
        **meta: Any,
    ) -> Cube:
        """Build from {(code per dimension, …): value}. Combinations that are not given are missing ("..")."""
        positions = [d._index for d in dimensions]
        strides = _strides([d.size for d in dimensions])
        values: list[float | None] = [None] * math.prod(d.size for d in dimensions)
        status: dict[int, str] = {}
        for key, cell in cells.items():
            if not isinstance(key, tuple) or len(key) != len(dimensions):
                raise AnalyticsError(f"Nøkkelen {key!r} må ha én kode per dimensjon ({len(dimensions)}).")
            index = 0
            for dim, lookup, stride, code in zip(dimensions, positions, strides, key, strict=True):
                if code not in lookup:
                    raise AnalyticsError(f"Ukjent kategori {code!r} i dimensjonen {dim.id}.")
                index += lookup[code] * stride
            if isinstance(cell, Value):
                values[index] = cell.value
                if cell.status != OK:
                    status[index] = cell.status
            else:
                values[index] = cell
        return cls(id=id, label=label, dimensions=dimensions, values=values, status=status, **meta)

    @property
    def sizes(self) -> list[int]:
        return [d.size for d in self.dimensions]

    def dimension(self, dim_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dim_id:
                return dim
        raise AnalyticsError(f"Kuben har ingen dimensjon {dim_id!r}.")

    @property
    def title(self) -> str:
        """The table's title as SSB writes it: the contents, then "etter" and every dimension's name."""
        names = [d.label for d in self.dimensions]
        by = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} og {names[-1]}"
        return f"{self.label}, etter {by}"

    def role(self, role: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.role == role), None)

    def index_of(self, *codes: str) -> int:
        if len(codes) != len(self.dimensions):
            raise AnalyticsError(f"Oppgi én kode per dimensjon ({len(self.dimensions)}).")
        strides = _strides(self.sizes)
        return sum(d.position(c) * s for d, c, s in zip(self.dimensions, codes, strides, strict=True))

    def cell(self, *codes: str) -> Value:
        index = self.index_of(*codes)
        return Value(self.values[index], self.status.get(index, OK))

    def symbol(self, index: int) -> str:
        return STATUS_SYMBOLS.get(self.status.get(index, OK), "")

    def decimals(self) -> list[int | None]:
        """The published decimals of each cell (from its measure's unit); None where the cube does not say."""
        metric_at = next((i for i, d in enumerate(self.dimensions) if d.role == METRIC and d.units), None)
        if metric_at is None:
            return [None] * len(self.values)
        metric = self.dimensions[metric_at]
        per_category = [metric.units[c].decimals if c in metric.units else None for c in metric.codes]
        stride = _strides(self.sizes)[metric_at]
        return [per_category[(i // stride) % metric.size] for i in range(len(self.values))]

    def rounded_values(self) -> list[float | None]:
        return [
            v if v is None or d is None else round_half_up(v, d)
            for v, d in zip(self.values, self.decimals(), strict=True)
        ]

    def order(self, dim_ids: Sequence[str]) -> Iterator[int]:
        """Cell indices in row-major order of the dimensions arranged as `dim_ids` (for a PX file's stub/heading)."""
        if sorted(dim_ids) != sorted(d.id for d in self.dimensions):
            raise AnalyticsError(f"Rekkefølgen må nevne hver dimensjon én gang: {list(dim_ids)}.")
        strides = _strides(self.sizes)
        at = {d.id: i for i, d in enumerate(self.dimensions)}
        arranged = [(self.dimensions[at[i]].size, strides[at[i]]) for i in dim_ids]
        yield from _walk(arranged, 0)

    def notes_with_symbols(self) -> list[str]:
        """The cube's notes plus one line per status symbol that occurs, so every symbol is explained."""
        used = [name for name in STATUS_SYMBOLS if name in set(self.status.values())]
        return [*self.notes, *(f"{STATUS_SYMBOLS[n]} = {STATUS_TEXTS[n]}" for n in used)]


def _finite(values: list[Any]) -> bool:
    try:
        return math.isfinite(math.fsum(values))
    except (OverflowError, ValueError):
        return False


def _strides(sizes: Sequence[int]) -> list[int]:
    strides = [1] * len(sizes)
    for i in range(len(sizes) - 2, -1, -1):
        strides[i] = strides[i + 1] * sizes[i + 1]
    return strides


def _walk(arranged: list[tuple[int, int]], base: int) -> Iterator[int]:
    size, stride = arranged[0]
    if len(arranged) == 1:
        for i in range(size):
            yield base + i * stride
        return
    for i in range(size):
        yield from _walk(arranged[1:], base + i * stride)
