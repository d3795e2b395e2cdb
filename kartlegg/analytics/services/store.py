"""Compact storage of the aggregates: one AggregateBlock row per (variable, rule, structure, level, year, data
version), every region of the level in it as parallel lists (models.AggregateBlock). A full computation writes a
few thousand blocks instead of ~190 000 rows; the readers get cells, one per region, from `cells()`.

Writing a block replaces it (delete, insert): block ids only grow, so the newest id names the state of the store
(services.read.data_stamp). An incremental recompute writes the changed regions of some blocks (`merge`): the
other regions of those blocks are kept as they were.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Max, Q

from kartlegg.analytics.grouping import CELL_FIELDS, Block
from kartlegg.analytics.models import LIVE, AggregateBlock

WRITE_BATCH = 500


class Cell(NamedTuple):
    """One region's figures, as a reader gets them."""

    variable: str
    rule: str
    structure: int
    level: str
    region: str
    year: int
    value: float | None
    rate: float | None
    median: float | None
    status: str
    n: int
    n_units: int
    n_imputed: int
    value_imputed: float | None
    source_code: str
    data_version: str
    computed_at: Any


def blocks(*conditions: Q, **filters: Any) -> Any:
    """The stored blocks that match (a queryset: the block fields, not region)."""
    return AggregateBlock.objects.filter(*conditions, **filters)


def cells(
    *conditions: Q,
    regions: Collection[str] | None = None,
    places: Collection[tuple[str, str]] | None = None,
    **filters: Any,
) -> Iterator[Cell]:
    """The cells of the matching blocks: `conditions` and `filters` select blocks by their fields (variable, rule,
    structure, level, year, data_version); `regions` keeps those regions, `places` those (level, region) pairs."""
    rows = blocks(*conditions, **filters).values_list(
        "variable", "rule", "structure", "level", "year", "data_version", "source_code", "computed_at", "payload"
    )
    wanted = set(regions) if regions is not None else None
    pairs = set(places) if places is not None else None
    for variable, rule, structure, level, year, key, code, computed_at, payload in rows.iterator(chunk_size=200):
        cols = json.loads(payload)
        names = cols["region"]
        if pairs is not None:
            chosen: Iterable[int] = [i for i, r in enumerate(names) if (level, r) in pairs]
        elif wanted is not None:
            chosen = [i for i, r in enumerate(names) if r in wanted]
        else:
            chosen = range(len(names))
        value, rate, median, status = cols["value"], cols["rate"], cols["median"], cols["status"]
        n, n_units, n_imputed, parts = cols["n"], cols["n_units"], cols["n_imputed"], cols["value_imputed"]
        for i in chosen:
            yield Cell(
                variable, rule, structure, level, names[i], year, value[i], rate[i], median[i], status[i], n[i],
                n_units[i], n_imputed[i], parts[i], code, key, computed_at,
            )  # fmt: skip


def count(*conditions: Q, **filters: Any) -> int:
    """How many cells the matching blocks hold."""
    return sum(blocks(*conditions, **filters).values_list("regions", flat=True))


def newest(*conditions: Q, **filters: Any) -> Any:
    """When the newest of the matching blocks was computed (None: none stored)."""
    return blocks(*conditions, **filters).aggregate(newest=Max("computed_at"))["newest"]


def _record(block: Block, rule: str, key: str, moment: Any) -> AggregateBlock:
    return AggregateBlock(
        variable=block.variable,
        rule=rule,
        structure=block.structure,
        level=block.level,
        year=block.year,
        data_version=key,
        source_code=block.source_code,
        regions=len(block.columns["region"]),
        payload=json.dumps(block.columns, separators=(",", ":"), allow_nan=False),
        computed_at=moment,
    )


def write(found: Iterable[Block], rule: str, keys: dict[int, str], moment: Any) -> int:
    """Insert the blocks (under `keys[year]`, live by default), a batch at a time; returns the cells written. The
    caller has removed what they replace."""
    total = 0
    batch: list[AggregateBlock] = []
    for block in found:
        batch.append(_record(block, rule, keys.get(block.year, LIVE), moment))
        total += len(block.columns["region"])
        if len(batch) >= WRITE_BATCH:
            AggregateBlock.objects.bulk_create(batch)
            batch = []
    if batch:
        AggregateBlock.objects.bulk_create(batch)
    return total


def merge(found: Sequence[Block], rule: str, key: str, moment: Any) -> int:
    """Write the regions these (partial) blocks hold into the stored blocks of the same key, keeping every other
    region of them as it was; a block not stored yet is stored as given. Returns the cells written."""
    total = 0
    with transaction.atomic():
        for block in found:
            ident = {
                "variable": block.variable, "rule": rule, "structure": block.structure, "level": block.level,
                "year": block.year, "data_version": key,
            }  # fmt: skip
            stored = AggregateBlock.objects.select_for_update().filter(**ident).first()
            columns = block.columns
            if stored is not None:
                columns = _merged(json.loads(stored.payload), block.columns)
                stored.delete()
            AggregateBlock.objects.bulk_create([_record(block._replace(columns=columns), rule, key, moment)])
            total += len(block.columns["region"])
    return total


def _merged(old: dict[str, list[Any]], new: dict[str, list[Any]]) -> dict[str, list[Any]]:
    position = {region: i for i, region in enumerate(old["region"])}
    result = {name: list(old[name]) for name in CELL_FIELDS}
    for j, region in enumerate(new["region"]):
        i = position.get(region)
        if i is None:
            for name in CELL_FIELDS:
                result[name].append(new[name][j])
        else:
            for name in CELL_FIELDS:
                result[name][i] = new[name][j]
    return result


def stamp() -> int:
    """Changes whenever blocks are written (ids only grow: AUTOINCREMENT on SQLite, a sequence on PostgreSQL)."""
    return AggregateBlock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
