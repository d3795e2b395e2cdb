"""Compact storage of the aggregates: one AggregateBlock row per (variable, rule, structure, level, year, data
version), every region of the level in it as parallel lists (models.AggregateBlock). A full computation writes
some ten thousand blocks instead of ~190 000 rows; the readers get cells, one per region, from `cells()`.

Writing a block replaces it (delete, insert): block ids only grow, so the newest id names the state of the store
(services.read.data_stamp). An incremental recompute writes the changed regions of some blocks (`merge`): the
other regions of those blocks are kept as they were.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.db.models import Max, Q

from kartlegg.analytics.grouping import Block
from kartlegg.analytics.measures import STATUS_SYMBOLS
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
        cols = decode(payload)
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


# The payload: a JSON header with the names and statuses, a NUL byte, then the figures as little-endian arrays
# (float64 with NaN for "no figure", int64 counts), each as long as the region list. Binary, because the floats go
# in and out exactly and without formatting: a full computation writes some 200 000 cells of seven figures.
FLOATS = ("value", "rate", "median", "value_imputed")
INTS = ("n", "n_units", "n_imputed")


_REGION_TEXT: dict[tuple[str, ...], str] = {}


def _region_text(regions: Any) -> str:
    """The JSON of a region list; the same lists recur for every variable, so each is written once per process."""
    key = tuple(regions)
    text = _REGION_TEXT.get(key)
    if text is None:
        if len(_REGION_TEXT) > 10_000:
            _REGION_TEXT.clear()
        text = _REGION_TEXT[key] = json.dumps(list(key), separators=(",", ":"))
    return text


_PLAIN = frozenset(STATUS_SYMBOLS.values()) | {""}  # no character JSON would escape


def _status_text(status: Sequence[str]) -> str:
    """The JSON of a status list; the symbols need no escaping, so joining them is enough (and much faster)."""
    if not status:
        return "[]"
    if _PLAIN.issuperset(status):
        return '["' + '","'.join(status) + '"]'
    return json.dumps(list(status), separators=(",", ":"))


def _pack(regions: Any, status: Sequence[str], floats: Any, ints: Any) -> bytes:
    head = '{"region":' + _region_text(regions) + ',"status":' + _status_text(status) + "}"
    floats, ints = np.asarray(floats, dtype="<f8"), np.asarray(ints, dtype="<i8")  # no copy when they are already
    return b"".join((head.encode(), b"\0", floats.tobytes(), ints.tobytes()))


def encode(columns: dict[str, Any]) -> bytes:
    floats = np.array([columns[name] for name in FLOATS], dtype="<f8")  # None becomes NaN
    ints = np.array([columns[name] for name in INTS], dtype="<i8")
    return _pack(columns["region"], columns["status"], floats, ints)


def _unpack(payload: bytes | memoryview) -> tuple[dict[str, list[Any]], Any, Any]:
    """The header ({"region": [...], "status": [...]}) and the figures as (FLOATS × regions) and (INTS × regions)
    arrays."""
    raw = bytes(payload)
    cut = raw.index(b"\0")
    head: dict[str, list[Any]] = json.loads(raw[:cut])
    size = len(head["region"])
    floats = np.frombuffer(raw, dtype="<f8", count=size * len(FLOATS), offset=cut + 1).reshape(len(FLOATS), size)
    offset = cut + 1 + 8 * size * len(FLOATS)
    ints = np.frombuffer(raw, dtype="<i8", count=size * len(INTS), offset=offset).reshape(len(INTS), size)
    return head, floats, ints


def decode(payload: bytes | memoryview) -> dict[str, list[Any]]:
    """The payload as lists, None where a figure is missing."""
    found, floats, ints = _unpack(payload)
    for name, row in zip(FLOATS, floats.tolist(), strict=True):
        found[name] = [None if v != v else v for v in row]
    for name, row in zip(INTS, ints.tolist(), strict=True):
        found[name] = row
    return found


BLOCK_COLUMNS = (
    "variable", "rule", "structure", "level", "year", "data_version", "source_code", "regions", "payload",
    "computed_at",
)  # fmt: skip
COPY_TYPES = ["varchar", "varchar", "int2", "varchar", "int2", "varchar", "varchar", "int4", "bytea", "timestamptz"]


def _row(block: Block, rule: str, key: str, moment: Any) -> tuple[Any, ...]:
    return (
        block.variable, rule, block.structure, block.level, block.year, key, block.source_code,
        len(block.columns["region"]), encode(block.columns), moment,
    )  # fmt: skip


def _sql() -> str:
    table = connection.ops.quote_name(AggregateBlock._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in BLOCK_COLUMNS)  # the fields are their columns
    if connection.vendor == "postgresql":
        return f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(BLOCK_COLUMNS))})"  # noqa: S608


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Plain rows straight into the table: binary COPY on PostgreSQL, executemany on SQLite (bulk_create would
    build and prepare a model instance per block)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(_sql()) as copy:
                copy.set_types(COPY_TYPES)
                for row in rows:
                    copy.write_row(row)
        else:
            stamps = {id(row[-1]): row[-1] for row in rows}
            adapted = {key: connection.ops.adapt_datetimefield_value(moment) for key, moment in stamps.items()}
            cursor.executemany(_sql(), [(*row[:-1], adapted[id(row[-1])]) for row in rows])


class _Copy:
    """One COPY on PostgreSQL for as many blocks as come, sent as they are computed, so that the server stores them
    while the next ones are computed (a COPY per batch made the computation wait for each batch). Any other
    statement on the connection meanwhile (the computation reads a population, Django makes a savepoint) first
    ends the COPY; the next block starts a new one."""

    def __init__(self) -> None:
        self._stack: contextlib.ExitStack | None = None
        self._copy: Any = None

    def write(self, row: tuple[Any, ...]) -> None:
        if self._copy is None:
            stack = contextlib.ExitStack()
            cursor = stack.enter_context(connection.cursor())
            self._copy = stack.enter_context(cursor.cursor.copy(_sql()))
            self._copy.set_types(COPY_TYPES)
            self._stack = stack
        self._copy.write_row(row)

    def end(self, *error: Any) -> None:
        stack, self._stack, self._copy = self._stack, None, None
        if stack is not None:
            stack.__exit__(*(error or (None, None, None)))

    def before(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        self.end()
        return execute(sql, params, many, context)


def write(found: Iterable[Block], rule: str, keys: dict[int, str], moment: Any) -> int:
    """Insert the blocks (under `keys[year]`, live by default); returns the cells written. The caller has removed
    what they replace. PostgreSQL streams them through one COPY (_Copy), SQLite inserts a batch at a time."""
    total = 0
    if connection.vendor == "postgresql":
        copy = _Copy()
        try:
            with connection.execute_wrapper(copy.before):
                for block in found:
                    copy.write(_row(block, rule, keys.get(block.year, LIVE), moment))
                    total += len(block.columns["region"])
        except BaseException as error:
            copy.end(type(error), error, error.__traceback__)
            raise
        copy.end()
        return total
    batch: list[tuple[Any, ...]] = []
    for block in found:
        batch.append(_row(block, rule, keys.get(block.year, LIVE), moment))
        total += len(block.columns["region"])
        if len(batch) >= WRITE_BATCH:
            _insert(batch)
            batch = []
    _insert(batch)
    return total


def merge(found: Sequence[Block], rule: str, key: str, moment: Any) -> int:
    """Write the regions these (partial) blocks hold into the stored blocks of the same key, keeping every other
    region of them as it was; a block not stored yet is stored as given. Returns the cells written. The stored
    blocks are taken out and read in one statement (DELETE ... RETURNING), then written back merged."""
    if not found:
        return 0
    ident = {(b.variable, b.structure, b.level, b.year): b for b in found}
    meta = AggregateBlock._meta
    table = connection.ops.quote_name(meta.db_table)
    wanted = ", ".join(["(%s, %s, %s, %s)"] * len(ident))
    sql = (
        f"DELETE FROM {table} WHERE rule = %s AND data_version = %s "  # noqa: S608 - values as parameters
        f"AND (variable, structure, level, year) IN (VALUES {wanted}) "
        "RETURNING variable, structure, level, year, payload"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [rule, key, *(part for name in ident for part in name)])
        old = {(v, int(s), lvl, int(y)): payload for v, s, lvl, y, payload in cursor.fetchall()}
        rows = []
        for name, block in ident.items():
            if name in old:
                rows.append(_merged_row(block, old[name], rule, key, moment))
            else:
                rows.append(_row(block, rule, key, moment))
        _insert(rows)
    return sum(len(b.columns["region"]) for b in found)


def _merged_row(block: Block, payload: bytes, rule: str, key: str, moment: Any) -> tuple[Any, ...]:
    """The stored block with the regions of `block` written over it (a region it did not hold yet added at the
    end), as a row to insert."""
    head, floats, ints = _unpack(payload)
    regions, status = head["region"], head["status"]
    new = block.columns
    position = {region: i for i, region in enumerate(regions)}
    added = [r for r in new["region"] if r not in position]
    if added:
        regions = regions + added
        status = status + [""] * len(added)
        position.update((r, i) for i, r in enumerate(added, start=len(position)))
        floats = np.concatenate([floats, np.full((len(FLOATS), len(added)), np.nan)], axis=1)
        ints = np.concatenate([ints, np.zeros((len(INTS), len(added)), np.int64)], axis=1)
    else:
        floats, ints = floats.copy(), ints.copy()
    at = np.array([position[r] for r in new["region"]], dtype=np.intp)
    floats[:, at] = np.array([new[name] for name in FLOATS], dtype=float)  # None becomes NaN
    ints[:, at] = np.array([new[name] for name in INTS], dtype=np.int64)
    for i, value in zip(at.tolist(), new["status"], strict=True):
        status[i] = value
    payload = _pack(regions, status, floats, ints)
    return (
        block.variable, rule, block.structure, block.level, block.year, key, block.source_code, len(regions),
        payload, moment,
    )  # fmt: skip


def stamp() -> int:
    """Changes whenever blocks are written (ids only grow: AUTOINCREMENT on SQLite, a sequence on PostgreSQL)."""
    return AggregateBlock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
